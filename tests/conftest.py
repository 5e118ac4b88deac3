"""Shared pytest set-up: the opt-in ``slow`` marker and the tool environment of the hardware tests."""

import os

import pytest

# Amaranth must use its bundled Yosys for Verilog export and CXXRTL even where YOSYS points at
# YoWASP's (the FPGA builds need that one).
os.environ.setdefault("AMARANTH_USE_YOSYS", "builtin")


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", default=False,
                     help="also run tests marked slow (full-size place-and-route, long soaks)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-slow"):
        return
    skip_slow = pytest.mark.skip(reason="slow: opt in with --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip_slow)
