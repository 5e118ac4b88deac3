"""README's recorded figures are the ones in bench/results (written by bench/readme_figures.py), not typed."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_readme_figures_match_the_recorded_results():
    spec = importlib.util.spec_from_file_location("readme_figures", ROOT / "bench" / "readme_figures.py")
    figures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(figures)
    readme = (ROOT / "README.md").read_text()
    assert figures.block() in readme, "README's figures differ from bench/results: run python bench/readme_figures.py --write"
