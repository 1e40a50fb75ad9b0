"""Distance-metric benchmarks: segmetrics against its peers on synthetic CT-like cases.

The volumes are synthetic and seeded: a liver-like ellipsoid pair on a 512 x 512 x 160
CT grid (spacing 0.8, 0.8, 2.5 mm), the same pair displaced by ~30 mm plus a distant
false-positive blob, a 256^3 map of 14 organ-like labels, and a 2-D 512^2 lesion.
"""
import importlib
import math
import tracemalloc
import warnings

import numpy as np
import pytest

import segmetrics
from segmetrics._backends import available_backends

CT_SHAPE = (512, 512, 160)
CT_SPACING = (0.8, 0.8, 2.5)


def _ellipsoid(shape, centre, radii, spacing, wobble=0.0, seed=0):
    """A smooth organ-like blob: an ellipsoid whose radius varies with direction."""
    grids = np.ogrid[tuple(slice(0, n) for n in shape)]
    rel = [(g - c) * s / r for g, c, r, s in zip(grids, centre, radii, spacing)]
    radius2 = sum(r * r for r in rel)
    if wobble:
        rng = np.random.default_rng(seed)
        a, b, c = rng.uniform(0.5, 1.5, size=3)
        radius2 = radius2 * (1.0 + wobble * np.sin(a * 6 * rel[0] + b * 4 * rel[1]) *
                             np.cos(c * 5 * rel[-1]))
    return radius2 <= 1.0


def ct_pair():
    """A liver-like ground truth and a prediction off by a few voxels, with a bump."""
    gt = _ellipsoid(CT_SHAPE, (260, 200, 80), (95.0, 80.0, 110.0), CT_SPACING, 0.15, seed=1)
    pred = _ellipsoid(CT_SHAPE, (262, 203, 81), (93.0, 82.0, 108.0), CT_SPACING, 0.17, seed=2)
    pred |= _ellipsoid(CT_SHAPE, (330, 180, 60), (12.0, 12.0, 15.0), CT_SPACING)
    return pred, gt


def displaced_pair():
    """Worst case: the prediction ~30 mm away plus a distant false-positive blob."""
    pred, gt = ct_pair()
    pred = np.roll(pred, (30, 20, 4), axis=(0, 1, 2))
    pred |= _ellipsoid(CT_SHAPE, (60, 450, 140), (10.0, 10.0, 12.0), CT_SPACING)
    return pred, gt


def label_maps(n_labels=14, size=256, seed=0):
    """Two 256^3 label maps of ``n_labels`` organ-like blobs; pred is a perturbed copy."""
    rng = np.random.default_rng(seed)
    shape = (size,) * 3
    gt = np.zeros(shape, dtype=np.uint8)
    pred = np.zeros(shape, dtype=np.uint8)
    for label in range(1, n_labels + 1):
        centre = rng.uniform(40, size - 40, size=3)
        radii = rng.uniform(12, 35, size=3)
        gt[_ellipsoid(shape, centre, radii, (1.0, 1.0, 1.0), 0.1, seed=label)] = label
        shift = centre + rng.normal(0, 1.5, size=3)
        pred[_ellipsoid(shape, shift, radii * rng.uniform(0.93, 1.07, size=3), (1.0, 1.0, 1.0),
                        0.12, seed=100 + label)] = label
    return pred, gt


def lesion_2d(size=512):
    """A 2-D lesion pair on a 512 x 512 image (spacing 0.7 mm)."""
    gt = _ellipsoid((size, size), (250, 270), (40.0, 28.0), (0.7, 0.7), 0.2, seed=3)
    pred = _ellipsoid((size, size), (253, 266), (38.0, 30.0), (0.7, 0.7), 0.25, seed=4)
    return pred, gt


# ---------------------------------------------------------------- benchmarks
#
# Run with `pytest bench/test_bench_distance.py --benchmark-only` (after a build). Each
# group holds segmetrics and the peers on the same input; every benchmark checks its
# result. Slow peers run a single round. Numba is warmed up before timing.


pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.filterwarnings("ignore::FutureWarning"),
              pytest.mark.filterwarnings("ignore::UserWarning")]

BACKENDS = [b for b in ("cython", "numba") if b in available_backends()]
SLOW = {"rounds": 1, "iterations": 1, "warmup_rounds": 0}


def _peer(name):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return importlib.import_module(name)
    except ImportError:
        pytest.skip(f"{name} is not installed")


@pytest.fixture(scope="module")
def ct():
    return (*ct_pair(), CT_SPACING)


@pytest.fixture(scope="module")
def displaced():
    return (*displaced_pair(), CT_SPACING)


@pytest.fixture(scope="module")
def lesion():
    return (*lesion_2d(), (0.7, 0.7))


@pytest.fixture(scope="module")
def labels256():
    return (*label_maps(), (1.0, 1.0, 1.0))


CASES = ("ct", "displaced", "lesion")


def _reference(pred, gt, spacing):
    """segmetrics' own numbers, checked once against the crop + SciPy oracle."""
    return segmetrics.surface_distances(pred, gt, spacing=spacing)


def _crop(pred, gt):
    both = pred | gt
    lo = [int(np.flatnonzero(both.any(axis=tuple(a for a in range(both.ndim) if a != ax)))[0])
          for ax in range(both.ndim)]
    hi = [int(np.flatnonzero(both.any(axis=tuple(a for a in range(both.ndim) if a != ax)))[-1])
          + 1 for ax in range(both.ndim)]
    box = tuple(slice(max(l - 1, 0), h + 1) for l, h in zip(lo, hi))
    return np.pad(pred[box], 1), np.pad(gt[box], 1)


def crop_scipy_distances(pred, gt, spacing, edt_function=None):
    """The baseline: crop to the joint box plus a zero pad, erode, two full EDTs of the crop."""
    from scipy import ndimage

    pred, gt = _crop(pred, gt)
    bp = pred & ~ndimage.binary_erosion(pred)
    bg = gt & ~ndimage.binary_erosion(gt)
    if edt_function is None:
        def edt_function(mask):
            return ndimage.distance_transform_edt(mask, sampling=spacing)
    return edt_function(~bg)[bp], edt_function(~bp)[bg]


def _hd95(a, b):
    return max(np.percentile(a, 95), np.percentile(b, 95))


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("backend", BACKENDS)
def test_hd95_segmetrics(benchmark, case, backend, request):
    pred, gt, spacing = request.getfixturevalue(case)
    benchmark.group = f"hd95-{case}"
    segmetrics.hd95(pred, gt, spacing=spacing, backend=backend)  # warm-up (Numba compile)
    value = benchmark(segmetrics.hd95, pred, gt, spacing=spacing, backend=backend)
    a, b = crop_scipy_distances(pred, gt, spacing)
    assert value == pytest.approx(_hd95(a, b), rel=1e-12)


@pytest.mark.parametrize("case", CASES)
def test_hd95_crop_scipy(benchmark, case, request):
    pred, gt, spacing = request.getfixturevalue(case)
    benchmark.group = f"hd95-{case}"
    a, b = benchmark.pedantic(crop_scipy_distances, (pred, gt, spacing), **SLOW)
    assert _hd95(a, b) == pytest.approx(segmetrics.hd95(pred, gt, spacing=spacing), rel=1e-12)


@pytest.mark.parametrize("case", CASES)
def test_hd95_crop_edt(benchmark, case, request):
    edt = _peer("edt")
    pred, gt, spacing = request.getfixturevalue(case)
    benchmark.group = f"hd95-{case}"

    def run():
        return crop_scipy_distances(
            pred, gt, spacing,
            lambda mask: edt.edt(np.ascontiguousarray(mask), anisotropy=spacing, parallel=1))

    a, b = benchmark.pedantic(run, **SLOW)
    assert _hd95(a, b) == pytest.approx(segmetrics.hd95(pred, gt, spacing=spacing), rel=1e-5)


@pytest.mark.parametrize("case", CASES)
def test_hd95_monai(benchmark, case, request):
    torch = _peer("torch")
    metrics = _peer("monai.metrics")
    pred, gt, spacing = request.getfixturevalue(case)
    benchmark.group = f"hd95-{case}"

    def run():
        def one_hot(mask):
            return torch.from_numpy(np.stack([~mask, mask])[None])
        return float(metrics.compute_hausdorff_distance(one_hot(pred), one_hot(gt), percentile=95,
                                                        spacing=spacing))

    value = benchmark.pedantic(run, **SLOW)
    assert value == pytest.approx(segmetrics.hd95(pred, gt, spacing=spacing), rel=1e-6)


@pytest.mark.parametrize("case", CASES)
def test_hd95_deepmind(benchmark, case, request):
    surface_distance = _peer("surface_distance")
    pred, gt, spacing = request.getfixturevalue(case)
    benchmark.group = f"hd95-{case}"

    def run():
        d = surface_distance.compute_surface_distances(gt, pred, spacing_mm=spacing)
        return surface_distance.compute_robust_hausdorff(d, 95)

    value = benchmark.pedantic(run, **SLOW)
    # surface elements vs voxel centres: within one voxel diagonal
    ours = segmetrics.hd95(pred, gt, spacing=spacing)
    assert abs(value - ours) <= math.sqrt(sum(s * s for s in spacing))


@pytest.mark.parametrize("case", CASES)
def test_hd95_segmetrics_surfel(benchmark, case, request):
    """DeepMind's definition (surface="surfel") in the group of DeepMind's own package."""
    surface_distance = _peer("surface_distance")
    pred, gt, spacing = request.getfixturevalue(case)
    benchmark.group = f"hd95-{case}"
    value = benchmark(segmetrics.hd95, pred, gt, spacing=spacing, surface="surfel")
    d = surface_distance.compute_surface_distances(gt, pred, spacing_mm=spacing)
    assert value == pytest.approx(surface_distance.compute_robust_hausdorff(d, 95), rel=1e-12)


@pytest.mark.parametrize("case", CASES)
def test_hd95_medpy(benchmark, case, request):
    binary = _peer("medpy.metric.binary")
    pred, gt, spacing = request.getfixturevalue(case)
    benchmark.group = f"hd95-{case}"
    value = benchmark.pedantic(binary.hd95, (pred, gt), {"voxelspacing": spacing}, **SLOW)
    assert value == pytest.approx(
        segmetrics.hd95(pred, gt, spacing=spacing, hd_mode="pooled"), rel=1e-12)


@pytest.mark.parametrize("case", CASES)
def test_hd_simpleitk(benchmark, case, request):
    sitk = _peer("SimpleITK")
    pred, gt, spacing = request.getfixturevalue(case)
    benchmark.group = f"hd95-{case}"

    def image(mask):
        img = sitk.GetImageFromArray(mask.astype(np.uint8))
        img.SetSpacing(spacing[::-1])
        return img

    def run():
        hd_filter = sitk.HausdorffDistanceImageFilter()
        hd_filter.Execute(image(pred), image(gt))
        return hd_filter.GetHausdorffDistance()

    value = benchmark.pedantic(run, **SLOW)
    # the Hausdorff distance between whole masks (not HD95, not boundaries): the
    # points farthest from the other mask lie outside it, so it cannot exceed ours
    assert 0 < value <= segmetrics.hausdorff(pred, gt, spacing=spacing) * (1 + 1e-12)


# ---------------------------------------------------------------- all metrics at once

def _all_metrics(pred, gt, spacing):
    d = segmetrics.surface_distances(pred, gt, spacing=spacing)
    return d.hausdorff(), d.hd95(), d.assd(), d.surface_dice(2.0)


def test_ct_all_metrics(benchmark, ct):
    pred, gt, spacing = ct
    benchmark.group = "ct-all-vs-hd95"
    hd, hd95, assd, nsd = benchmark(_all_metrics, pred, gt, spacing)
    a, b = crop_scipy_distances(pred, gt, spacing)
    both = np.concatenate((a, b))
    assert hd == pytest.approx(both.max(), rel=1e-12)
    assert hd95 == pytest.approx(_hd95(a, b), rel=1e-12)
    assert assd == pytest.approx(both.mean(), rel=1e-12)
    assert nsd == np.count_nonzero(both <= 2.0) / both.size


def test_ct_hd95_alone(benchmark, ct):
    pred, gt, spacing = ct
    benchmark.group = "ct-all-vs-hd95"
    value = benchmark(segmetrics.hd95, pred, gt, spacing=spacing)
    assert value == pytest.approx(_all_metrics(pred, gt, spacing)[1], rel=0)


# ---------------------------------------------------------------- label maps

N_LABELS = 14


@pytest.mark.parametrize("backend", BACKENDS)
def test_labels_segmetrics(benchmark, labels256, backend):
    pred, gt, spacing = labels256
    labels = list(range(1, N_LABELS + 1))
    benchmark.group = "hd95-labels256"
    segmetrics.hd95(pred, gt, labels=labels, backend=backend)
    values = benchmark(segmetrics.hd95, pred, gt, labels=labels, spacing=spacing, backend=backend)
    for label in (1, N_LABELS):
        a, b = crop_scipy_distances(pred == label, gt == label, spacing)
        assert values[label - 1] == pytest.approx(_hd95(a, b), rel=1e-12)


def test_labels_crop_scipy(benchmark, labels256):
    pred, gt, spacing = labels256
    benchmark.group = "hd95-labels256"

    def run():
        return [_hd95(*crop_scipy_distances(pred == label, gt == label, spacing))
                for label in range(1, N_LABELS + 1)]

    values = benchmark.pedantic(run, **SLOW)
    np.testing.assert_allclose(
        values, segmetrics.hd95(pred, gt, labels=list(range(1, N_LABELS + 1))), rtol=1e-12)


def test_labels_monai(benchmark, labels256):
    torch = _peer("torch")
    metrics = _peer("monai.metrics")
    pred, gt, spacing = labels256
    benchmark.group = "hd95-labels256"

    def run():
        def one_hot(labels):
            return torch.nn.functional.one_hot(torch.from_numpy(labels.astype(np.int64)),
                                               N_LABELS + 1).permute(3, 0, 1, 2)[None]
        return metrics.compute_hausdorff_distance(one_hot(pred), one_hot(gt), percentile=95,
                                                  spacing=spacing)[0].numpy()

    values = benchmark.pedantic(run, **SLOW)
    np.testing.assert_allclose(
        values, segmetrics.hd95(pred, gt, labels=list(range(1, N_LABELS + 1))), rtol=1e-6)


# ---------------------------------------------------------------- memory

@pytest.mark.parametrize("case", CASES + ("labels256",))
def test_peak_memory(case, request, record_property):
    """Peak extra memory of hd95 (traced NumPy and Python allocations) vs the input size."""
    pred, gt, spacing = request.getfixturevalue(case)
    labels = list(range(1, N_LABELS + 1)) if case == "labels256" else None
    segmetrics.hd95(pred, gt, spacing=spacing, labels=labels)
    tracemalloc.start()
    try:
        segmetrics.hd95(pred, gt, spacing=spacing, labels=labels)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    ratio = peak / pred.nbytes
    record_property("peak_extra_bytes", peak)
    print(f"\n{case}: peak extra {peak / 2**20:.2f} MiB = {100 * ratio:.2f}% of one input "
          f"({pred.nbytes / 2**20:.1f} MiB)")
    assert ratio < 1.0
