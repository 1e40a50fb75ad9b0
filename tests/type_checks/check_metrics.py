"""Types users of the metrics see: mypy checks this file (tests/test_types.py); it never runs.

Binary masks give Python floats, ``labels=`` and ``regions=`` float64 arrays; the
counts, tables, distance objects, accumulators and lesion results have their own types.
"""
from __future__ import annotations

import numpy as np
import numpy.typing as npt
import torch
from typing_extensions import assert_type

import segmetrics
from segmetrics import Accumulator, Counts, LesionResult, SurfaceDistances
from segmetrics import from_counts, stats
from segmetrics.compare import comparison_table
from segmetrics.lesion import LesionRow
from segmetrics.regions import BRATS, check_regions, parse_regions, region_counts

FloatArray = npt.NDArray[np.float64]

pred = np.zeros((4, 4), dtype=bool)
gt = np.zeros((4, 4), dtype=bool)
label_map = np.zeros((4, 4), dtype=np.uint8)
nested = [[0, 1], [1, 1]]
regions = {"WT": [1, 2, 3], "ET": [3]}
maybe_labels: list[int] | None = None

# --- overlap metrics: float for binary masks, float64 arrays per label or region
assert_type(segmetrics.dice(pred, gt), float)
assert_type(segmetrics.dice(nested, nested), float)
assert_type(segmetrics.dice(pred, gt, threshold=0.5, zero_division=0.0), float)
assert_type(segmetrics.dice(label_map, label_map, labels=[1, 2]), FloatArray)
assert_type(segmetrics.dice(label_map, label_map, labels=np.array([1, 2], dtype=np.int64)),
            FloatArray)
assert_type(segmetrics.dice(label_map, label_map, regions=regions), FloatArray)
assert_type(segmetrics.dice(label_map, label_map, regions=BRATS), FloatArray)
assert_type(segmetrics.dice(label_map, label_map, labels=maybe_labels), float | FloatArray)
assert_type(segmetrics.jaccard(pred, gt), float)
assert_type(segmetrics.jaccard(label_map, label_map, labels=[1]), FloatArray)
assert_type(segmetrics.tversky(pred, gt, alpha=0.3, beta=0.7), float)
assert_type(segmetrics.tversky(label_map, label_map, labels=[1], alpha=1.0), FloatArray)
assert_type(segmetrics.sensitivity(pred, gt), float)
assert_type(segmetrics.specificity(label_map, label_map, regions=regions), FloatArray)
assert_type(segmetrics.precision(pred, gt, backend="numpy"), float)
assert_type(segmetrics.accuracy(label_map, label_map, labels=[0, 1]), FloatArray)
assert_type(segmetrics.kappa(pred, gt), float)
assert_type(segmetrics.kappa(label_map, label_map, labels=[1, 2]), FloatArray)
assert_type(segmetrics.kappa(label_map, label_map, multiclass=True), float)
assert_type(segmetrics.kappa(label_map, label_map, labels=[1, 2], multiclass=True), float)
assert_type(segmetrics.binary_counts(pred, gt), Counts)
assert_type(segmetrics.confusion_matrix(label_map, label_map), npt.NDArray[np.int64])
assert_type(segmetrics.confusion_matrix(label_map, label_map, num_classes=4), npt.NDArray[np.int64])

# device and chunked arrays (here a PyTorch tensor) are accepted as they are
tensor = torch.zeros(4, 4, dtype=torch.bool)
assert_type(segmetrics.dice(tensor, tensor), float)
assert_type(segmetrics.dice(tensor, tensor, labels=[1]), FloatArray)
assert_type(segmetrics.binary_counts(tensor, tensor), Counts)

# --- the counts family (segmetrics.rates)
assert_type(segmetrics.mcc(pred, gt), float)
assert_type(segmetrics.mcc(label_map, label_map, labels=[1, 2]), FloatArray)
assert_type(segmetrics.npv(label_map, label_map, regions=regions), FloatArray)
assert_type(segmetrics.volume_similarity(pred, gt), float)
assert_type(segmetrics.relative_volume_difference(pred, gt, zero_division=0.0), float)
assert_type(segmetrics.false_positive_rate(pred, gt), float)
assert_type(segmetrics.false_negative_rate(label_map, label_map, labels=[1]), FloatArray)
assert_type(segmetrics.false_discovery_rate(pred, gt), float)
assert_type(segmetrics.balanced_accuracy(pred, gt), float)
assert_type(segmetrics.informedness(pred, gt), float)
assert_type(segmetrics.markedness(pred, gt), float)
assert_type(segmetrics.prevalence(label_map, label_map, labels=[1]), FloatArray)
assert_type(segmetrics.fbeta(pred, gt, beta=2.0), float)
assert_type(segmetrics.fbeta(label_map, label_map, beta=0.5, labels=[1, 2]), FloatArray)
assert_type(segmetrics.absolute_volume_difference(pred, gt, voxel_volume=0.5), float)
assert_type(segmetrics.absolute_volume_difference(label_map, label_map, labels=[1]), FloatArray)
assert_type(segmetrics.generalized_dice(label_map, label_map, labels=[1, 2]), float)

# --- metrics of counts (segmetrics.from_counts): float64 arrays, 0-d for scalar counts
counts = Counts(tp=3, fp=1, fn=2, tn=10)
assert_type(from_counts.dice(counts), FloatArray)
assert_type(from_counts.mcc(counts, zero_division=0.0), FloatArray)
assert_type(from_counts.kappa_multiclass(np.eye(3)), FloatArray)
assert_type(from_counts.per_label_counts(np.eye(3, dtype=np.int64), [1, 2]), Counts)

# --- distance metrics
assert_type(segmetrics.hausdorff(pred, gt), float)
assert_type(segmetrics.hausdorff(pred, gt, percentile=95.0, spacing=(1.0, 0.5)), float)
assert_type(segmetrics.hausdorff(label_map, label_map, labels=[1, 2]), FloatArray)
assert_type(segmetrics.hd95(pred, gt), float)
assert_type(segmetrics.hd95(pred, gt, spacing=0.5, hd_mode="pooled"), float)
assert_type(segmetrics.hd95(label_map, label_map, labels=[1, 2]), FloatArray)
assert_type(segmetrics.hd95(label_map, label_map, regions=regions), FloatArray)
assert_type(segmetrics.hd95(tensor, tensor, spacing=(0.5, 0.5)), float)
assert_type(segmetrics.assd(pred, gt, direction="pred_to_gt"), float)
assert_type(segmetrics.assd(label_map, label_map, labels=[1]), FloatArray)
assert_type(segmetrics.surface_dice(pred, gt, tolerance=1.0), float)
assert_type(segmetrics.surface_dice(label_map, label_map, tolerance=[1.0, 2.0], labels=[1, 2]),
            FloatArray)
assert_type(segmetrics.surface_dice(label_map, label_map, tolerance={"WT": 1.0, "ET": 2.0},
                                    regions=regions), FloatArray)
distances = segmetrics.surface_distances(pred, gt, spacing=(1.0, 2.0))
assert_type(distances, SurfaceDistances)
assert_type(segmetrics.surface_distances(label_map, label_map, labels=[1, 2]),
            list[SurfaceDistances])
assert_type(segmetrics.surface_distances(label_map, label_map, regions=regions),
            list[SurfaceDistances])
assert_type(distances.pred_to_gt, FloatArray)
assert_type(distances.gt_to_pred, FloatArray)
assert_type(distances.pred_weights, FloatArray | None)
assert_type(distances.spacing, tuple[float, ...])
assert_type(distances.hausdorff(), float)
assert_type(distances.hausdorff(95.0, "pooled"), float)
assert_type(distances.hd95(), float)
assert_type(distances.assd(), float)
assert_type(distances.surface_dice(1.0), float)

# --- streaming accumulation
acc = Accumulator(["dice", "hd95"], labels=[1, 2], aggregation="micro")
acc.update(label_map[None], label_map[None])
acc.update_case(label_map, label_map, spacing=(1.0, 1.0))
assert_type(acc.n_cases, int)
assert_type(acc.counts(), Counts)
assert_type(acc.per_case(), dict[str, FloatArray])
assert_type(acc.compute(), dict[str, float | FloatArray])
assert_type(acc.compute(aggregation="mean"), dict[str, float | FloatArray])
assert_type(acc.merge(Accumulator(["dice", "hd95"], labels=[1, 2])), Accumulator)
assert_type(Accumulator("dice").metrics, tuple[str, ...])

# --- lesion-wise evaluation
result = segmetrics.lesion_wise(pred, gt, hd95=True)
assert_type(result, LesionResult)
assert_type(result.tp, int)
assert_type(result.fp, int)
assert_type(result.fn, int)
assert_type(result.f1, float)
assert_type(result.pq, float)
assert_type(result.lesion_dice, float)
assert_type(result.gt_dice, FloatArray)
assert_type(result.gt_volume, FloatArray)
assert_type(result.gt_hd95, FloatArray | None)
rows = result.rows(size_bins=[0.0, 10.0, 100.0])
assert_type(rows, list[LesionRow])
assert_type(rows[0]["volume"], float)
assert_type(rows[0]["partners"], str)
assert_type(result.by_size([0.0, 10.0, 100.0])[0]["recall"], float)
assert_type(result.by_size([0.0, 10.0, 100.0])[0]["tp"], int)
assert_type(segmetrics.panoptic_quality(pred, gt), float)
components, n_components = segmetrics.connected_components(pred, connectivity="full")
assert_type(components, npt.NDArray[np.int32])
assert_type(n_components, int)

# --- topology, regions, statistics, comparison
assert_type(segmetrics.cldice(pred, gt), float)
assert_type(segmetrics.cldice_rates(pred, gt), tuple[float, float])
assert_type(region_counts(np.eye(4, dtype=np.int64), [(1, 2), (3,)]), Counts)
assert_type(check_regions(regions), tuple[tuple[str, ...], tuple[tuple[int, ...], ...]])
assert_type(parse_regions("WT=1,2,3;ET=3"), dict[str, tuple[int, ...]])
assert_type(stats.bootstrap_mean_ci([0.8, 0.9, 0.7]), tuple[float, float])
assert_type(stats.paired_comparison([0.9, 0.8], [0.8, 0.7]), stats.PairedComparison)
assert_type(stats.paired_comparison([0.9], [0.8]).wilcoxon_p, float)
assert_type(comparison_table([]), str)

# --- package helpers
assert_type(segmetrics.available_backends(), list[str])
assert_type(segmetrics.BACKENDS, tuple[str, str, str])
segmetrics.set_num_threads(2)
segmetrics.set_num_threads(None)

# --- mistakes the types catch (warn_unused_ignores fails the check if one is accepted)
segmetrics.set_num_threads("2")  # type: ignore[arg-type]
segmetrics.surface_dice(pred, gt)  # type: ignore[call-overload]
segmetrics.dice(label_map, label_map, labels=[1.5])  # type: ignore[list-item]
segmetrics.hd95(pred, gt, spacing="1mm")  # type: ignore[arg-type]
segmetrics.lesion_wise(pred, gt, hd95="yes")  # type: ignore[arg-type]
