"""Types users of segmetrics see: mypy checks this file (tests/test_types.py); it never runs."""
import numpy as np
from typing_extensions import assert_type
