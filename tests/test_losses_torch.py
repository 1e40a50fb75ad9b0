"""The PyTorch adapter: gradcheck, gradgradcheck, torch.func, modules, dtypes, devices."""
import inspect

import numpy as np
import pytest
from loss_cases import ALL, PIXEL, inputs_for, logits, random_mask, targets

torch = pytest.importorskip("torch")
smt = pytest.importorskip("segmetrics.torch")

from segmetrics import losses as L  # noqa: E402

SMALL = (2, 3, 2, 3)
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def _case(name, rng, target="soft", masked=True, shape=SMALL):
    x, params = inputs_for(name, logits(rng, shape=shape))
    g = targets(rng, target, shape=shape)
    if masked:
        params["mask"] = torch.from_numpy(random_mask(rng, shape))
    return (torch.tensor(x, requires_grad=True), torch.from_numpy(g), params)


CHECKED = [(name, False) for name in sorted(ALL)] + [
    (name, True) for name in sorted(ALL) if name not in PIXEL]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name, batch", CHECKED)
def test_gradcheck_and_gradgradcheck(name, batch, reduction):
    """gradcheck feeds every output entry its own upstream gradient, so 'none' checks
    the backward with a non-scalar grad_out (and a non-scalar Function output)."""
    rng = np.random.default_rng(7)
    x, g, params = _case(name, rng)
    if batch:
        params["batch"] = True
    params["reduction"] = reduction
    if reduction == "none" and name not in PIXEL and name != "kappa_multiclass":
        params["include_background"] = False         # the dropped channel's gradient too
    function = ALL[name][0]

    def f(v):
        return smt.apply_loss(function, v, g, **params)

    assert torch.autograd.gradcheck(f, (x,), eps=1e-6, atol=1e-7)
    assert torch.autograd.gradgradcheck(f, (x,), eps=1e-6, atol=1e-6)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_hausdorff_gradcheck_and_gradgradcheck(reduction):
    rng = np.random.default_rng(8)
    x, g, params = _case("dice", rng, target="onehot")
    x = torch.logit(x.detach()).requires_grad_()     # away from 1/2 so the maps do not change

    def f(v):
        return smt.HausdorffDTLoss(activation="sigmoid", reduction=reduction)(
            v, g, params["mask"])

    assert torch.autograd.gradcheck(f, (x,), eps=1e-6, atol=1e-7)
    assert torch.autograd.gradgradcheck(f, (x,), eps=1e-6, atol=1e-6)


def test_double_backward_is_not_zero():
    """A cached-sums backward would give a zero Hessian; ours recomputes the sums."""
    rng = np.random.default_rng(9)
    x, g, _ = _case("dice", rng, masked=False)
    loss = smt.DiceLoss()(x, g)
    (grad,) = torch.autograd.grad(loss, x, create_graph=True)
    (hvp,) = torch.autograd.grad(grad.sum(), x)
    hessian = torch.autograd.functional.hessian(
        lambda v: L.dice_loss(v, g), x.detach())    # plain autograd of the formula
    expected = hessian.reshape(x.numel(), x.numel()).sum(dim=1).reshape(x.shape)
    torch.testing.assert_close(hvp, expected, rtol=1e-10, atol=1e-12)
    assert hvp.abs().max() > 0


def test_matches_plain_autograd_of_the_formula():
    rng = np.random.default_rng(10)
    for name in sorted(ALL):
        x, g, params = _case(name, rng)
        ours = smt.apply_loss(ALL[name][0], x, g, **params)
        (ours_grad,) = torch.autograd.grad(ours, x)
        gd, m, aux, spec = ALL[name][0].prepare(x, g, **params)
        plain = spec.forward(x, gd, m, aux)         # torch ops, differentiated by autograd
        (plain_grad,) = torch.autograd.grad(plain, x)
        torch.testing.assert_close(ours, plain)
        torch.testing.assert_close(ours_grad, plain_grad, rtol=1e-10, atol=1e-12)


def test_torch_func_grad_works():
    rng = np.random.default_rng(11)
    x, g, params = _case("kappa", rng)
    via_func = torch.func.grad(lambda v: smt.apply_loss(L.kappa_loss, v, g, **params))(x.detach())
    loss = smt.KappaLoss()(x, g, params["mask"])
    (via_autograd,) = torch.autograd.grad(loss, x)
    torch.testing.assert_close(via_func, via_autograd)


def test_modules_take_input_target_and_mask():
    rng = np.random.default_rng(12)
    x = torch.tensor(logits(rng, shape=(2, 3, 4, 4)), requires_grad=True)
    labels = torch.from_numpy(targets(rng, "labels", shape=(2, 3, 4, 4)))
    onehot = torch.nn.functional.one_hot(labels, 3).permute(0, 3, 1, 2).double()
    modules = [
        smt.DiceLoss(activation="softmax"), smt.JaccardLoss(activation="softmax"),
        smt.TverskyLoss(alpha=0.3, beta=0.7, activation="softmax"),
        smt.FocalTverskyLoss(activation="softmax"), smt.GeneralizedDiceLoss(activation="softmax"),
        smt.KappaLoss(activation="softmax"), smt.KappaLoss(multiclass=True, activation="softmax"),
        smt.MCCLoss(activation="sigmoid"), smt.KappaLossZhang2019(activation="sigmoid"),
        smt.FocalLoss(gamma=2.0), smt.FocalLoss(activation="softmax", alpha=0.25),
        smt.WeightedCrossEntropyLoss(), smt.CrossEntropyLoss(),
        smt.HausdorffDTLoss(activation="softmax"),
    ]
    for module in modules:
        for target in (labels, onehot):
            loss = module(x, target)
            assert loss.ndim == 0 and torch.isfinite(loss)
            (grad,) = torch.autograd.grad(loss, x)
            assert grad.shape == x.shape and torch.isfinite(grad).all()
    assert "alpha=0.3" in repr(smt.TverskyLoss(alpha=0.3))
    with pytest.raises(TypeError):
        smt.DiceLoss(alpha=0.3)


def test_modules_match_torch_losses():
    rng = np.random.default_rng(13)
    x = torch.tensor(logits(rng, shape=(2, 3, 4, 4)))
    labels = torch.from_numpy(targets(rng, "labels", shape=(2, 3, 4, 4)))
    torch.testing.assert_close(smt.CrossEntropyLoss()(x, labels),
                               torch.nn.functional.cross_entropy(x, labels))
    g = torch.from_numpy(targets(rng, "onehot", shape=(2, 3, 4, 4)))
    torch.testing.assert_close(smt.WeightedCrossEntropyLoss(pos_weight=1.0)(x, g),
                               torch.nn.functional.binary_cross_entropy_with_logits(x, g))
    pos = torch.tensor([2.0, 0.5, 3.0], dtype=torch.float64).reshape(3, 1, 1)
    torch.testing.assert_close(
        smt.WeightedCrossEntropyLoss(pos_weight=2.0)(x[:, :1], g[:, :1]),
        torch.nn.functional.binary_cross_entropy_with_logits(x[:, :1], g[:, :1],
                                                             pos_weight=pos[:1]))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_is_summed_in_float32(dtype):
    rng = np.random.default_rng(14)
    x64 = torch.tensor(logits(rng, shape=(2, 3, 16, 16)))
    g = torch.from_numpy(targets(rng, "onehot", shape=(2, 3, 16, 16)))
    for module in (smt.DiceLoss(activation="softmax"), smt.KappaLoss(activation="sigmoid"),
                   smt.FocalLoss(), smt.FocalLoss(activation="softmax"),
                   smt.WeightedCrossEntropyLoss()):
        x = x64.to(dtype).requires_grad_()
        loss = module(x, g.to(dtype))
        assert loss.dtype == torch.float32
        loss.backward()
        assert x.grad.dtype == dtype and torch.isfinite(x.grad.float()).all()
        reference = module(x64.to(dtype).double(), g)
        assert loss.item() == pytest.approx(reference.item(), rel=2e-3)


def test_focal_gradients_finite_in_float32_for_extreme_logits():
    x = torch.tensor([[[100.0, -100.0, 100.0, -100.0]]], requires_grad=True)
    g = torch.tensor([[[1.0, 0.0, 0.0, 1.0]]])
    loss = smt.FocalLoss(gamma=0.5, alpha=0.25)(x, g)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(x.grad).all()


@pytest.mark.parametrize("module", [smt.FocalLoss(), smt.FocalLoss(gamma=0.5, alpha=0.25),
                                    smt.FocalLoss(activation="softmax"),
                                    smt.FocalLoss(activation="softmax", gamma=0.5, alpha=0.25),
                                    smt.WeightedCrossEntropyLoss(), smt.CrossEntropyLoss()])
def test_float32_first_order_path_matches_float64(module):
    rng = np.random.default_rng(16)
    x64 = torch.tensor(logits(rng, shape=(2, 3, 16, 16), scale=8.0))
    g = torch.from_numpy(targets(rng, "soft", shape=(2, 3, 16, 16)))
    x = x64.float().requires_grad_()
    loss = module(x, g.float())
    loss.backward()
    x64 = x.detach().double().requires_grad_()
    reference = module(x64, g)
    reference.backward()
    assert loss.item() == pytest.approx(reference.item(), rel=1e-6)
    torch.testing.assert_close(x.grad.double(), x64.grad, rtol=1e-4,
                               atol=1e-6 * float(x64.grad.abs().max()))


def test_permuted_targets_give_the_same_result_in_the_input_layout():
    rng = np.random.default_rng(17)
    x = torch.tensor(logits(rng, shape=(2, 3, 5, 4)), requires_grad=True)
    labels = torch.from_numpy(targets(rng, "labels", shape=(2, 3, 5, 4)))
    permuted = torch.nn.functional.one_hot(labels, 3).permute(0, 3, 1, 2).double()
    for module in (smt.DiceLoss(activation="softmax"), smt.FocalLoss()):
        (expected,) = torch.autograd.grad(module(x, permuted.contiguous()), x)
        loss = module(x, permuted)
        (grad,) = torch.autograd.grad(loss, x)
        torch.testing.assert_close(grad, expected, rtol=1e-12, atol=1e-15)
        assert grad.stride() == x.stride()


@pytest.mark.parametrize("device", DEVICES)
def test_runs_on_the_tensor_device(device):
    rng = np.random.default_rng(15)
    x = torch.tensor(logits(rng), device=device, requires_grad=True)
    g = torch.from_numpy(targets(rng, "labels")).to(device)
    loss = smt.DiceLoss(activation="softmax", include_background=False)(x, g)
    loss.backward()
    assert loss.device == x.grad.device == x.device


def test_one_channel_softmax_is_refused():
    with pytest.raises(ValueError, match="single channel"):
        smt.DiceLoss(activation="softmax")(torch.zeros(2, 1, 4, 4), torch.zeros(2, 1, 4, 4))


def test_docstring_examples_run():
    import doctest
    result = doctest.testmod(smt)
    assert result.attempted > 0 and result.failed == 0


MODULE_LOSSES = [
    (smt.DiceLoss, L.dice_loss), (smt.JaccardLoss, L.jaccard_loss),
    (smt.TverskyLoss, L.tversky_loss), (smt.FocalTverskyLoss, L.focal_tversky_loss),
    (smt.GeneralizedDiceLoss, L.generalized_dice_loss), (smt.KappaLoss, L.kappa_loss),
    (smt.MCCLoss, L.mcc_loss), (smt.KappaLossZhang2019, L.kappa_loss_zhang2019),
    (smt.FocalLoss, L.focal_loss), (smt.WeightedCrossEntropyLoss, L.weighted_cross_entropy_loss),
    (smt.CrossEntropyLoss, L.cross_entropy_loss), (smt.HausdorffDTLoss, L.hausdorff_dt_loss),
]


def _described(parameters):
    return [(p.name, p.kind, p.default, p.annotation) for p in parameters]


@pytest.mark.parametrize("module_class, function", MODULE_LOSSES,
                         ids=[cls.__name__ for cls, _ in MODULE_LOSSES])
def test_module_constructor_is_the_neutral_signature(module_class, function):
    """Each module's constructor takes its neutral function's keyword parameters (without
    input, target and mask) with the same kinds, defaults and annotations, in the same
    order, plus fused and compile_mode where the loss has a fused path; ``params`` holds
    them in that order, and the docstring lists each one."""
    neutral = [p for p in inspect.signature(function).parameters.values()
               if p.name not in ("input", "target", "mask")]
    ours = list(inspect.signature(module_class.__init__).parameters.values())
    assert ours[0].name == "self"
    extra = [] if module_class is smt.HausdorffDTLoss else [
        ("fused", inspect.Parameter.KEYWORD_ONLY, None, "Fused | None"),
        ("compile_mode", inspect.Parameter.KEYWORD_ONLY, None, "CompileMode | None")]
    assert _described(ours[1:]) == _described(neutral) + extra
    module = module_class()
    assert list(module.params) == [p.name for p in neutral]
    assert all(module.params[p.name] == p.default for p in neutral)
    section = module_class.__doc__.split("Parameters\n    ----------\n")[1].split("Examples")[0]
    for p in ours[1:]:
        assert p.name in section, (module_class.__name__, p.name)


def test_no_grad_evaluation_gives_the_same_value():
    rng = np.random.default_rng(16)
    x = torch.tensor(logits(rng))
    g = torch.from_numpy(targets(rng, "onehot"))
    for module in (smt.DiceLoss(activation="softmax"), smt.FocalLoss()):
        with torch.no_grad():
            evaluated = module(x, g)
        trained = module(x.clone().requires_grad_(), g)
        torch.testing.assert_close(evaluated, trained.detach())


# ---------------------------------------------------------------- reductions

def test_modules_take_the_reduction():
    rng = np.random.default_rng(18)
    x = torch.tensor(logits(rng, shape=(2, 3, 4, 4)), requires_grad=True)
    labels = torch.from_numpy(targets(rng, "labels", shape=(2, 3, 4, 4)))
    cases = [
        (smt.DiceLoss(activation="softmax", reduction="none"), (2, 3)),
        (smt.DiceLoss(activation="softmax", reduction="none", include_background=False),
         (2, 2)),
        (smt.DiceLoss(activation="softmax", reduction="none", batch=True), (3,)),
        (smt.GeneralizedDiceLoss(activation="softmax", reduction="none"), (2,)),
        (smt.KappaLoss(multiclass=True, activation="softmax", reduction="none"), (2,)),
        (smt.FocalLoss(reduction="none"), (2, 3, 4, 4)),
        (smt.FocalLoss(reduction="none", include_background=False), (2, 2, 4, 4)),
        (smt.FocalLoss(activation="softmax", reduction="none"), (2, 4, 4)),
        (smt.FocalLoss(activation="softmax", reduction="sum", gamma=0.5), ()),
        (smt.WeightedCrossEntropyLoss(reduction="none"), (2, 3, 4, 4)),
        (smt.CrossEntropyLoss(reduction="none"), (2, 4, 4)),
        (smt.HausdorffDTLoss(activation="softmax", reduction="none"), (2, 3, 4, 4)),
        (smt.DiceLoss(activation="softmax", reduction="sum"), ()),
    ]
    for module, shape in cases:
        loss = module(x, labels)
        assert tuple(loss.shape) == shape, module
        upstream = torch.rand(shape, dtype=loss.dtype)
        (grad,) = torch.autograd.grad(loss, x, upstream)           # the cached path
        plain = _plain(module, x, labels)                           # autograd of the formula
        (expected,) = torch.autograd.grad(plain, x, upstream)
        torch.testing.assert_close(loss, plain)
        torch.testing.assert_close(grad, expected, rtol=1e-10, atol=1e-12)
    assert "reduction='none'" in repr(smt.FocalLoss(reduction="none"))
    with pytest.raises(ValueError, match="reduction"):
        smt.DiceLoss(reduction="batchmean")(x, labels)


def _plain(module, x, target):
    """The module's loss as plain torch operations, differentiated by autograd."""
    gd, m, aux, spec = _MODULE_FUNCTIONS[type(module)].prepare(x, target, **module.params)
    return spec.forward(x, gd, m, aux)


_MODULE_FUNCTIONS = {
    smt.DiceLoss: L.dice_loss, smt.GeneralizedDiceLoss: L.generalized_dice_loss,
    smt.KappaLoss: L.kappa_loss, smt.FocalLoss: L.focal_loss,
    smt.WeightedCrossEntropyLoss: L.weighted_cross_entropy_loss,
    smt.CrossEntropyLoss: L.cross_entropy_loss, smt.HausdorffDTLoss: L.hausdorff_dt_loss,
}


@pytest.mark.parametrize("batch", [False, True])
@pytest.mark.parametrize("options", [{}, {"include_background": False},
                                     {"weight": [0.5, 1.0, 1.5]}])
def test_dice_none_matches_live_monai(options, batch):
    """MONAI's unreduced DiceLoss keeps singleton spatial axes and multiplies in the raw
    class weights; ours scales the weights to average 1, so weights that already average
    1 give the same values."""
    monai_losses = pytest.importorskip("monai.losses")
    rng = np.random.default_rng(19)
    x = torch.tensor(logits(rng, shape=(2, 3, 5, 4)), requires_grad=True)
    g = torch.from_numpy(targets(rng, "onehot", shape=(2, 3, 5, 4)))
    peer = monai_losses.DiceLoss(sigmoid=True, reduction="none", batch=batch, **options)(x, g)
    ours = smt.DiceLoss(activation="sigmoid", reduction="none", batch=batch, **options)(x, g)
    peer = peer.reshape(ours.shape)
    torch.testing.assert_close(ours, peer, rtol=1e-10, atol=1e-12)
    upstream = torch.rand(ours.shape, dtype=ours.dtype)
    (expected,) = torch.autograd.grad(peer, x, upstream)
    (grad,) = torch.autograd.grad(ours, x, upstream)
    torch.testing.assert_close(grad, expected, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("options", [{"gamma": 2.0}, {"gamma": 0.5, "alpha": 0.25},
                                     {"gamma": 2.0, "include_background": False}])
def test_focal_none_matches_live_monai(options):
    monai_losses = pytest.importorskip("monai.losses")
    rng = np.random.default_rng(20)
    x = torch.tensor(logits(rng, shape=(2, 3, 5, 4), scale=3.0), requires_grad=True)
    g = torch.from_numpy(targets(rng, "onehot", shape=(2, 3, 5, 4)))
    peer = monai_losses.FocalLoss(reduction="none", **options)(x, g)
    ours = smt.FocalLoss(reduction="none", **options)(x, g)
    _assert_matches_float32_peer(ours, peer, x)


def _assert_matches_float32_peer(ours, peer, x):
    """Values and gradients (for a random upstream gradient) of ``ours`` equal a peer's
    that computes in float32 for this float64 input (MONAI's FocalLoss), at that precision."""
    assert ours.shape == peer.shape
    torch.testing.assert_close(ours, peer.double(), rtol=1e-5, atol=1e-6)
    upstream = torch.rand(ours.shape, dtype=ours.dtype)
    (expected,) = torch.autograd.grad(peer, x, upstream.float())
    (grad,) = torch.autograd.grad(ours, x, upstream)
    torch.testing.assert_close(grad, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("target", ["onehot", "soft"])
@pytest.mark.parametrize("options", [{"gamma": 2.0}, {"gamma": 0.5, "alpha": 0.25},
                                     {"gamma": 2.0, "alpha": 0.6, "weight": [0.5, 1.0, 1.5]}])
def test_softmax_focal_matches_live_monai(options, target):
    """MONAI's FocalLoss(use_softmax=True) keeps the class axis: our unreduced loss is its
    unreduced loss summed over the classes; its 'mean' divides by B C H W where ours divides
    by the B H W pixels, and its 'sum' sums the per-(sample, class) spatial means."""
    monai_losses = pytest.importorskip("monai.losses")
    rng = np.random.default_rng(29)
    shape = (2, 3, 5, 4)
    x = torch.tensor(logits(rng, shape=shape, scale=3.0), requires_grad=True)
    g = torch.from_numpy(targets(rng, target, shape=shape))
    spatial = 5 * 4
    for reduction, to_peer in (("none", lambda v: v.sum(dim=1)), ("mean", lambda v: v * 3),
                               ("sum", lambda v: v * spatial)):
        peer = to_peer(monai_losses.FocalLoss(use_softmax=True, reduction=reduction,
                                              **options)(x, g))
        ours = smt.FocalLoss(activation="softmax", reduction=reduction, **options)(x, g)
        _assert_matches_float32_peer(ours, peer, x)


def test_softmax_focal_without_background_differs_from_monai_as_documented():
    """MONAI drops channel 0 *before* its softmax (and ignores a scalar alpha): that is our
    loss on the foreground logits alone; ours keeps the softmax over every channel and gives
    channel 0 weight 0, as cross_entropy_loss does."""
    monai_losses = pytest.importorskip("monai.losses")
    rng = np.random.default_rng(30)
    x = torch.tensor(logits(rng, shape=(2, 3, 5, 4), scale=3.0))
    g = torch.from_numpy(targets(rng, "onehot", shape=(2, 3, 5, 4)))
    peer = monai_losses.FocalLoss(use_softmax=True, include_background=False,
                                  reduction="none")(x, g).sum(dim=1).double()
    foreground = smt.FocalLoss(activation="softmax", reduction="none")(x[:, 1:], g[:, 1:])
    torch.testing.assert_close(foreground, peer, rtol=1e-5, atol=1e-6)
    ours = smt.FocalLoss(activation="softmax", reduction="none", include_background=False)(x, g)
    assert not torch.allclose(ours, peer, rtol=1e-3)


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("reduction", ["mean", "none"])
@pytest.mark.parametrize("name", sorted(ALL))
def test_cached_scalar_operands_give_the_same_bits(monkeypatch, name, reduction, masked):
    """The per-call shortcut (constants as cached 0-d tensors instead of Python floats)
    changes no bit of a float32 value or gradient: the same call with the floats."""
    from segmetrics.losses import _common, pixel, region

    rng = np.random.default_rng(23)
    x, g, params = _case(name, rng, masked=masked)
    params["reduction"] = reduction
    function = ALL[name][0]

    def run():
        xf = x.detach().float().requires_grad_()
        value = smt.apply_loss(function, xf, g.float(), **params)
        value.backward(torch.ones_like(value))
        return value.detach(), xf.grad

    value, grad = run()
    assert any(key[1] == torch.float32 for key in _common._SCALARS)   # the shortcut ran
    for module in (_common, region, pixel):
        monkeypatch.setattr(module, "scalars", lambda xp, like, *values: values)
    float_value, float_grad = run()
    assert torch.equal(value, float_value)
    assert torch.equal(grad, float_grad)


def test_validation_cached_per_configuration_still_refuses_bad_options():
    """Options are validated once per configuration; a different value, or the same
    value of another type (1 for True), is validated again."""
    x = torch.rand(1, 2, 4, 4)
    g = torch.rand(1, 2, 4, 4)
    for _ in range(2):
        smt.apply_loss(L.dice_loss, x, g, batch=True, smooth_nr=0.0)
    with pytest.raises(TypeError, match="batch"):
        smt.apply_loss(L.dice_loss, x, g, batch=1, smooth_nr=0.0)
    with pytest.raises(ValueError, match="smooth_nr"):
        smt.apply_loss(L.dice_loss, x, g, batch=True, smooth_nr=-1.0)
    with pytest.raises(TypeError, match="smooth_nr"):
        smt.apply_loss(L.dice_loss, x, g, batch=True, smooth_nr=True)
    with pytest.raises(ValueError, match="softmax"):
        smt.apply_loss(L.dice_loss, x[:, :1], g[:, :1], activation="softmax")
    with pytest.raises(ValueError, match="weight"):
        smt.apply_loss(L.dice_loss, x, g, weight=(1.0, 1.0, 1.0))
    assert float(smt.apply_loss(L.dice_loss, x, g, weight=[0.0, 1.0])) == pytest.approx(
        float(smt.apply_loss(L.dice_loss, x, g, include_background=False)))
