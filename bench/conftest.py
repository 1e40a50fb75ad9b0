import numpy as np
import pytest
from volumes import label_map_pair, organ_pair, probability_map


@pytest.fixture(scope="session")
def binary_2d():
    return organ_pair((512, 512), np.random.default_rng(1))


@pytest.fixture(scope="session")
def binary_256():
    return organ_pair((256, 256, 256), np.random.default_rng(2))


@pytest.fixture(scope="session")
def binary_ct():
    return organ_pair((300, 512, 512), np.random.default_rng(3))


@pytest.fixture(scope="session")
def probability_256(binary_256):
    pred, gt = binary_256
    return probability_map(pred.astype(bool), np.random.default_rng(4)), gt


@pytest.fixture(scope="session")
def labels_k4():
    return label_map_pair((256, 256, 256), 4, np.random.default_rng(5))


@pytest.fixture(scope="session")
def labels_k14():
    return label_map_pair((256, 256, 256), 14, np.random.default_rng(6))
