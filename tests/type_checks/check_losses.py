"""Types users of the losses and the batch metrics see: mypy checks this file
(tests/test_types.py); it never runs.

A ``# type: ignore[code]`` below marks a call that must stay an error: mypy's
``warn_unused_ignores`` fails if it ever type-checks.
"""
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import numpy.typing as npt
import torch
from typing_extensions import assert_type

import segmetrics
import segmetrics.batch
import segmetrics.jax
import segmetrics.torch
from segmetrics.distance import SurfaceDistances
from segmetrics.from_counts import Counts
from segmetrics.losses import Residuals, dice_loss, focal_loss, hausdorff_dt_loss, kappa_loss

logits = torch.zeros(2, 3, 4, 4, requires_grad=True)
labels = torch.zeros(2, 4, 4, dtype=torch.long)
valid = torch.ones(2, 4, 4, dtype=torch.bool)

# ---- segmetrics.torch: typed constructors, a Tensor from a call
dice = segmetrics.torch.DiceLoss(smooth_nr=0.0, smooth_dr=1e-3, activation="softmax",
                                 weight=[1.0, 2.0, 1.0], fused="auto")
assert_type(dice, segmetrics.torch.DiceLoss)
assert_type(dice(logits, labels), torch.Tensor)
assert_type(dice(logits, labels, valid), torch.Tensor)
assert_type(dice.forward(logits, labels, mask=valid), torch.Tensor)
assert_type(dice.params, dict[str, Any])
assert_type(segmetrics.torch.TverskyLoss(alpha=0.3, beta=0.7)(logits, labels), torch.Tensor)
assert_type(segmetrics.torch.FocalLoss(gamma=2.0, activation="softmax"), segmetrics.torch.FocalLoss)
assert_type(segmetrics.torch.WeightedCrossEntropyLoss(pos_weight=3.0),
            segmetrics.torch.WeightedCrossEntropyLoss)
assert_type(segmetrics.torch.HausdorffDTLoss(spacing=(1.0, 0.5))(logits, labels), torch.Tensor)
module: torch.nn.Module = segmetrics.torch.KappaLoss(multiclass=True)

segmetrics.torch.DiceLoss(smooth=1.0)  # type: ignore[call-arg]
segmetrics.torch.DiceLoss(activation="relu")  # type: ignore[arg-type]
segmetrics.torch.DiceLoss(reduction="batchmean")  # type: ignore[arg-type]
segmetrics.torch.DiceLoss(None)  # type: ignore[call-arg]
segmetrics.torch.HausdorffDTLoss(fused=True)  # type: ignore[call-arg]
segmetrics.torch.CrossEntropyLoss(compile_mode="fast")  # type: ignore[arg-type]

# ---- segmetrics.torch.apply_loss
assert_type(segmetrics.torch.apply_loss(dice_loss, logits, labels, activation="softmax"),
            torch.Tensor)
assert_type(segmetrics.torch.apply_loss(kappa_loss, logits, labels, fused=False), torch.Tensor)

# ---- neutral losses: the kind of array that came in (NumPy reduces to a scalar)
p = np.array([[[0.9, 0.2, 0.8, 0.1]]])
g = np.array([[[1.0, 0.0, 1.0, 0.0]]])
assert_type(dice_loss(p, g, smooth_nr=0.0), np.floating[Any] | npt.NDArray[np.floating[Any]])
assert_type(focal_loss(p, g, gamma=1.0), np.floating[Any] | npt.NDArray[np.floating[Any]])
assert_type(dice_loss(logits, labels, mask=valid, activation="softmax"), torch.Tensor)
assert_type(hausdorff_dt_loss(logits, labels, spacing=[1.0, 2.0]), torch.Tensor)
value, residuals = dice_loss.forward(logits, labels)
assert_type(value, torch.Tensor)
assert_type(residuals, Residuals)
assert_type(segmetrics.losses.backward(residuals, 1.0), Any)

dice_loss(p, g, smooth=1.0)  # type: ignore[call-overload]
dice_loss(p, g, activation="relu")  # type: ignore[call-overload]

# ---- segmetrics.jax: JAX arrays in, JAX arrays out
x = jnp.zeros((2, 3, 4, 4))
y = jnp.zeros((2, 4, 4), dtype=jnp.int32)
assert_type(segmetrics.jax.dice_loss(x, y, activation="softmax"), jax.Array)
assert_type(segmetrics.jax.focal_loss(x, y, gamma=0.5, reduction="none"), jax.Array)
assert_type(segmetrics.jax.hausdorff_dt_loss(x, y, alpha=1.0), jax.Array)
segmetrics.jax.dice_loss(x, y, smooth=1.0)  # type: ignore[call-arg]

# ---- segmetrics.batch: float64 arrays, Counts, surface distances per sample and label
scores = np.zeros((2, 3, 4, 4), dtype=np.float32)
label_map = np.zeros((2, 4, 4), dtype=np.int64)
assert_type(segmetrics.batch.dice(scores, label_map, labels=[1, 2]), npt.NDArray[np.float64])
assert_type(segmetrics.batch.tversky(label_map, label_map, alpha=0.3, labels=[1]),
            npt.NDArray[np.float64])
assert_type(segmetrics.batch.counts(scores, label_map, threshold=0.5), Counts)
assert_type(segmetrics.batch.hd95(scores, label_map, spacing=(1.0, 2.0)), npt.NDArray[np.float64])
assert_type(segmetrics.batch.surface_dice(label_map, label_map, tolerance=1.0),
            npt.NDArray[np.float64])
assert_type(segmetrics.batch.surface_distances(logits, labels), list[list[SurfaceDistances]])
assert_type(segmetrics.batch.dice(logits, labels), npt.NDArray[np.float64])
segmetrics.batch.dice(scores, label_map, backend="fortran")  # type: ignore[arg-type]
