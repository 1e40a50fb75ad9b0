"""Input checks shared by every public function.

Each check names the argument, what was expected and what came in. Kernels
never see an input that has not passed through here.
"""
from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Iterable, Mapping
from typing import Any, NoReturn

import numpy as np
import numpy.typing as npt


def as_array(value: Any, name: str) -> npt.NDArray[Any]:
    """``value`` as an ndarray of bool, integer or floating dtype."""
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"{name} must be an array of bool, integer or floating values; got dtype {array.dtype}"
        )
    return array


def check_same_shape(pred: Any, gt: Any) -> None:
    if pred.shape != gt.shape:
        raise ValueError(f"pred and gt must have the same shape; got {pred.shape} and {gt.shape}")


def check_not_empty(array: Any, name: str) -> None:
    if array.size == 0:
        raise ValueError(f"{name} is empty (shape {array.shape}); the metric is undefined")


def check_label_dtype(array: Any, name: str, float_hint: str | None = None) -> None:
    """Bool or integer values; a float array is refused with ``float_hint`` as the fix.

    By default the hint is ``threshold=`` for ``pred`` and ``.astype(int)`` for others.
    """
    if array.dtype.kind == "f":
        if float_hint is None:
            float_hint = ("pass threshold= to binarise a probability map" if name == "pred"
                          else "ground truth must hold labels: convert it with .astype(int)")
        raise TypeError(f"{name} must have a bool or integer dtype; got {array.dtype}: "
                        f"{float_hint}")


def values_found(array: Any, name: str) -> str:
    """``"name holds the values {...}"`` (at most eight), for error messages."""
    values = np.unique(array)
    shown = ", ".join(map(str, values[:8])) + (", ..." if values.size > 8 else "")
    return f"{name} holds the values {{{shown}}}"


def refuse_non_binary(arrays: Mapping[str, Any], what: str, fixes: str) -> NoReturn:
    """Raise the ``ValueError`` for masks that are not 0/1, naming the values of each array.

    ``arrays`` maps argument names to the offending arrays; ``fixes`` says what to do.
    """
    found = "; ".join(values_found(array, name) for name, array in arrays.items())
    raise ValueError(f"{what} need masks of 0/1 or bool values, but {found}. {fixes}")


def check_confidence(confidence: object) -> float:
    """A coverage level strictly between 0 and 1."""
    confidence = check_real(confidence, "confidence")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1); got {confidence}")
    return confidence


def check_probability_dtype(array: Any, name: str) -> None:
    if array.dtype.kind != "f":
        raise TypeError(
            f"{name} must be a floating probability map when threshold is given; got {array.dtype}"
        )


def check_real(value: object, name: str, *, minimum: float | None = None,
               allow_nan: bool = False) -> float:
    """A real number (not bool), finite unless NaN is allowed, and >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {value!r}")
    value = float(value)
    if math.isnan(value):
        if allow_nan:
            return value
        raise ValueError(f"{name} must not be NaN")
    if math.isinf(value) and not allow_nan:
        raise ValueError(f"{name} must be finite; got {value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}")
    return value


def check_int(value: object, name: str, *, minimum: int | None = None) -> int:
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer; got {value!r}")
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer; got {value!r}") from None
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}")
    return value


def check_optional_int(value: object, name: str, *, minimum: int | None = None) -> int | None:
    return None if value is None else check_int(value, name, minimum=minimum)


def check_labels(labels: Any) -> tuple[int, ...]:
    """A non-empty tuple of non-negative integer labels, in the caller's order."""
    if isinstance(labels, (str, bytes)) or np.ndim(labels) != 1:
        raise TypeError(f"labels must be a 1-D sequence of integers; got {labels!r}")
    labels = tuple(check_int(label, "each label", minimum=0) for label in labels)
    if not labels:
        raise ValueError("labels must not be empty; pass labels=None for binary masks")
    return labels


def fits_dtype(value: int, dtype: Any) -> bool:
    """Whether the integer ``value`` is representable in the integer ``dtype``."""
    if dtype == np.bool_:
        return value in (0, 1)
    info = np.iinfo(dtype)
    return info.min <= value <= info.max


def check_choice(value: object, name: str, choices: Iterable[str]) -> str:
    """``value`` if it is one of the strings ``choices``; else ``ValueError``."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value


#: Smallest and largest accepted voxel size. Distances are ``sqrt(sum((d_i s_i)^2))``:
#: within this range every square is a normal float64 (no underflow to 0, no overflow
#: to inf) for offsets up to 2**40 voxels on up to 64 axes.
SPACING_RANGE = (1e-100, 1e100)


def check_spacing_value(value: object, name: str = "each spacing value") -> float:
    """One voxel size: a real number in :data:`SPACING_RANGE`."""
    if isinstance(value, np.generic):
        value = value.item()
    value = check_real(value, name)
    low, high = SPACING_RANGE
    if value <= 0:
        raise ValueError(f"{name} must be > 0; got {value}")
    if not low <= value <= high:
        raise ValueError(
            f"{name} must lie in [{low:g}, {high:g}] (its squared distances must be normal "
            f"floats, neither 0 nor inf); got {value!r}: rescale the unit (e.g. mm instead of m)")
    return value


def check_spacing(spacing: Any, ndim: int) -> tuple[float, ...]:
    """Physical voxel size per axis as a tuple of ``ndim`` floats in :data:`SPACING_RANGE`.

    ``None`` means 1.0 per axis; a single number is used for every axis.
    """
    if spacing is None:
        return (1.0,) * ndim
    if np.ndim(spacing) == 0:
        spacing = (spacing,) * ndim
    elif isinstance(spacing, (str, bytes)) or np.ndim(spacing) != 1:
        raise TypeError(f"spacing must be a number or a 1-D sequence of {ndim} numbers; "
                        f"got {spacing!r}")
    values = list(spacing)
    if len(values) != ndim:
        raise ValueError(f"spacing must have one value per array axis ({ndim}); "
                         f"got {len(values)} values: {tuple(values)!r}")
    return tuple(check_spacing_value(value) for value in values)
