"""Surface elements ("surfels") as DeepMind's surface-distance package defines them.

The surface points of a mask lie on the *corner grid*: corner ``c`` (per axis)
sits between voxels ``c - 1`` and ``c``, so a box of ``n`` voxels has ``n + 1``
corners per axis. Each corner gets a neighbour code from its ``2**ndim``
adjacent voxels (outside the image is background): the voxel at offset ``o``
(``o_i = 0`` for voxel ``c_i - 1``, 1 for voxel ``c_i``) sets bit
``2**ndim - 1 - int("o_0 o_1 ...", 2)``, so voxel ``c - 1`` is the top bit and
voxel ``c`` bit 0. A corner whose code is neither all-0 nor all-1 is a surface
point, weighted by the size of the marching-squares (2-D: contour length) or
marching-cubes (3-D: surface area) piece inside its cell, in physical units.

The weight tables are derived here, not copied: the pieces are the polygons
through the midpoints of the cell's edges that separate inside from outside
corners, where a face with two diagonal inside corners cuts each off on its own
(in 3-D the minority side is "inside": a code with more than four voxels set is
complemented first, which leaves the surface unchanged). A non-planar polygon
(a pentagon or hexagon) is split into the triangles of largest total area in
the unit cell; an anisotropic cell scales each triangle's normal ``n`` to
``(n_0 s_1 s_2, n_1 s_0 s_2, n_2 s_0 s_1)``. The tests check the result equals
DeepMind's ``lookup_tables`` for several spacings.

This module needs only NumPy; :mod:`segmetrics.distance` turns the points into
its row-wise boundary sets and measures them with its exact search.
"""
from __future__ import annotations

import functools
import itertools
from typing import Any

import numpy as np

__all__ = ["area_table", "neighbour_codes", "rows", "surface_points", "weighted_percentile"]


def _bit(offset):
    """Bit of the neighbour code set by the voxel at ``offset`` (0/1 per axis)."""
    return (1 << len(offset)) - 1 - int("".join(map(str, offset)), 2)


def _code_corners(code, ndim):
    """The cell corners (offsets) whose voxels are inside for ``code``."""
    return {o for o in itertools.product((0, 1), repeat=ndim) if code >> _bit(o) & 1}


def _square_segments(cycle, inside):
    """Contour pieces of one square with corners ``cycle`` (in cyclic order).

    Each maximal run of inside corners is cut off by a segment between the
    midpoints of the edges entering and leaving the run, so two diagonal
    inside corners are cut off one by one.
    """
    flags = [corner in inside for corner in cycle]
    if all(flags) or not any(flags):
        return []
    segments = []
    for start in range(4):
        if flags[start] and not flags[start - 1]:
            end = start
            while flags[(end + 1) % 4]:
                end += 1
            segments.append((_midpoint(cycle[start - 1], cycle[start]),
                             _midpoint(cycle[end % 4], cycle[(end + 1) % 4])))
    return segments


def _midpoint(a, b):
    return tuple((x + y) / 2 for x, y in zip(a, b))


def _square_cycle(axes, fixed=None):
    """The four corners of a square spanned by ``axes`` (two of them), in cyclic order."""
    ndim = 2 if fixed is None else 3
    cycle = []
    for u, v in ((0, 0), (0, 1), (1, 1), (1, 0)):
        corner = [0] * ndim
        if fixed is not None:
            corner[fixed[0]] = fixed[1]
        corner[axes[0]], corner[axes[1]] = u, v
        cycle.append(tuple(corner))
    return cycle


@functools.cache
def _unit_segments():
    """``(codes, deltas)``: every 2-D contour segment's code and its extent per axis."""
    cycle = _square_cycle((0, 1))
    codes, deltas = [], []
    for code in range(16):
        for a, b in _square_segments(cycle, _code_corners(code, 2)):
            codes.append(code)
            deltas.append([abs(x - y) for x, y in zip(a, b)])
    return np.array(codes), np.array(deltas, dtype=np.float64)


def _polygons(inside):
    """The closed polygons (vertex lists) of one 3-D cell, from its faces' segments."""
    links = {}
    for fixed_axis in range(3):
        axes = [a for a in range(3) if a != fixed_axis]
        for side in (0, 1):
            for a, b in _square_segments(_square_cycle(axes, (fixed_axis, side)), inside):
                links.setdefault(a, []).append(b)
                links.setdefault(b, []).append(a)
    polygons, seen = [], set()
    for start in links:  # every vertex has two links: the pieces are disjoint cycles
        if start in seen:
            continue
        loop, previous, vertex = [start], None, start
        seen.add(start)
        while True:
            following = [w for w in links[vertex] if w != previous and w not in seen]
            if not following:
                break
            previous, vertex = vertex, following[0]
            loop.append(vertex)
            seen.add(vertex)
        polygons.append(np.array(loop, dtype=np.float64))
    return polygons


def _triangulations(indices):
    """Every triangulation of the polygon with vertex ``indices`` (in order)."""
    if len(indices) < 3:
        yield []
        return
    first, last = indices[0], indices[-1]
    for m in range(1, len(indices) - 1):
        for left in _triangulations(indices[:m + 1]):
            for right in _triangulations(indices[m:]):
                yield left + right + [(first, indices[m], last)]


def _triangle_normals(polygon, triangles):
    a, b, c = (polygon[[t[k] for t in triangles]] for k in range(3))
    return np.cross(b - a, c - a) / 2  # length = the triangle's area


@functools.cache
def _unit_triangles():
    """``(codes, normals)``: every 3-D surface triangle's code and its unit-cell normal."""
    corners = set(itertools.product((0, 1), repeat=3))
    codes, normals = [], []
    for code in range(256):
        inside = _code_corners(code, 3)
        if len(inside) > 4:
            inside = corners - inside
        for polygon in _polygons(inside):
            best, best_area = None, -1.0
            for triangles in _triangulations(list(range(len(polygon)))):
                candidate = _triangle_normals(polygon, triangles)
                area = float(np.linalg.norm(candidate, axis=1).sum())
                # ties (planar polygons) have equal areas at every spacing: keep the first
                if area > best_area + 1e-9:
                    best, best_area = candidate, area
            codes.extend([code] * len(best))
            normals.extend(best)
    return np.array(codes), np.array(normals)


@functools.lru_cache(maxsize=16)
def _area_table(spacing):
    if len(spacing) == 2:
        codes, deltas = _unit_segments()
        lengths = np.sqrt(((deltas * spacing) ** 2).sum(axis=1))
        table = np.bincount(codes, weights=lengths, minlength=16)
    else:
        codes, normals = _unit_triangles()
        s0, s1, s2 = spacing
        scaled = normals * (s1, s0, s0) * (s2, s2, s1)  # n_0 s_1 s_2, n_1 s_0 s_2, n_2 s_0 s_1
        areas = np.sqrt((scaled * scaled).sum(axis=1))
        table = np.bincount(codes, weights=areas, minlength=256)
    table.flags.writeable = False
    return table


def area_table(spacing):
    """Weight of each neighbour code: contour length (2-D) or surface area (3-D).

    ``spacing`` is the physical voxel size per axis (2 or 3 floats); the result
    has ``2 ** (2 ** ndim)`` entries (16 or 256), 0 for the all-0 and all-1 codes.
    """
    return _area_table(tuple(float(s) for s in spacing))


def neighbour_codes(mask):
    """The neighbour code of every corner of the boolean ``mask`` (shape + 1 per axis).

    One pass per axis, each doubling the bits held per corner: corner ``c`` of
    the axis combines ``(x[c - 1] << bits) | x[c]``, with background beyond both ends.
    """
    codes = mask.astype(np.uint8)
    bits = 1
    for axis in reversed(range(mask.ndim)):
        shape = list(codes.shape)
        shape[axis] += 1
        out = np.zeros(shape, dtype=np.uint8)
        head = [slice(None)] * mask.ndim
        tail = [slice(None)] * mask.ndim
        head[axis], tail[axis] = slice(1, None), slice(None, -1)
        np.left_shift(codes, bits, out=out[tuple(head)])
        np.bitwise_or(out[tuple(tail)], codes, out=out[tuple(tail)])
        codes = out
        bits *= 2
    return codes


def surface_points(volume, value, box):
    """Surface points of ``volume == value`` inside ``box``: ``(positions, codes)``.

    ``box`` is ``[(lo, hi)]`` voxels per axis; ``positions`` are the points'
    corner indices relative to corner ``lo`` (a tuple of arrays, C order), so
    the points lie in a corner box of ``hi - lo + 1`` per axis.
    """
    crop = volume[tuple(slice(lo, hi) for lo, hi in box)] == value
    codes = neighbour_codes(crop)
    del crop
    full = (1 << (1 << volume.ndim)) - 1
    on = codes != 0
    on &= codes != full
    positions = np.nonzero(on)
    return positions, codes[on]


def rows(positions, shape, axes):
    """Points as rows along the last of ``axes``: ``(row_ptr, cols, order)``.

    ``positions`` (per original axis, C order) lie in a box of ``shape``; the
    rows are those of the box with its axes in ``axes`` order, each row's
    ``cols`` ascending. ``order`` maps row order to the input order (None when
    they agree): ``values_c[order] = values_rows``.
    """
    oriented = [positions[a] for a in axes]
    oriented_shape = [shape[a] for a in axes]
    order = None
    if tuple(axes) != tuple(range(len(axes))):
        order = np.lexsort(oriented[::-1])
        oriented = [p[order] for p in oriented]
    n_rows = int(np.prod(oriented_shape[:-1]))
    row = np.ravel_multi_index(oriented[:-1], oriented_shape[:-1])
    row_ptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(row, minlength=n_rows), out=row_ptr[1:])
    return row_ptr, oriented[-1].astype(np.int32), order


def weighted_percentile(values: Any, weights: Any, percentile: float) -> float:
    """DeepMind's area-weighted percentile of ``values``.

    Sorted by ``(value, weight)``, the cumulative weights are divided by their
    sum; the result is the first value whose share reaches ``percentile / 100``
    (the last value if rounding leaves every share below it). No interpolation.
    """
    order = np.lexsort((weights, values))
    values, weights = values[order], weights[order]
    share = np.cumsum(weights) / np.sum(weights)
    index = int(np.searchsorted(share, percentile / 100.0))
    return float(values[min(index, values.size - 1)])
