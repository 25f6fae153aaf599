"""Anomaly detection switches (accepted for compatibility; ember's errors already name the op)."""

_enabled = False


class set_detect_anomaly:
    def __init__(self, mode, check_nan=True):
        global _enabled
        self.prev = _enabled
        _enabled = bool(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        global _enabled
        _enabled = self.prev


class detect_anomaly(set_detect_anomaly):
    def __init__(self, check_nan=True):
        super().__init__(True, check_nan)


def is_anomaly_enabled():
    return _enabled
