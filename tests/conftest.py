import os
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# Device-path tests run on CUDA under SEGMETRICS_TEST_DEVICE=cuda (the GPU check script);
# elsewhere the Triton kernels run in Triton's CPU interpreter, which must be chosen
# before any kernel module is imported.
TEST_DEVICE = os.environ.get("SEGMETRICS_TEST_DEVICE", "cpu")
if TEST_DEVICE != "cuda":
    os.environ["TRITON_INTERPRET"] = "1"

# `python -m pytest` from the checkout puts the checkout first on sys.path, which would test
# the uncompiled source tree: drop it, so the installed package is tested either way (a
# checkout named on PYTHONPATH on purpose stays).
_CHECKOUT = Path(__file__).resolve().parents[1]
_CHOSEN = {Path(p).resolve() for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p}
sys.path[:] = [p for p in sys.path
               if Path(p or ".").resolve() != _CHECKOUT or _CHECKOUT in _CHOSEN]

import segmetrics  # noqa: E402
from segmetrics import _arrays  # noqa: E402

settings.register_profile(
    "segmetrics", deadline=None, max_examples=60,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile("segmetrics")

BACKENDS = segmetrics.BACKENDS


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture
def small_chunks(monkeypatch):
    """Force the slab-copy and multi-thread paths on small inputs."""
    from segmetrics import _layout
    monkeypatch.setattr(_layout, "SLAB_BYTES", 64)
    monkeypatch.setattr(_layout, "PARALLEL_MIN_ELEMENTS", 16)
    monkeypatch.setattr(_layout, "_thread_count", lambda: 3)


@pytest.fixture
def device(monkeypatch):
    """The torch device that device-path tests put their tensors on.

    CUDA under ``SEGMETRICS_TEST_DEVICE=cuda``; otherwise the CPU, with CPU tensors
    treated as device arrays and the Triton kernels interpreted, exactly as
    ``SEGMETRICS_GPU_SIMULATE=1`` does.
    """
    import torch

    if TEST_DEVICE == "cuda":
        return torch.device("cuda")
    monkeypatch.setattr(_arrays, "GPU_SIMULATE", True)
    return torch.device("cpu")
