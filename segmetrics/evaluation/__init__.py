"""Folder evaluation (``segmetrics-eval``), one job per module.

============  ===============================================================
module        job
============  ===============================================================
metrics       the metric registry: names, kind, direction, definitions, the
              infinite-value rule
options       :class:`Options`, the one frozen object of scoring options,
              presets, :class:`UsageError`
matching      pairing prediction and ground-truth files by case name
scoring       one case: read, check geometry, overlap and distance metrics
storage       ``metrics.csv``, the resume state, ``--resume``
summary       statistics and the content of ``summary.json``
runners       executors: in this process (with read-ahead), local worker
              processes, and the retry policy shared with Dask
folder        :func:`evaluate_folder`, the orchestration
============  ===============================================================

Nothing here imports the command line (:mod:`segmetrics.cli`) or Dask
(:mod:`segmetrics.distributed`, imported only when a client is given).
"""
from segmetrics.evaluation.folder import Evaluation, evaluate_folder
from segmetrics.evaluation.matching import Case, match_cases
from segmetrics.evaluation.metrics import (
    DEFAULT_METRICS,
    DEFINITIONS,
    DISTANCE_METRICS,
    HIGHER_IS_BETTER,
    METRICS,
    OVERLAP_METRICS,
    REGISTRY,
    STATUSES,
    SURFACES,
    Metric,
)
from segmetrics.evaluation.options import PRESETS, SCHEMA_VERSION, Options, UsageError
from segmetrics.evaluation.scoring import Record, score_case
from segmetrics.evaluation.summary import summarize

__all__ = [
    "DEFAULT_METRICS", "DEFINITIONS", "DISTANCE_METRICS", "HIGHER_IS_BETTER", "METRICS",
    "OVERLAP_METRICS", "PRESETS", "REGISTRY", "SCHEMA_VERSION", "STATUSES", "SURFACES", "Case",
    "Evaluation", "Metric", "Options", "Record", "UsageError", "evaluate_folder", "match_cases",
    "score_case", "summarize",
]
