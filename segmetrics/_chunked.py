"""Overlap counts of chunked arrays (Dask, e.g. over a Zarr store larger than memory).

Each pair of aligned chunks is counted in memory by the host path
(:mod:`segmetrics._host_overlap`), on whatever scheduler Dask is using (threads,
processes or a distributed cluster), and the per-chunk counts are summed: the
result equals the in-memory one exactly. Dask is imported only when a chunked
array comes in. The functions have the names and arguments of the host path's.
"""
import numpy as np

from segmetrics import _host_overlap as _host
from segmetrics._arrays import is_chunked  # noqa: F401  (one definition, re-exported)
from segmetrics.from_counts import Counts


def _aligned_blocks(pred, gt):
    import dask.array as da

    pred, gt = da.asarray(pred), da.asarray(gt)
    if pred.shape != gt.shape:
        raise ValueError(f"pred and gt must have the same shape; got {pred.shape} and {gt.shape}")
    if gt.size == 0:
        raise ValueError(f"gt is empty (shape {gt.shape}); the metric is undefined")
    gt = gt.rechunk(pred.chunks)
    return zip(pred.to_delayed().ravel(), gt.to_delayed().ravel())


def binary_counts(pred, gt, threshold, ignore_index, backend):
    """Sum the host :class:`Counts` over aligned chunks."""
    import dask

    def count(p, g):
        return _host.binary_counts(p, g, threshold, ignore_index, backend)

    parts = dask.compute(*(dask.delayed(count)(p, g) for p, g in _aligned_blocks(pred, gt)))
    return Counts(*(sum(int(part[i]) for part in parts) for i in range(4)))


def confusion_matrix(pred, gt, num_classes, ignore_index, backend):
    """Sum the host tables over aligned chunks; ``num_classes=None`` trims to present labels.

    Chunks may see different label ranges; smaller tables are zero-padded.
    """
    import dask

    def count(p, g):
        return _host.confusion_matrix(p, g, num_classes, ignore_index, backend)

    tables = dask.compute(*(dask.delayed(count)(p, g) for p, g in _aligned_blocks(pred, gt)))
    k = max(table.shape[0] for table in tables)
    total = np.zeros((k, k), dtype=np.int64)
    for table in tables:
        total[:table.shape[0], :table.shape[0]] += table
    return total if num_classes is not None else _host.trim_to_present_labels(total)


def label_counts(pred, gt, labels, ignore_index, backend):
    """One-vs-rest :class:`Counts` in ``labels`` order: the host counts of each chunk, summed.

    Each chunk follows the host rule (a table sized by its labels, or the
    compact relabelling for large label values), so the result equals the
    in-memory one whatever values the chunks hold.
    """
    import dask

    def count(p, g):
        return _host.label_counts(p, g, labels, ignore_index, backend)

    parts = dask.compute(*(dask.delayed(count)(p, g) for p, g in _aligned_blocks(pred, gt)))
    return Counts(*(sum(part[i] for part in parts) for i in range(4)))


def label_table(pred, gt, labels, ignore_index, backend):
    """The host :func:`~segmetrics._host_overlap.label_table` of each chunk, summed."""
    import dask

    _host.check_dense(len(labels))

    def count(p, g):
        return _host.label_table(p, g, labels, ignore_index, backend)

    tables = dask.compute(*(dask.delayed(count)(p, g) for p, g in _aligned_blocks(pred, gt)))
    return sum(tables[1:], tables[0].copy())


def multiclass_table(pred, gt, ignore_index, backend):
    """The host rule of :func:`~segmetrics._host_overlap.multiclass_table` over chunks:
    the dense table when the labels fit one, else the summed tables of the labels present."""
    import dask

    blocks = list(_aligned_blocks(pred, gt))
    highest = dask.compute(*(dask.delayed(lambda p, g: int(max(p.max(), g.max(), 0)))(p, g)
                             for p, g in blocks))
    if max(highest) < _host.MAX_DENSE_CLASSES:
        return confusion_matrix(pred, gt, None, ignore_index, backend)
    found = dask.compute(*(dask.delayed(_host.present_labels)(p, g, ignore_index)
                           for p, g in blocks))
    labels = tuple(sorted(set().union(*found)))
    return label_table(pred, gt, labels, ignore_index, backend)
