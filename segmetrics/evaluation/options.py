"""The scoring options of a folder evaluation: one frozen, picklable, validated object.

Command-line arguments and the keywords of :func:`segmetrics.evaluate_folder`
become one :class:`Options`; workers score with it, ``summary.json`` records it
(:meth:`Options.summary`) and each case's resume state records the options that
change its values with :data:`SCHEMA_VERSION` (:meth:`Options.state`), so
``--resume`` never mixes rows scored differently.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union

from segmetrics._validate import check_choice, check_int, check_real, check_spacing_value
from segmetrics.regions import check_regions, parse_regions
from segmetrics.evaluation.metrics import DEFAULT_METRICS, DISTANCE_METRICS, METRICS, SURFACES

__all__ = ["DEFAULT_CASE_TIMEOUT", "PRESETS", "SCHEMA_VERSION", "Options", "UsageError",
           "check_metrics"]

#: Version of the per-case options in the resume state; a state of another version is
#: not resumed.
SCHEMA_VERSION = 1

#: Seconds a case may take (reading and scoring) before it becomes an ``error`` row.
DEFAULT_CASE_TIMEOUT = 900.0

#: A label (an int) or, with ``regions``, a region name.
Label = Union[int, str]
#: ``{(r, g, b): label}``, as :func:`segmetrics.io.parse_colormap` returns it.
Colormap = dict[tuple[int, ...], int]
#: ``((name, labels), ...)``: the regions scored instead of labels.
Regions = tuple[tuple[str, tuple[int, ...]], ...]

#: Named option sets; the options a preset fixes override the caller's.
PRESETS: dict[str, dict[str, Any]] = {
    "isic": {
        "metrics": ("threshold_jaccard", "jaccard", "dice", "accuracy", "sensitivity",
                    "specificity"),
        "labels": (1,),
        "binarize_above": 128,
        "zero_division": 1.0,
        "both_empty": "include",
        "pattern": r"ISIC_[0-9]{7}",
    },
}


class UsageError(ValueError):
    """The call itself is wrong (missing folder, no pairs, bad option): nothing was scored."""


@dataclass(frozen=True)
class Options:
    """Everything that decides a case's values; build it with :meth:`Options.build`.

    Attributes follow the keywords of :func:`segmetrics.evaluate_folder`:
    ``metrics`` (tuple of names), ``labels`` (tuple or None: every label
    present), ``threshold``, ``colormap`` (``{(r, g, b): label}`` or None),
    ``spacing`` (tuple or None: the files'), ``ignore_index``,
    ``nsd_tolerance``, ``zero_division``, ``binarize_above`` (set by the
    ``isic`` preset), ``tversky_alpha``, ``tversky_beta``,
    ``spacing_tolerance``, ``surface``, ``regions`` (``((name, labels), ...)``
    or None: score these unions of labels instead of labels),
    ``nsd_tolerances`` (``((label or region name, tolerance), ...)``: per-label
    NSD tolerances; the others use ``nsd_tolerance``), ``fbeta_beta``,
    ``max_voxels`` (a file declaring
    more voxels is an ``error`` row; None: no limit) and ``case_timeout``
    (seconds; a case taking longer is an ``error`` row; None: no limit).
    """

    metrics: tuple[str, ...] = DEFAULT_METRICS
    labels: tuple[int, ...] | None = None
    threshold: float | None = None
    colormap: Colormap | None = None
    spacing: tuple[float, ...] | None = None
    ignore_index: int | None = None
    nsd_tolerance: float = 1.0
    zero_division: float = math.nan
    binarize_above: float | None = None
    tversky_alpha: float = 0.5
    tversky_beta: float = 0.5
    spacing_tolerance: float = 1e-3
    surface: str = "voxel"
    regions: Regions | None = None
    nsd_tolerances: tuple[tuple[Label, float], ...] = ()
    fbeta_beta: float = 1.0
    max_voxels: int | None = None
    case_timeout: float | None = DEFAULT_CASE_TIMEOUT

    @classmethod
    def build(cls, *, metrics: str | Iterable[str] = DEFAULT_METRICS,
              labels: str | Iterable[int] | None = None, threshold: float | None = None,
              colormap: str | dict[Any, Any] | None = None,
              spacing: Iterable[float] | None = None, ignore_index: int | None = None,
              nsd_tolerance: float | str | Mapping[Label, float] = 1.0,
              zero_division: float = math.nan, binarize_above: float | None = None,
              tversky_alpha: float = 0.5, tversky_beta: float = 0.5,
              spacing_tolerance: float = 1e-3, surface: str = "voxel",
              regions: str | Mapping[str, Iterable[int]] | None = None,
              fbeta_beta: float = 1.0, max_voxels: int | None = None,
              case_timeout: float | None = DEFAULT_CASE_TIMEOUT) -> Options:
        """Validated options; a bad value raises :class:`UsageError` naming the option.

        ``regions``: ``{name: labels}``, ``'WT=1,2,3;TC=1,3;ET=3'`` or a preset
        name (``brats``). ``nsd_tolerance``: a number, ``{label: tolerance}``
        (region names with ``regions``) or ``'1=2.0,2=1.0'`` where a bare number
        is the tolerance of the labels not named (default 1.0).
        """
        from segmetrics.io import parse_colormap

        checked_metrics = check_metrics(metrics)
        label_tuple: tuple[int, ...] | None = None
        spacing_tuple: tuple[float, ...] | None = None
        region_pairs: Regions | None = None
        table: Colormap | None = None
        try:
            if labels is not None:
                if isinstance(labels, str):
                    labels = [int(v) for v in labels.split(",") if v.strip()]
                label_tuple = tuple(check_int(v, "each label", minimum=1) for v in labels)
                if not label_tuple:
                    raise ValueError("labels must not be empty")
            if threshold is not None:
                threshold = check_real(threshold, "threshold")
            if spacing is not None:
                spacing_tuple = tuple(check_spacing_value(s) for s in spacing)
            if ignore_index is not None:
                ignore_index = check_int(ignore_index, "ignore_index")
            if regions is not None:
                if label_tuple is not None:
                    raise ValueError("pass labels or regions, not both")
                if isinstance(regions, str):
                    regions = parse_regions(regions)
                names, sets = check_regions(regions)
                region_pairs = tuple(zip(names, sets))
            default_tolerance, nsd_tolerances = _nsd_tolerances(nsd_tolerance, region_pairs)
            fbeta_beta = check_real(fbeta_beta, "fbeta_beta", minimum=0.0)
            if fbeta_beta == 0:
                raise ValueError("fbeta_beta must be > 0; got 0.0")
            zero_division = check_real(zero_division, "zero_division", allow_nan=True)
            if not (math.isnan(zero_division) or -1.0 <= zero_division <= 1.0):
                raise ValueError(
                    f"zero_division must be NaN or lie in [-1, 1], the range of the overlap "
                    f"metrics (kappa reaches -1, the others lie in [0, 1]); got {zero_division}")
            if colormap is not None:
                table = parse_colormap(colormap)
            tversky_alpha = check_real(tversky_alpha, "tversky_alpha", minimum=0.0)
            tversky_beta = check_real(tversky_beta, "tversky_beta", minimum=0.0)
            spacing_tolerance = check_real(spacing_tolerance, "spacing_tolerance",
                                           minimum=0.0)
            surface = check_choice(surface, "surface", SURFACES)
            if max_voxels is not None:
                max_voxels = check_int(max_voxels, "max_voxels", minimum=1)
            if case_timeout is not None:
                case_timeout = check_real(case_timeout, "case_timeout", minimum=0.0)
                case_timeout = None if case_timeout == 0 else case_timeout
        except (TypeError, ValueError) as exc:
            raise UsageError(str(exc)) from None
        return cls(checked_metrics, label_tuple, threshold, table, spacing_tuple, ignore_index,
                   default_tolerance, zero_division, binarize_above, tversky_alpha, tversky_beta,
                   spacing_tolerance, surface, region_pairs, nsd_tolerances, fbeta_beta,
                   max_voxels, case_timeout)

    @property
    def region_map(self) -> dict[str, tuple[int, ...]] | None:
        """``{name: labels}`` of ``regions``, or None."""
        return None if self.regions is None else dict(self.regions)

    def tolerance_of(self, key: Label) -> float:
        """The NSD tolerance of one label (or region name)."""
        return dict(self.nsd_tolerances).get(key, self.nsd_tolerance)

    @property
    def nsd_tolerance_text(self) -> str:
        """The tolerance as the definitions show it: ``1.0`` or ``1=2.0, 2=1.0, others 1.0``."""
        if not self.nsd_tolerances:
            return f"{self.nsd_tolerance}"
        named = ", ".join(f"{key}={value}" for key, value in self.nsd_tolerances)
        return f"{named}, others {self.nsd_tolerance}"

    @property
    def distance_metrics(self) -> tuple[str, ...]:
        """The requested distance metrics, in request order."""
        return tuple(m for m in self.metrics if m in DISTANCE_METRICS)

    def state(self) -> dict[str, Any]:
        """The options that change a case's values, as JSON values, with :data:`SCHEMA_VERSION`.

        Recorded with each case for ``--resume`` (``metrics`` are checked by the
        CSV columns; a case scored for other ``labels`` is rescored).
        """
        from segmetrics.evaluation.summary import json_safe

        options: dict[str, object] = dataclasses.asdict(self)
        # The limits decide whether a case is read, never its values.
        del options["metrics"], options["labels"], options["max_voxels"], options["case_timeout"]
        options["schema_version"] = SCHEMA_VERSION
        return json_safe(options)

    def summary(self) -> dict[str, Any]:
        """The ``options`` of ``summary.json``."""
        return {
            "threshold": self.threshold,
            "binarize_above": self.binarize_above,
            "ignore_index": self.ignore_index,
            "spacing": self.spacing,
            "nsd_tolerance": self.nsd_tolerance,
            "surface": self.surface,
            "zero_division": self.zero_division,
            "tversky_alpha": self.tversky_alpha,
            "tversky_beta": self.tversky_beta,
            "spacing_tolerance": self.spacing_tolerance,
            "regions": None if self.regions is None else {n: list(v) for n, v in self.regions},
            "nsd_tolerances": {str(k): v for k, v in self.nsd_tolerances},
            "fbeta_beta": self.fbeta_beta,
        }


def _nsd_tolerances(tolerance: float | str | Mapping[Label, float], regions: Regions | None
                    ) -> tuple[float, tuple[tuple[Label, float], ...]]:
    """``(default, ((key, tolerance), ...))`` from a number, a mapping or ``'1=2.0,2=1.0,1.5'``."""
    default: float = 1.0
    named: dict[Label, float] = {}
    if isinstance(tolerance, str):
        for part in tolerance.split(","):
            named_key, sep, text = part.strip().rpartition("=")
            if not part.strip():
                continue
            try:
                number = float(text)
            except ValueError:
                raise ValueError(f"nsd_tolerance must be a number or 'LABEL=TOL,...' (e.g. "
                                 f"'1=2.0,2=1.0'); got {tolerance!r}") from None
            if sep:
                named[named_key.strip()] = number
            else:
                default = number
    elif isinstance(tolerance, Mapping):
        named = dict(tolerance)
    else:
        default = tolerance
    default = check_real(default, "nsd_tolerance", minimum=0.0)
    names = None if regions is None else [name for name, _ in regions]
    pairs: list[tuple[Label, float]] = []
    for key, value in named.items():
        if names is not None:
            if str(key) not in names:
                raise ValueError(f"nsd_tolerance names {key!r}, which is not a region "
                                 f"({', '.join(names)})")
            key = str(key)
        else:
            try:
                key = check_int(int(key) if isinstance(key, str) else key,
                                "each nsd_tolerance label", minimum=0)
            except ValueError:
                raise ValueError(f"nsd_tolerance: {key!r} is not a label (an integer)") from None
        pairs.append((key, check_real(value, f"nsd_tolerance of {key}", minimum=0.0)))
    return default, tuple(pairs)


def check_metrics(metrics: str | Iterable[str]) -> tuple[str, ...]:
    """Metric names from a sequence or comma-separated text, deduplicated, checked."""
    if isinstance(metrics, str):
        metrics = [m.strip() for m in metrics.split(",") if m.strip()]
    metrics = tuple(dict.fromkeys(metrics))
    unknown = [m for m in metrics if m not in METRICS]
    if unknown or not metrics:
        raise UsageError(f"metrics must be names from {', '.join(METRICS)}; got {list(metrics)}")
    if any(m in DISTANCE_METRICS for m in metrics):
        import segmetrics

        if not hasattr(segmetrics, "surface_distances"):
            raise UsageError(
                f"distance metrics ({', '.join(m for m in metrics if m in DISTANCE_METRICS)}) "
                "need segmetrics.surface_distances, which this build of segmetrics lacks; "
                "choose overlap metrics with --metrics"
            )
    _check_optional_dependencies(metrics)
    return metrics


def _check_optional_dependencies(metrics: Sequence[str]) -> None:
    """Refuse up front a metric whose optional dependency is missing (not once per case)."""
    if "cldice" in metrics:
        import importlib.util

        if importlib.util.find_spec("skimage") is None:
            raise UsageError("cldice needs scikit-image for the skeletons: "
                             "pip install scikit-image (or 'segmetrics[cldice]')")
