"""Dataset-scale evaluation of chip-exact models, serially or on a Dask cluster.

    from spikegate.sim.eval import evaluate, load_config, make_evaluator, open_dataset
    summary = evaluate(make_evaluator(load_config("bundled:dynapcnn")), open_dataset("synthetic:dvs"),
                       "out/eval", workers=2)

Modules: :mod:`.datasets` (readers), :mod:`.synthetic` (generated data and hand-built networks),
:mod:`.chips` (one sample through a model), :mod:`.cost` (latency and energy estimates),
:mod:`.runner` (shards, resume, Dask), :mod:`.report` (tables, summary, figures).
"""

from ..extras import require

require("spikegate.sim.eval", "dask", "distributed", "pandas", "matplotlib", extra="eval")

from .chips import DynapcnnEvaluator, XyloEvaluator, load_config, make_evaluator
from .cost import CostModel
from .datasets import (EVENT_DTYPE, FolderDataset, MalformedSample, NpzDataset, TonicDataset, open_dataset,
                       read_nmnist_bin, save_events_npz, save_rasters_npz, write_nmnist_bin)
from .runner import dask_client, evaluate, local_cluster

__all__ = ["EVENT_DTYPE", "CostModel", "DynapcnnEvaluator", "FolderDataset", "MalformedSample", "NpzDataset",
           "TonicDataset", "XyloEvaluator", "dask_client", "evaluate", "load_config", "local_cluster", "make_evaluator",
           "open_dataset", "read_nmnist_bin", "save_events_npz", "save_rasters_npz", "write_nmnist_bin"]
