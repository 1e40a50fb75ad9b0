"""Confusion counts of two segmentations and the overlap metrics derived from them.

Each public metric validates its inputs, counts once with the chosen backend
and derives the metric with :mod:`segmetrics.from_counts`. With ``labels=None``
the inputs are binary masks and the result is a Python float; with
``labels=[...]`` every label is scored one-vs-rest from a single confusion
matrix pass and the result is a float64 array in ``labels`` order.
"""
import numpy as np

from segmetrics import _chunked, _layout
from segmetrics import from_counts as _formulas
from segmetrics._backends import backend_name, check_backend, kernels
from segmetrics._validate import (
    as_array,
    check_label_dtype,
    check_labels,
    check_not_empty,
    check_optional_int,
    check_probability_dtype,
    check_real,
    check_same_shape,
    fits_dtype,
    refuse_non_binary,
    values_found,
)
from segmetrics.from_counts import Counts

__all__ = [
    "binary_counts", "confusion_matrix", "dice", "jaccard", "tversky", "kappa",
    "sensitivity", "specificity", "precision", "accuracy",
]


def _checked_pair(pred, gt, *, threshold):
    pred = as_array(pred, "pred")
    gt = as_array(gt, "gt")
    check_same_shape(pred, gt)
    check_not_empty(gt, "gt")
    if threshold is None:
        check_label_dtype(pred, "pred")
    else:
        check_probability_dtype(pred, "pred")
    check_label_dtype(gt, "gt")
    return pred, gt


def _ignore_args(ignore_index, gt_dtype):
    """Kernel arguments ``(has_ignore, ignore)``; a label the dtype cannot hold never matches."""
    ignore_index = check_optional_int(ignore_index, "ignore_index")
    if ignore_index is None or not fits_dtype(ignore_index, gt_dtype):
        return False, 0
    return True, ignore_index


def binary_counts(pred, gt, *, threshold=None, ignore_index=None, backend="auto"):
    """Count TP, FP, FN and TN of two binary masks in one pass.

    Parameters
    ----------
    pred, gt : array_like or dask.array.Array
        Masks of the same shape: bool, or integers holding only 0 and 1. With
        ``threshold``, ``pred`` is a floating probability map instead. Dask
        arrays are counted chunk by chunk; the counts are summed.
    threshold : float, optional
        Foreground is ``pred >= threshold``, compared in ``pred``'s precision.
        NaN in ``pred`` is an error.
    ignore_index : int, optional
        Voxels whose ground truth equals this value are not counted.
    backend : {"auto", "cython", "numba", "numpy"}
        Kernel implementation; all give identical counts.

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
    check_backend(backend)
    if threshold is not None:
        threshold = check_real(threshold, "threshold")
    if _chunked.is_chunked(pred) or _chunked.is_chunked(gt):
        return _chunked.binary_counts(pred, gt, lambda p, g: binary_counts(
            p, g, threshold=threshold, ignore_index=ignore_index, backend=backend))
    pred, gt = _checked_pair(pred, gt, threshold=threshold)
    has_ignore, ignore = _ignore_args(ignore_index, gt.dtype)
    module = kernels(backend)
    parallel = backend_name(module) != "numpy"
    gt_dtype = _layout.kernel_label_dtype(gt.dtype)
    if threshold is None:
        pred_dtype = gt_dtype = _layout.kernel_label_dtype(pred.dtype, gt.dtype)

        def count(p, g):
            return module.binary_counts(p, g, has_ignore, ignore)
    else:
        pred_dtype = _layout.kernel_probability_dtype(pred.dtype)
        # Round the threshold to pred's own precision, as NumPy's comparison does.
        threshold = float(pred.dtype.type(threshold))

        def count(p, g):
            return module.threshold_counts(p, g, threshold, has_ignore, ignore)

    pairs = _layout.flat_pairs(pred, gt, pred_dtype, gt_dtype)
    results = _layout.map_pairs(count, pairs, parallel)
    n_pred, n_gt, n_both, n_valid = (sum(r[i] for r in results) for i in range(4))
    value_bits = 0
    for result in results:
        value_bits |= result[4]
    if threshold is not None and sum(r[5] for r in results):
        raise ValueError("pred holds NaN values; a probability map with NaN cannot be thresholded")
    if value_bits & ~1:
        arrays = {"gt": gt} if threshold is not None else {"pred": pred, "gt": gt}
        refuse_non_binary(arrays, "binary metrics",
                          "Binarise a 0/255 mask with `mask > 0`, pass threshold= for a "
                          "probability map, or pass labels=[...] to score a label map per label")
    return Counts(tp=n_both, fp=n_pred - n_both, fn=n_gt - n_both,
                  tn=n_valid - n_pred - n_gt + n_both)


def confusion_matrix(pred, gt, *, num_classes=None, ignore_index=None, backend="auto"):
    """K x K confusion matrix of two integer label maps, in one pass.

    Parameters
    ----------
    pred, gt : array_like of int, or dask.array.Array
        Label maps of the same shape (bool, uint8, uint16, int32, int64, ...).
        Dask arrays are counted chunk by chunk; the tables are summed.
    num_classes : int, optional
        K. Every counted label must lie in ``[0, K)``. By default K is the
        largest counted label plus one.
    ignore_index : int, optional
        Voxels whose ground truth equals this value are not counted; it may
        lie outside ``[0, K)``.
    backend : {"auto", "cython", "numba", "numpy"}
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
    check_backend(backend)
    num_classes = check_optional_int(num_classes, "num_classes", minimum=1)
    if _chunked.is_chunked(pred) or _chunked.is_chunked(gt):
        confusion = _chunked.confusion_matrix(pred, gt, lambda p, g: confusion_matrix(
            p, g, num_classes=num_classes, ignore_index=ignore_index, backend=backend))
        return confusion if num_classes is not None else _trim_to_present_labels(confusion)
    pred, gt = _checked_pair(pred, gt, threshold=None)
    has_ignore, ignore = _ignore_args(ignore_index, gt.dtype)
    module = kernels(backend)
    dtype = _layout.kernel_label_dtype(pred.dtype, gt.dtype)
    k = num_classes if num_classes is not None else _label_bound(pred, gt, dtype, has_ignore, ignore)
    if k > MAX_DENSE_CLASSES:
        raise ValueError(
            f"a {k} x {k} confusion matrix is too large to hold (labels up to {k - 1}); "
            "pass labels=[...] to the metric functions, which count only the labels asked for"
        )
    pairs = _layout.flat_pairs(pred, gt, dtype, dtype)
    confusion, n_bad = _count_pairs(module, pairs, k, has_ignore, ignore)
    if n_bad:
        expected = f"[0, {num_classes})" if num_classes is not None else "non-negative"
        raise ValueError(
            f"{n_bad} voxels hold labels that are not {expected}: "
            f"{values_found(pred, 'pred')}; {values_found(gt, 'gt')}"
        )
    if num_classes is None:
        confusion = _trim_to_present_labels(confusion)
    return confusion


MAX_DENSE_CLASSES = 8192


def _count_pairs(module, pairs, k, has_ignore, ignore):
    """Sum the kernel's K x K tables over flat pairs; also the count of out-of-range voxels."""
    def count(p, g):
        table = np.zeros((k, k), dtype=np.int64)
        return table, module.confusion_matrix(p, g, table, has_ignore, ignore)

    results = _layout.map_pairs(count, pairs, backend_name(module) != "numpy")
    return sum(table for table, _ in results), sum(bad for _, bad in results)


def _coded_pairs(pairs, labels, has_ignore, ignore):
    """Replace each voxel by its label's code: 1 + index in ``labels``, 0 for the rest.

    The ignored ground-truth value gets code ``len(labels) + 1``.
    """
    code_dtype = np.dtype(np.uint16) if len(labels) < 65535 else np.dtype(np.int64)
    for p, g in pairs:
        coded = []
        for values in (p, g):
            index = np.searchsorted(labels, values)
            found = labels[np.minimum(index, len(labels) - 1)] == values
            coded.append(np.where(found, index + 1, 0).astype(code_dtype))
        if has_ignore:
            coded[1][g == ignore] = len(labels) + 1
        yield coded[0], coded[1]


def _sparse_label_counts(pred, gt, labels, ignore_index, backend):
    """One-vs-rest counts of a few labels of a map whose labels are too large for a dense table."""
    has_ignore, ignore = _ignore_args(ignore_index, gt.dtype)
    gt_min = gt.min(where=gt != ignore, initial=0) if has_ignore else gt.min()
    if pred.min() < 0 or gt_min < 0:
        raise ValueError(f"labels must be non-negative: {values_found(pred, 'pred')}; "
                         f"{values_found(gt, 'gt')}")
    module = kernels(backend)
    dtype = _layout.kernel_label_dtype(pred.dtype, gt.dtype)
    keys = np.unique(np.array([label for label in labels if fits_dtype(label, dtype)], dtype=dtype))
    ignore_code = len(keys) + 1
    pairs = _coded_pairs(_layout.flat_pairs(pred, gt, dtype, dtype), keys, has_ignore, ignore)
    table, _ = _count_pairs(module, pairs, ignore_code + 1, has_ignore, ignore_code)
    # A label the dtype cannot hold is absent: give it the ignore code's empty row and column.
    codes = [np.searchsorted(keys, label) + 1 if fits_dtype(label, dtype) else ignore_code
             for label in labels]
    return _formulas.per_label_counts(table, codes)


def _label_bound(pred, gt, dtype, has_ignore, ignore):
    """An upper bound on the counted labels, so the kernel's table holds them all."""
    if dtype.itemsize == 1:
        return 256 if dtype.kind == "u" else 128
    gt_max = gt.max(where=gt != ignore, initial=0) if has_ignore else gt.max()
    return int(max(pred.max(), gt_max, 0)) + 1


def _trim_to_present_labels(confusion):
    present = np.flatnonzero(confusion.sum(axis=0) + confusion.sum(axis=1))
    k = int(present[-1]) + 1 if present.size else 0
    return np.ascontiguousarray(confusion[:k, :k])


def _counts(pred, gt, labels, threshold, ignore_index, backend):
    """Binary counts (``labels=None``) or one-vs-rest counts per label, from one pass."""
    if labels is None:
        return binary_counts(pred, gt, threshold=threshold, ignore_index=ignore_index,
                             backend=backend)
    labels = check_labels(labels)
    if threshold is not None:
        raise ValueError("threshold binarises a probability map; it cannot be used with labels=")
    if _chunked.is_chunked(pred) or _chunked.is_chunked(gt):
        confusion = confusion_matrix(pred, gt, ignore_index=ignore_index, backend=backend)
        return _formulas.per_label_counts(_padded(confusion, max(labels) + 1), labels)
    pred, gt = _checked_pair(pred, gt, threshold=None)
    num_classes = None
    if _layout.kernel_label_dtype(pred.dtype, gt.dtype).itemsize > 1:
        num_classes = int(max(pred.max(), gt.max(), 0)) + 1
        if num_classes > MAX_DENSE_CLASSES:
            return _sparse_label_counts(pred, gt, labels, ignore_index, backend)
    confusion = confusion_matrix(pred, gt, num_classes=num_classes, ignore_index=ignore_index,
                                 backend=backend)
    return _formulas.per_label_counts(_padded(confusion, max(labels) + 1), labels)


def _padded(confusion, k):
    """``confusion`` grown with zero rows and columns to at least k x k."""
    k = max(confusion.shape[0], k)
    padded = np.zeros((k, k), dtype=np.int64)
    padded[:confusion.shape[0], :confusion.shape[0]] = confusion
    return padded


def _metric(formula, pred, gt, labels, threshold, ignore_index, zero_division, backend, **params):
    check_backend(backend)
    check_real(zero_division, "zero_division", allow_nan=True)
    counts = _counts(pred, gt, labels, threshold, ignore_index, backend)
    value = formula(counts, zero_division=zero_division, **params)
    return float(value) if labels is None else value


_SHARED_PARAMETERS = """
    Parameters
    ----------
    pred, gt : array_like or dask.array.Array
        Same shape, any number of dimensions. With ``labels=None``: bool or
        0/1 integer masks (a 0/255 mask or a label map is refused). With
        ``labels``: integer label maps. Dask arrays (e.g. over a Zarr store
        larger than memory) are counted chunk by chunk and give the same result.
    labels : sequence of int, optional
        Score each label one-vs-rest, all from one confusion-matrix pass.
    threshold : float, optional
        Binary only: ``pred`` is a probability map, foreground ``pred >= threshold``.
    ignore_index : int, optional
        Voxels whose ground truth equals this value are not counted.
    zero_division : float, default NaN
        Returned where the metric is 0/0 (see the conventions page).
    backend : {"auto", "cython", "numba", "numpy"}
        Kernel implementation; all give identical counts.

    Returns
    -------
    float or ndarray of float64
        A float for binary masks, an array in ``labels`` order otherwise.
"""


def _documented(summary, example):
    def attach(function):
        function.__doc__ = summary + "\n" + _SHARED_PARAMETERS + "\n    Examples\n    --------\n" + example
        return function
    return attach


@_documented(
    "Dice coefficient :math:`2TP / (2TP + FP + FN)` (F1 score).",
    "    >>> import numpy as np\n"
    "    >>> dice(np.array([1, 1, 0, 0]), np.array([1, 0, 1, 0]))\n    0.5\n",
)
def dice(pred, gt, *, labels=None, threshold=None, ignore_index=None, zero_division=np.nan,
         backend="auto"):
    return _metric(_formulas.dice, pred, gt, labels, threshold, ignore_index, zero_division, backend)


@_documented(
    "Jaccard index (IoU) :math:`TP / (TP + FP + FN)`.",
    "    >>> import numpy as np\n"
    "    >>> jaccard(np.array([1, 1, 0, 0]), np.array([1, 0, 1, 0]))\n    0.3333333333333333\n",
)
def jaccard(pred, gt, *, labels=None, threshold=None, ignore_index=None, zero_division=np.nan,
            backend="auto"):
    return _metric(_formulas.jaccard, pred, gt, labels, threshold, ignore_index, zero_division,
                   backend)


@_documented(
    "Tversky index :math:`TP / (TP + \\alpha FP + \\beta FN)`.\n\n"
    "    ``alpha`` weighs false positives and ``beta`` false negatives:\n"
    "    (0.5, 0.5) is Dice, (1, 1) is Jaccard.",
    "    >>> import numpy as np\n"
    "    >>> tversky(np.array([1, 1, 0, 0]), np.array([1, 0, 1, 0]), alpha=1.0, beta=0.0)\n"
    "    0.5\n",
)
def tversky(pred, gt, *, alpha=0.5, beta=0.5, labels=None, threshold=None, ignore_index=None,
            zero_division=np.nan, backend="auto"):
    return _metric(_formulas.tversky, pred, gt, labels, threshold, ignore_index, zero_division,
                   backend, alpha=alpha, beta=beta)


def kappa(pred, gt, *, labels=None, multiclass=False, threshold=None, ignore_index=None,
          zero_division=np.nan, backend="auto"):
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
                       backend)
    check_backend(backend)
    check_real(zero_division, "zero_division", allow_nan=True)
    if threshold is not None:
        raise ValueError("threshold binarises a probability map; it cannot be used with multiclass")
    confusion = confusion_matrix(pred, gt, ignore_index=ignore_index, backend=backend)
    if labels is not None:
        labels = check_labels(labels)
        confusion = _padded(confusion, max(labels) + 1)[np.ix_(labels, labels)]
    return float(_formulas.kappa_multiclass(confusion, zero_division=zero_division))


@_documented(
    "Sensitivity (recall, true positive rate) :math:`TP / (TP + FN)`.",
    "    >>> import numpy as np\n"
    "    >>> sensitivity(np.array([1, 1, 0, 0]), np.array([1, 1, 1, 0]))\n    0.6666666666666666\n",
)
def sensitivity(pred, gt, *, labels=None, threshold=None, ignore_index=None,
                zero_division=np.nan, backend="auto"):
    return _metric(_formulas.sensitivity, pred, gt, labels, threshold, ignore_index,
                   zero_division, backend)


@_documented(
    "Specificity (true negative rate) :math:`TN / (TN + FP)`.",
    "    >>> import numpy as np\n"
    "    >>> specificity(np.array([1, 1, 0, 0]), np.array([1, 0, 0, 0]))\n    0.6666666666666666\n",
)
def specificity(pred, gt, *, labels=None, threshold=None, ignore_index=None,
                zero_division=np.nan, backend="auto"):
    return _metric(_formulas.specificity, pred, gt, labels, threshold, ignore_index,
                   zero_division, backend)


@_documented(
    "Precision (positive predictive value) :math:`TP / (TP + FP)`.",
    "    >>> import numpy as np\n"
    "    >>> precision(np.array([1, 1, 0, 0]), np.array([1, 0, 0, 0]))\n    0.5\n",
)
def precision(pred, gt, *, labels=None, threshold=None, ignore_index=None,
              zero_division=np.nan, backend="auto"):
    return _metric(_formulas.precision, pred, gt, labels, threshold, ignore_index,
                   zero_division, backend)


@_documented(
    "Accuracy :math:`(TP + TN) / N` over the counted voxels.",
    "    >>> import numpy as np\n"
    "    >>> accuracy(np.array([1, 1, 0, 0]), np.array([1, 0, 0, 0]))\n    0.75\n",
)
def accuracy(pred, gt, *, labels=None, threshold=None, ignore_index=None,
             zero_division=np.nan, backend="auto"):
    return _metric(_formulas.accuracy, pred, gt, labels, threshold, ignore_index,
                   zero_division, backend)
