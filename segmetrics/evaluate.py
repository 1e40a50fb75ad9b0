"""Former home of the folder evaluation, kept so that ``segmetrics.evaluate.NAME`` still works.

Everything moved to :mod:`segmetrics.evaluation` (one job per module); this
module re-exports its public names and the few private ones earlier scripts
used.
"""
from segmetrics.evaluation import *  # noqa: F403
from segmetrics.evaluation import __all__  # noqa: F401
from segmetrics.evaluation.metrics import SCORED_STATUSES as _SCORED  # noqa: F401
from segmetrics.evaluation.options import Options as _Settings
from segmetrics.evaluation.runners import chunks as _chunks  # noqa: F401
from segmetrics.evaluation.runners import run_cases as _run_cases  # noqa: F401
from segmetrics.evaluation.storage import CSV_NAME, SUMMARY_NAME  # noqa: F401


def _settings(metrics, labels, threshold, colormap, spacing, ignore_index, nsd_tolerance,
              zero_division, binarize_above, tversky_alpha, tversky_beta, spacing_tolerance,
              surface="voxel"):
    """The validated :class:`~segmetrics.evaluation.Options` of these positional values."""
    return _Settings.build(
        metrics=metrics, labels=labels, threshold=threshold, colormap=colormap,
        spacing=spacing, ignore_index=ignore_index, nsd_tolerance=nsd_tolerance,
        zero_division=zero_division, binarize_above=binarize_above,
        tversky_alpha=tversky_alpha, tversky_beta=tversky_beta,
        spacing_tolerance=spacing_tolerance, surface=surface)
