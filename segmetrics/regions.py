"""Label regions: metrics over unions of labels (BraTS whole tumour, tumour core, ...).

A region is a named set of labels; a voxel belongs to it when its label is in
the set. The overlap metrics count every region from the one K x K confusion
matrix of the two label maps (:func:`region_counts`: a region's TP is the sum of
the table over its labels' rows and columns), whatever kind of array was
counted (host, Dask or device: all return the same table). The distance
metrics score the union mask of each region (:func:`region_masks`).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from segmetrics._types import Labels, Regions
from segmetrics._validate import check_labels
from segmetrics.from_counts import Counts

__all__ = ["BRATS", "check_regions", "parse_regions", "region_counts"]

#: The BraTS / nnU-Net regions of the labels 1 (necrotic core), 2 (oedema), 3 (enhancing).
BRATS: dict[str, tuple[int, ...]] = {"WT": (1, 2, 3), "TC": (1, 3), "ET": (3,)}

#: Region presets of ``--regions``.
PRESETS: dict[str, dict[str, tuple[int, ...]]] = {"brats": BRATS}


def check_regions(regions: object) -> tuple[tuple[str, ...], tuple[tuple[int, ...], ...]]:
    """``{name: labels}`` checked: str names, non-empty label sets; returns (names, label tuples).

    Raises
    ------
    TypeError, ValueError
        Naming ``regions``, what was expected and what came in.
    """
    if not isinstance(regions, Mapping):
        raise TypeError(f"regions must be a mapping {{name: [labels]}}, e.g. "
                        f"{{'WT': [1, 2, 3], 'TC': [1, 3], 'ET': [3]}}; got {regions!r}")
    if not regions:
        raise ValueError("regions must hold at least one region; got an empty mapping")
    names: list[str] = []
    sets: list[tuple[int, ...]] = []
    for name, labels in regions.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"each region name must be a non-empty str; got {name!r}")
        try:
            checked = check_labels(labels)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"region {name!r}: {exc}") from None
        names.append(name)
        sets.append(tuple(dict.fromkeys(checked)))
    return tuple(names), tuple(sets)


def exclusive(labels: Labels | None, regions: Regions | None) -> None:
    """Refuse ``labels`` and ``regions`` together (a metric scores one or the other)."""
    if labels is not None and regions is not None:
        raise ValueError("pass labels= or regions=, not both (a region of one label is "
                         "{'name': [label]})")


def region_counts(confusion: npt.ArrayLike, label_sets: Sequence[Sequence[int]]) -> Counts:
    """:class:`.Counts` of each region from one confusion matrix.

    Parameters
    ----------
    confusion : (K, K) array of int
        Rows ground truth, columns prediction (:func:`segmetrics.confusion_matrix`).
    label_sets : sequence of sequence of int
        The labels of each region; labels >= K are absent.

    Returns
    -------
    Counts
        int64 arrays in region order: :math:`TP_R = \\sum_{i, j \\in R} C_{ij}`,
        :math:`FN_R = \\sum_{i \\in R} \\sum_{j} C_{ij} - TP_R`,
        :math:`FP_R = \\sum_{j \\in R} \\sum_{i} C_{ij} - TP_R`, and TN the rest.

    Examples
    --------
    >>> import numpy as np
    >>> from segmetrics import confusion_matrix
    >>> gt, pred = np.array([0, 1, 2, 3, 3]), np.array([0, 1, 3, 3, 0])
    >>> region_counts(confusion_matrix(pred, gt), [(1, 2, 3), (3,)])
    Counts(tp=array([3, 1]), fp=array([0, 1]), fn=array([1, 1]), tn=array([1, 2]))
    """
    table = np.asarray(confusion, dtype=np.int64)
    k = table.shape[0]
    rows, columns, total = table.sum(axis=1), table.sum(axis=0), table.sum()
    tp, fp, fn = (np.zeros(len(label_sets), dtype=np.int64) for _ in range(3))
    for r, labels in enumerate(label_sets):
        inside = np.array([label for label in labels if label < k], dtype=np.intp)
        tp[r] = table[np.ix_(inside, inside)].sum()
        fn[r] = rows[inside].sum() - tp[r]
        fp[r] = columns[inside].sum() - tp[r]
    return Counts(tp, fp, fn, total - tp - fp - fn)


def region_masks(pred: Any, gt: Any, labels: Sequence[int], device: bool) -> tuple[Any, Any]:
    """The two union masks (bool) of one region; on the arrays' device when ``device``."""
    if device:
        from segmetrics._gpu._tensors import torch_module

        torch = torch_module()

        def member(array: Any) -> Any:
            low, high = ((0, 1) if array.dtype == torch.bool
                         else (torch.iinfo(array.dtype).min, torch.iinfo(array.dtype).max))
            held = [label for label in labels if low <= label <= high]
            return torch.isin(array, torch.tensor(held, dtype=array.dtype, device=array.device))

        return member(pred), member(gt)
    return np.isin(pred, labels), np.isin(gt, labels)


def parse_regions(text: str) -> dict[str, tuple[int, ...]]:
    """``--regions`` text -> ``{name: labels}``: a preset name or ``'WT=1,2,3;TC=1,3;ET=3'``.

    Examples
    --------
    >>> parse_regions("WT=1,2,3;ET=3")
    {'WT': (1, 2, 3), 'ET': (3,)}
    >>> parse_regions("brats")
    {'WT': (1, 2, 3), 'TC': (1, 3), 'ET': (3,)}
    """
    text = text.strip()
    if text.lower() in PRESETS:
        return dict(PRESETS[text.lower()])
    regions: dict[str, tuple[int, ...]] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        name, sep, values = part.partition("=")
        name = name.strip()
        try:
            labels = tuple(int(v) for v in values.split(",") if v.strip())
        except ValueError:
            labels = ()
        if not sep or not name or not labels or name in regions:
            raise ValueError(
                f"--regions must be a preset ({', '.join(PRESETS)}) or 'NAME=L1,L2;NAME=L3' "
                f"with distinct names and integer labels, e.g. 'WT=1,2,3;TC=1,3;ET=3'; "
                f"got {text!r}")
        regions[name] = labels
    check_regions(regions)
    return regions
