"""Every user mistake on the command line: exit status 2 and one line on stderr that names the offending
file, option or field (``spikegate <command>: ...``), never a traceback; ``--debug`` shows it."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from torch import nn

from spikegate.sim.cli import main
from spikegate.sim.dynapcnn import INPUT_EVENT_DTYPE
from spikegate.sim.eval.synthetic import dynapcnn_network
from spikegate.sim.xylo import XyloConfig

@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A folder of good and bad inputs; the tests run with it as the working directory."""
    root = tmp_path_factory.mktemp("cli")
    rng = np.random.default_rng(0)
    xylo = XyloConfig.from_spec(weights_in=rng.integers(-20, 20, (16, 8)), weights_out=rng.integers(-20, 20, (8, 2)),
                                threshold=100, threshold_out=100)
    xylo.save(root / "net.json")
    dynapcnn_network().save(root / "chip.json")
    doc = json.loads(xylo.to_json())
    doc["treshold"] = doc.pop("threshold")
    (root / "typo.json").write_text(json.dumps(doc))
    doc = json.loads(xylo.to_json())
    doc["dash_mem"] = [16] * 8
    (root / "range.json").write_text(json.dumps(doc))
    (root / "broken.json").write_text('{"format": "spikegate.xylo.config", ')
    (root / "list.json").write_text("[1, 2]")
    np.save(root / "raster.npy", rng.integers(0, 2, (10, 16)))
    np.save(root / "float.npy", np.full((10, 16), 0.5))
    np.save(root / "bool.npy", np.ones((10, 16), bool))
    np.save(root / "negative.npy", -np.ones((10, 16), np.int64))
    np.save(root / "channels.npy", np.ones((10, 3), np.int64))
    np.save(root / "plain.npy", np.arange(12).reshape(3, 4))
    events = np.zeros(3, INPUT_EVENT_DTYPE)
    np.save(root / "events.npy", events)
    (root / "text.npy").write_text("not numpy")
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU())
    torch.save(model, root / "model.pt")
    torch.save(model.state_dict(), root / "weights.pt")
    torch.save(nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.AvgPool2d(3)), root / "pooled.pt")
    (root / "garbage.pt").write_text("not a torch file")
    return root


# (argv, what the one line must contain): the issue's list, and more for every subcommand
CASES = [
    # missing files
    ("xylo run nope.json raster.npy", "spikegate xylo run: nope.json: no such file"),
    ("xylo run net.json nope.npy", "spikegate xylo run: nope.npy: no such file"),
    ("trace record xylo nope.json raster.npy --out t.npz", "spikegate trace record: nope.json: no such file"),
    ("trace diff nope.npz other.npz", "spikegate trace diff: nope.npz: no such file"),
    ("vectors export net.json nope.npy --out vec", "spikegate vectors export: nope.npy: no such file"),
    ("vectors export nope.json raster.npy --out vec", "spikegate vectors export: nope.json: no such file"),
    ("fpga build --board icebreaker --core xylo --config nope.json --out b",
     "spikegate fpga build: nope.json: no such file"),
    ("dynapcnn convert nope.pt --input-shape 1 8 8 --out c.json", "spikegate dynapcnn convert: nope.pt: no such file"),
    ("dynapcnn convert nope.nir --out c.json", "spikegate dynapcnn convert: nope.nir: no such file"),
    ("eval nope.json synthetic:dvs --workers 0", "spikegate eval: nope.json: no such file"),
    ("eval bundled:dynapcnn no/such/Test --workers 0", "dataset 'no/such/Test': no such file or folder (expected"),
    ("sweep nope.pt synthetic:dvs --workers 0", "spikegate sweep: nope.pt: no such file"),
    # misspelt fields, values out of range, broken JSON, wrong JSON
    ("xylo run typo.json raster.npy", "typo.json: unknown Xylo specification fields: ['treshold']"),
    ("vectors export typo.json raster.npy --out vec", "typo.json: unknown Xylo specification fields: ['treshold']"),
    ("trace record xylo typo.json raster.npy --out t.npz", "typo.json: unknown Xylo specification fields"),
    ("eval typo.json synthetic:xylo --workers 0", "typo.json: unknown Xylo specification fields"),
    ("fpga build --board icebreaker --core xylo --config typo.json --out b", "typo.json: unknown Xylo"),
    ("xylo run range.json raster.npy", "range.json: dash_mem: value 16 at index (0,) is outside the 4-bit range 0..15"),
    ("xylo run broken.json raster.npy", "broken.json: not valid JSON (Expecting"),
    ("eval broken.json synthetic:xylo --workers 0", "spikegate eval: broken.json: not valid JSON"),
    ("vectors export list.json raster.npy --out vec", "list.json: expected a JSON object, got a JSON list"),
    # wrong arrays
    ("xylo run net.json float.npy", "float.npy: raster: expected an integer array of event counts, got dtype float64"),
    ("xylo run net.json bool.npy", "bool.npy: raster: expected an integer array of event counts, got dtype bool"),
    ("xylo run net.json negative.npy", "negative.npy: raster: value -1 at index (0, 0) is outside"),
    ("xylo run net.json channels.npy", "channels.npy: raster: expected shape (T, Nin=16), got (10, 3)"),
    ("xylo run net.json text.npy", "text.npy: "),
    ("trace record dynapcnn chip.json plain.npy --out t.npz",
     "plain.npy: events: expected a numpy structured array of dtype"),
    ("vectors export chip.json raster.npy --out vec", "raster.npy: events: expected a numpy structured array"),
    ("vectors export net.json float.npy --out vec", "float.npy: raster: expected an integer array"),
    # the other chip's config
    ("xylo run chip.json raster.npy", "chip.json: not a spikegate Xylo config"),
    ("trace record xylo chip.json raster.npy --out t.npz", "chip.json: not a spikegate Xylo config"),
    ("fpga build --board icebreaker --core xylo --config chip.json --out b", "chip.json: not a spikegate Xylo config"),
    ("trace record dynapcnn net.json events.npy --out t.npz", "net.json: not a spikegate DYNAP-CNN config"),
    # vague before: precise now
    ("eval bundled:dynapcnn synthetic:dvs --sensor 34x34 --workers 0",
     "--sensor: value '34x34' is not W,H,P (3 positive integers"),
    ("sweep bundled:xylo synthetic:xylo --grid max_threshold=abc --workers 0",
     "--grid 'max_threshold=abc': value 'abc' of max_threshold is not an integer"),
    ("sweep bundled:dynapcnn synthetic:dvs --grid pooling=max --workers 0",
     "--grid 'pooling=max': value 'max' of pooling is not 'sum' or 'avg'"),
    ("dynapcnn convert weights.pt --input-shape 1 8 8 --out c.json",
     "weights.pt: holds a state_dict (a dict of tensors), not a model: save the whole module"),
    ("dynapcnn convert garbage.pt --input-shape 1 8 8 --out c.json", "garbage.pt: not a file written by torch.save"),
    ("dynapcnn convert model.pt --out c.json", "--input-shape: C H W is required for a torch model"),
    ("dynapcnn convert model.pt --input-shape 1 200 8 --out c.json", "model.pt: layer 0"),
    ("dynapcnn convert net.json --out c.json", "net.json: expected a .nir graph or a .pt"),
    # networks and datasets that cannot fit (item 2)
    ("eval net.json synthetic:dvs --workers 0", "net.json (xylo) and synthetic:dvs (events) do not fit"),
    ("eval net.json synthetic:xylo --workers 0",
     "the dataset has 4 classes (labels up to 3), the network 2 readout neurons"),
    ("eval bundled:dynapcnn synthetic:xylo --workers 0", "a DYNAP-CNN network takes events"),
    ("sweep bundled:xylo synthetic:dvs --workers 0", "bundled:xylo (xylo) and synthetic:dvs (events) do not fit"),
    # bad option values, one or more per subcommand
    ("demo --seed abc", "spikegate demo: argument --seed: invalid int value: 'abc'"),
    ("xylo train --epochs 0", "spikegate xylo train: --epochs: value 0 is below the minimum 1"),
    ("xylo train --qat-epochs 40", "--qat-epochs: value 40 is outside 0..30"),
    ("dynapcnn run --events 0", "spikegate dynapcnn run: --events: value 0 is below the minimum 1"),
    ("dynapcnn run --order sideways", "argument --order: invalid choice: 'sideways'"),
    ("dynapcnn convert model.pt --input-shape 1 8 8 --chip speck9 --out c.json", "argument --chip: invalid choice"),
    ("trace record loihi net.json raster.npy --out t.npz", "spikegate trace record: argument chip: invalid choice"),
    ("trace", "spikegate trace: the following arguments are required: ACTION"),
    ("vectors example xylo nothing", "spikegate vectors example: name: no xylo example 'nothing'"),
    ("eval bundled:loihi synthetic:dvs --workers 0", "bundled networks are"),
    ("eval bundled:dynapcnn synthetic:dvs --output-core 5 --workers 0", "output_core: core 5 is not used"),
    ("eval bundled:dynapcnn synthetic:dvs --shard-size 0 --workers 0", "shard_size: value 0 is below the minimum 1"),
    ("eval bundled:dynapcnn synthetic:dvs --mode fast", "argument --mode: invalid choice: 'fast'"),
    ("eval bundled:dynapcnn synthetic:nmnist --workers 0", "dataset 'synthetic:nmnist': expected synthetic:NAME"),
    ("sweep bundled:loihi synthetic:dvs --workers 0", "bundled models are"),
    ("sweep bundled:dynapcnn synthetic:dvs --input-shape 2x16 --workers 0",
     "--input-shape: value '2x16' is not C,H,W (3 positive integers"),
    ("fpga build --board foo --core xylo --out b", "spikegate fpga build: argument --board: invalid choice: 'foo'"),
    ("fpga build --board icebreaker --core xylo --size 16x10 --out b", "size: '16x10' is not of the form NIN/NHID/NOUT"),
    ("fpga build --board icebreaker --core xylo --kernel 64 --out b", "--kernel applies to --core dynapcnn"),
    ("nosuchcommand", "spikegate: argument COMMAND: invalid choice: 'nosuchcommand'"),
]


@pytest.mark.parametrize("argv, expected", CASES, ids=[case[0] for case in CASES])
def test_user_mistake_is_one_line_and_status_2(argv, expected, files, capsys, monkeypatch):
    monkeypatch.chdir(files)
    monkeypatch.delenv("SPIKEGATE_DEBUG", raising=False)
    assert main(argv.split()) == 2
    err = capsys.readouterr().err
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith(f"spikegate {argv.split()[0]}" if not argv.startswith("nosuch") else "spikegate: "), err
    assert expected in err, err
    assert "Traceback" not in err


def test_command_is_named_in_the_line(files, capsys, monkeypatch):
    monkeypatch.chdir(files)
    for argv, prog in (("xylo run nope.json raster.npy", "spikegate xylo run: "),
                       ("trace diff nope.npz b.npz", "spikegate trace diff: "),
                       ("eval nope.json synthetic:dvs", "spikegate eval: ")):
        assert main(argv.split()) == 2
        assert capsys.readouterr().err.startswith(prog)


def test_debug_shows_the_traceback(files, monkeypatch):
    from spikegate.sim.errors import UserError

    monkeypatch.chdir(files)
    with pytest.raises(UserError, match="nope.json: no such file") as caught:
        main(["xylo", "run", "nope.json", "raster.npy", "--debug"])
    assert isinstance(caught.value.__cause__, FileNotFoundError)
    monkeypatch.setenv("SPIKEGATE_DEBUG", "1")
    with pytest.raises(UserError):
        main(["xylo", "run", "nope.json", "raster.npy"])


def test_internal_error_keeps_its_traceback(files, monkeypatch):
    """Only a user's mistake becomes one line: a bug in a command still raises."""
    import spikegate.converter.cli_xylo as cli_xylo

    def broken(args):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(cli_xylo, "run_config", broken)
    with pytest.raises(ZeroDivisionError):
        main(["xylo", "run", "net.json", "raster.npy"])


def test_closed_pipe_ends_quietly(files):
    """``spikegate trace diff a b | head -1``: no BrokenPipeError, nothing on stderr."""
    env = dict(os.environ, PYTHONPATH="")
    for name, raster in (("a.npz", "raster.npy"), ("b.npz", "raster2.npy")):
        data = np.load(files / "raster.npy")
        if raster == "raster2.npy":
            data[3:, 5] = 1 - data[3:, 5]
        np.save(files / raster, data)
        assert main(["trace", "record", "xylo", str(files / "net.json"), str(files / raster), "--out",
                     str(files / name)]) == 0
    script = ("import sys; from spikegate.sim.cli import main; "
              f"sys.exit(main(['trace', 'diff', {str(files / 'a.npz')!r}, {str(files / 'b.npz')!r}]))")
    with subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=env) as process:
        process.stdout.close()  # the reader goes away before the command writes
        err = process.stderr.read().decode()
        status = process.wait(timeout=60)
    assert status in (0, 1, 141) and err == "", err


def test_every_argument_has_help_and_no_markup():
    """Help texts: every argument explained, examples kept as lines, no reStructuredText, no '(default: None)'."""
    import argparse

    from spikegate.sim.cli import build_parser

    def walk(parser):
        yield parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for child in action.choices.values():
                    yield from walk(child)

    for parser in walk(build_parser()):
        text = parser.format_help()
        assert "``" not in text and ":func:" not in text and ":class:" not in text, parser.prog
        assert "(default: None)" not in text, parser.prog
        for action in parser._actions:
            if not isinstance(action, argparse._SubParsersAction):
                assert action.help, f"{parser.prog}: {action.option_strings or action.dest} has no help"
    trace_help = [p for p in walk(build_parser()) if p.prog == "spikegate trace"][0].format_help()
    assert "\n    spikegate trace record xylo CONFIG.json RASTER.npy --out run.npz" in trace_help


def test_vectors_example_list_whole_sentences(capsys):
    assert main(["vectors", "example", "--list"]) == 0
    for line in capsys.readouterr().out.splitlines():
        assert line.endswith("."), line
        assert "``" not in line, line


def test_a_dropped_layer_is_said_in_one_line(files, capsys, monkeypatch):
    monkeypatch.chdir(files)
    assert main(["dynapcnn", "convert", "pooled.pt", "--input-shape", "1", "9", "9", "--out", "pooled.json"]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(
        "spikegate dynapcnn convert: warning: layer 0 (module '0' (Conv2d)): the pooling 3 after the last layer is "
        "dropped"), err
