import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import segmetrics

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
