"""``torch.distributed`` synchronisation of :class:`segmetrics.Accumulator` state.

Every process of a data-parallel validation loop accumulates its own cases;
:func:`sync` then gives every process the same accumulator holding all of them:
the summed confusion counts are all-reduced (one small int64 tensor), and the
per-case values (counts, distances, image diagonals: a few numbers per case and
label) are gathered with ``all_gather_object`` in rank order. PyTorch is
imported when :func:`sync` is called.
"""
from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from torch.distributed import ProcessGroup

    from segmetrics.accumulate import Accumulator

__all__ = ["sync"]


def sync(accumulator: Accumulator, *, group: ProcessGroup | None = None) -> Accumulator:
    """A new accumulator with the cases of every process of ``group``.

    Parameters
    ----------
    accumulator : segmetrics.Accumulator
        This process's accumulator; it is left unchanged. Every process must
        call :func:`sync` (it is a collective), with the same settings.
    group : torch.distributed.ProcessGroup, optional
        The default group when None. Without an initialised process group the
        result is a copy of ``accumulator``.

    Returns
    -------
    segmetrics.Accumulator
        Cases in rank order (rank 0's first), counts summed over every process.

    Notes
    -----
    With the NCCL backend the counts travel as a tensor on the current CUDA
    device (``torch.cuda.set_device`` must have been called, as NCCL requires).
    """
    import torch
    import torch.distributed as dist

    merged = copy.deepcopy(accumulator)
    if not (dist.is_available() and dist.is_initialized()):
        return merged
    world = dist.get_world_size(group)
    states: list[Any] = [None] * world      # each rank's _portable state, once gathered
    dist.all_gather_object(states, _portable(accumulator), group=group)
    for rank, (settings, n_labels) in enumerate((s["settings"], s["n_labels"]) for s in states):
        if settings != states[0]["settings"]:
            raise ValueError(f"rank {rank} accumulates with other settings than rank 0: "
                             f"{settings} and {states[0]['settings']}")
        if n_labels not in (None, states[0]["n_labels"]) and states[0]["n_labels"] is not None:
            raise ValueError(f"rank {rank} holds {n_labels} labels, rank 0 {states[0]['n_labels']}")
    n_labels = next((s["n_labels"] for s in states if s["n_labels"] is not None), None)
    merged.reset()
    if n_labels is None:  # no process holds a case
        return merged
    device = torch.device("cpu")
    if dist.get_backend(group) == "nccl":
        device = torch.device("cuda", torch.cuda.current_device())
    local = accumulator._total if accumulator._total is not None else np.zeros((n_labels, 4),
                                                                               dtype=np.int64)
    total = torch.as_tensor(np.ascontiguousarray(local), dtype=torch.int64, device=device)
    dist.all_reduce(total, op=dist.ReduceOp.SUM, group=group)
    for state in states:
        if state["binary"] is None:
            continue
        merged._binary = state["binary"]
        merged._case_counts.extend(state["case_counts"])
        for name in merged._distances:
            merged._distances[name].extend(state["distances"][name])
        merged._diagonals.extend(state["diagonals"])
    merged._total = total.cpu().numpy()
    return merged


def _portable(accumulator: Accumulator) -> dict[str, Any]:
    """The accumulator's per-case state as plain picklable objects."""
    total = accumulator._total
    return {
        "settings": repr(accumulator._settings()),
        "n_labels": None if total is None else total.shape[0],
        "binary": accumulator._binary,
        "case_counts": accumulator._case_counts,
        "distances": accumulator._distances,
        "diagonals": accumulator._diagonals,
    }
