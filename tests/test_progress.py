"""Progress: bars only on a terminal and never after --no-progress; numba's compilation announced once."""

import io
import time

from spikegate.sim import progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_bars_only_on_a_terminal_and_with_progress_on(monkeypatch):
    monkeypatch.setattr("sys.stderr", io.StringIO())
    assert progress.bar(range(3)).disable  # not a terminal
    monkeypatch.setattr("sys.stderr", Terminal())
    assert not progress.bar(range(3)).disable
    assert progress.bar(range(3), enabled=False).disable
    progress.configure(False)
    try:
        assert progress.bar(range(3)).disable
    finally:
        progress.configure(True)


def test_a_slow_first_call_is_announced_once(monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    monkeypatch.setattr(progress, "ANNOUNCE_AFTER_S", 0.01)
    monkeypatch.setattr(progress, "_announced", set())
    with progress.compiling("TestSim"):
        time.sleep(0.2)
    with progress.compiling("TestSim"):
        time.sleep(0.2)
    with progress.compiling("QuickSim"):
        pass
    text = terminal.getvalue()
    assert text.count("numba: compiling the TestSim kernels") == 1 and "numba: TestSim ready after" in text
    assert "QuickSim" not in text
