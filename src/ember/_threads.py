"""The controls scripts call at the top: threads and determinism, as torch names them.

ember computes with NumPy, whose matrix products run on its BLAS library's thread pool: the
intra-op threads of ``set_num_threads`` are that pool's threads, set through threadpoolctl
(loaded on first use, so ``import ember`` stays light). ember runs no inter-op pool; its size is
kept only to answer ``get_num_interop_threads`` as PyTorch does. Every ember op is
deterministic, so the determinism switches are kept and reported and change nothing.
"""

import os

from . import _determinism

__all__ = [
    "are_deterministic_algorithms_enabled", "get_deterministic_debug_mode",
    "get_num_interop_threads", "get_num_threads", "is_deterministic_algorithms_warn_only_enabled",
    "set_deterministic_debug_mode", "set_num_interop_threads", "set_num_threads",
    "use_deterministic_algorithms",
]


def _blas_pools():
    from threadpoolctl import threadpool_info

    return [p for p in threadpool_info() if p.get("user_api") == "blas"]


def _check_count(n, name):
    if n.__class__ is bool or not isinstance(n, int):
        raise RuntimeError(f"{name} expects an int, but got {type(n).__name__}")
    if n <= 0:
        raise RuntimeError(f"{name} expects a positive integer")


def get_num_threads():
    """The number of threads ember's matrix products use (NumPy's BLAS pool)."""
    pools = _blas_pools()
    return pools[0]["num_threads"] if pools else (os.cpu_count() or 1)


def set_num_threads(int):  # noqa: A002 - PyTorch's parameter name
    """Set the number of threads NumPy's BLAS uses for ember's matrix products."""
    _check_count(int, "set_num_threads")
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=int, user_api="blas")


_interop = {"threads": None}  # set once, as in PyTorch


def get_num_interop_threads():
    n = _interop["threads"]
    return n if n is not None else get_num_threads()


def set_num_interop_threads(int):  # noqa: A002 - PyTorch's parameter name
    """Accepted once, as in PyTorch (ember runs ops one at a time: no inter-op pool)."""
    _check_count(int, "set_num_interop_threads")
    if _interop["threads"] is not None:
        raise RuntimeError("Error: cannot set number of interop threads after parallel work has "
                           "started or set_num_interop_threads called")
    _interop["threads"] = int


_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}
_deterministic = _determinism.state


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Record the request; every ember op is already deterministic."""
    for value, name in ((mode, "'mode' (position 1)"), (warn_only, "'warn_only'")):
        if value.__class__ is not bool:
            raise TypeError(f"_set_deterministic_algorithms(): argument {name} must be bool, "
                            f"not {type(value).__name__}")
    _deterministic["mode"] = mode
    _deterministic["warn_only"] = warn_only


def are_deterministic_algorithms_enabled():
    return _deterministic["mode"]


def is_deterministic_algorithms_warn_only_enabled():
    return _deterministic["warn_only"]


def set_deterministic_debug_mode(debug_mode):
    """0 / "default": off; 1 / "warn": deterministic, warn only; 2 / "error": deterministic."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError("invalid value of debug_mode, expected one of `default`, `warn`, "
                               f"`error`, but got {debug_mode}")
        debug_mode = _DEBUG_MODES[debug_mode]
    elif not isinstance(debug_mode, int):
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got "
                           f"{debug_mode}")
    _deterministic["mode"] = debug_mode != 0
    _deterministic["warn_only"] = debug_mode == 1


def get_deterministic_debug_mode():
    if not _deterministic["mode"]:
        return 0
    return 1 if _deterministic["warn_only"] else 2
