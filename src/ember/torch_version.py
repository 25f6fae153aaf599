"""``torch.torch_version``: ``__version__`` as a string that compares as a version.

Scripts compare ``torch.__version__`` with strings (``>= "2.0"``), tuples (``>= (2, 0)``) and
``Version`` objects. ``TorchVersion`` is a ``str`` whose comparisons follow PEP 440's order
(``"2.10" > "2.9"``, ``"2.0.0a0" < "2.0.0"``), falling back to plain string comparison for a
string that is not a version. ``Version`` and ``InvalidVersion`` are a small PEP 440 parser.
"""

import math
import re
from collections.abc import Iterable

from . import _names

__all__ = ["TorchVersion"]


class InvalidVersion(ValueError):
    """A string that is not a PEP 440 version."""


_PATTERN = re.compile(
    r"""^\s*v?(?:(?P<epoch>\d+)!)?(?P<release>\d+(?:\.\d+)*)
    (?:[-_.]?(?P<pre_l>a|b|c|rc|alpha|beta|pre|preview)[-_.]?(?P<pre_n>\d+)?)?
    (?:-(?P<post_n1>\d+)|[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>\d+)?)?
    (?:[-_.]?(?P<dev_l>dev)[-_.]?(?P<dev_n>\d+)?)?
    (?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$""", re.VERBOSE | re.IGNORECASE)
_PRE = {"a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2, "pre": 2, "preview": 2}


class Version:
    """A PEP 440 version, ordered as PEP 440 orders them."""

    __slots__ = ("_text", "_key")

    def __init__(self, version):
        m = _PATTERN.match(version)
        if m is None:
            raise InvalidVersion(f"Invalid version: '{version}'")
        self._text = version
        release = tuple(int(p) for p in m["release"].split("."))
        while len(release) > 1 and release[-1] == 0:
            release = release[:-1]
        pre = None if m["pre_l"] is None else (_PRE[m["pre_l"].lower()], int(m["pre_n"] or 0))
        post = m["post_n1"] or m["post_n2"] or (0 if m["post_l"] else None)
        dev = None if m["dev_l"] is None else int(m["dev_n"] or 0)
        if pre is None:  # a dev release sorts before the pre-releases of its release
            pre = (-1, 0) if post is None and dev is not None else (3, 0)
        local = (0,) if m["local"] is None else (1, tuple(
            (1, int(p), "") if p.isdigit() else (0, 0, p.lower())
            for p in re.split(r"[-_.]", m["local"])))
        self._key = (int(m["epoch"] or 0), release, pre, -1 if post is None else int(post),
                     math.inf if dev is None else dev, local)

    def __repr__(self):
        return f"<Version('{self._text}')>"

    def __str__(self):
        return self._text

    def __hash__(self):
        return hash(self._key)

    def __eq__(self, other):
        return self._key == other._key if isinstance(other, Version) else NotImplemented

    def __lt__(self, other):
        return self._key < other._key if isinstance(other, Version) else NotImplemented

    def __le__(self, other):
        return self._key <= other._key if isinstance(other, Version) else NotImplemented

    def __gt__(self, other):
        return self._key > other._key if isinstance(other, Version) else NotImplemented

    def __ge__(self, other):
        return self._key >= other._key if isinstance(other, Version) else NotImplemented


class TorchVersion(str):
    """A ``str`` that compares with strings, tuples (``(2, 0)`` is "2.0") and Versions as a
    version."""

    __slots__ = ()

    def _as_version(self, other):
        if isinstance(other, Version):
            return other
        if isinstance(other, str):
            return Version(other)
        if isinstance(other, Iterable):
            return Version(".".join(str(item) for item in other))
        raise InvalidVersion(other)

    def _compare(self, other, method):
        try:
            return getattr(Version(self), method)(self._as_version(other))
        except InvalidVersion:  # not a version (e.g. 'parrot'): compared as strings
            return getattr(super(), method)(other)

    def __gt__(self, other):
        return self._compare(other, "__gt__")

    def __lt__(self, other):
        return self._compare(other, "__lt__")

    def __ge__(self, other):
        return self._compare(other, "__ge__")

    def __le__(self, other):
        return self._compare(other, "__le__")

    def __eq__(self, other):
        return self._compare(other, "__eq__")

    __hash__ = str.__hash__


# ember's own version; under the torch alias, __version__ is the PyTorch release whose API
# ember follows, with ember's version as its local label (version checks in scripts then take
# the branch they take on that PyTorch)
EMBER_VERSION = "0.1.0"
PYTORCH_API_VERSION = "2.13.0"


def current():
    if _names.prefix == "torch":
        return TorchVersion(f"{PYTORCH_API_VERSION}+ember.{EMBER_VERSION}")
    return TorchVersion(EMBER_VERSION)


def __getattr__(name):
    if name in ("__version__", "internal_version"):
        return current()
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")
