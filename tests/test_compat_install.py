"""spikegate.compat.install(): ``import samna`` resolves to spikegate's samna only when no real one is importable,
and a real one is never shadowed. Each case runs in a fresh interpreter (imports are process-wide)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap


ONE_LINE = "import spikegate.compat; spikegate.compat.install()"


def run(code: str, *path: str) -> list[str]:
    """Output lines of ``code`` in a fresh interpreter with ``path`` in front of PYTHONPATH."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*map(str, path), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True,
                          timeout=100)  # within the suite's per-test limit
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def fake_samna(tmp_path):
    """A "real" samna package (with a speck2f submodule) on a directory of its own."""
    package = tmp_path / "real" / "samna"
    (package / "speck2f").mkdir(parents=True)
    (package / "__init__.py").write_text("REAL = True\n")
    (package / "speck2f" / "__init__.py").write_text("")
    return tmp_path / "real"


def test_install_provides_samna_when_none_is_importable():
    assert run("""
        import spikegate.compat
        print(spikegate.compat.install())
        import samna, samnagui
        import samna.speck2f.configuration as configuration
        from samna.speck2f.event import Spike
        import spikegate.compat.samna as ours
        print(samna is ours, configuration is ours.speck2f.configuration, Spike is ours.speck2f.event.Spike)
        print(samna.__spec__.name, samnagui.__name__, spikegate.compat.install())
    """) == ["('samna', 'samnagui')", "True True True", "spikegate.compat.samna spikegate.compat.samnagui "
                                                        "('samna', 'samnagui')"]


def test_sitecustomize_one_line(tmp_path):
    (tmp_path / "sitecustomize.py").write_text(ONE_LINE + "\n")
    assert run("import samna; print(samna.__name__, samna.device.get_all_devices())", tmp_path) == \
        ["spikegate.compat.samna []"]


def test_install_refuses_to_shadow_a_real_samna(tmp_path):
    real = fake_samna(tmp_path)
    assert run("""
        import spikegate.compat
        print(spikegate.compat.install())
        import samna, samna.speck2f
        print(samna.REAL, samna.speck2f.__file__.startswith(%r))
    """ % str(real), real) == ["('samnagui',)", "True True"]


def test_a_real_samna_found_after_install_still_wins(tmp_path):
    real = fake_samna(tmp_path)
    assert run("""
        import sys, spikegate.compat
        print(spikegate.compat.install())
        sys.path.insert(0, %r)
        import samna
        print(getattr(samna, "REAL", False))
    """ % str(real)) == ["('samna', 'samnagui')", "True"]


def test_install_wrong():
    """Names spikegate does not provide fail as missing, with the module path or the name."""
    assert run("""
        import spikegate.compat
        spikegate.compat.install()
        import samna
        for statement in ("import samna.speck9", "samna.speck9"):
            try:
                exec(statement)
            except (ImportError, AttributeError) as error:
                print(type(error).__name__, error)
    """) == ["ModuleNotFoundError No module named 'samna.speck9'",
             "AttributeError spikegate.compat.samna provides no samna.speck9 (the names it provides are listed in "
             "docs/compat.md)"]
