"""Overlap counts of chunked arrays (Dask, e.g. over a Zarr store larger than memory).

Each pair of aligned chunks is counted in memory by the ordinary functions, on
whatever scheduler Dask is using (threads, processes or a distributed cluster), and
the per-chunk counts are summed: the result equals the in-memory one exactly.
Dask is imported only when a chunked array comes in.
"""
import numpy as np

from segmetrics.from_counts import Counts


def is_chunked(array):
    """Whether ``array`` is a Dask array (checked without importing Dask)."""
    return type(array).__module__.split(".")[0] == "dask"


def _aligned_blocks(pred, gt):
    import dask.array as da

    pred, gt = da.asarray(pred), da.asarray(gt)
    if pred.shape != gt.shape:
        raise ValueError(f"pred and gt must have the same shape; got {pred.shape} and {gt.shape}")
    if gt.size == 0:
        raise ValueError(f"gt is empty (shape {gt.shape}); the metric is undefined")
    gt = gt.rechunk(pred.chunks)
    return zip(pred.to_delayed().ravel(), gt.to_delayed().ravel())


def binary_counts(pred, gt, count):
    """Sum ``count(pred_chunk, gt_chunk)`` (a :class:`Counts`) over aligned chunks."""
    import dask

    parts = dask.compute(*(dask.delayed(count)(p, g) for p, g in _aligned_blocks(pred, gt)))
    return Counts(*(sum(int(part[i]) for part in parts) for i in range(4)))


def confusion_matrix(pred, gt, count):
    """Sum ``count(pred_chunk, gt_chunk)`` (square int64 tables of any size) over chunks.

    Chunks may see different label ranges; smaller tables are zero-padded.
    """
    import dask

    tables = dask.compute(*(dask.delayed(count)(p, g) for p, g in _aligned_blocks(pred, gt)))
    k = max(table.shape[0] for table in tables)
    total = np.zeros((k, k), dtype=np.int64)
    for table in tables:
        total[:table.shape[0], :table.shape[0]] += table
    return total
