import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))

if os.environ.get("CI"):
    # parity tests are the oracle: CI must never skip them for lack of PyTorch
    import torch  # noqa: F401


@pytest.fixture(autouse=True)
def _restore_defaults():
    import ember

    yield
    ember.set_default_dtype(ember.float32)
    ember.set_grad_enabled(True)
    np.random.seed(0)
