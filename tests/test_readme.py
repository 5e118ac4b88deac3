"""README's Python examples run as written (those that need no board), in order, in one namespace."""

import re
from pathlib import Path

README = Path(__file__).parents[1] / "README.md"


def test_readme_python_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    runnable = [b for b in blocks if "Board" not in b]
    assert len(runnable) >= 4
    namespace: dict = {}
    for block in runnable:
        block = block.replace('vcd="xylo.vcd"', 'vcd=None').replace("(100, 16)", "(4, 16)")
        exec(compile(block, str(README), "exec"), namespace)
    assert (tmp_path / "net.json").exists() and (tmp_path / "chip.json").exists()
