"""The fused device path of the torch losses (``segmetrics._gpu.losses``): the loss's
forward and backward compiled by ``torch.compile``, against the neutral float64 path.

On CUDA (``SEGMETRICS_TEST_DEVICE=cuda``) everything runs inductor's generated GPU
kernels. On the CPU the ``device`` fixture makes CPU tensors count as device tensors, so
the same dispatch picks the fused path; the matrix of losses and options then compiles
with ``aot_eager`` (the capture, the autograd Function and its recomputing backward,
without code generation, which would take minutes on the CPU), and
:func:`test_inductor_kernels_match_float64` compiles real inductor kernels for two losses.
"""
import os

import numpy as np
import pytest
from loss_cases import ALL, PER_PIXEL, PIXEL, random_mask, targets

torch = pytest.importorskip("torch")
smt = pytest.importorskip("segmetrics.torch")

from segmetrics._gpu import losses as fused  # noqa: E402

CUDA = os.environ.get("SEGMETRICS_TEST_DEVICE") == "cuda"

SHAPE = (2, 3, 6, 5)
# PyTorch's own deprecations, raised inside Dynamo and inductor while they compile
pytestmark = [
    pytest.mark.filterwarnings(
        "ignore:<class 'torch.autograd.function.Function'> should not be instantiated"
        ":DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated:DeprecationWarning"),
]


@pytest.fixture
def compiler(device, monkeypatch):
    """The compiler backend of the matrix tests: inductor on CUDA, aot_eager on the CPU."""
    monkeypatch.setattr(fused, "BACKEND", "inductor" if CUDA else "aot_eager")
    return fused.BACKEND


def _options(name, index):
    """One option set per loss, rotating so that every option is covered by several."""
    params = dict(ALL[name][1])
    if name not in PIXEL and not params.get("activation"):
        params["activation"] = "sigmoid"
    variant = index % 4
    grouped = name.startswith("generalized_dice") or name == "kappa_multiclass"
    if variant == 1:
        params["ignore_index"] = 2
    elif variant == 2:
        params["reduction"] = "none"
        if not grouped and name not in PER_PIXEL:
            params["include_background"] = False
    elif variant == 3:
        if name in PIXEL:
            params["weight"] = [0.5, 1.0, 2.0]
            params["reduction"] = "sum"
        else:
            params["batch"] = True
            if not grouped:
                params["weight"] = [0.5, 1.0, 2.0]
    return params, variant in (0, 3)      # soft targets, or label maps with a mask


def _data(rng, soft, masked=True):
    x = torch.tensor(rng.normal(size=SHAPE) * 2.0)
    target = torch.from_numpy(targets(rng, "soft" if soft else "labels", shape=SHAPE))
    mask = torch.from_numpy(random_mask(rng, SHAPE)) if masked else None
    return x, target, mask


def _reference(function, x, target, mask, params, upstream):
    """Value and gradient of the neutral path in float64 on the CPU."""
    x64 = x.detach().cpu().double().requires_grad_()
    target = target.cpu()
    if target.is_floating_point():
        target = target.double()
    value = smt.apply_loss(function, x64, target, mask=None if mask is None else mask.cpu(),
                           fused=False, **params)
    (grad,) = torch.autograd.grad(value, x64, upstream.cpu().double())
    return value.detach(), grad


def _check(value, grad, expected_value, expected_grad, rtol=1e-5):
    torch.testing.assert_close(value.detach().cpu().double(), expected_value, rtol=rtol,
                               atol=rtol * float(expected_value.abs().max()))
    torch.testing.assert_close(grad.cpu().double(), expected_grad, rtol=rtol * 10,
                               atol=rtol * float(expected_grad.abs().max()))


def _run(function, x, target, mask, params, **options):
    value = smt.apply_loss(function, x, target, mask=mask, **params, **options)
    assert type(value.grad_fn).__name__ == "FusedLossFunctionBackward"
    upstream = torch.linspace(0.5, 1.5, value.numel(), dtype=value.dtype,
                              device=value.device).reshape(value.shape)
    (grad,) = torch.autograd.grad(value, x, upstream)
    return value, grad, upstream


@pytest.mark.parametrize("name", sorted(ALL))
def test_fused_path_matches_float64(device, compiler, name):
    index = sorted(ALL).index(name)
    params, soft = _options(name, index)
    rng = np.random.default_rng(100 + index)
    x, target, mask = _data(rng, soft)
    x = x.float().to(device).requires_grad_()
    target = (target.float() if soft else target).to(device)
    mask = mask.to(device)
    value, grad, upstream = _run(ALL[name][0], x, target, mask, params)
    assert grad.dtype == x.dtype and grad.device == x.device
    _check(value, grad, *_reference(ALL[name][0], x, target, mask, params, upstream))


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("name", ["dice", "tversky", "focal", "cross_entropy"])
def test_half_precision_logits(device, compiler, name, dtype):
    """Half inputs are computed in float32: the value is the float64 value of the same
    (rounded) input to float32 precision; the gradient comes back in the input dtype."""
    params, _ = _options(name, 0)
    if name not in PIXEL:
        params["activation"] = "softmax"
    rng = np.random.default_rng(7)
    x, target, _ = _data(rng, soft=False, masked=False)
    x = x.to(getattr(torch, dtype)).to(device).requires_grad_()
    target = target.to(device)
    value, grad, upstream = _run(ALL[name][0], x, target, None, params)
    assert value.dtype == torch.float32 and grad.dtype == x.dtype
    expected_value, expected_grad = _reference(ALL[name][0], x, target, None, params, upstream)
    torch.testing.assert_close(value.cpu().double(), expected_value, rtol=1e-5, atol=1e-7)
    resolution = 1e-2 if dtype == "bfloat16" else 1e-3
    torch.testing.assert_close(grad.cpu().double(), expected_grad, rtol=resolution,
                               atol=resolution * float(expected_grad.abs().max()))


@pytest.mark.parametrize("name", ["dice", "focal_softmax"])
def test_channels_last_gradient_keeps_the_layout(device, compiler, name):
    params, _ = _options(name, 0)
    params["activation"] = "softmax"
    rng = np.random.default_rng(8)
    x, target, _ = _data(rng, soft=False, masked=False)
    x = x.float().to(device).contiguous(memory_format=torch.channels_last).requires_grad_()
    target = target.to(device)
    value, grad, upstream = _run(ALL[name][0], x, target, None, params)
    assert grad.stride() == x.stride()
    _check(value, grad, *_reference(ALL[name][0], x, target, None, params, upstream))


def test_double_backward_recomputes_through_the_neutral_path(device, compiler):
    rng = np.random.default_rng(9)
    x, target, mask = _data(rng, soft=True)
    x = x.float().to(device).requires_grad_()
    target, mask = target.float().to(device), mask.to(device)
    hvps = []
    for choice in (True, False):
        loss = smt.DiceLoss(activation="softmax", fused=choice)(x, target, mask)
        (grad,) = torch.autograd.grad(loss, x, create_graph=True)
        (hvp,) = torch.autograd.grad((grad * grad).sum(), x)
        hvps.append(hvp)
    torch.testing.assert_close(hvps[0], hvps[1], rtol=1e-5, atol=1e-9)
    assert hvps[0].abs().max() > 0


def test_choice_of_path(device, compiler, monkeypatch):
    rng = np.random.default_rng(10)
    x, target, _ = _data(rng, soft=True, masked=False)
    x = x.float().to(device).requires_grad_()
    target = target.float().to(device)

    def path(**options):
        return type(smt.DiceLoss(activation="softmax", **options)(x, target).grad_fn).__name__

    assert path() == "FusedLossFunctionBackward"                     # auto, device tensor
    assert path(fused=False) != "FusedLossFunctionBackward"
    monkeypatch.setenv(fused.ENV_FUSED, "0")
    assert path() != "FusedLossFunctionBackward"
    assert path(fused=True) == "FusedLossFunctionBackward"
    monkeypatch.setenv(fused.ENV_FUSED, "auto")
    with torch.no_grad():
        assert smt.DiceLoss(activation="softmax")(x, target).grad_fn is None
    x64 = x.detach().double().requires_grad_()                       # float64: neutral
    assert type(smt.DiceLoss(activation="softmax")(x64, target.double()).grad_fn).__name__ \
        != "FusedLossFunctionBackward"
    hausdorff = smt.HausdorffDTLoss(activation="softmax")(x, target)
    assert type(hausdorff.grad_fn).__name__ != "FusedLossFunctionBackward"


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="fused must be None, 'auto', True or False; got 'yes'"):
        smt.DiceLoss(fused="yes")
    with pytest.raises(ValueError, match="compile_mode must be None or one of"):
        smt.DiceLoss(compile_mode="fast")
    with pytest.raises(TypeError):
        smt.HausdorffDTLoss(fused=True)


@pytest.mark.parametrize("module", [
    smt.DiceLoss(activation="softmax", fused=True),
    smt.FocalLoss(gamma=2.0, fused=True),
])
def test_inductor_kernels_match_float64(device, module):
    """Inductor's generated kernels (C++ on the CPU, Triton on CUDA), on two shapes: the
    second call recompiles with dynamic shapes and must stay right."""
    rng = np.random.default_rng(11)
    for shape in ((2, 3, 8, 8), (3, 3, 5, 7)):
        x = torch.tensor(rng.normal(size=shape) * 2.0, dtype=torch.float32,
                         device=device, requires_grad=True)
        labels = torch.from_numpy(targets(rng, "labels", shape=shape)).to(device)
        value = module(x, labels)
        assert type(value.grad_fn).__name__ == "FusedLossFunctionBackward"
        value.backward()
        x64 = x.detach().cpu().double().requires_grad_()
        reference = type(module)(**{**module.params, "fused": False})(x64, labels.cpu())
        reference.backward()
        _check(value, x.grad, reference.detach(), x64.grad)


def test_autocast_step_matches_the_neutral_path(device, compiler):
    """Under autocast a convolution gives bfloat16 logits; the fused loss (computed in
    float32) and its gradient match the neutral path's under the same autocast."""
    rng = np.random.default_rng(12)
    x = torch.tensor(rng.normal(size=SHAPE), dtype=torch.float32, device=device)
    labels = torch.from_numpy(targets(rng, "labels", shape=SHAPE)).to(device)
    torch.manual_seed(0)
    model = torch.nn.Conv2d(SHAPE[1], SHAPE[1], 3, padding=1).to(device)
    results = []
    for choice in (True, False):
        model.zero_grad()
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16):
            logits = model(x)
            loss = smt.TverskyLoss(alpha=0.3, beta=0.7, activation="softmax",
                                   fused=choice)(logits, labels)
        assert logits.dtype == torch.bfloat16 and loss.dtype == torch.float32
        loss.backward()
        results.append((loss.detach(), model.weight.grad.clone()))
    torch.testing.assert_close(results[0][0], results[1][0], rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(results[0][1], results[1][1], rtol=1e-2,
                               atol=1e-3 * float(results[1][1].abs().max()))
