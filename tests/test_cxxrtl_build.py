"""The one CXXRTL build path (spikegate.hdl.cxxrtl): a tiny counter built with a tiny driver runs; a second
build is a cache hit (no g++ run, same binary); an edited design, driver or flags get a new key; a missing
g++, a driver that does not compile, an unknown optimisation level or macro name are one-line errors."""

import gc
import shutil
import subprocess
import warnings
from contextlib import contextmanager

import pytest
from amaranth.hdl import Module, UnusedElaboratable
from amaranth.lib import wiring
from amaranth.lib.wiring import Out

from spikegate.hdl import cxxrtl, tools

pytestmark = pytest.mark.skipif(shutil.which("g++") is None, reason="the CXXRTL build needs g++")

DRIVER = """#include <cstdio>
#include "design.cc"
int main() {
  cxxrtl_design::p_top top;
  for (int i = 0; i < 5; i++) { top.p_clk.set<bool>(true); top.step(); top.p_clk.set<bool>(false); top.step(); }
  printf("%u\\n", top.p_count.get<unsigned>());
}
"""


class Counter(wiring.Component):
    """count: Out(8), adds ``increment`` every cycle."""

    def __init__(self, increment: int):
        self.increment = increment
        super().__init__({"count": Out(8)})

    def elaborate(self, platform):
        m = Module()
        m.d.sync += self.count.eq(self.count + self.increment)
        return m


@contextmanager
def refused():
    """A design refused before elaboration is collected here, without an UnusedElaboratable warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnusedElaboratable)
        yield
        gc.collect()


@pytest.fixture
def driver(tmp_path):
    path = tmp_path / "count_driver.cc"
    path.write_text(DRIVER)
    return path


def test_build_runs_and_second_build_is_a_cache_hit(tmp_path, driver, monkeypatch):
    monkeypatch.setenv(cxxrtl.CACHE_VARIABLE, str(tmp_path / "cache"))
    binary = cxxrtl.build(Counter(3), driver, what="test counter", optimize="-O0")
    assert binary.parent == tmp_path / "cache"
    assert subprocess.run([binary], capture_output=True, text=True, timeout=30).stdout == "15\n"
    compiles = []
    run_tool = tools.run_tool
    monkeypatch.setattr(tools, "run_tool", lambda args, **kw: compiles.append(args) or run_tool(args, **kw))
    mtime = binary.stat().st_mtime_ns
    assert cxxrtl.build(Counter(3), driver, what="test counter", optimize="-O0") == binary
    assert binary.stat().st_mtime_ns == mtime
    assert not [args for args in compiles if args[0].endswith("g++")]  # Yosys ran, g++ did not
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [binary.name]  # no scratch folder left


def test_edited_design_driver_or_flags_get_a_new_key(driver):
    compiler = shutil.which("g++")
    source, other = cxxrtl.generate(Counter(3)), cxxrtl.generate(Counter(5))
    key = cxxrtl.cache_key(source, DRIVER, ["-O0"], compiler)
    assert key == cxxrtl.cache_key(source, DRIVER, ["-O0"], compiler)
    assert len({key, cxxrtl.cache_key(other, DRIVER, ["-O0"], compiler),
                cxxrtl.cache_key(source, DRIVER + "//\n", ["-O0"], compiler),
                cxxrtl.cache_key(source, DRIVER, ["-O1"], compiler)}) == 4


def test_missing_compiler_wrong(driver, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with refused(), pytest.raises(RuntimeError, match=r"^CXXRTL build: g\+\+ \(a C\+\+14 compiler\) was not "
                                                      r"found on PATH; "):
        cxxrtl.build(Counter(3), driver, what="test counter")


def test_driver_that_does_not_compile_wrong(tmp_path, driver):
    driver.write_text(DRIVER.replace("top.p_count", "top.p_missing"))
    with pytest.raises(RuntimeError, match=r"^g\+\+ \(test counter\) failed on count_driver\.cc: count_driver\.cc:6:"
                                           r"\d+: error: .*p_missing"):
        cxxrtl.build(Counter(3), driver, what="test counter", optimize="-O0", cache_dir=tmp_path / "cache")
    assert not list((tmp_path / "cache").iterdir())  # the scratch folder is gone


def test_unknown_optimisation_level_or_macro_wrong(driver):
    with refused(), pytest.raises(ValueError, match=r"^optimize: '-O9' is not one of "
                                                    r"\('-O0', '-O1', '-O2', '-O3', '-Os'\)$"):
        cxxrtl.build(Counter(3), driver, what="test counter", optimize="-O9")
    with refused(), pytest.raises(ValueError, match=r"^defines: 'A=1' is not a C\+\+ macro name$"):
        cxxrtl.build(Counter(3), driver, what="test counter", defines=("A=1",))
