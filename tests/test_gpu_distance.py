"""Distance metrics on device arrays: differential tests against the host NumPy backend.

Without a GPU the tensors are CPU tensors treated as device arrays and the Triton
kernels run in Triton's interpreter (the ``device`` fixture); under
``SEGMETRICS_TEST_DEVICE=cuda`` the same tests run compiled on the GPU.
"""
import math
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import segmetrics
from segmetrics import distance

torch = pytest.importorskip("torch")
pytest.importorskip("triton")

from segmetrics._gpu import _torch_distance, _triton_distance  # noqa: E402
from segmetrics._gpu import distance as device_distance  # noqa: E402

EPS = np.finfo(np.float64).eps
RTOL = 4 * EPS
DEVICE_BACKENDS = ("triton", "torch")
KINDS = ("sparse", "half", "dense", "empty", "voxel", "full", "corner")
LAYOUTS = ("C", "F", "strided")
# The interpreter runs Triton programs one op at a time: keep its examples few and small.
FIXTURES = [HealthCheck.function_scoped_fixture]  # the device fixture holds for every example
TRITON_EXAMPLES = settings(max_examples=12, suppress_health_check=FIXTURES)
TORCH_EXAMPLES = settings(max_examples=40, suppress_health_check=FIXTURES)


def random_mask(rng, shape, kind):
    mask = np.zeros(shape, dtype=bool)
    if kind == "full":
        mask[...] = True
    elif kind == "voxel":
        mask[tuple(rng.integers(0, n) for n in shape)] = True
    elif kind == "corner":  # touches the image border
        mask[tuple(slice(0, max(1, n // 2)) for n in shape)] = True
    elif kind != "empty":
        mask = rng.random(shape) < {"sparse": 0.08, "half": 0.5, "dense": 0.9}[kind]
    return mask


def on_device(array, device, layout="C"):
    """``array`` as a tensor on ``device``, C-ordered, F-ordered or a strided view."""
    tensor = torch.from_numpy(np.ascontiguousarray(array)).to(device)
    axes = tuple(reversed(range(tensor.dim())))
    if layout == "F":
        return tensor.permute(axes).contiguous().permute(axes)
    if layout == "strided":
        wide = torch.zeros(tuple(2 * n for n in tensor.shape), dtype=tensor.dtype, device=device)
        view = wide[tuple(slice(None, None, 2) for _ in tensor.shape)]
        view.copy_(tensor)
        return view
    return tensor


def host_array(tensor):
    return tensor.detach().cpu().numpy()


def assert_distances(got, expected):
    assert isinstance(got, torch.Tensor) and got.dtype == torch.float64
    np.testing.assert_allclose(host_array(got), expected, rtol=RTOL, atol=0)
    assert got.shape == expected.shape


def assert_value(got, expected):
    assert type(got) is float
    if math.isnan(expected):
        assert math.isnan(got)
    else:
        assert got == pytest.approx(expected, rel=RTOL, abs=0)


def assert_same_metrics(got, expected, percentile, tolerance):
    for mode in ("max", "pooled"):
        assert_value(got.hausdorff(None, mode), expected.hausdorff(None, mode))
        assert_value(got.hausdorff(percentile, mode), expected.hausdorff(percentile, mode))
        assert_value(got.hd95(mode), expected.hd95(mode))
    assert_value(got.assd(), expected.assd())
    assert_value(got.surface_dice(tolerance), expected.surface_dice(tolerance))


@st.composite
def cases(draw, max_side):
    ndim = draw(st.integers(1, 3))
    limit = {1: 4 * max_side, 2: 2 * max_side, 3: max_side}[ndim]
    shape = tuple(draw(st.lists(st.integers(1, limit), min_size=ndim, max_size=ndim)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    pred = random_mask(rng, shape, draw(st.sampled_from(KINDS)))
    gt = random_mask(rng, shape, draw(st.sampled_from(KINDS)))
    if draw(st.booleans()):
        spacing = tuple(float(s) for s in rng.uniform(0.2, 3.0, ndim))
    else:
        spacing = draw(st.sampled_from((None, 0.5, 2.0)))
    return dict(
        pred=pred, gt=gt, spacing=spacing,
        dtype=draw(st.sampled_from((bool, np.uint8, np.int32))),
        connectivity=draw(st.sampled_from(("face", "full"))),
        image_border=draw(st.sampled_from(("boundary", "ignored"))),
        layout=draw(st.sampled_from(LAYOUTS)),
        percentile=draw(st.floats(0, 100)),
        tolerance=draw(st.floats(0, 4)),
    )


def check_against_host(case, device, backend):
    pred, gt = case["pred"].astype(case["dtype"]), case["gt"].astype(case["dtype"])
    options = dict(spacing=case["spacing"], connectivity=case["connectivity"],
                   image_border=case["image_border"])
    expected = segmetrics.surface_distances(pred, gt, backend="numpy", **options)
    got = segmetrics.surface_distances(on_device(pred, device, case["layout"]),
                                       on_device(gt, device, case["layout"]),
                                       backend=backend, **options)
    assert isinstance(got, device_distance.DeviceSurfaceDistances)
    assert got.pred_to_gt.device.type == device.type
    assert_distances(got.pred_to_gt, expected.pred_to_gt)
    assert_distances(got.gt_to_pred, expected.gt_to_pred)
    assert got.spacing == expected.spacing
    assert_same_metrics(got, expected, case["percentile"], case["tolerance"])


@TRITON_EXAMPLES
@given(case=cases(max_side=7))
def test_triton_equals_host(case, device):
    check_against_host(case, device, "triton")


@TORCH_EXAMPLES
@given(case=cases(max_side=12))
def test_torch_equals_host(case, device):
    check_against_host(case, device, "torch")


@pytest.fixture
def small_tiles(monkeypatch):
    """Tiles of 8 points in groups of 2, so small inputs have many groups to skip or visit."""
    monkeypatch.setattr(_triton_distance, "BLOCK_Q", 8)
    monkeypatch.setattr(_triton_distance, "BLOCK_T", 8)
    monkeypatch.setattr(_triton_distance, "GROUP", 2)


@settings(max_examples=6, suppress_health_check=FIXTURES)
@given(seed=st.integers(0, 2**32 - 1), density=st.sampled_from((0.02, 0.05)),
       shift=st.integers(0, 6))
def test_pruned_search_equals_all_pairs(seed, density, shift, device, small_tiles):
    """With many small tiles and groups, the pruned search gives the all-pairs minima bit
    for bit (both sum the same float64 terms in the same order)."""
    rng = np.random.default_rng(seed)
    shape = (9, 11, 13)
    query = np.argwhere(rng.random(shape) < density)
    target = np.argwhere(np.roll(rng.random(shape) < density, shift, axis=2))
    if len(query) == 0 or len(target) == 0:
        return
    spacing = torch.tensor(rng.uniform(0.2, 3.0, 3), dtype=torch.float64, device=device)

    def points(array):
        return torch.from_numpy(array.T.astype(np.int32)).contiguous().to(device)

    got = _triton_distance.nearest_squared(points(query), points(target), spacing, shape)
    expected = _torch_distance.nearest_squared(points(query), points(target), spacing, shape)
    assert torch.equal(got, expected)
    brute = ((query[:, None, :] - target[None, :, :]) * host_array(spacing)) ** 2
    np.testing.assert_allclose(host_array(got), brute.sum(-1).min(1), rtol=RTOL, atol=0)


def test_pruned_search_through_the_public_path(device, small_tiles):
    rng = np.random.default_rng(7)
    pred = rng.random((10, 12)) < 0.3
    gt = np.roll(rng.random((10, 12)) < 0.2, 3, axis=1)
    spacing = (0.7, 1.9)
    expected = segmetrics.surface_distances(pred, gt, spacing=spacing, backend="numpy")
    got = segmetrics.surface_distances(on_device(pred, device), on_device(gt, device),
                                       spacing=spacing, backend="triton")
    assert_distances(got.pred_to_gt, expected.pred_to_gt)
    assert_distances(got.gt_to_pred, expected.gt_to_pred)


@pytest.mark.parametrize("backend", DEVICE_BACKENDS)
@pytest.mark.parametrize("dtype", (np.uint8, np.int32))
def test_labels(device, backend, dtype):
    rng = np.random.default_rng(3)
    shape = (6, 7, 8)
    gt = rng.integers(0, 3, shape).astype(dtype)
    pred = np.where(rng.random(shape) < 0.8, gt, 2 - gt % 3).astype(dtype)
    labels = [2, 1, 5, 300]  # 5 is absent; 300 does not fit uint8 (absent too)
    spacing = (1.5, 0.5, 1.0)
    expected = segmetrics.surface_distances(pred, gt, labels=labels, spacing=spacing,
                                            backend="numpy")
    p, g = on_device(pred, device, "F"), on_device(gt, device)
    got = segmetrics.surface_distances(p, g, labels=labels, spacing=spacing, backend=backend)
    assert len(got) == len(labels)
    for one, reference in zip(got, expected):
        assert_distances(one.pred_to_gt, reference.pred_to_gt)
        assert_distances(one.gt_to_pred, reference.gt_to_pred)
    functions = ((segmetrics.hd95, {"hd_mode": "pooled"}),)
    if backend == "torch":  # the interpreted kernels have been checked above; save their time
        functions += ((segmetrics.hausdorff, {}), (segmetrics.assd, {}),
                      (segmetrics.surface_dice, {"tolerance": 1.0}))
    for function, kwargs in functions:
        values = function(p, g, labels=labels, spacing=spacing, backend=backend, **kwargs)
        reference = function(pred, gt, labels=labels, spacing=spacing, backend="numpy", **kwargs)
        assert values.dtype == np.float64
        np.testing.assert_allclose(values, reference, rtol=RTOL, atol=0)


@pytest.mark.parametrize("backend", DEVICE_BACKENDS)
def test_empty_masks(device, backend):
    empty = torch.zeros((4, 5), dtype=torch.bool, device=device)
    mask = empty.clone()
    mask[1:3, 2] = True
    both = segmetrics.surface_distances(empty, empty, backend=backend)
    assert both.pred_to_gt.numel() == 0 and both.gt_to_pred.numel() == 0
    assert all(math.isnan(v) for v in (both.hausdorff(), both.hd95(), both.assd(),
                                       both.surface_dice(1.0)))
    one = segmetrics.surface_distances(mask, empty, backend=backend)
    assert one.gt_to_pred.numel() == 0
    assert torch.isinf(one.pred_to_gt).all() and one.pred_to_gt.numel() == 2
    assert (one.hausdorff(), one.hd95(), one.assd(), one.surface_dice(1.0)) == (
        math.inf, math.inf, math.inf, 0.0)
    assert segmetrics.hd95(empty, mask, backend=backend) == math.inf
    assert segmetrics.surface_dice(empty, mask, tolerance=2.0, backend=backend) == 0.0


def test_functions_and_types(device):
    rng = np.random.default_rng(11)
    pred, gt = rng.random((8, 9)) < 0.4, rng.random((8, 9)) < 0.4
    p, g = on_device(pred, device), on_device(gt, device)
    spacing = (0.8, 2.5)
    for function, kwargs in ((segmetrics.hausdorff, {"percentile": 42.0, "hd_mode": "pooled"}),
                             (segmetrics.hd95, {}), (segmetrics.assd, {}),
                             (segmetrics.surface_dice, {"tolerance": 2.0})):
        got = function(p, g, spacing=spacing, **kwargs)
        assert type(got) is float
        assert got == pytest.approx(function(pred, gt, spacing=spacing, **kwargs), rel=RTOL)
    distances = segmetrics.surface_distances(p, g, spacing=spacing)
    assert "DeviceSurfaceDistances(n_pred_boundary=" in repr(distances)
    copy = pickle.loads(pickle.dumps(distances))
    assert type(copy) is device_distance.DeviceSurfaceDistances
    assert torch.equal(copy.pred_to_gt.cpu(), distances.pred_to_gt.cpu())
    assert copy.hd95() == distances.hd95()


@given(values=st.lists(st.floats(0, 1e6), min_size=1, max_size=40),
       percentile=st.floats(0, 100))
def test_percentile_by_selection_equals_numpy(values, percentile):
    """NumPy's linear interpolation repeated on two selected values: the same bits."""
    got = device_distance._percentile(torch.tensor(values, dtype=torch.float64), percentile)
    assert got == float(np.percentile(np.array(values), percentile))


def test_auto_picks_triton_and_torch_runs_the_reference(device, monkeypatch):
    assert device_distance.kernels("auto") is _triton_distance
    assert device_distance.kernels("torch") is _torch_distance
    calls = []
    def nearest_squared(query, *args):
        calls.append(query)
        return torch.zeros(query.shape[1], dtype=torch.float64, device=query.device)

    monkeypatch.setattr(_torch_distance, "nearest_squared", nearest_squared)
    mask = torch.ones((3, 3), dtype=torch.bool, device=device)
    assert segmetrics.hausdorff(mask, mask, backend="torch") == 0.0
    assert len(calls) == 2


def test_cupy_and_jax_arrays(device):
    """CuPy and JAX GPU arrays come in through DLPack (a GPU run only: on the CPU they are
    host arrays)."""
    if device.type != "cuda":
        pytest.skip("CuPy and JAX device arrays need a CUDA device")
    rng = np.random.default_rng(5)
    pred, gt = (rng.random((9, 10, 11)) < 0.3).astype(np.uint8), (
        rng.random((9, 10, 11)) < 0.3).astype(np.uint8)
    spacing = (0.8, 0.8, 2.5)
    expected = segmetrics.hd95(pred, gt, spacing=spacing, backend="numpy")
    ran = 0
    try:
        import cupy
    except ImportError:
        cupy = None
    if cupy is not None:
        got = segmetrics.hd95(cupy.asarray(pred), cupy.asarray(gt), spacing=spacing)
        assert got == pytest.approx(expected, rel=RTOL, abs=0)
        ran += 1
    try:
        import jax
        gpus = jax.devices("gpu")
    except (ImportError, RuntimeError):
        gpus = []
    if gpus:
        got = segmetrics.hd95(jax.device_put(pred, gpus[0]), jax.device_put(gt, gpus[0]),
                              spacing=spacing)
        assert got == pytest.approx(expected, rel=RTOL, abs=0)
        ran += 1
    if not ran:
        pytest.skip("neither CuPy nor JAX with a GPU is installed")


# ---------------------------------------------------------------- bad input


def host_and_device_errors(device, pred, gt, call=segmetrics.hausdorff, **kwargs):
    """The exception type and message from the host and the device path."""
    found = []
    for inputs in ((pred, gt), (on_device(pred, device), on_device(gt, device))):
        with pytest.raises((TypeError, ValueError)) as info:
            call(*inputs, **kwargs)
        found.append((info.type, str(info.value)))
    return found


@pytest.mark.parametrize("pred, gt, kwargs", [
    (np.zeros((3, 4), bool), np.zeros((4, 3), bool), {}),
    (np.zeros((0, 4), bool), np.zeros((0, 4), bool), {}),
    (np.zeros((2, 2, 2, 2), bool), np.zeros((2, 2, 2, 2), bool), {}),
    (np.zeros((3, 4), np.float32), np.zeros((3, 4), bool), {}),
    (np.zeros((3, 4), bool), np.zeros((3, 4), np.float64), {}),
    (np.full((3, 4), 255, np.uint8), np.eye(3, 4, dtype=np.uint8), {}),
    (np.eye(3, 4, dtype=np.int32), np.arange(12, dtype=np.int32).reshape(3, 4), {}),
    (np.zeros((3, 4), bool), np.zeros((3, 4), bool), {"connectivity": "diagonal"}),
    (np.zeros((3, 4), bool), np.zeros((3, 4), bool), {"percentile": 101}),
    (np.zeros((3, 4), bool), np.zeros((3, 4), bool), {"hd_mode": "median"}),
    (np.zeros((3, 4), bool), np.zeros((3, 4), bool), {"spacing": (1.0, -2.0)}),
    (np.zeros((3, 4), bool), np.zeros((3, 4), bool), {"spacing": (1.0, 2.0, 3.0)}),
    (np.zeros((3, 4), bool), np.zeros((3, 4), bool), {"labels": []}),
    (np.zeros((3, 4), np.uint8), np.zeros((3, 4), np.uint8), {"labels": [-1]}),
    (np.zeros((3, 4), bool), np.zeros((3, 4), bool),
     {"surface": "surfel", "connectivity": "full"}),
    (np.zeros((3, 4), bool), np.zeros((3, 4), bool), {"surface": "mesh"}),
])
def test_validation_messages_equal_the_host(device, pred, gt, kwargs):
    (host_type, host_message), (device_type, device_message) = host_and_device_errors(
        device, pred, gt, **kwargs)
    assert device_type is host_type
    assert device_message == host_message


def test_tolerance_is_checked(device):
    mask = np.eye(3, dtype=bool)
    (_, host), (_, dev) = host_and_device_errors(device, mask, mask, segmetrics.surface_dice,
                                                 tolerance=-1.0)
    assert dev == host


def test_surfel_is_refused_on_the_device(device):
    mask = on_device(np.eye(4, dtype=bool), device)
    with pytest.raises(ValueError, match="surface='surfel' is not supported for GPU device"):
        segmetrics.hd95(mask, mask, surface="surfel")


def test_device_and_host_backends_are_kept_apart(device):
    mask = np.eye(4, dtype=bool)
    tensor = on_device(mask, device)
    with pytest.raises(ValueError, match="backend 'cython' runs on the host"):
        segmetrics.hd95(tensor, tensor, backend="cython")
    with pytest.raises(ValueError, match="backend 'triton' runs on a GPU device"):
        segmetrics.assd(mask, mask, backend="triton")
    with pytest.raises(ValueError, match="pred is on a GPU device but gt is a host array"):
        segmetrics.surface_distances(tensor, mask)
    with pytest.raises(ValueError, match="backend must be 'auto' or one of"):
        segmetrics.surface_dice(tensor, tensor, tolerance=1.0, backend="cuda")


def test_distance_transform_refuses_device_arrays(device):
    mask = on_device(np.eye(4, dtype=bool), device)
    with pytest.raises(ValueError, match="euclidean_distance_transform runs on the host only"):
        distance.euclidean_distance_transform(mask)


def test_metric_arguments_are_checked_on_the_device_result(device):
    mask = on_device(np.eye(4, dtype=bool), device)
    distances = segmetrics.surface_distances(mask, mask)
    with pytest.raises(ValueError, match="percentile must lie in"):
        distances.hausdorff(-1)
    with pytest.raises(ValueError, match="hd_mode"):
        distances.hd95("median")
    with pytest.raises(ValueError, match="tolerance"):
        distances.surface_dice(-1)


_COMPILE = """
import triton
from triton.backends.compiler import GPUTarget
from triton.compiler import ASTSource
from segmetrics._gpu import _triton_distance as k

def build(fn, signature, constants):
    source = ASTSource(fn=fn, signature={**signature, **{c: "constexpr" for c in constants}},
                       constexprs=constants)
    triton.compile(source, target=GPUTarget("cuda", 90, 32), options={"enable_fp_fusion": False})

build(k._boundary_kernel, dict(volume="*u8", out="*u8", value="i32", total="i64", n0="i32",
      n1="i32", n2="i32", s0="i32", s1="i32", s2="i32"), dict(NDIM=3, FULL=True, BLOCK=1024))
build(k._nearest_kernel, dict(query="*i32", nq="i32", target="*i32", nt="i32",
      tile_boxes="*i32", group_boxes="*i32", start_groups="*i32", spacing="*fp64",
      out="*fp64", n_tiles="i32", n_groups="i32"), dict(BLOCK_Q=64, BLOCK_T=64, GROUP=16))
"""


def test_kernels_compile_for_a_gpu():
    """The interpreter accepts code that real compilation rejects: compile both kernels to
    a Hopper binary (no GPU is needed for that)."""
    pytest.importorskip("triton.backends.nvidia")
    env = {k: v for k, v in os.environ.items()
           if k not in ("TRITON_INTERPRET", "SEGMETRICS_GPU_SIMULATE")}
    done = subprocess.run([sys.executable, "-W", "error", "-c", _COMPILE], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]


def test_distance_module_keeps_the_host_path(monkeypatch):
    """Host arrays never reach the device module."""
    monkeypatch.setattr(device_distance, "compute", None)
    mask = np.eye(4, dtype=bool)
    assert segmetrics.hausdorff(mask, mask) == 0.0
    assert distance.hd95(mask.tolist(), mask.tolist()) == 0.0
