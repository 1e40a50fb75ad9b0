"""Type aliases of the public API (for type checkers and readers; nothing here runs any check).

``ArrayInput`` is what the metrics accept as ``pred``, ``gt`` or ``mask``: anything
:func:`numpy.asarray` converts (:data:`numpy.typing.ArrayLike`: arrays, nested
sequences, scalars), or an array that is counted where it lives: a Dask array
(chunk by chunk), a CUDA PyTorch tensor, a CuPy or a JAX array (on its device).
Not all of those are ``ArrayLike`` to a type checker, and not all of them ship type
information, so they are admitted by :class:`SupportsShape`, the one attribute every
one of them has (``shape``). The union says what the functions take, but it cannot
tell a good array from a bad one (nor could any static type: the rules are on values,
dtypes and shapes): those checks are made at run time, with errors that name the
argument, what was expected and what came in (see the conventions page).

The results are precise: Python ``float`` for binary masks, ``FloatArray``
(``numpy.ndarray`` of float64) per label or region.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, TypeVar, Union, overload

import numpy as np
import numpy.typing as npt

__all__ = ["ArrayInput", "CountValue", "FloatArray", "IntArray", "Labels", "Regions",
           "Spacing", "SupportsShape", "CountsMetric"]


class SupportsShape(Protocol):
    """An array type with a ``shape``: Dask, PyTorch, CuPy and JAX arrays all have one."""

    @property
    def shape(self) -> tuple[int, ...]: ...


#: ``pred`` / ``gt``: anything NumPy converts, or a Dask or device array (see the module doc).
ArrayInput = Union[npt.ArrayLike, SupportsShape]
#: float64 results, one value per label or region.
FloatArray = npt.NDArray[np.float64]
#: int64 tables (confusion matrices, counts per label).
IntArray = npt.NDArray[np.int64]
#: ``labels=``: non-negative integer labels, in the order of the results.
Labels = Union[Sequence[int], npt.NDArray[np.integer[Any]]]
#: ``regions=``: ``{name: labels}``, e.g. ``{"WT": [1, 2, 3], "TC": [1, 3], "ET": [3]}``.
Regions = Mapping[str, Labels]
#: ``spacing=``: one voxel size for every axis, or one per axis; None is 1.0 each.
Spacing = Union[float, Sequence[float], npt.NDArray[np.floating[Any]], None]
#: A field of :class:`segmetrics.Counts`: a Python int (binary masks), or int64 arrays.
CountValue = Union[int, np.integer[Any], npt.NDArray[np.integer[Any]]]

#: A function type, for decorators that return the function they are given.
F = TypeVar("F", bound=Callable[..., Any])


class CountsMetric(Protocol):
    """The signature of a metric derived from confusion counts (e.g. ``segmetrics.mcc``).

    The metrics of :mod:`segmetrics.rates` are made by one factory, so their type is
    this protocol: a ``float`` for binary masks, a float64 array with ``labels`` or
    ``regions`` (the same overloads as :func:`segmetrics.dice`).
    """

    @overload
    def __call__(self, pred: ArrayInput, gt: ArrayInput, *, labels: None = None,
                 regions: None = None, threshold: float | None = None,
                 ignore_index: int | None = None, zero_division: float = np.nan,
                 backend: str = "auto") -> float: ...

    @overload
    def __call__(self, pred: ArrayInput, gt: ArrayInput, *, labels: Labels,
                 regions: None = None, threshold: float | None = None,
                 ignore_index: int | None = None, zero_division: float = np.nan,
                 backend: str = "auto") -> FloatArray: ...

    @overload
    def __call__(self, pred: ArrayInput, gt: ArrayInput, *, labels: None = None,
                 regions: Regions, threshold: float | None = None,
                 ignore_index: int | None = None, zero_division: float = np.nan,
                 backend: str = "auto") -> FloatArray: ...

    @overload
    def __call__(self, pred: ArrayInput, gt: ArrayInput, *, labels: Labels | None = None,
                 regions: Regions | None = None, threshold: float | None = None,
                 ignore_index: int | None = None, zero_division: float = np.nan,
                 backend: str = "auto") -> float | FloatArray: ...
