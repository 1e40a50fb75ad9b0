"""Hostile values (issue 14, items 7, 8, 9, 14, 15, 16): huge or absent labels, mixed
layouts, large label values in a folder, Dask label maps, extreme spacing, zero_division
outside a metric's range. Memory-hungry probes run in a child process under an address
space limit, so a regression fails with MemoryError instead of exhausting the machine."""
import json
import math
import os
import subprocess
import sys
import textwrap
import tracemalloc

import numpy as np
import pytest

import segmetrics
from segmetrics import _layout
from segmetrics.evaluation import UsageError
from segmetrics.evaluation.scoring import Record
from segmetrics.evaluation.summary import summarize

# the folder holding the segmetrics under test (installed, or a checkout on PYTHONPATH)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(segmetrics.__file__)))

#: Run in a child: imports first, then at most this much more address space.
_LIMITED = """
import resource, numpy as np, segmetrics as sm
{imports}
def _address_space():
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
limit = _address_space() + (1 << 30)
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
"""


def _run_limited(body, imports=""):
    """Run ``body`` in a child limited to 1 GiB more address space; its printed JSON."""
    if not os.path.exists("/proc/self/status"):
        pytest.skip("needs /proc to measure the address space")
    code = _LIMITED.format(imports=imports) + textwrap.dedent(body)
    env = {**os.environ, "PYTHONPATH": ROOT, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
           "SEGMETRICS_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


# item 7: absent and huge labels ------------------------------------------------------------


def test_absent_huge_labels_give_nan_without_a_table_sized_by_them():
    values = _run_limited("""
        import json
        gt = np.zeros((40, 40), np.uint8); gt[5:20, 5:20] = 1
        pred = np.zeros_like(gt); pred[8:25, 8:25] = 1
        out = {
            "u8_1e6": sm.dice(pred, gt, labels=[1, 10**6]).tolist(),
            "u8_40000": sm.jaccard(pred, gt, labels=[1, 40000]).tolist(),
            "i32_max": sm.dice(pred.astype(np.int32), gt.astype(np.int32),
                               labels=[1, 2**31 - 1]).tolist(),
            "kappa_mc": sm.kappa(pred, gt, labels=[0, 1, 10**6], multiclass=True),
            "kappa_mc_ref": sm.kappa(pred, gt, labels=[0, 1], multiclass=True),
            "many_u8": int(np.isnan(sm.dice(pred, gt, labels=range(1, 100_001))[1:]).sum()),
            "reference": sm.dice(pred, gt),
        }
        print(json.dumps(out))
    """)
    assert values["u8_1e6"][0] == values["reference"] and math.isnan(values["u8_1e6"][1])
    assert math.isnan(values["u8_40000"][1]) and values["u8_40000"][0] > 0
    assert values["i32_max"][0] == values["reference"] and math.isnan(values["i32_max"][1])
    assert values["kappa_mc"] == values["kappa_mc_ref"]
    assert values["many_u8"] == 99_999


def test_many_labels_of_large_values_are_counted_compactly():
    """10^5 labels asked of a map with labels beyond the dense limit: memory grows with
    the number of labels, not its square (a (10^5)^2 table is 80 GB)."""
    values = _run_limited("""
        import json
        rng = np.random.default_rng(0)
        gt = rng.integers(0, 100_000, size=(64, 64)).astype(np.int32)
        pred = gt.copy(); pred[:8] = 0
        labels = list(range(1, 100_001))
        dice = sm.dice(pred, gt, labels=labels)
        present = np.unique(gt[gt > 0])
        want = sm.dice(pred, gt, labels=present.tolist())
        print(json.dumps({"same": bool(np.array_equal(dice[present - 1], want)),
                          "absent_nan": bool(np.isnan(np.delete(dice, present - 1)).all()),
                          "ones": int((dice == 1).sum())}))
    """)
    assert values["same"] and values["absent_nan"] and values["ones"] > 0


def test_dask_absent_huge_labels_and_multiclass_kappa():
    pytest.importorskip("dask.array")
    values = _run_limited("""
        import json
        gt = np.zeros((30, 30), np.uint8); gt[3:20, 3:20] = 1
        pred = np.zeros_like(gt); pred[5:25, 5:25] = 1
        dp, dg = da.from_array(pred, chunks=10), da.from_array(gt, chunks=10)
        with dask.config.set(scheduler="synchronous"):
            out = {"dice": sm.dice(dp, dg, labels=[1, 10**6]).tolist(),
                   "kappa": sm.kappa(dp, dg, labels=[0, 1, 10**6], multiclass=True)}
        out["ref_dice"] = sm.dice(pred, gt)
        out["ref_kappa"] = sm.kappa(pred, gt, labels=[0, 1], multiclass=True)
        print(json.dumps(out))
    """, imports="import dask, dask.array as da")
    assert values["dice"][0] == values["ref_dice"] and math.isnan(values["dice"][1])
    assert values["kappa"] == values["ref_kappa"]


def test_multiclass_kappa_with_labels_of_large_values_equals_sklearn_rule():
    gt = np.zeros((20, 20), np.int32)
    gt[2:10, 2:10] = 1
    gt[12:18, 12:18] = 50_000
    pred = gt.copy()
    pred[2:5, 2:10] = 50_000
    pred[0, 0] = 70_000  # a label not asked for: left out, as scikit-learn does
    labels = [0, 1, 50_000]
    compact = {0: 0, 1: 1, 50_000: 2}
    keep = np.isin(gt, labels) & np.isin(pred, labels)
    small_p = np.vectorize(compact.get)(pred[keep])
    small_g = np.vectorize(compact.get)(gt[keep])
    want = segmetrics.kappa(small_p, small_g, multiclass=True)
    assert segmetrics.kappa(pred, gt, labels=labels, multiclass=True) == pytest.approx(want,
                                                                                        rel=1e-12)


# item 8: mixed dtypes and orders keep one table per thread ----------------------------------


@pytest.mark.parametrize("layout", ["dtypes", "orders"])
def test_confusion_matrix_of_mixed_layouts_keeps_one_table_per_thread(monkeypatch, layout):
    k = 600
    rng = np.random.default_rng(1)
    gt = rng.integers(0, k, size=(400, 64)).astype(np.int32)
    pred = gt.copy()
    pred[::3] = rng.integers(0, k, size=pred[::3].shape)
    want = segmetrics.confusion_matrix(pred, gt, num_classes=k)
    if layout == "dtypes":
        pred = pred.astype(np.uint16)
    else:
        pred = np.asfortranarray(pred)
    monkeypatch.setattr(_layout, "SLAB_BYTES", 4096)  # 25 slabs
    table_bytes = k * k * 8
    tracemalloc.start()
    try:
        got = segmetrics.confusion_matrix(pred, gt, num_classes=k, backend="cython")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    np.testing.assert_array_equal(got, want)
    threads = max(1, len(_layout.split_pair(pred.reshape(-1), gt.reshape(-1), True)))
    assert peak < (threads + 3) * table_bytes, (peak, table_bytes)


# item 9: large label values in a folder -------------------------------------------------


@pytest.fixture()
def stray_label_folder(tmp_path):
    preds, gts = tmp_path / "preds", tmp_path / "gts"
    preds.mkdir()
    gts.mkdir()
    gt = np.zeros((8, 8), np.uint16)
    gt[1:4, 1:4] = 1
    np.save(gts / "a.npy", gt)
    np.save(preds / "a.npy", gt)
    miss = np.zeros_like(gt)
    miss[6, 6] = 9000  # a total miss plus one stray voxel of a large label
    np.save(gts / "b.npy", gt)
    np.save(preds / "b.npy", miss)
    return preds, gts


def test_large_label_values_are_scored_not_dropped(stray_label_folder):
    preds, gts = stray_label_folder
    result = segmetrics.evaluate_folder(*stray_label_folder, metrics=["dice", "hd"],
                                        n_resamples=0)
    rows = {(r.case, r.label): (r.status, r.values["dice"]) for r in result.records}
    assert rows[("b", 1)] == ("empty_pred", 0.0)
    assert rows[("b", 9000)] == ("empty_gt", 0.0)
    assert rows[("a", 1)] == ("ok", 1.0) and rows[("a", 9000)][0] == "both_empty"
    assert result.summary["all_labels"]["dice"]["mean"] == pytest.approx(1 / 3)
    assert result.summary["status_counts"]["error"] == 0


def test_requested_labels_are_scored_whatever_else_the_map_holds(stray_label_folder):
    result = segmetrics.evaluate_folder(*stray_label_folder, metrics=["dice", "jaccard"],
                                        labels=[1], n_resamples=0)
    assert [(r.case, r.label, r.status, r.values["dice"]) for r in result.records] == [
        ("a", 1, "ok", 1.0), ("b", 1, "empty_pred", 0.0)]
    assert result.summary["all_labels"]["dice"]["mean"] == 0.5


def test_large_label_values_with_ignore_index(tmp_path):
    preds, gts = tmp_path / "preds", tmp_path / "gts"
    preds.mkdir()
    gts.mkdir()
    gt = np.zeros((10, 10), np.int32)
    gt[1:5, 1:5] = 20_000
    gt[6:9, 6:9] = 30_000  # ignored
    pred = np.where(gt == 30_000, 12_345, gt)  # a label only where the truth is ignored
    np.save(gts / "a.npy", gt)
    np.save(preds / "a.npy", pred)
    result = segmetrics.evaluate_folder(preds, gts, metrics=["dice"], ignore_index=30_000,
                                        n_resamples=0)
    assert [(r.label, r.status, r.values["dice"]) for r in result.records] == [
        (20_000, "ok", 1.0)]


# item 14: Dask agrees with NumPy on large label values ----------------------------------------


def test_dask_label_map_with_a_large_value_agrees_with_numpy():
    da = pytest.importorskip("dask.array")
    gt = np.zeros((30, 30), np.uint16)
    gt[3:20, 3:20] = 1
    pred = np.zeros_like(gt)
    pred[5:25, 5:25] = 1
    pred[29, 29] = 65535
    want = segmetrics.dice(pred, gt, labels=[1])
    got = segmetrics.dice(da.from_array(pred, chunks=10), da.from_array(gt, chunks=10),
                          labels=[1])
    np.testing.assert_array_equal(got, want)
    both = segmetrics.dice(da.from_array(pred, chunks=7), gt, labels=[1, 65535, 7])
    np.testing.assert_array_equal(both, segmetrics.dice(pred, gt, labels=[1, 65535, 7]))


# item 15: spacing whose square overflows or underflows ----------------------------------------


@pytest.fixture()
def two_squares():
    a = np.zeros((6, 6), np.uint8)
    a[1:3, 1:3] = 1
    b = np.zeros_like(a)
    b[2:5, 2:5] = 1
    return a, b


@pytest.mark.parametrize("spacing", [1e300, 1e200, 1e-320, 1e-200, (1.0, 1e155)])
@pytest.mark.parametrize("metric", ["hd95", "assd", "hausdorff"])
def test_spacing_whose_square_is_not_a_normal_float_is_refused(two_squares, spacing, metric):
    with pytest.raises(ValueError, match="spacing value must lie in"):
        getattr(segmetrics, metric)(*two_squares, spacing=spacing)


@pytest.mark.parametrize("scale", [1e-100, 1e100])
def test_spacing_at_the_ends_of_the_range_scales_exactly(two_squares, scale):
    unit = segmetrics.surface_distances(*two_squares)
    scaled = segmetrics.surface_distances(*two_squares, spacing=scale)
    assert scaled.hd95() == pytest.approx(unit.hd95() * scale, rel=1e-14)
    assert scaled.assd() == pytest.approx(unit.assd() * scale, rel=1e-14)


def test_cli_refuses_a_spacing_out_of_range(tmp_path):
    with pytest.raises(UsageError, match="spacing value must lie in"):
        segmetrics.evaluate_folder(tmp_path, tmp_path, spacing=(1e300, 1.0))


# item 16: zero_division outside the metrics' range ---------------------------------------------


@pytest.mark.parametrize("value", [math.inf, -math.inf, 2.0, -1.5])
def test_folder_zero_division_outside_the_range_is_refused(tmp_path, value):
    with pytest.raises(UsageError, match=r"zero_division must be NaN or lie in \[-1, 1\]"):
        segmetrics.evaluate_folder(tmp_path, tmp_path, zero_division=value)


def test_only_distances_are_replaced_by_the_diagonal():
    records = [Record("a", 1, "both_empty", "", {"dice": math.inf, "hd": math.inf}, 100.0),
               Record("b", 1, "ok", "", {"dice": 0.5, "hd": 2.0}, 100.0)]
    stats = summarize(records, ["dice", "hd"], both_empty="include", n_resamples=0)["all_labels"]
    assert stats["hd"]["mean"] == 51.0 and stats["hd"]["n_inf_replaced"] == 1
    assert stats["dice"]["mean"] == math.inf and stats["dice"]["n_inf_replaced"] == 0


@pytest.mark.parametrize("ignore_index", [None, 50_000])
def test_multiclass_kappa_of_large_label_values_without_labels(ignore_index):
    """The labels present are counted compactly; NumPy and Dask agree."""
    gt = np.zeros((20, 20), np.int32)
    gt[2:10, 2:10] = 1
    gt[12:18, 12:18] = 50_000
    pred = gt.copy()
    pred[2:5, 2:10] = 50_000
    pred[0, 0] = 70_000
    compact = np.vectorize({0: 0, 1: 1, 50_000: 2, 70_000: 3}.get)
    small_ignore = None if ignore_index is None else 2
    want = segmetrics.kappa(compact(pred), compact(gt), multiclass=True,
                            ignore_index=small_ignore)
    got = segmetrics.kappa(pred, gt, multiclass=True, ignore_index=ignore_index)
    assert got == pytest.approx(want, rel=1e-12)
    da = pytest.importorskip("dask.array")
    chunked = segmetrics.kappa(da.from_array(pred, chunks=7), da.from_array(gt, chunks=7),
                               multiclass=True, ignore_index=ignore_index)
    assert chunked == pytest.approx(want, rel=1e-12)
