"""The same values in every memory layout the kernels must handle."""
import numpy as np

LAYOUTS = ("c", "f", "strided", "negative", "readonly", "swapped")


def in_layout(array, layout):
    """A view or copy of ``array`` with equal values and the named layout."""
    array = np.asarray(array)
    if array.ndim == 0 and layout in ("c", "f", "strided", "negative"):
        return array.copy()
    if layout == "c":
        return np.ascontiguousarray(array)
    if layout == "f":
        return np.asfortranarray(array)
    if layout == "strided":
        wide = np.zeros(tuple(2 * s for s in array.shape), dtype=array.dtype)
        view = wide[tuple(slice(None, None, 2) for _ in array.shape)]
        view[...] = array
        return view
    if layout == "negative":
        flipped = np.ascontiguousarray(array[tuple(slice(None, None, -1) for _ in array.shape)])
        return flipped[tuple(slice(None, None, -1) for _ in array.shape)]
    if layout == "readonly":
        copy = array.copy()
        copy.flags.writeable = False
        return copy
    if layout == "swapped":
        return array.astype(array.dtype.newbyteorder("S"))
    raise ValueError(layout)
