"""NIR files are read in a child process (spikegate.converter.nir_file): a reader that crashes on a
damaged file (libhdf5 did, with a segmentation fault, on a file the input fuzzer made) becomes one
ValueError, and the caller lives on."""

import stat

import nir
import numpy as np
import pytest

from fuzzing import Workspace, fuzz_cli_dynapcnn_convert, nir_graph
from spikegate.converter import nir_file
from spikegate.converter.nir_file import read_nir


def test_read_nir_returns_the_graph(tmp_path):
    nodes, edges = nir_graph()
    nir.write(tmp_path / "m.nir", nir.NIRGraph(nodes=nodes, edges=edges))
    graph = read_nir(tmp_path / "m.nir")
    assert set(graph.nodes) == set(nodes) and sorted(graph.edges) == sorted(edges)
    assert np.array_equal(graph.nodes["conv"].weight, nodes["conv"].weight)


def test_read_nir_of_a_crashing_reader_wrong(tmp_path, monkeypatch):
    """A reader process that dies of a signal is reported by the signal's name, in one line."""
    crashing = tmp_path / "python"
    crashing.write_text("#!/bin/sh\nkill -SEGV $$\n")
    crashing.chmod(crashing.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(nir_file.sys, "executable", str(crashing))
    with pytest.raises(ValueError, match=r"^not a NIR graph that nir can read \(nir.read: crashed with signal "
                                         r"SIGSEGV: the file is damaged\)$"):
        read_nir(tmp_path / "m.nir")


def test_read_nir_of_a_damaged_file_wrong(tmp_path):
    (tmp_path / "bad.nir").write_bytes(b"not hdf5")
    with pytest.raises(ValueError, match=r"^not a NIR graph that nir can read \(nir.read: OSError: "):
        read_nir(tmp_path / "bad.nir")


def test_the_file_that_crashed_libhdf5_is_refused(tmp_path):
    """Case 7792 of seed 2 of the convert fuzzer: a damaged file on which libhdf5 (h5py 3.16) crashed
    the interpreter before NIR files were read in a child process."""
    outcome = fuzz_cli_dynapcnn_convert(Workspace(tmp_path), np.random.default_rng([2, 7792]))
    assert outcome.kind == "refused", outcome.detail
