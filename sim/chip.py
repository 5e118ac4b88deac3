"""Chip descriptors: what spikegate knows of one chip, found through one registry.

Every chip (the Xylo family, DYNAP-CNN, or a plug-in of a third party) is one :class:`Chip` object,
registered under the entry-point group ``spikegate.chips`` (``pyproject.toml``)::

    [project.entry-points."spikegate.chips"]
    xylo = "spikegate.sim.xylo.chip:XYLO"

Code that works on "any chip" (the CLI's ``trace``, ``eval``, ``vectors`` and ``fpga`` commands, trace
files, test vectors, FPGA builds) asks the registry instead of testing names or types::

    chip = chip_of(config)              # the descriptor of a config object
    chip = chip_for_file("net.json")    # ... of a config file (its JSON ``format`` tag)
    trace = chip.trace(config, inputs)

Adding a chip is one new package holding a :class:`Chip` subclass and one entry point (or a call of
:func:`register`); no dispatcher changes.

Layers: a descriptor holds what the base package knows (configuration class and JSON format tag,
behavioural model, inputs, trace, evaluator, cost model, bundled network, and the chip's own options of
the ``trace``, ``eval`` and ``vectors`` commands: :attr:`Chip.cli_options`, added by :func:`add_cli_options`).
The layers above attach *facets* by name in :attr:`Chip.facets` (``{"hdl": "spikegate.hdl.xylo.facet:HDL",
...}``): each layer resolves only its own facet with :meth:`Chip.facet`, so nothing in ``spikegate.sim``
imports them.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import threading
from collections.abc import Mapping
from importlib.metadata import entry_points
from pathlib import Path

ENTRY_POINT_GROUP = "spikegate.chips"

#: facet names and the layer that resolves each (see :meth:`Chip.facet`)
FACETS = {"converter": "spikegate.converter", "hdl": "spikegate.hdl", "fpga": "spikegate.fpga"}

#: commands with chip options (:attr:`Chip.cli_options`) -> the function those options are passed to
CLI_COMMANDS = {"trace": "Chip.trace", "eval": "Chip.evaluator (also spikegate sweep)",
                "vectors": "export_vectors of the chip's hdl facet"}


class Chip:
    """One chip's descriptor. Subclasses set the attributes and implement the methods.

    Attributes:
        name: short lower-case name used on the command line, in trace files and test vectors.
        title: the chip's name for people.
        input_kind: what the behavioural model takes, for help texts and errors.
        facets: layer facet name (a key of :data:`FACETS`) -> ``"module:attribute"`` of that layer's
            facet object; a chip without hardware leaves out ``hdl`` and ``fpga``.
        pj_per_sop, pj_per_event: the default energy estimates (picojoules) of one synaptic operation
            and of one emitted event, used by dataset evaluations (docs/eval.md).
        bundled_network: ``"module:function"`` of a function without arguments that builds a hand-made
            register configuration (``spikegate eval bundled:NAME``); empty for none.
        cli_options: command (a key of :data:`CLI_COMMANDS`) -> option name -> keywords of
            ``argparse.add_argument`` for ``--NAME``: the chip's own options of that command, passed (by
            their destination) to the function :data:`CLI_COMMANDS` names (see :func:`add_cli_options`).
    """

    name: str = ""
    title: str = ""
    input_kind: str = ""
    facets: Mapping[str, str] = {}
    pj_per_sop: float = 0.0
    pj_per_event: float = 0.0
    bundled_network: str = ""
    cli_options: Mapping[str, Mapping[str, dict]] = {}

    # --------------------------------------------------------------------- configuration
    def config_class(self) -> type:
        """The register configuration class: a :class:`~spikegate.sim.jsonconfig.JsonConfig` whose
        ``FORMAT`` is the JSON ``format`` tag of its files."""
        raise NotImplementedError

    @property
    def config_format(self) -> str:
        """The ``format`` tag of this chip's configuration files."""
        return self.config_class().FORMAT

    def load_config(self, path: str | Path):
        """The configuration in JSON file ``path``."""
        return self.config_class().load(path)

    # --------------------------------------------------------------------------- models
    def model(self, config):
        """The bit-exact behavioural model of ``config``."""
        raise NotImplementedError

    def trace(self, config, inputs, **options):
        """A :class:`~spikegate.sim.trace.Trace` of the behavioural model run on ``inputs``; ``options``
        are the chip's own (see its signature)."""
        raise NotImplementedError

    def evaluator(self, config, costs, **options):
        """The :class:`~spikegate.sim.eval.chips.Evaluator` of ``config`` for dataset runs, with energy
        prices ``costs`` (a :class:`~spikegate.sim.eval.cost.CostModel`)."""
        raise NotImplementedError

    # --------------------------------------------------------------------------- facets
    def facet(self, layer: str):
        """The facet object of layer ``layer`` (``"converter"``, ``"hdl"``, ``"fpga"``), imported on first use.

        Raises LookupError naming the chip and the facets it has when it has none for ``layer``."""
        if layer not in FACETS:
            raise ValueError(f"facet: {layer!r} is not one of {tuple(FACETS)}")
        reference = self.facets.get(layer)
        if reference is None:
            raise LookupError(f"chip {self.name!r} has no {layer} implementation "
                              f"(it has: {', '.join(sorted(self.facets)) or 'none'})")
        return _resolve(reference)

    def has_facet(self, layer: str) -> bool:
        return layer in self.facets

    def bundled_config(self):
        """The register configuration :attr:`bundled_network` builds (LookupError when the chip has none)."""
        if not self.bundled_network:
            raise LookupError(f"chip {self.name!r} has no bundled network")
        return _resolve(self.bundled_network)()

    def __repr__(self) -> str:
        return f"<chip {self.name}: {self.title}>"


def _resolve(reference: str):
    """The object ``"module:attribute"`` names, its module imported on first use."""
    module, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module), attribute)


# ------------------------------------------------------------------------------------ registry
_registry: dict[str, Chip] = {}
_loaded = False
_lock = threading.Lock()


def _load_entry_points() -> None:
    global _loaded
    with _lock:
        if _loaded:
            return
        for entry in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            chip = entry.load()
            if entry.name != chip.name:
                raise ValueError(f"entry point {entry.name!r} of {ENTRY_POINT_GROUP} names chip {chip.name!r}")
            _registry.setdefault(chip.name, chip)
        _loaded = True


def chips() -> dict[str, Chip]:
    """Every registered chip, by name (entry points first, then :func:`register` calls)."""
    _load_entry_points()
    return dict(_registry)


def register(chip: Chip) -> Chip:
    """Add ``chip`` to the registry of this process (plug-ins without an installed entry point, tests)."""
    _load_entry_points()
    if chip.name in _registry and _registry[chip.name] is not chip:
        raise ValueError(f"chip {chip.name!r} is already registered ({_registry[chip.name]!r})")
    _registry[chip.name] = chip
    return chip


def unregister(name: str) -> None:
    """Remove chip ``name`` from the registry of this process."""
    _load_entry_points()
    _registry.pop(name, None)


def select_options(chip: Chip, function, options: Mapping, defaults: Mapping) -> dict:
    """The entries of ``options`` that ``function`` (a method of ``chip`` or of one of its facets) takes.

    Generic callers (the CLI, :func:`~spikegate.sim.eval.make_evaluator`) offer the options of every
    chip; one that ``function`` does not take is dropped when it equals its entry in ``defaults`` and
    refused (ValueError naming the option, its value and the options it takes) when it was set."""
    accepted = [name for name, parameter in inspect.signature(function).parameters.items()
                if parameter.kind is parameter.KEYWORD_ONLY or parameter.default is not parameter.empty]
    for name, value in options.items():
        if name not in accepted and value != defaults.get(name):
            raise ValueError(f"option {name}: value {value!r} does not apply to {chip.name} "
                             f"({function.__name__} of {chip.name} takes: {', '.join(accepted) or 'no options'})")
    return {name: value for name, value in options.items() if name in accepted}


def chip_cli_options(command: str, among: Mapping[str, Chip] | None = None) -> dict[str, dict]:
    """Option name -> ``argparse`` keywords of the chip options of ``command`` (:data:`CLI_COMMANDS`): those
    of every chip in ``among`` (default: every registered chip), in registry order. Chips that declare an
    option alike share it; ValueError (naming the option and both chips) when they declare it differently."""
    if command not in CLI_COMMANDS:
        raise ValueError(f"command: {command!r} is not one of {tuple(CLI_COMMANDS)}")
    options: dict[str, dict] = {}
    owners: dict[str, str] = {}
    for name, chip in (chips() if among is None else among).items():
        for option, keywords in chip.cli_options.get(command, {}).items():
            if option in options and options[option] != keywords:
                raise ValueError(f"{command} --{option}: declared differently by chips {owners[option]} and {name}")
            options.setdefault(option, dict(keywords))
            owners.setdefault(option, name)
    return options


def add_cli_options(parser, command: str, among: Mapping[str, Chip] | None = None) -> dict:
    """Add the chip options of ``command`` (:func:`chip_cli_options`) to ``parser`` (an ``argparse`` parser);
    returns each option's destination -> default."""
    defaults = {}
    for option, keywords in chip_cli_options(command, among).items():
        action = parser.add_argument(f"--{option}", **keywords)
        defaults[action.dest] = action.default
    return defaults


def cli_option_defaults(command: str, among: Mapping[str, Chip] | None = None) -> dict:
    """Destination -> default of each chip option of ``command`` (the defaults of :func:`select_options`)."""
    return add_cli_options(argparse.ArgumentParser(add_help=False), command, among)


def cli_option_values(args, command: str, among: Mapping[str, Chip] | None = None) -> tuple[dict, dict]:
    """``(values, defaults)`` of the chip options of ``command`` in parsed ``args``: destination -> value
    given, destination -> default (:func:`cli_option_defaults`)."""
    defaults = cli_option_defaults(command, among)
    return {dest: getattr(args, dest) for dest in defaults}, defaults


def get_chip(name: str) -> Chip:
    """The chip called ``name``; ValueError naming the registered chips otherwise."""
    found = chips().get(name)
    if found is None:
        raise ValueError(f"chip: {name!r} is not one of {tuple(chips())}")
    return found


def chip_of(config) -> Chip:
    """The chip whose configuration class ``config`` is an instance of."""
    for chip in chips().values():
        if isinstance(config, chip.config_class()):
            return chip
    raise TypeError(f"config: a {type(config).__name__} is not the configuration of any chip "
                    f"({', '.join(c.config_class().__name__ for c in chips().values())})")


def chip_for_format(tag) -> Chip:
    """The chip whose configuration files carry ``format`` tag ``tag``."""
    for chip in chips().values():
        if chip.config_format == tag:
            return chip
    known = ", ".join(f"{c.config_format!r} ({c.name})" for c in chips().values())
    raise ValueError(f"'format' is {tag!r}, not a spikegate config of a known chip: {known}")


def chip_for_file(path: str | Path) -> Chip:
    """The chip of configuration file ``path``, told by its ``format`` field (errors start with the path)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"config file {path} does not exist")
    try:
        doc = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON ({error.msg} at line {error.lineno}, column {error.colno})") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a text file (cannot be decoded as UTF-8)") from None
    if not isinstance(doc, dict):
        raise ValueError(f"{path}: expected a JSON object, got a JSON {type(doc).__name__}")
    try:
        return chip_for_format(doc.get("format"))
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None


def load_config(path: str | Path):
    """The register configuration in JSON file ``path``, of whichever chip its ``format`` names."""
    return chip_for_file(path).load_config(path)
