"""``torch.jit.frontend``: the errors TorchScript raises for Python it does not compile."""

__all__ = ["FrontendError", "NotSupportedError", "UnsupportedNodeError"]


class FrontendError(Exception):
    def __init__(self, source_range, msg):
        self.source_range = source_range
        self.msg = msg
        super().__init__(f"{msg}:\n{source_range}" if source_range else msg)

    def __str__(self):
        return self.args[0]


class NotSupportedError(FrontendError):
    pass


class UnsupportedNodeError(NotSupportedError):
    pass
