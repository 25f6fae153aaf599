"""Variable: the pre-0.4 wrapper, kept because old tutorials still use it."""

from .._creation import Variable

__all__ = ["Variable"]
