"""Types users of the folder evaluation and the readers see: mypy checks this file; it never runs.

Each ``assert_type`` pins what a checker infers for a public call; each narrow
``# type: ignore[code]`` marks a call that must stay an error (strict mypy reports an
ignore that is no longer needed, so a loosened annotation fails the check).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from typing_extensions import assert_type

import segmetrics
from segmetrics.evaluation import (
    DEFAULT_METRICS,
    DEFINITIONS,
    HIGHER_IS_BETTER,
    METRICS,
    REGISTRY,
    Case,
    Evaluation,
    Metric,
    Options,
    Record,
    match_cases,
    score_case,
    summarize,
)
from segmetrics.evaluation.scoring import CaseResult
from segmetrics.io import (
    Mask,
    default_max_voxels,
    display_name,
    parse_colormap,
    read_mask,
    split_extension,
)
from segmetrics.report import render_report, write_report


def check_evaluate_folder() -> None:
    result = segmetrics.evaluate_folder("preds", Path("gts"), out_dir="out", metrics="dice,hd95",
                                        labels=[1, 2], spacing=(0.8, 0.8, 2.5), jobs="auto",
                                        nsd_tolerance={1: 2.0}, max_voxels=None,
                                        case_timeout=None)
    assert_type(result, Evaluation)
    assert_type(result.records, list[Record])
    assert_type(result.summary, dict[str, Any])
    record = result.records[0]
    assert_type(record.case, str)
    assert_type(record.label, int | str | None)
    assert_type(record.status, str)
    assert_type(record.values, dict[str, float])
    assert_type(record.diagonal, float)
    assert_type(record.row(["dice"]), list[str])
    records, summary = segmetrics.evaluate_folder("preds", "gts", regions="brats")
    assert_type(records, list[Record])
    assert_type(summary, dict[str, Any])


def check_evaluate_folder_refuses() -> None:
    segmetrics.evaluate_folder("preds", "gts", jobs="many")  # type: ignore[arg-type]
    segmetrics.evaluate_folder("preds", "gts", max_voxels="lots")  # type: ignore[arg-type]
    segmetrics.evaluate_folder("preds", "gts", label=[1])  # type: ignore[call-arg]
    segmetrics.evaluate_folder(None, "gts")  # type: ignore[arg-type]


def check_readers(path: str) -> None:
    mask = read_mask(path, threshold=0.5, spacing=[1.0, 1.0], max_voxels=1 << 24)
    assert_type(mask, Mask)
    assert_type(mask.labels, npt.NDArray[Any])
    assert_type(mask.spacing, tuple[float, ...] | None)
    assert_type(mask.direction, npt.NDArray[np.float64] | None)
    assert_type(mask.origin, npt.NDArray[np.float64] | None)
    assert_type(read_mask(Path(path), colormap="1=255,0,0"), Mask)
    assert_type(parse_colormap("1=255,0,0;2=0,255,0"), dict[tuple[int, ...], int])
    assert_type(split_extension("case.nii.gz"), tuple[str, str])
    assert_type(display_name("case.nii.gz"), str)
    assert_type(default_max_voxels(4), int)
    read_mask(path, spacing=0.5)  # type: ignore[arg-type]


def check_options() -> None:
    options = Options.build(metrics=["dice", "nsd"], labels="1,2", nsd_tolerance="1=2.0,1.0",
                            spacing=(1.0, 1.0), case_timeout=60.0)
    assert_type(options, Options)
    assert_type(options.metrics, tuple[str, ...])
    assert_type(options.labels, tuple[int, ...] | None)
    assert_type(options.threshold, float | None)
    assert_type(options.spacing, tuple[float, ...] | None)
    assert_type(options.regions, tuple[tuple[str, tuple[int, ...]], ...] | None)
    assert_type(options.nsd_tolerances, tuple[tuple[int | str, float], ...])
    assert_type(options.max_voxels, int | None)
    assert_type(options.case_timeout, float | None)
    assert_type(options.region_map, dict[str, tuple[int, ...]] | None)
    assert_type(options.tolerance_of(1), float)
    assert_type(options.distance_metrics, tuple[str, ...])
    assert_type(options.state(), dict[str, Any])
    assert_type(options.summary(), dict[str, Any])
    options.metrics = ("dice",)  # type: ignore[misc]  # frozen


def check_registry_and_summary(records: list[Record]) -> None:
    assert_type(REGISTRY, dict[str, Metric])
    assert_type(REGISTRY["dice"].higher_is_better, bool)
    assert_type(REGISTRY["hd95"].is_distance, bool)
    assert_type(METRICS, tuple[str, ...])
    assert_type(DEFAULT_METRICS, tuple[str, ...])
    assert_type(DEFINITIONS, dict[str, str])
    assert_type(HIGHER_IS_BETTER, dict[str, bool])
    assert_type(summarize(records, ["dice"], both_empty="include", n_resamples=0),
                dict[str, Any])


def check_cases(options: Options) -> None:
    cases, unmatched = match_cases("preds", "gts", strip_suffixes=["_seg"], pattern=r"case_\d+")
    assert_type(cases, list[Case])
    assert_type(unmatched, list[str])
    case = cases[0]
    assert_type(case.name, str)
    assert_type(case.pred, str | os.PathLike[str] | None)
    result = score_case(case, options)
    assert_type(result, CaseResult)
    assert_type(result.records, list[Record])
    assert_type(result.n_voxels, int | None)
    assert_type(result.warnings, tuple[str, ...])


def check_report(evaluation: Evaluation) -> None:
    assert_type(render_report(evaluation, n_worst=3), str)
    assert_type(write_report("report.html", evaluation), Path)
