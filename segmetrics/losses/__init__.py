"""Framework-neutral segmentation losses with analytic gradients.

Each loss ``f`` is a plain function ``f(input, target, **params) -> loss`` and
a forward/backward pair: ``f.forward(input, target, **params)`` returns
``(loss, residuals)`` and ``f.backward(residuals, grad_out)`` returns
:math:`\\partial L/\\partial \\text{input}` times ``grad_out``. They are written
once against the Python array API standard (through ``array_api_compat``), so
they run on NumPy, PyTorch, CuPy, JAX and ``array_api_strict`` arrays on the
arrays' own device. :mod:`segmetrics.torch` and :mod:`segmetrics.jax` wrap
them for autograd.
"""
from segmetrics.losses._common import Residuals, backward
from segmetrics.losses.hausdorff import hausdorff_dt_loss
from segmetrics.losses.pixel import cross_entropy_loss, focal_loss, weighted_cross_entropy_loss
from segmetrics.losses.region import (
    dice_loss,
    focal_tversky_loss,
    generalized_dice_loss,
    jaccard_loss,
    kappa_loss,
    kappa_loss_zhang2019,
    mcc_loss,
    tversky_loss,
)

__all__ = [
    "Residuals", "backward", "cross_entropy_loss", "dice_loss", "focal_loss",
    "focal_tversky_loss", "generalized_dice_loss", "hausdorff_dt_loss", "jaccard_loss",
    "kappa_loss", "kappa_loss_zhang2019", "mcc_loss", "tversky_loss",
    "weighted_cross_entropy_loss",
]
