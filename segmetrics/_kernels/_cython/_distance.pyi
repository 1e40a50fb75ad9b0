"""Type stubs of the compiled distance kernels (``_distance.pyx``).

Label volumes are 3-D arrays (any strides) of one of eight integer dtypes
(``_Label``, bool passed as a uint8 view), the same for every ``label_t`` argument of
one call, the ``value`` scalar included (a Python int). Boundary sets and
distances are C-contiguous int64, int32 and float64 arrays.
"""
from collections.abc import Sequence
from typing import TypeVar

import numpy as np
import numpy.typing as npt

_Label = TypeVar("_Label", np.uint8, np.int8, np.uint16, np.int16, np.uint32, np.int32,
                 np.uint64, np.int64)

def mask_bbox(mask: npt.NDArray[_Label]) -> tuple[bool, int, int, int, int, int, int, int]:
    """``(found, bits, lo0, hi0, lo1, hi1, lo2, hi2)`` of the non-zero voxels (hi exclusive)."""

def label_bboxes(labelmap: npt.NDArray[_Label], labels: npt.NDArray[_Label],
                 boxes: npt.NDArray[np.int64]) -> None:
    """Fills ``boxes[l] = (lo0, hi0, lo1, hi1, lo2, hi2)`` for each sorted label (hi inclusive)."""

def boundary_rows(mask: npt.NDArray[_Label], value: int, ndim: int,
                  full: bool) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]]:
    """Boundary voxels of ``mask == value`` as ``(row_ptr, cols)``."""

def _full_boundary_rows(mask: npt.NDArray[_Label], value: int,
                        ndim: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]]: ...
def _face_boundary_rows(mask: npt.NDArray[_Label], value: int,
                        ndim: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32]]: ...
def directed_distances(q_origin: npt.NDArray[np.int64], q_n1: int,
                       q_row_ptr: npt.NDArray[np.int64], q_cols: npt.NDArray[np.int32],
                       t_origin: npt.NDArray[np.int64], t_n0: int, t_n1: int,
                       t_row_ptr: npt.NDArray[np.int64], t_cols: npt.NDArray[np.int32],
                       spacing: npt.NDArray[np.float64], out: npt.NDArray[np.float64],
                       sample_every: int, max_probes: int) -> int:
    """Writes the distance of each query voxel into ``out``; returns the probes spent
    (-1 once ``max_probes`` > 0 is exceeded)."""

def edt(mask: npt.NDArray[np.uint8], shape: Sequence[int],
        spacing: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Flat float64 Euclidean distance transform of a flat C-ordered mask of ``shape``."""
