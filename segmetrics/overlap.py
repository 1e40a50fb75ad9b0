"""Confusion counts of two segmentations and the overlap metrics derived from them.

Each public metric validates its inputs, counts once with the chosen backend
and derives the metric with :mod:`segmetrics.from_counts`. With ``labels=None``
the inputs are binary masks and the result is a Python float; with
``labels=[...]`` every label is scored one-vs-rest from a single confusion
matrix pass and the result is a float64 array in ``labels`` order. With
``regions={"WT": [1, 2, 3], ...}`` every region (a union of labels) is scored
from that same single pass (:mod:`segmetrics.regions`) and the result is a
float64 array in ``regions`` order.

The kind of the inputs is decided once, at each public function's entry
(:func:`segmetrics._arrays.array_kind`): host arrays are counted by
:mod:`segmetrics._host_overlap`, Dask arrays chunk by chunk by
:mod:`segmetrics._chunked`, device arrays on their device by
:mod:`segmetrics._gpu.overlap`. The three modules have the same functions.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any, Literal, cast, overload

import numpy as np

from segmetrics import _chunked, _host_overlap, regions as _regions
from segmetrics import from_counts as _formulas
from segmetrics._arrays import CHUNKED, DEVICE, array_kind
from segmetrics._backends import check_backend_for
from segmetrics._host_overlap import MAX_DENSE_CLASSES  # noqa: F401  (public constant)
from segmetrics._validate import check_labels, check_optional_int, check_real
from segmetrics._types import F, ArrayInput, FloatArray, IntArray, Labels, Regions
from segmetrics.from_counts import Counts

__all__ = [
    "binary_counts", "confusion_matrix", "dice", "jaccard", "tversky", "kappa",
    "sensitivity", "specificity", "precision", "accuracy",
]


def _path(kind: str) -> ModuleType:
    """The module that counts arrays of ``kind``: host, chunked or device."""
    if kind == DEVICE:
        return importlib.import_module("segmetrics._gpu.overlap")
    return _chunked if kind == CHUNKED else _host_overlap


def _entry(pred: ArrayInput, gt: ArrayInput, backend: str) -> ModuleType:
    """The counting module for this pair, after checking that ``backend`` can run it."""
    kind = array_kind(pred, gt)
    check_backend_for(backend, kind)
    return _path(kind)


def _optional_threshold(threshold: float | None) -> float | None:
    return None if threshold is None else check_real(threshold, "threshold")


def binary_counts(pred: ArrayInput, gt: ArrayInput, *, threshold: float | None = None,
                  ignore_index: int | None = None, backend: str = "auto") -> Counts:
    """Count TP, FP, FN and TN of two binary masks in one pass.

    Parameters
    ----------
    pred, gt : array_like, dask.array.Array or device array
        Masks of the same shape: bool, or integers holding only 0 and 1. With
        ``threshold``, ``pred`` is a floating probability map instead. Dask
        arrays are counted chunk by chunk; the counts are summed. CUDA tensors
        and CuPy arrays are counted on their device (see the GPU page).
    threshold : float, optional
        Foreground is ``pred >= threshold``, compared in ``pred``'s precision.
        NaN in ``pred`` is an error.
    ignore_index : int, optional
        Voxels whose ground truth equals this value are not counted.
    backend : {"auto", "cython", "numba", "numpy", "triton", "torch"}
        Kernel implementation; all give identical counts. "triton" and "torch"
        run device arrays; the others host arrays.

    Returns
    -------
    Counts
        Named tuple ``(tp, fp, fn, tn)`` of Python ints.

    Examples
    --------
    >>> import numpy as np
    >>> binary_counts(np.array([1, 1, 0, 0]), np.array([1, 0, 1, 0]))
    Counts(tp=1, fp=1, fn=1, tn=1)
    """
    path = _entry(pred, gt, backend)
    return cast(Counts, path.binary_counts(pred, gt, _optional_threshold(threshold),
                                           check_optional_int(ignore_index, "ignore_index"),
                                           backend))


def confusion_matrix(pred: ArrayInput, gt: ArrayInput, *, num_classes: int | None = None,
                     ignore_index: int | None = None, backend: str = "auto") -> IntArray:
    """K x K confusion matrix of two integer label maps, in one pass.

    Parameters
    ----------
    pred, gt : array_like of int, dask.array.Array or device array
        Label maps of the same shape (bool, uint8, uint16, int32, int64, ...).
        Dask arrays are counted chunk by chunk; the tables are summed. Device
        arrays are counted on their device; the table comes back to the host.
    num_classes : int, optional
        K. Every counted label must lie in ``[0, K)``. By default K is the
        largest counted label plus one.
    ignore_index : int, optional
        Voxels whose ground truth equals this value are not counted; it may
        lie outside ``[0, K)``.
    backend : {"auto", "cython", "numba", "numpy", "triton", "torch"}
        Kernel implementation; all give identical counts.

    Returns
    -------
    ndarray of int64, shape (K, K)
        ``C[i, j]`` counts voxels with ground truth ``i`` and prediction ``j``
        (scikit-learn's convention).

    Examples
    --------
    >>> import numpy as np
    >>> confusion_matrix(np.array([0, 1, 2, 2]), np.array([0, 1, 1, 2]))
    array([[1, 0, 0],
           [0, 1, 1],
           [0, 0, 1]])
    """
    path = _entry(pred, gt, backend)
    return cast(IntArray, path.confusion_matrix(
        pred, gt, check_optional_int(num_classes, "num_classes", minimum=1),
        check_optional_int(ignore_index, "ignore_index"), backend))


def _counts(pred: ArrayInput, gt: ArrayInput, labels: Labels | None, threshold: float | None,
            ignore_index: int | None, backend: str, path: ModuleType | None = None,
            regions: Regions | None = None) -> Counts:
    """Binary counts (``labels=None``), one-vs-rest counts per label or counts per region,
    from one pass."""
    path = _entry(pred, gt, backend) if path is None else path
    threshold = _optional_threshold(threshold)
    ignore_index = check_optional_int(ignore_index, "ignore_index")
    counts: Counts
    if regions is not None:
        _regions.exclusive(labels, regions)
        _, label_sets = _regions.check_regions(regions)
        if threshold is not None:
            raise ValueError("threshold binarises a probability map; it cannot be used with "
                             "regions=")
        confusion = path.confusion_matrix(pred, gt, None, ignore_index, backend)
        return _regions.region_counts(confusion, label_sets)
    if labels is None:
        counts = path.binary_counts(pred, gt, threshold, ignore_index, backend)
        return counts
    checked = check_labels(labels)
    if threshold is not None:
        raise ValueError("threshold binarises a probability map; it cannot be used with labels=")
    counts = path.label_counts(pred, gt, checked, ignore_index, backend)
    return counts


def _metric(formula: Callable[..., FloatArray], pred: ArrayInput, gt: ArrayInput,
            labels: Labels | None, threshold: float | None, ignore_index: int | None,
            zero_division: float, backend: str, regions: Regions | None = None,
            **params: Any) -> float | FloatArray:
    """The one route of every counts-derived metric: dispatch, count once, apply ``formula``."""
    path = _entry(pred, gt, backend)
    check_real(zero_division, "zero_division", allow_nan=True)
    counts = _counts(pred, gt, labels, threshold, ignore_index, backend, path, regions)
    value = formula(counts, zero_division=zero_division, **params)
    return float(value) if labels is None and regions is None else value


_SHARED_PARAMETERS = """
    Parameters
    ----------
    pred, gt : array_like, dask.array.Array or device array
        Same shape, any number of dimensions. With ``labels=None``: bool or
        0/1 integer masks (a 0/255 mask or a label map is refused). With
        ``labels``: integer label maps. Dask arrays (e.g. over a Zarr store
        larger than memory) are counted chunk by chunk and give the same result.
        CUDA tensors and CuPy arrays are counted on their device, without a
        host copy (see the GPU page).
    labels : sequence of int, optional
        Score each label one-vs-rest, all from one confusion-matrix pass.
    regions : mapping of str to sequence of int, optional
        Score unions of labels instead, e.g. ``{"WT": [1, 2, 3], "TC": [1, 3],
        "ET": [3]}`` (BraTS; :data:`segmetrics.regions.BRATS`): a voxel is in a
        region when its label is. All regions come from the same single
        confusion-matrix pass (labels below 8192). Not with ``labels``.
    threshold : float, optional
        Binary only: ``pred`` is a probability map, foreground ``pred >= threshold``.
    ignore_index : int, optional
        Voxels whose ground truth equals this value are not counted.
    zero_division : float, default NaN
        Returned where the metric is 0/0 (see the conventions page).
    backend : {"auto", "cython", "numba", "numpy", "triton", "torch"}
        Kernel implementation; all give identical counts. "triton" and "torch"
        run device arrays; the others host arrays.

    Returns
    -------
    float or ndarray of float64
        A float for binary masks, an array in ``labels`` (or ``regions``) order
        otherwise.
"""


def _documented(summary: str, example: str) -> Callable[[F], F]:
    """A decorator that sets the docstring from ``summary``, the shared parameters and
    ``example``, and returns the function itself (its signature stays visible)."""
    def attach(function: F) -> F:
        function.__doc__ = summary + "\n" + _SHARED_PARAMETERS + "\n    Examples\n    --------\n" + example
        return function
    return attach


@overload
def dice(pred: ArrayInput, gt: ArrayInput, *, labels: None = None, regions: None = None,
         threshold: float | None = None, ignore_index: int | None = None,
         zero_division: float = np.nan, backend: str = "auto") -> float: ...


@overload
def dice(pred: ArrayInput, gt: ArrayInput, *, labels: Labels, regions: None = None,
         threshold: float | None = None, ignore_index: int | None = None,
         zero_division: float = np.nan, backend: str = "auto") -> FloatArray: ...


@overload
def dice(pred: ArrayInput, gt: ArrayInput, *, labels: None = None, regions: Regions,
         threshold: float | None = None, ignore_index: int | None = None,
         zero_division: float = np.nan, backend: str = "auto") -> FloatArray: ...


@overload
def dice(pred: ArrayInput, gt: ArrayInput, *, labels: Labels | None = None,
         regions: Regions | None = None, threshold: float | None = None,
         ignore_index: int | None = None, zero_division: float = np.nan,
         backend: str = "auto") -> float | FloatArray: ...


@_documented(
    "Dice coefficient :math:`2TP / (2TP + FP + FN)` (F1 score).",
    "    >>> import numpy as np\n"
    "    >>> dice(np.array([1, 1, 0, 0]), np.array([1, 0, 1, 0]))\n    0.5\n",
)
def dice(pred: ArrayInput, gt: ArrayInput, *, labels: Labels | None = None,
         regions: Regions | None = None, threshold: float | None = None,
         ignore_index: int | None = None, zero_division: float = np.nan,
         backend: str = "auto") -> float | FloatArray:
    return _metric(_formulas.dice, pred, gt, labels, threshold, ignore_index, zero_division,
                   backend, regions)


@overload
def jaccard(pred: ArrayInput, gt: ArrayInput, *, labels: None = None, regions: None = None,
            threshold: float | None = None, ignore_index: int | None = None,
            zero_division: float = np.nan, backend: str = "auto") -> float: ...


@overload
def jaccard(pred: ArrayInput, gt: ArrayInput, *, labels: Labels, regions: None = None,
            threshold: float | None = None, ignore_index: int | None = None,
            zero_division: float = np.nan, backend: str = "auto") -> FloatArray: ...


@overload
def jaccard(pred: ArrayInput, gt: ArrayInput, *, labels: None = None, regions: Regions,
            threshold: float | None = None, ignore_index: int | None = None,
            zero_division: float = np.nan, backend: str = "auto") -> FloatArray: ...


@overload
def jaccard(pred: ArrayInput, gt: ArrayInput, *, labels: Labels | None = None,
            regions: Regions | None = None, threshold: float | None = None,
            ignore_index: int | None = None, zero_division: float = np.nan,
            backend: str = "auto") -> float | FloatArray: ...


@_documented(
    "Jaccard index (IoU) :math:`TP / (TP + FP + FN)`.",
    "    >>> import numpy as np\n"
    "    >>> jaccard(np.array([1, 1, 0, 0]), np.array([1, 0, 1, 0]))\n    0.3333333333333333\n",
)
def jaccard(pred: ArrayInput, gt: ArrayInput, *, labels: Labels | None = None,
            regions: Regions | None = None, threshold: float | None = None,
            ignore_index: int | None = None, zero_division: float = np.nan,
            backend: str = "auto") -> float | FloatArray:
    return _metric(_formulas.jaccard, pred, gt, labels, threshold, ignore_index, zero_division,
                   backend, regions)


@overload
def tversky(pred: ArrayInput, gt: ArrayInput, *, alpha: float = 0.5, beta: float = 0.5,
            labels: None = None, regions: None = None, threshold: float | None = None,
            ignore_index: int | None = None, zero_division: float = np.nan,
            backend: str = "auto") -> float: ...


@overload
def tversky(pred: ArrayInput, gt: ArrayInput, *, alpha: float = 0.5, beta: float = 0.5,
            labels: Labels, regions: None = None, threshold: float | None = None,
            ignore_index: int | None = None, zero_division: float = np.nan,
            backend: str = "auto") -> FloatArray: ...


@overload
def tversky(pred: ArrayInput, gt: ArrayInput, *, alpha: float = 0.5, beta: float = 0.5,
            labels: None = None, regions: Regions, threshold: float | None = None,
            ignore_index: int | None = None, zero_division: float = np.nan,
            backend: str = "auto") -> FloatArray: ...


@overload
def tversky(pred: ArrayInput, gt: ArrayInput, *, alpha: float = 0.5, beta: float = 0.5,
            labels: Labels | None = None, regions: Regions | None = None,
            threshold: float | None = None, ignore_index: int | None = None,
            zero_division: float = np.nan, backend: str = "auto") -> float | FloatArray: ...


@_documented(
    "Tversky index :math:`TP / (TP + \\alpha FP + \\beta FN)`.\n\n"
    "    ``alpha`` weighs false positives and ``beta`` false negatives:\n"
    "    (0.5, 0.5) is Dice, (1, 1) is Jaccard.",
    "    >>> import numpy as np\n"
    "    >>> tversky(np.array([1, 1, 0, 0]), np.array([1, 0, 1, 0]), alpha=1.0, beta=0.0)\n"
    "    0.5\n",
)
def tversky(pred: ArrayInput, gt: ArrayInput, *, alpha: float = 0.5, beta: float = 0.5,
            labels: Labels | None = None,
            regions: Regions | None = None, threshold: float | None = None,
            ignore_index: int | None = None, zero_division: float = np.nan,
            backend: str = "auto") -> float | FloatArray:
    return _metric(_formulas.tversky, pred, gt, labels, threshold, ignore_index, zero_division,
                   backend, regions, alpha=alpha, beta=beta)


@overload
def kappa(pred: ArrayInput, gt: ArrayInput, *, labels: Labels | None = None, regions: None = None,
          multiclass: Literal[True], threshold: None = None, ignore_index: int | None = None,
          zero_division: float = np.nan, backend: str = "auto") -> float: ...


@overload
def kappa(pred: ArrayInput, gt: ArrayInput, *, labels: None = None, regions: None = None,
          multiclass: Literal[False] = False, threshold: float | None = None,
          ignore_index: int | None = None, zero_division: float = np.nan,
          backend: str = "auto") -> float: ...


@overload
def kappa(pred: ArrayInput, gt: ArrayInput, *, labels: Labels, regions: None = None,
          multiclass: Literal[False] = False, threshold: float | None = None,
          ignore_index: int | None = None, zero_division: float = np.nan,
          backend: str = "auto") -> FloatArray: ...


@overload
def kappa(pred: ArrayInput, gt: ArrayInput, *, labels: None = None, regions: Regions,
          multiclass: Literal[False] = False, threshold: float | None = None,
          ignore_index: int | None = None, zero_division: float = np.nan,
          backend: str = "auto") -> FloatArray: ...


@overload
def kappa(pred: ArrayInput, gt: ArrayInput, *, labels: Labels | None = None,
          regions: Regions | None = None, multiclass: bool = False,
          threshold: float | None = None, ignore_index: int | None = None,
          zero_division: float = np.nan, backend: str = "auto") -> float | FloatArray: ...


def kappa(pred: ArrayInput, gt: ArrayInput, *, labels: Labels | None = None,
          regions: Regions | None = None, multiclass: bool = False,
          threshold: float | None = None, ignore_index: int | None = None,
          zero_division: float = np.nan, backend: str = "auto") -> float | FloatArray:
    r"""Cohen's kappa: agreement beyond chance.

    Binary masks (``labels=None``) and each label one-vs-rest use
    :math:`\kappa = 2(TP \cdot TN - FN \cdot FP) / ((TP+FP)(FP+TN) + (TP+FN)(FN+TN))`.
    ``multiclass=True`` gives the kappa of the whole K x K matrix,
    :math:`(N T - E)/(N^2 - E)` with :math:`T` the trace and
    :math:`E = \sum_c C_{c\cdot} C_{\cdot c}`, equal to
    ``sklearn.metrics.cohen_kappa_score``; ``labels`` then selects the rows
    and columns of the matrix, as scikit-learn's ``labels`` does.

    Parameters
    ----------
    pred, gt : array_like
        As for :func:`dice`; label maps for ``multiclass=True``.
    labels : sequence of int, optional
        One-vs-rest per label, or with ``multiclass`` the labels of the matrix.
    regions : mapping of str to sequence of int, optional
        One-vs-rest per region (union of labels), as for :func:`dice`; not with
        ``multiclass``.
    multiclass : bool, default False
        Kappa of the whole confusion matrix; returns a float.
    threshold, ignore_index, zero_division, backend
        As for :func:`dice`.

    Returns
    -------
    float or ndarray of float64

    Examples
    --------
    >>> import numpy as np
    >>> kappa(np.array([1, 0, 1, 0]), np.array([1, 1, 0, 0]))
    0.0
    >>> kappa(np.array([0, 1, 2, 2]), np.array([0, 1, 1, 2]), multiclass=True)
    0.6363636363636364
    """
    if not multiclass:
        return _metric(_formulas.kappa, pred, gt, labels, threshold, ignore_index, zero_division,
                       backend, regions)
    path = _entry(pred, gt, backend)
    check_real(zero_division, "zero_division", allow_nan=True)
    if regions is not None:
        raise ValueError("multiclass kappa is one value of the whole label table; regions= "
                         "applies to the one-vs-rest kappa (multiclass=False)")
    if threshold is not None:
        raise ValueError("threshold binarises a probability map; it cannot be used with multiclass")
    ignore_index = check_optional_int(ignore_index, "ignore_index")
    if labels is None:
        if hasattr(path, "multiclass_table"):
            confusion = path.multiclass_table(pred, gt, ignore_index, backend)
        else:
            confusion = path.confusion_matrix(pred, gt, None, ignore_index, backend)
    elif hasattr(path, "label_table"):
        confusion = path.label_table(pred, gt, check_labels(labels), ignore_index, backend)
    else:  # device arrays: the table of the labels present, then the rows asked for
        confusion = _host_overlap.table_of_labels(
            path.confusion_matrix(pred, gt, None, ignore_index, backend), check_labels(labels))
    return float(_formulas.kappa_multiclass(confusion, zero_division=zero_division))


@overload
def sensitivity(pred: ArrayInput, gt: ArrayInput, *, labels: None = None, regions: None = None,
                threshold: float | None = None, ignore_index: int | None = None,
                zero_division: float = np.nan, backend: str = "auto") -> float: ...


@overload
def sensitivity(pred: ArrayInput, gt: ArrayInput, *, labels: Labels, regions: None = None,
                threshold: float | None = None, ignore_index: int | None = None,
                zero_division: float = np.nan, backend: str = "auto") -> FloatArray: ...


@overload
def sensitivity(pred: ArrayInput, gt: ArrayInput, *, labels: None = None, regions: Regions,
                threshold: float | None = None, ignore_index: int | None = None,
                zero_division: float = np.nan, backend: str = "auto") -> FloatArray: ...


@overload
def sensitivity(pred: ArrayInput, gt: ArrayInput, *, labels: Labels | None = None,
                regions: Regions | None = None, threshold: float | None = None,
                ignore_index: int | None = None, zero_division: float = np.nan,
                backend: str = "auto") -> float | FloatArray: ...


@_documented(
    "Sensitivity (recall, true positive rate) :math:`TP / (TP + FN)`.",
    "    >>> import numpy as np\n"
    "    >>> sensitivity(np.array([1, 1, 0, 0]), np.array([1, 1, 1, 0]))\n    0.6666666666666666\n",
)
def sensitivity(pred: ArrayInput, gt: ArrayInput, *, labels: Labels | None = None,
                regions: Regions | None = None, threshold: float | None = None,
                ignore_index: int | None = None, zero_division: float = np.nan,
                backend: str = "auto") -> float | FloatArray:
    return _metric(_formulas.sensitivity, pred, gt, labels, threshold, ignore_index,
                   zero_division, backend, regions)


@overload
def specificity(pred: ArrayInput, gt: ArrayInput, *, labels: None = None, regions: None = None,
                threshold: float | None = None, ignore_index: int | None = None,
                zero_division: float = np.nan, backend: str = "auto") -> float: ...


@overload
def specificity(pred: ArrayInput, gt: ArrayInput, *, labels: Labels, regions: None = None,
                threshold: float | None = None, ignore_index: int | None = None,
                zero_division: float = np.nan, backend: str = "auto") -> FloatArray: ...


@overload
def specificity(pred: ArrayInput, gt: ArrayInput, *, labels: None = None, regions: Regions,
                threshold: float | None = None, ignore_index: int | None = None,
                zero_division: float = np.nan, backend: str = "auto") -> FloatArray: ...


@overload
def specificity(pred: ArrayInput, gt: ArrayInput, *, labels: Labels | None = None,
                regions: Regions | None = None, threshold: float | None = None,
                ignore_index: int | None = None, zero_division: float = np.nan,
                backend: str = "auto") -> float | FloatArray: ...


@_documented(
    "Specificity (true negative rate) :math:`TN / (TN + FP)`.",
    "    >>> import numpy as np\n"
    "    >>> specificity(np.array([1, 1, 0, 0]), np.array([1, 0, 0, 0]))\n    0.6666666666666666\n",
)
def specificity(pred: ArrayInput, gt: ArrayInput, *, labels: Labels | None = None,
                regions: Regions | None = None, threshold: float | None = None,
                ignore_index: int | None = None, zero_division: float = np.nan,
                backend: str = "auto") -> float | FloatArray:
    return _metric(_formulas.specificity, pred, gt, labels, threshold, ignore_index,
                   zero_division, backend, regions)


@overload
def precision(pred: ArrayInput, gt: ArrayInput, *, labels: None = None, regions: None = None,
              threshold: float | None = None, ignore_index: int | None = None,
              zero_division: float = np.nan, backend: str = "auto") -> float: ...


@overload
def precision(pred: ArrayInput, gt: ArrayInput, *, labels: Labels, regions: None = None,
              threshold: float | None = None, ignore_index: int | None = None,
              zero_division: float = np.nan, backend: str = "auto") -> FloatArray: ...


@overload
def precision(pred: ArrayInput, gt: ArrayInput, *, labels: None = None, regions: Regions,
              threshold: float | None = None, ignore_index: int | None = None,
              zero_division: float = np.nan, backend: str = "auto") -> FloatArray: ...


@overload
def precision(pred: ArrayInput, gt: ArrayInput, *, labels: Labels | None = None,
              regions: Regions | None = None, threshold: float | None = None,
              ignore_index: int | None = None, zero_division: float = np.nan,
              backend: str = "auto") -> float | FloatArray: ...


@_documented(
    "Precision (positive predictive value) :math:`TP / (TP + FP)`.",
    "    >>> import numpy as np\n"
    "    >>> precision(np.array([1, 1, 0, 0]), np.array([1, 0, 0, 0]))\n    0.5\n",
)
def precision(pred: ArrayInput, gt: ArrayInput, *, labels: Labels | None = None,
              regions: Regions | None = None, threshold: float | None = None,
              ignore_index: int | None = None, zero_division: float = np.nan,
              backend: str = "auto") -> float | FloatArray:
    return _metric(_formulas.precision, pred, gt, labels, threshold, ignore_index,
                   zero_division, backend, regions)


@overload
def accuracy(pred: ArrayInput, gt: ArrayInput, *, labels: None = None, regions: None = None,
             threshold: float | None = None, ignore_index: int | None = None,
             zero_division: float = np.nan, backend: str = "auto") -> float: ...


@overload
def accuracy(pred: ArrayInput, gt: ArrayInput, *, labels: Labels, regions: None = None,
             threshold: float | None = None, ignore_index: int | None = None,
             zero_division: float = np.nan, backend: str = "auto") -> FloatArray: ...


@overload
def accuracy(pred: ArrayInput, gt: ArrayInput, *, labels: None = None, regions: Regions,
             threshold: float | None = None, ignore_index: int | None = None,
             zero_division: float = np.nan, backend: str = "auto") -> FloatArray: ...


@overload
def accuracy(pred: ArrayInput, gt: ArrayInput, *, labels: Labels | None = None,
             regions: Regions | None = None, threshold: float | None = None,
             ignore_index: int | None = None, zero_division: float = np.nan,
             backend: str = "auto") -> float | FloatArray: ...


@_documented(
    "Accuracy :math:`(TP + TN) / N` over the counted voxels.",
    "    >>> import numpy as np\n"
    "    >>> accuracy(np.array([1, 1, 0, 0]), np.array([1, 0, 0, 0]))\n    0.75\n",
)
def accuracy(pred: ArrayInput, gt: ArrayInput, *, labels: Labels | None = None,
             regions: Regions | None = None, threshold: float | None = None,
             ignore_index: int | None = None, zero_division: float = np.nan,
             backend: str = "auto") -> float | FloatArray:
    return _metric(_formulas.accuracy, pred, gt, labels, threshold, ignore_index,
                   zero_division, backend, regions)
