"""An open stand-in for SynSense's ``samna``: its configuration API, with samna's names, on spikegate.

``spikegate.compat.install()`` makes ``import samna`` resolve to this package when no real samna is
importable (a real one always wins). What it provides:

- ``samna.speck2e``, ``samna.speck2f``, ``samna.dynapcnn`` (DYNAP-CNN devkit): ``configuration``
  (``SpeckConfiguration`` / ``DynapcnnConfiguration`` with ``cnn_layers[9]`` and ``dvs_layer``, and the classes
  of their parts), ``event`` (``Spike``, ``DvsEvent``, neuron read/write records) and
  ``validate_configuration(config) -> (bool, message)``, whose verdict is spikegate's ``ChipConfig`` validation.
- ``samna.xyloCore`` (Xylo v1), ``samna.xyloCore2`` (Xylo Audio 2), ``samna.xyloImu``, ``samna.xyloAudio3``:
  ``configuration`` (``XyloConfiguration`` and its parts, as rockpool's ``config_from_specification`` writes
  them) and ``validate_configuration``, whose verdict is spikegate's ``XyloConfig`` validation.
- ``samna.device``: discovery answers that no board is attached (``get_all_devices() == []``).
- ``samna.graph``, ``samna.ui``, the ``BasicSourceNode_…``/``BasicSinkNode_…`` classes: importable; using one
  raises :class:`UnavailableError` ("needs a board"). ``samna.specksim``: likewise, pointing at
  :mod:`spikegate.compat.specksim`.
- spikegate's own additions: :func:`to_chip_config`, :func:`from_chip_config` (samna configuration ↔
  :class:`~spikegate.sim.dynapcnn.ChipConfig`), :func:`to_xylo_config`, :func:`from_xylo_config` (↔
  :class:`~spikegate.sim.xylo.XyloConfig`) and :func:`simulate` (a configuration run on samna events by
  :class:`~spikegate.sim.dynapcnn.DynapcnnSim`).

Any other name raises AttributeError; nothing answers calls it does not implement. Sub-namespaces added as
modules of this package (other chip families) are imported on first access.
"""

import importlib
import importlib.util

from spikegate.sim import __version__ as _spikegate_version

from . import device, dynapcnn, graph, speck2e, speck2f, specksim, ui
from ._convert import from_chip_config, simulate, to_chip_config
from ._unavailable import UnavailableError, placeholders
from ._xylo_boards import NODES as _XYLO_NODES
from ._xylo_convert import from_xylo_config, to_xylo_config

__all__ = ["device", "dynapcnn", "graph", "speck2e", "speck2f", "specksim", "ui", "from_chip_config", "simulate",
           "to_chip_config", "from_xylo_config", "to_xylo_config", "UnavailableError"]

#: rockpool counts samna as usable when it has a version.
__version__ = f"spikegate-{_spikegate_version}"

#: The graph nodes that stream events to and from a board (or samna's GUI and simulator).
_NODES = placeholders("samna", "BasicSourceNode_speck2e_event_speck2e_input_event "
                               "BasicSinkNode_speck2e_event_output_event BasicSourceNode_speck2f_event_input_event "
                               "BasicSinkNode_speck2f_event_output_event BasicSourceNode_dynapcnn_event_input_event "
                               "BasicSinkNode_dynapcnn_event_output_event BasicSourceNode_specksim_events_spike "
                               "BasicSinkNode_specksim_events_spike BasicSourceNode_ui_event") | _XYLO_NODES
globals().update(_NODES)
__all__ += list(_NODES)


def __getattr__(name: str):
    """A sub-namespace module of this package not imported yet; any other name is an AttributeError."""
    if not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"spikegate.compat.samna provides no samna.{name} (the names it provides are listed in "
                         f"docs/compat.md)")
