"""Learner-friendly error hints.

ember raises PyTorch's exception types with PyTorch's texts; a plain-words hint goes in a note
(shown in the traceback, not part of ``str(exc)``).
"""

import sys
import warnings

from ._names import spell

_WARNED = set()


def note(exc, text):
    """Attach a hint to ``exc`` and return it (Python 3.10 has no BaseException.add_note).

    ``ember.xxx`` names in the hint are spelled as the script sees them (``torch.xxx`` under
    the torch alias)."""
    text = spell(text)
    add = getattr(exc, "add_note", None)
    if add is not None:
        add(text)
    else:
        exc.__notes__ = [*getattr(exc, "__notes__", ()), text]
    return exc


def warn_once(key, message):
    """A UserWarning given once per process (``key``), as PyTorch's TORCH_WARN_ONCE, pointing
    at the first caller outside ember."""
    if key in _WARNED:
        return
    _WARNED.add(key)
    frame, level = sys._getframe(1), 2
    while frame is not None and frame.f_globals.get("__name__", "").partition(".")[0] == "ember":
        frame, level = frame.f_back, level + 1
    warnings.warn(spell(message), UserWarning, stacklevel=level)
