"""clDice: overlap of skeletons with masks, for tubular structures (Shit et al. 2021).

Skeletons come from :func:`skimage.morphology.skeletonize` (Zhang's thinning in
2-D, Lee's in 3-D, as in the authors' code), imported when called.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numpy as np
import numpy.typing as npt

from segmetrics._types import ArrayInput
from segmetrics._validate import (
    as_array,
    check_label_dtype,
    check_not_empty,
    check_real,
    check_same_shape,
    refuse_non_binary,
)

__all__ = ["cldice", "cldice_rates"]


def _skeleton(mask: npt.NDArray[np.bool_]) -> npt.NDArray[Any]:
    try:
        from skimage.morphology import skeletonize
    except ImportError as exc:
        raise ImportError("clDice needs scikit-image for the skeletons: "
                          "`pip install scikit-image` (or segmetrics[cldice])") from exc
    # scikit-image's functions are not annotated
    thin = cast(Callable[[npt.NDArray[np.bool_]], npt.NDArray[Any]], skeletonize)
    return thin(mask)


def _masks(pred: ArrayInput,
           gt: ArrayInput) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    p = as_array(pred, "pred")
    g = as_array(gt, "gt")
    check_same_shape(p, g)
    check_not_empty(g, "gt")
    if g.ndim not in (2, 3):
        raise ValueError(f"clDice takes 2-D or 3-D masks; got {g.ndim}-D arrays of shape "
                         f"{g.shape}")
    check_label_dtype(p, "pred", "binarise a probability map with `pred > 0.5`")
    check_label_dtype(g, "gt")
    bad = {name: a for name, a in (("pred", p), ("gt", g))
           if a.dtype != np.bool_ and (a.min() < 0 or a.max() > 1)}
    if bad:
        refuse_non_binary(bad, "clDice", "Binarise a 0/255 mask with `mask > 0`")
    return p.astype(bool, copy=False), g.astype(bool, copy=False)


def _rates(pred: ArrayInput, gt: ArrayInput) -> tuple[int, int, int, int]:
    """``(|S_P ∩ G|, |S_P|, |S_G ∩ P|, |S_G|)`` as Python ints."""
    p, g = _masks(pred, gt)
    skeleton_pred = _skeleton(p)
    skeleton_gt = _skeleton(g)
    return (int(np.count_nonzero(skeleton_pred & g)), int(np.count_nonzero(skeleton_pred)),
            int(np.count_nonzero(skeleton_gt & p)), int(np.count_nonzero(skeleton_gt)))


def cldice_rates(pred: ArrayInput, gt: ArrayInput, *,
                 zero_division: float = np.nan) -> tuple[float, float]:
    r"""Topology precision and sensitivity of clDice.

    .. math:: T_{prec} = \frac{|S_P \cap G|}{|S_P|}, \qquad
              T_{sens} = \frac{|S_G \cap P|}{|S_G|}

    with :math:`S_P, S_G` the skeletons of the predicted and true masks. An
    empty skeleton (an empty mask) makes its rate ``zero_division``.

    Returns
    -------
    tuple of float
        ``(tprec, tsens)``.

    Examples
    --------
    >>> import numpy as np
    >>> gt = np.zeros((5, 9), dtype=bool); gt[1:4, 1:8] = True
    >>> pred = np.zeros_like(gt); pred[2, 0:5] = True
    >>> cldice_rates(pred, gt)
    (0.8, 0.6666666666666666)
    """
    zero_division = check_real(zero_division, "zero_division", allow_nan=True)
    hit_pred, n_pred, hit_gt, n_gt = _rates(pred, gt)
    return (hit_pred / n_pred if n_pred else zero_division,
            hit_gt / n_gt if n_gt else zero_division)


def cldice(pred: ArrayInput, gt: ArrayInput, *, zero_division: float = np.nan) -> float:
    r"""Centreline Dice (clDice), the harmonic mean of topology precision and sensitivity.

    .. math:: clDice = \frac{2\, T_{prec} T_{sens}}{T_{prec} + T_{sens}}

    (see :func:`cldice_rates`). Both masks empty gives ``zero_division``;
    exactly one empty gives 0 (a missed or a spurious structure); two non-empty
    masks whose rates are both 0 give 0.

    Parameters
    ----------
    pred, gt : array_like
        2-D or 3-D binary masks (bool or 0/1) of the same shape.
    zero_division : float, default NaN

    Returns
    -------
    float

    References
    ----------
    Shit et al., "clDice - a Novel Topology-Preserving Loss Function for Tubular
    Structure Segmentation", CVPR 2021.

    Examples
    --------
    >>> import numpy as np
    >>> gt = np.zeros((5, 9), dtype=bool); gt[1:4, 1:8] = True
    >>> pred = np.zeros_like(gt); pred[2, 0:5] = True
    >>> round(cldice(pred, gt), 12)
    0.727272727273
    """
    zero_division = check_real(zero_division, "zero_division", allow_nan=True)
    hit_pred, n_pred, hit_gt, n_gt = _rates(pred, gt)
    if n_pred == 0 and n_gt == 0:
        return zero_division
    if n_pred == 0 or n_gt == 0 or hit_pred + hit_gt == 0:
        return 0.0
    tprec, tsens = hit_pred / n_pred, hit_gt / n_gt
    return 2 * tprec * tsens / (tprec + tsens)
