"""Memory layout: turn two same-shape N-d arrays into 1-D kernel inputs.

Counting is order-independent as long as both arrays are walked in the same
order, so two arrays with the same contiguous layout (C or F) are flattened as
views. Anything else (mixed layouts, strided or negative-stride views, other
byte orders, dtypes the kernels lack) is copied slab by slab along the first
axis, so the extra memory is bounded by ``SLAB_BYTES``, not the volume.
"""
import numpy as np

from segmetrics._executor import cpu_count, map_threads, set_num_threads  # noqa: F401
from segmetrics._executor import thread_count as _thread_count

SLAB_BYTES = 1 << 24
PARALLEL_MIN_ELEMENTS = 1 << 22

LABEL_DTYPES = tuple(np.dtype(t) for t in (
    np.uint8, np.int8, np.uint16, np.int16, np.uint32, np.int32, np.uint64, np.int64))
PROBABILITY_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def kernel_label_dtype(*dtypes):
    """The kernel dtype that holds every value of the given bool/integer dtypes."""
    native = [np.dtype(np.uint8) if d == np.bool_ else d.newbyteorder("=") for d in dtypes]
    common = native[0]
    for dtype in native[1:]:
        common = np.promote_types(common, dtype)
    if common.kind == "f":  # uint64 with a signed type: keep integers
        common = np.dtype(np.int64)
    return common


def kernel_probability_dtype(dtype):
    """float32 for float16/float32 maps, float64 otherwise."""
    return np.dtype(np.float32) if dtype.itemsize <= 4 else np.dtype(np.float64)


def _as_flat_view(array, dtype):
    """A 1-D view of ``array`` as ``dtype`` in memory order, or None if that needs a copy."""
    if array.dtype == np.bool_ and dtype == np.uint8:
        array = array.view(np.uint8)
    if array.dtype != dtype:
        return None
    if array.flags.c_contiguous:
        return array.reshape(-1)
    if array.flags.f_contiguous:
        return array.reshape(-1, order="F")
    return None


def flat_pairs(a, b, a_dtype, b_dtype):
    """Yield pairs of 1-D contiguous arrays covering ``a`` and ``b`` element for element."""
    a = a.reshape(1) if a.ndim == 0 else a
    b = b.reshape(1) if b.ndim == 0 else b
    same_order = (a.flags.c_contiguous and b.flags.c_contiguous) or (
        a.flags.f_contiguous and b.flags.f_contiguous)
    if same_order:
        a_flat, b_flat = _as_flat_view(a, a_dtype), _as_flat_view(b, b_dtype)
        if a_flat is not None and b_flat is not None:
            yield a_flat, b_flat
            return
    row_bytes = max(1, a[0].size * max(a_dtype.itemsize, b_dtype.itemsize))
    rows = max(1, SLAB_BYTES // row_bytes)
    for start in range(0, a.shape[0], rows):
        yield (np.ascontiguousarray(a[start:start + rows], dtype=a_dtype).reshape(-1),
               np.ascontiguousarray(b[start:start + rows], dtype=b_dtype).reshape(-1))


def split_pair(a, b, parallel):
    """``[(a, b)]``, or one part per thread for a large pair when ``parallel``."""
    threads = _thread_count()
    if not parallel or threads < 2 or a.shape[0] < PARALLEL_MIN_ELEMENTS:
        return [(a, b)]
    bounds = np.linspace(0, a.shape[0], threads + 1).astype(int)
    return [(a[lo:hi], b[lo:hi]) for lo, hi in zip(bounds[:-1], bounds[1:])]


def map_pairs(kernel, pairs, parallel):
    """``[kernel(a, b) for a, b in pairs]``, large pairs split across threads.

    Only kernels that release the GIL gain from ``parallel=True``.
    """
    threads = _thread_count()
    results = []
    for a, b in pairs:
        parts = split_pair(a, b, parallel)
        if len(parts) == 1:
            results.append(kernel(a, b))
        else:
            results.extend(map_threads(lambda part: kernel(*part), parts, threads))
    return results


def reduce_pairs(kernel, pairs, parallel, new_accumulator):
    """Run ``kernel(a, b, accumulator)`` over the pairs, one accumulator per thread.

    The parts of one pair run on different threads, each with its own
    accumulator, and a pair starts when the previous one is done, so no two
    threads share an accumulator and at most one per thread exists however
    many slabs there are. Returns the accumulators and the kernel's results.
    """
    threads = _thread_count()
    accumulators, results = [], []
    for a, b in pairs:
        parts = split_pair(a, b, parallel)
        while len(accumulators) < len(parts):
            accumulators.append(new_accumulator())
        results.extend(map_threads(lambda i: kernel(*parts[i], accumulators[i]),
                                   range(len(parts)), threads))
    return accumulators, results
