"""The overlap metrics on device tensors: Triton and PyTorch backends against the NumPy host path.

Runs on CUDA under ``SEGMETRICS_TEST_DEVICE=cuda`` (bench/gpu_check.sh); elsewhere the
``device`` fixture simulates a GPU with CPU tensors and the Triton interpreter. Counts
must be bit-identical to the host's; every refusal must carry the host's message.
"""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")
pytest.importorskip("triton")

import segmetrics  # noqa: E402
from segmetrics import _arrays, _backends  # noqa: E402

DEVICE_BACKENDS = ("triton", "torch")
LABEL_DTYPES = ("bool", "uint8", "int16", "int32", "int64")
LAYOUTS = ("C", "F", "strided")
# On CUDA every new dtype pair compiles a kernel variant: fewer examples keep the check short.
device_settings = settings(max_examples=20 if os.environ.get("SEGMETRICS_TEST_DEVICE") == "cuda"
                           else 25, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])


def on_device(array, device, layout="C"):
    """``array`` as a tensor on ``device`` with the given memory layout and the same values."""
    array = np.asarray(array)
    reverse = tuple(reversed(range(array.ndim)))
    if layout == "F":  # a transposed view of a C-ordered tensor of the transposed values
        return torch.as_tensor(np.ascontiguousarray(array.transpose(reverse)),
                               device=device).permute(reverse)
    tensor = torch.as_tensor(np.ascontiguousarray(array), device=device)
    if layout == "strided" and array.ndim:
        big = torch.zeros((2 * array.shape[0],) + array.shape[1:], dtype=tensor.dtype,
                          device=device)
        big[1::2] = tensor
        return big[1::2]
    return tensor


@st.composite
def pairs(draw, kind="binary"):
    """``(pred, gt, pred_layout, gt_layout)`` NumPy arrays of a drawn shape and dtypes."""
    shape = tuple(draw(st.lists(st.integers(1, 7), min_size=1, max_size=3)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    gt_dtype = draw(st.sampled_from(LABEL_DTYPES))
    top = {"binary": 2, "probability": 2, "labels": 6}[kind]
    gt = rng.integers(0, top, shape).astype(gt_dtype if top == 2 else "int64")
    if kind == "labels":
        gt = gt.astype(draw(st.sampled_from(LABEL_DTYPES[1:])))
    if kind == "probability":
        # The grid holds float32(0.1) and 0.5, the thresholds drawn below, exactly.
        grid = np.array([0.0, np.float32(0.1), 0.25, 0.5, 0.75, 1.0])
        pred = rng.choice(grid, shape).astype(draw(st.sampled_from(("float32", "float64"))))
    else:
        pred_dtype = draw(st.sampled_from(LABEL_DTYPES if top == 2 else LABEL_DTYPES[1:]))
        pred = rng.integers(0, top, shape).astype(pred_dtype)
    layouts = draw(st.tuples(st.sampled_from(LAYOUTS), st.sampled_from(LAYOUTS)))
    return pred, gt, layouts


def tensors(device, pred, gt, layouts):
    return on_device(pred, device, layouts[0]), on_device(gt, device, layouts[1])


def with_ignored_voxels(pred, gt, ignore, rng):
    """Put ``ignore`` into some ``gt`` voxels and a non-binary value into ``pred`` there.

    Ignored voxels are not counted, so their values must not be refused either.
    """
    if ignore is None or gt.dtype == bool:
        return pred, gt
    where = rng.random(gt.shape) < 0.3
    pred, gt = pred.copy(), gt.copy()
    gt[where] = ignore
    if pred.dtype.kind in "iu":
        pred[where] = 3
    elif pred.dtype.kind == "f":
        pred[where] = np.nan if ignore == 7 else 0.5
    return pred, gt


@device_settings
@given(case=pairs(), ignore=st.sampled_from((None, 0, 1, 7)), seed=st.integers(0, 99))
def test_binary_counts_equal_the_host(device, case, ignore, seed):
    pred, gt, layouts = case
    pred, gt = with_ignored_voxels(pred, gt, ignore, np.random.default_rng(seed))
    expected = segmetrics.binary_counts(pred, gt, ignore_index=ignore, backend="numpy")
    p, g = tensors(device, pred, gt, layouts)
    for backend in DEVICE_BACKENDS:
        got = segmetrics.binary_counts(p, g, ignore_index=ignore, backend=backend)
        assert got == expected, backend
        assert all(type(count) is int for count in got)
        dice = segmetrics.dice(p, g, ignore_index=ignore, zero_division=-1.0, backend=backend)
        assert type(dice) is float
        assert dice == segmetrics.dice(pred, gt, ignore_index=ignore, zero_division=-1.0)


@device_settings
@given(case=pairs("probability"), threshold=st.sampled_from((0.1, 0.5, 0.3, 1.0)),
       ignore=st.sampled_from((None, 1, 7)), seed=st.integers(0, 99))
def test_thresholded_counts_equal_the_host(device, case, threshold, ignore, seed):
    pred, gt, layouts = case
    if ignore == 7:  # non-binary ground truth where ignored; pred stays free of NaN
        gt = gt.astype(np.int16)
        pred, gt = with_ignored_voxels(pred, gt, 3, np.random.default_rng(seed))
        gt[gt == 3] = 7
    expected = segmetrics.binary_counts(pred, gt, threshold=threshold, ignore_index=ignore,
                                        backend="numpy")
    p, g = tensors(device, pred, gt, layouts)
    for backend in DEVICE_BACKENDS:
        assert segmetrics.binary_counts(p, g, threshold=threshold, ignore_index=ignore,
                                        backend=backend) == expected, backend


def test_threshold_is_rounded_to_the_precision_of_pred(device):
    # float32(0.1) > 0.1: a threshold compared in float64 would drop these voxels.
    pred = np.full(5, 0.1, dtype=np.float32)
    gt = np.ones(5, dtype=np.uint8)
    for backend in DEVICE_BACKENDS:
        counts = segmetrics.binary_counts(on_device(pred, device), on_device(gt, device),
                                          threshold=0.1, backend=backend)
        assert counts == segmetrics.binary_counts(pred, gt, threshold=0.1) == (5, 0, 0, 0)


def _outcome(call):
    """The result of ``call``, or the type and message of the error it raised."""
    try:
        return call()
    except ValueError as error:
        return type(error), str(error)


@device_settings
@given(case=pairs("labels"), ignore=st.sampled_from((None, 0, 3, 300)),
       num_classes=st.sampled_from((None, 4, 5, 6, 9)))
def test_confusion_matrix_equals_the_host(device, case, ignore, num_classes):
    # num_classes 4 and 5 refuse labels 4 and 5 of the drawn maps: same message expected.
    pred, gt, layouts = case
    expected = _outcome(lambda: segmetrics.confusion_matrix(
        pred, gt, num_classes=num_classes, ignore_index=ignore, backend="numpy"))
    p, g = tensors(device, pred, gt, layouts)
    for backend in DEVICE_BACKENDS:
        got = _outcome(lambda: segmetrics.confusion_matrix(
            p, g, num_classes=num_classes, ignore_index=ignore, backend=backend))
        if isinstance(expected, tuple):
            assert got == expected, backend
            continue
        assert isinstance(got, np.ndarray) and got.dtype == np.int64, backend
        np.testing.assert_array_equal(got, expected, err_msg=backend)


@device_settings
@given(case=pairs("labels"), ignore=st.sampled_from((None, 2)),
       labels=st.lists(st.integers(0, 8), min_size=1, max_size=4))
def test_per_label_metrics_and_multiclass_kappa_equal_the_host(device, case, ignore, labels):
    pred, gt, layouts = case
    p, g = tensors(device, pred, gt, layouts)
    for backend in DEVICE_BACKENDS:
        for metric in (segmetrics.dice, segmetrics.jaccard, segmetrics.accuracy):
            got = metric(p, g, labels=labels, ignore_index=ignore, backend=backend)
            assert isinstance(got, np.ndarray) and got.dtype == np.float64
            np.testing.assert_array_equal(got, metric(pred, gt, labels=labels, ignore_index=ignore),
                                          err_msg=backend)
        np.testing.assert_array_equal(
            segmetrics.kappa(p, g, multiclass=True, labels=labels, ignore_index=ignore,
                             backend=backend),
            segmetrics.kappa(pred, gt, multiclass=True, labels=labels, ignore_index=ignore))


@pytest.mark.parametrize("top", [31, 32, 200, 9000, 2**31 - 1])
def test_labels_beyond_the_first_pass_equal_the_host(device, top):
    # 32 labels fit the Triton table; more take a second pass; beyond 8192 the relabelling.
    pred = np.array([top, 0, top, 1, 5, top, 3], dtype=np.int32)
    gt = np.array([top, top, 0, 1, 5, 3, 3], dtype=np.int64)
    labels = [top, 1, 3, 9]
    p, g = on_device(pred, device), on_device(gt, device, "strided")
    for backend in DEVICE_BACKENDS:
        for ignore in (None, 5):
            np.testing.assert_array_equal(
                segmetrics.dice(p, g, labels=labels, ignore_index=ignore, backend=backend),
                segmetrics.dice(pred, gt, labels=labels, ignore_index=ignore), err_msg=backend)
        if top < 9000:
            np.testing.assert_array_equal(segmetrics.confusion_matrix(p, g, backend=backend),
                                          segmetrics.confusion_matrix(pred, gt))


def test_more_than_four_unmergeable_axes_are_counted_in_pieces(device):
    rng = np.random.default_rng(7)
    pred = rng.integers(0, 2, (3, 2, 3, 2, 3)).astype(np.uint8)
    gt = rng.integers(0, 2, (3, 2, 3, 2, 3)).astype(bool)
    big = torch.zeros((6, 2, 6, 2, 6), dtype=torch.uint8, device=device)
    big[::2, :, ::2, :, ::2] = on_device(pred, device)
    p = big[::2, :, ::2, :, ::2]
    g = on_device(gt, device, "F")
    expected = segmetrics.binary_counts(pred, gt)
    for backend in DEVICE_BACKENDS:
        assert segmetrics.binary_counts(p, g, backend=backend) == expected
        np.testing.assert_array_equal(segmetrics.confusion_matrix(p, g, backend=backend),
                                      segmetrics.confusion_matrix(pred, gt))


def test_a_longer_run_than_one_block_and_a_zero_dimensional_pair(device):
    rng = np.random.default_rng(3)
    pred, gt = rng.integers(0, 2, 2500).astype(bool), rng.integers(0, 2, 2500).astype(np.int16)
    for backend in DEVICE_BACKENDS:
        assert segmetrics.binary_counts(on_device(pred, device), on_device(gt, device, "strided"),
                                        backend=backend) == segmetrics.binary_counts(pred, gt)
        assert segmetrics.binary_counts(torch.tensor(1, device=device),
                                        torch.tensor(True, device=device),
                                        backend=backend) == (1, 0, 0, 0)


def _message(call):
    with pytest.raises((ValueError, TypeError)) as error:
        call()
    return error.type, str(error.value)


REFUSALS = {
    "shape": lambda f, c: f(c([1, 0]), c([[1, 0]])),
    "empty": lambda f, c: f(c(np.zeros((0, 3), np.uint8)), c(np.zeros((0, 3), np.uint8))),
    "float pred": lambda f, c: f(c([0.5, 1.0]), c([1, 0])),
    "float gt": lambda f, c: f(c([1, 0]), c([0.5, 1.0])),
    "integer probability map": lambda f, c: f(c([1, 0]), c([1, 0]), threshold=0.5),
    "NaN": lambda f, c: f(c([np.nan, 0.2]), c([1, 0]), threshold=0.5),
    "NaN where ignored": lambda f, c: f(c([np.nan, 0.2]), c([1, 0]), threshold=0.5,
                                        ignore_index=1),
    "non-binary pred": lambda f, c: f(c(np.arange(12) % 11), c(np.ones(12, np.uint8))),
    "non-binary gt": lambda f, c: f(c([0.2, 0.9, 0.4]), c([0, 255, 3]), threshold=0.5),
    "non-binary bool and int8": lambda f, c: f(c(np.array([True, False])),
                                               c(np.array([-1, 1], np.int8))),
    "threshold with labels": lambda f, c: f(c([0.2, 0.9]), c([1, 0]), threshold=0.5, labels=[1]),
    "labels empty": lambda f, c: f(c([1, 0]), c([1, 0]), labels=[]),
    "negative label": lambda f, c: f(c([-1, 0, 2]), c([1, 0, 2]), labels=[1]),
    "negative int8 label": lambda f, c: f(c(np.array([-1, 0], np.int8)),
                                          c(np.array([1, 0], np.int8)), labels=[1]),
    "sparse negative": lambda f, c: f(c([-1, 0, 20000]), c([1, 0, 2]), labels=[1]),
    "zero_division": lambda f, c: f(c([1, 0]), c([1, 0]), zero_division="x"),
    "ignore_index": lambda f, c: f(c([1, 0]), c([1, 0]), ignore_index=1.5),
    "threshold": lambda f, c: f(c([0.2, 0.9]), c([1, 0]), threshold=float("nan")),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_refusals_carry_the_host_message(device, case):
    call = REFUSALS[case]
    host = _message(lambda: call(segmetrics.dice, np.asarray))
    for backend in DEVICE_BACKENDS:
        def dice(*args, **kwargs):
            return segmetrics.dice(*args, backend=backend, **kwargs)

        assert _message(lambda: call(dice, lambda values: on_device(values, device))) == host, \
            backend


def test_values_where_gt_is_ignored_are_not_refused(device):
    pred, gt = np.array([1, 0, 3]), np.array([1, 0, 9])
    for backend in DEVICE_BACKENDS:
        got = segmetrics.dice(on_device(pred, device), on_device(gt, device), ignore_index=9,
                              backend=backend)
        assert got == segmetrics.dice(pred, gt, ignore_index=9) == 1.0
        prob = np.array([0.7, 0.2, np.float32(0.4)], dtype=np.float32)
        got = segmetrics.binary_counts(on_device(prob, device), on_device(gt, device),
                                       threshold=0.5, ignore_index=9, backend=backend)
        assert got == segmetrics.binary_counts(prob, gt, threshold=0.5, ignore_index=9)


@pytest.mark.parametrize("case", [
    dict(pred=[0, 1, 9], gt=[0, 1, 2], num_classes=4),
    dict(pred=[0, 1, 2], gt=[-1, 1, 2]),
    dict(pred=[0, 1, 9000], gt=[0, 1, 2]),
    dict(pred=[0, 1, 2], gt=[0, 1, 2], num_classes=0),
    dict(pred=[0, 1, 2], gt=[0, 1, 2], num_classes=9000),
])
def test_confusion_matrix_refusals_carry_the_host_message(device, case):
    pred, gt = np.asarray(case.pop("pred")), np.asarray(case.pop("gt"))
    host = _message(lambda: segmetrics.confusion_matrix(pred, gt, **case))
    for backend in DEVICE_BACKENDS:
        assert _message(lambda: segmetrics.confusion_matrix(
            on_device(pred, device), on_device(gt, device), backend=backend, **case)) == host


def test_multiclass_kappa_refuses_a_threshold_as_on_the_host(device):
    pred, gt = np.array([0.2, 0.7]), np.array([1, 0])
    host = _message(lambda: segmetrics.kappa(pred, gt, multiclass=True, threshold=0.5))
    assert _message(lambda: segmetrics.kappa(on_device(pred, device), on_device(gt, device),
                                             multiclass=True, threshold=0.5)) == host


def test_non_binary_message_lists_the_values_found_on_the_device(device):
    pred = on_device(np.array([0, 255, 3, 7]), device)
    gt = on_device(np.array([0, 1, 1, 0], dtype=np.uint8), device)
    with pytest.raises(ValueError, match=r"pred holds the values \{0, 3, 7, 255\}; "
                                         r"gt holds the values \{0, 1\}"):
        segmetrics.dice(pred, gt)


def test_zero_division_on_the_device(device):
    empty = on_device(np.zeros((3, 3), dtype=bool), device)
    for backend in DEVICE_BACKENDS:
        assert np.isnan(segmetrics.dice(empty, empty, backend=backend))
        assert segmetrics.dice(empty, empty, zero_division=1.0, backend=backend) == 1.0


def test_backends_must_match_where_the_arrays_are(device):
    host = np.array([1, 0])
    tensor = on_device(host, device)
    with pytest.raises(ValueError, match="backend 'cython' runs on the host but the arrays are "
                                         "on a GPU device"):
        segmetrics.dice(tensor, tensor, backend="cython")
    with pytest.raises(ValueError, match="backend 'triton' runs on a GPU device but the arrays "
                                         "are host arrays"):
        segmetrics.confusion_matrix(host, host, backend="triton")
    with pytest.raises(ValueError, match="pred is on a GPU device but gt is a host array"):
        segmetrics.binary_counts(tensor, host)
    with pytest.raises(ValueError, match="backend must be 'auto' or one of"):
        segmetrics.kappa(tensor, tensor, backend="cuda")


def test_device_backends_are_listed_when_they_can_run(device):
    assert segmetrics.available_backends()[-2:] == ["triton", "torch"]
    assert tuple(segmetrics.BACKENDS) == ("cython", "numba", "numpy")
    assert _backends.device_kernels("auto", "counting").__name__.endswith("_triton_counting")


def test_simulated_gpu_scores_cpu_tensors_with_triton():
    code = (
        "import sys, numpy as np, torch, segmetrics\n"
        "rng = np.random.default_rng(5)\n"
        "p, g = rng.integers(0, 2, (9, 11)).astype(bool), rng.integers(0, 2, (9, 11)).astype(bool)\n"
        "got = segmetrics.dice(torch.from_numpy(p), torch.from_numpy(g), backend='auto')\n"
        "assert 'segmetrics._gpu._triton_counting' in sys.modules\n"
        "assert got == segmetrics.dice(p, g), (got, segmetrics.dice(p, g))\n"
        "print(got)\n"
    )
    env = dict(os.environ, SEGMETRICS_GPU_SIMULATE="1")
    env.pop("TRITON_INTERPRET", None)
    root = str(Path(segmetrics.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert 0.0 <= float(result.stdout) <= 1.0


COMPILE_CHECK = """
import triton
from triton.backends.compiler import GPUTarget
from triton.compiler import ASTSource
from segmetrics._gpu import _triton_counting as T

def compile(kernel, pointers, **constexprs):
    signature = {name: "constexpr" if name in constexprs else pointers.get(name, "i64")
                 for name in kernel.arg_names}
    source = ASTSource(fn=kernel, signature=signature, constexprs=constexprs)
    triton.compile(source, target=GPUTarget("cuda", 90, 32))

# Every constexpr branch once: flat with ignore_index, strided without.
for flat, ignore, (p, g) in ((True, True, ("u8", "i16")), (False, False, ("i64", "u8"))):
    compile(T._binary_counts_kernel, dict(p_ptr="*" + p, g_ptr="*" + g, out_ptr="*i64",
            threshold_ptr="*i64", ignore_ptr="*" + g), THRESHOLD=False, HAS_IGNORE=ignore,
            FLAT=flat, BLOCK=T.BLOCK)
    compile(T._confusion_kernel, dict(p_ptr="*" + p, g_ptr="*" + g, table_ptr="*i64",
            bad_ptr="*i64", ignore_ptr="*" + g), HAS_IGNORE=ignore, FLAT=flat,
            BINS=2048 if flat else 256, BLOCK=T.BLOCK)
    compile(T._binary_counts_kernel, dict(p_ptr="*fp16", g_ptr="*u8", out_ptr="*i64",
            threshold_ptr="*fp16", ignore_ptr="*u8"), THRESHOLD=True, HAS_IGNORE=ignore,
            FLAT=flat, BLOCK=T.BLOCK)
print("compiled")
"""


def test_triton_kernels_compile_for_a_gpu_target():
    # The interpreter accepts code that compilation rejects; compile for sm_90 without a GPU.
    env = {key: value for key, value in os.environ.items()
           if key not in ("TRITON_INTERPRET", "SEGMETRICS_GPU_SIMULATE")}
    env["TRITON_DEFAULT_FP_FUSION"] = "0"
    root = str(Path(segmetrics.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    result = subprocess.run([sys.executable, "-c", COMPILE_CHECK], env=env, capture_output=True,
                            text=True, timeout=600)
    if "ptxas" in result.stderr and result.returncode:
        pytest.skip(f"Triton's CUDA toolchain is unusable here: {result.stderr[-300:]}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "compiled"


def test_broadcast_views_are_counted_in_place(device):
    row = on_device(np.array([1, 0, 1], dtype=np.uint8), device)
    column = on_device(np.array([[True], [False], [True], [True]]), device)
    p, g = row.expand(4, 3), column.expand(4, 3)
    expected = segmetrics.binary_counts(np.broadcast_to([1, 0, 1], (4, 3)),
                                        np.broadcast_to([[1], [0], [1], [1]], (4, 3)))
    for backend in DEVICE_BACKENDS:
        assert segmetrics.binary_counts(p, g, backend=backend) == expected


def test_cpu_tensors_take_the_host_path_unless_simulating(monkeypatch):
    monkeypatch.setattr(_arrays, "GPU_SIMULATE", False)
    pred, gt = np.array([1, 1, 0, 0], dtype=np.uint8), np.array([1, 0, 1, 0], dtype=np.uint8)
    assert segmetrics.dice(torch.from_numpy(pred), torch.from_numpy(gt), backend="cython") == 0.5
    with pytest.raises(ValueError, match="backend 'torch' runs on a GPU device"):
        segmetrics.dice(torch.from_numpy(pred), torch.from_numpy(gt), backend="torch")


def test_one_byte_label_maps_beyond_the_first_pass_equal_the_host(device):
    pred = np.array([200, 0, 200, 1, 40, 3], dtype=np.uint8)
    gt = np.array([200, 200, 0, 1, 40, 3], dtype=np.uint8)
    for backend in DEVICE_BACKENDS:
        for ignore in (None, 40):
            np.testing.assert_array_equal(
                segmetrics.dice(on_device(pred, device, "strided"), on_device(gt, device),
                                labels=[200, 1, 3, 7], ignore_index=ignore, backend=backend),
                segmetrics.dice(pred, gt, labels=[200, 1, 3, 7], ignore_index=ignore))


class _TaggedTensor(torch.Tensor):
    """A tensor subclass from outside PyTorch, as MONAI's MetaTensor is."""


def test_tensor_subclasses_take_the_device_path(device):
    pred = torch.tensor([[1, 1, 0], [0, 1, 0]], dtype=torch.uint8, device=device)
    gt = torch.tensor([[1, 0, 0], [1, 1, 0]], dtype=torch.uint8, device=device)
    tagged_pred, tagged_gt = pred.as_subclass(_TaggedTensor), gt.as_subclass(_TaggedTensor)
    assert _arrays.array_kind(tagged_pred, tagged_gt) == _arrays.DEVICE
    host_pred, host_gt = pred.cpu().numpy(), gt.cpu().numpy()
    assert segmetrics.dice(tagged_pred, tagged_gt) == segmetrics.dice(host_pred, host_gt)
    assert segmetrics.hd95(tagged_pred, tagged_gt) == segmetrics.hd95(host_pred, host_gt)
