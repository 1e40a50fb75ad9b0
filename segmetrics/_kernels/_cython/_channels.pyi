"""Type stubs of the compiled channel kernels (``_channels.pyx``).

``scores``/``prob`` are C-contiguous float32 or float64 arrays (``_Prob``); label
arrays are C-contiguous arrays of one of eight integer dtypes (``_Label``), the same
for every ``label_t`` argument of one call, the ``ignore`` scalar included (a Python
int). ``out`` and ``table`` are C-contiguous int64 arrays the kernels add into.
"""
from typing import TypeVar

import numpy as np
import numpy.typing as npt

_Label = TypeVar("_Label", np.uint8, np.int8, np.uint16, np.int16, np.uint32, np.int32,
                 np.uint64, np.int64)
_Prob = TypeVar("_Prob", np.float32, np.float64)

def argmax_onehot_counts(scores: npt.NDArray[_Prob], onehot: npt.NDArray[_Label], start: int,
                         stop: int, out: npt.NDArray[np.int64]) -> tuple[int, int]:
    """Adds ``(n_pred, n_gt, n_both)`` per channel into ``out``; returns ``(gt_bits, n_nan)``."""

def argmax_confusion(scores: npt.NDArray[_Prob], gt: npt.NDArray[_Label], start: int, stop: int,
                     table: npt.NDArray[np.int64], has_ignore: bool,
                     ignore: int) -> tuple[int, int]:
    """Adds the ``(gt, argmax)`` counts into ``table``; returns ``(n_bad, n_nan)``."""

def threshold_index_counts(scores: npt.NDArray[_Prob], gt: npt.NDArray[_Label], threshold: float,
                           start: int, stop: int, out: npt.NDArray[np.int64], has_ignore: bool,
                           ignore: int) -> tuple[int, int, int]:
    """Adds ``(n_pred, n_gt, n_both)`` per channel; returns ``(n_valid, n_bad, n_nan)``."""

def threshold_rows(prob: npt.NDArray[_Prob], gt: npt.NDArray[_Label], threshold: float,
                   out: npt.NDArray[np.int64]) -> tuple[int, int]:
    """Adds ``(n_pred, n_gt, n_both)`` per row into ``out``; returns ``(gt_bits, n_nan)``."""

def binary_rows(pred: npt.NDArray[_Label], gt: npt.NDArray[_Label],
                out: npt.NDArray[np.int64]) -> int:
    """Adds ``(n_pred, n_gt, n_both)`` per row into ``out``; returns the OR of all values."""
