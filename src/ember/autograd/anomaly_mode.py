"""``torch.autograd.anomaly_mode``: the anomaly-detection switches under PyTorch's module
name (they live in ``ember.autograd.anomaly``)."""

from .anomaly import detect_anomaly, set_detect_anomaly

__all__ = ["detect_anomaly", "set_detect_anomaly"]
