"""Learner-friendly error hints.

ember raises PyTorch's exception types with PyTorch's texts; a plain-words hint goes in a note
(shown in the traceback, not part of ``str(exc)``).
"""

from ._names import spell


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
