"""Learner-friendly error hints.

ember raises PyTorch's exception types with PyTorch's texts; a plain-words hint goes in a note
(shown in the traceback, not part of ``str(exc)``).
"""


def note(exc, text):
    """Attach a hint to ``exc`` and return it (Python 3.10 has no BaseException.add_note)."""
    add = getattr(exc, "add_note", None)
    if add is not None:
        add(text)
    else:
        exc.__notes__ = [*getattr(exc, "__notes__", ()), text]
    return exc
