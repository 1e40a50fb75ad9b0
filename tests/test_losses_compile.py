"""``torch.compile(fullgraph=True)`` of a training step with every loss: no graph break,
and the compiled step gives the eager loss and parameter gradients.

The compiler backend is ``aot_eager``: Dynamo captures the whole step in one graph and
AOTAutograd traces the loss's autograd Function (forward and backward) into it, which is
what ``fullgraph`` is about; code generation (inductor) is covered by
``tests/test_gpu_losses.py``.
"""
import numpy as np
import pytest
from loss_cases import ALL, PIXEL, random_mask, targets

torch = pytest.importorskip("torch")
smt = pytest.importorskip("segmetrics.torch")

SHAPE = (2, 3, 5, 6)
# Dynamo builds a throwaway autograd.Function() while tracing one, which PyTorch itself
# deprecates; not something a loss can avoid
pytestmark = pytest.mark.filterwarnings(
    "ignore:<class 'torch.autograd.function.Function'> should not be instantiated"
    ":DeprecationWarning")


def _step_parts(name, masked):
    function, params = ALL[name]
    params = dict(params)
    if name not in PIXEL and not params.get("activation"):
        params["activation"] = "sigmoid"                 # region losses take probabilities
    rng = np.random.default_rng(sorted(ALL).index(name))
    torch.manual_seed(0)
    model = torch.nn.Conv2d(SHAPE[1], SHAPE[1], kernel_size=3, padding=1)
    x = torch.tensor(rng.normal(size=SHAPE), dtype=torch.float32)
    labels = torch.from_numpy(targets(rng, "labels", shape=SHAPE))
    mask = torch.from_numpy(random_mask(rng, SHAPE)) if masked else None

    def step(inputs, target, valid):
        return smt.apply_loss(function, model(inputs), target, mask=valid, **params)

    return model, step, (x, labels, mask)


def _grads(model, loss):
    model.zero_grad()
    loss.backward()
    return [p.grad.clone() for p in model.parameters()]


@pytest.fixture(autouse=True)
def _fresh_dynamo():
    """Each test compiles its own step: no guards or recompile counts carried over."""
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()


@pytest.mark.parametrize("name", sorted(ALL))
def test_compiled_training_step_matches_eager(name):
    """A conv layer and the loss, with a label-map target; every other loss with a mask."""
    model, step, args = _step_parts(name, masked=sorted(ALL).index(name) % 2 == 0)
    eager = step(*args)
    eager_grads = _grads(model, eager)
    compiled = torch.compile(step, fullgraph=True, backend="aot_eager")
    value = compiled(*args)
    grads = _grads(model, value)
    torch.testing.assert_close(value, eager, rtol=1e-6, atol=1e-7)
    for got, expected in zip(grads, eager_grads):
        torch.testing.assert_close(got, expected, rtol=1e-5,
                                   atol=1e-6 * float(expected.abs().max()))


@pytest.mark.parametrize("module", [
    smt.DiceLoss(activation="softmax", reduction="none", include_background=False),
    smt.KappaLoss(multiclass=True, activation="softmax", batch=True),
    smt.FocalLoss(activation="softmax", reduction="none"),
])
def test_compiled_modules_with_other_options(module):
    rng = np.random.default_rng(3)
    x = torch.tensor(rng.normal(size=SHAPE), dtype=torch.float32, requires_grad=True)
    g = torch.from_numpy(targets(rng, "onehot", shape=SHAPE)).float()
    expected = module(x, g)
    (expected_grad,) = torch.autograd.grad(expected.sum(), x)
    compiled = torch.compile(module, fullgraph=True, backend="aot_eager")
    value = compiled(x, g)
    (grad,) = torch.autograd.grad(value.sum(), x)
    torch.testing.assert_close(value, expected)
    torch.testing.assert_close(grad, expected_grad)


def test_hausdorff_loss_breaks_the_graph_as_documented():
    """Its distance maps are computed on the host (docs/losses.md): fullgraph refuses it."""
    rng = np.random.default_rng(4)
    x = torch.tensor(rng.normal(size=SHAPE), dtype=torch.float32)
    g = torch.from_numpy(targets(rng, "onehot", shape=SHAPE)).float()
    compiled = torch.compile(smt.HausdorffDTLoss(activation="sigmoid"), fullgraph=True,
                             backend="eager")
    with pytest.raises(Exception, match="(?i)graph break|unsupported|not support"):
        compiled(x, g)
