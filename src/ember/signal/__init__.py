"""torch.signal: window functions (``ember.signal.windows``)."""

from . import windows

__all__ = ["windows"]

from .. import _names  # noqa: E402

_names.adopt(__name__)
