"""Type stubs of the compiled counting kernels (``_counting.pyx``).

A fused ``label_t`` memoryview takes a C-contiguous array of one of eight integer
dtypes (bool arrays are passed as a uint8 view); every ``label_t`` argument of one
call has the same dtype (``_Label``), the ``label_t`` scalars included (passed as
Python ints). ``prob_t`` is float32 or float64 (``_Prob``).
"""
from typing import TypeVar

import numpy as np
import numpy.typing as npt

_Label = TypeVar("_Label", np.uint8, np.int8, np.uint16, np.int16, np.uint32, np.int32,
                 np.uint64, np.int64)
_Prob = TypeVar("_Prob", np.float32, np.float64)

def binary_counts(pred: npt.NDArray[_Label], gt: npt.NDArray[_Label], has_ignore: bool,
                  ignore: int) -> tuple[int, int, int, int, int]:
    """``(n_pred, n_gt, n_both, n_valid, value_bits)`` over the valid voxels."""

def threshold_counts(prob: npt.NDArray[_Prob], gt: npt.NDArray[_Label], threshold: float,
                     has_ignore: bool, ignore: int) -> tuple[int, int, int, int, int, int]:
    """``(n_pred, n_gt, n_both, n_valid, gt_bits, n_nan)`` with ``prob >= threshold``."""

def confusion_matrix(pred: npt.NDArray[_Label], gt: npt.NDArray[_Label],
                     table: npt.NDArray[np.int64], has_ignore: bool, ignore: int) -> int:
    """Adds the (gt, pred) counts into ``table``; returns the count of labels outside it."""
