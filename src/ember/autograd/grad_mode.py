"""Grad mode: whether ops record the graph. Thread-local, on by default in every thread."""

import functools
import threading

from .. import _tensor  # its inference_on flag marks the tensors made in inference mode


class _GradState(threading.local):
    # class attributes are each new thread's starting values
    enabled = True
    inference = False
    grad_layout = True  # enforce_grad_layout_policy: .grad laid out as its leaf (engine reads it)


state = _GradState()


def is_grad_enabled():
    return state.enabled


def is_inference_mode_enabled():
    return state.inference


class _GradModeContext:
    """Base for the context managers: also usable as a decorator, like PyTorch's."""

    def __call__(self, func):
        if isinstance(func, type):
            raise TypeError(f"{type(self).__name__} can decorate functions, not classes")

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.clone():
                return func(*args, **kwargs)

        return wrapper

    def clone(self):
        return type(self)()

    def __enter__(self):
        self.prev = state.enabled
        state.enabled = self._mode

    def __exit__(self, *exc):
        state.enabled = self.prev
        return False


class no_grad(_GradModeContext):
    _mode = False

    def __new__(cls, orig_func=None):
        self = super().__new__(cls)
        if orig_func is not None and callable(orig_func):
            return self(orig_func)  # bare `@no_grad` without parentheses
        return self

    def __init__(self, orig_func=None):
        pass


class enable_grad(no_grad):
    _mode = True


class set_grad_enabled(_GradModeContext):
    """Sets grad mode at once (usable as a plain call) and restores it on exit."""

    def __init__(self, mode):
        self.prev = state.enabled
        self._mode = bool(mode)
        state.enabled = self._mode

    def __enter__(self):
        pass

    def __call__(self, func):
        # used as a decorator: undo the switch made at construction, apply it per call instead
        state.enabled = self.prev
        return super().__call__(func)

    def clone(self):
        return type(self)(self._mode)


class inference_mode(_GradModeContext):
    def __init__(self, mode=True):
        self._mode = not mode
        self._inference = bool(mode)

    def __new__(cls, mode=True):
        self = super().__new__(cls)
        if callable(mode):  # bare @inference_mode
            self.__init__(True)
            return self(mode)
        return self

    def __enter__(self):
        self.prev = state.enabled
        self.prev_inference = state.inference
        state.enabled = self._mode
        state.inference = _tensor.inference_on = self._inference

    def __exit__(self, *exc):
        state.enabled = self.prev
        state.inference = _tensor.inference_on = self.prev_inference
        return False

    def clone(self):
        return type(self)(self._inference)


# -- switches PyTorch's engine reads; ember's runs the backward in the calling thread and
# never replays views, so they are recorded and answered, and change nothing
_engine_flags = {"multithreading": True, "view_replay": False}


def is_multithreading_enabled():
    return _engine_flags["multithreading"]


def is_view_replay_enabled():
    return _engine_flags["view_replay"]


class _EngineFlag(_GradModeContext):
    _key = ""

    def __init__(self, mode):
        self.prev = _engine_flags[self._key]
        self._mode = bool(mode)
        _engine_flags[self._key] = self._mode

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _engine_flags[self._key] = self.prev

    def clone(self):
        return type(self)(self._mode)


class set_multithreading_enabled(_EngineFlag):
    """Context manager (or call) that sets whether the backward may use several threads."""

    _key = "multithreading"


class _force_original_view_tracking(_EngineFlag):
    _key = "view_replay"


def _is_grad_layout_enforcement_enabled():
    """Whether a leaf's new ``.grad`` must follow the gradient layout contract (this thread)."""
    return state.grad_layout


def _set_grad_layout_enforcement_enabled(enabled):
    if enabled is not True and enabled is not False:
        raise TypeError("set_grad_layout_enforcement_enabled(): argument 'enabled' (position 1) "
                        f"must be bool, not {type(enabled).__name__}")
    state.grad_layout = enabled


class enforce_grad_layout_policy(_GradModeContext):
    r"""Context-manager (or call, or decorator) that controls the gradient layout contract.

    With the contract enforced (the default), a leaf's new ``.grad`` has the leaf's strides
    when the leaf is dense (a permuted tensor's gradient is permuted alike), and is
    row-major contiguous otherwise: a gradient the engine made in another layout is copied
    into that one. With ``enable=False``, a gradient that nothing else holds becomes ``.grad``
    in whatever layout it has (no copy); a gradient that must be copied still gets the
    contract's layout. Thread-local, like grad mode.
    """

    def __init__(self, enable=True):
        self.prev = state.grad_layout
        _set_grad_layout_enforcement_enabled(enable)
        self._mode = enable

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        state.grad_layout = self.prev
        return False

    def __call__(self, func):
        # used as a decorator: undo the switch made at construction, apply it per call instead
        state.grad_layout = self.prev
        return super().__call__(func)

    def clone(self):
        return type(self)(self._mode)
