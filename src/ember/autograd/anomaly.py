"""Anomaly detection: forward tracebacks on nodes, and a NaN check on backward outputs.

``state`` is read once where nodes are created (``Node.__init__``) and once per backward: with
anomaly mode off, that read is all it costs. While it is on, every node records the stack of
the forward call that created it (as PyTorch's ``grad_fn.metadata["traceback_"]``); when that
node's backward raises, the engine warns with that stack and re-raises.
``diagnose()`` records the same stacks without the NaN check or the warning on errors, for the
plain-words notes the diagnostics add to errors.
"""

import sys
import warnings


class _State:
    __slots__ = ("enabled", "check_nan", "diagnose", "record")

    def __init__(self):
        self.enabled = False
        self.check_nan = True
        self.diagnose = 0
        self.record = False  # enabled or diagnose: nodes and in-place ops record stacks


state = _State()


def _set(mode, check_nan):
    state.enabled = bool(mode)
    state.check_nan = bool(check_nan)
    state.record = state.enabled or bool(state.diagnose)


class set_detect_anomaly:
    """Turn anomaly detection on or off; as a function, or a context manager restoring it."""

    def __init__(self, mode, check_nan=True):
        self.prev = state.enabled
        self.prev_check_nan = state.check_nan
        _set(mode, check_nan)

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        _set(self.prev, self.prev_check_nan)
        return False


class detect_anomaly:
    """Context manager (or decorator) that turns anomaly detection on inside it."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan
        self.prev = False
        self.prev_check_nan = True
        warnings.warn(
            "Anomaly Detection has been enabled. This mode will increase the runtime and should "
            "only be enabled for debugging.",
            stacklevel=2,
        )

    def __enter__(self):
        self.prev = state.enabled
        self.prev_check_nan = state.check_nan
        _set(True, self.check_nan)

    def __exit__(self, *exc):
        _set(self.prev, self.prev_check_nan)
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(self.check_nan):
                return fn(*args, **kwargs)

        return wrapper


class diagnose:
    """Record forward stacks and in-place modifications, so errors can name user lines."""

    def __enter__(self):
        state.diagnose += 1
        state.record = True
        return self

    def __exit__(self, *exc):
        state.diagnose -= 1
        state.record = state.enabled or bool(state.diagnose)
        return False


def is_anomaly_enabled():
    return state.enabled


def is_anomaly_check_nan_enabled():
    return state.check_nan


# -- records ------------------------------------------------------------------------------------
_EMBER_DIR = __file__.rsplit("/autograd/", 1)[0] + "/"
_RUNNERS = ("runpy.py", "<frozen runpy>")


def capture():
    """The user's stack here, innermost last, without ember's own frames (cheap to take)."""
    f = sys._getframe(1)
    frames = []
    while f is not None:
        code = f.f_code
        name = code.co_filename
        if not name.startswith(_EMBER_DIR) and not name.endswith(_RUNNERS):
            frames.append((name, f.f_lineno, code.co_name))
        f = f.f_back
    frames.reverse()
    return frames


def format_stack(frames):
    """PyTorch's form of a forward traceback: ``  File "...", line N, in f\\n    code\\n``."""
    import traceback  # only when a stack is shown (keeps `import ember` light)

    summary = traceback.StackSummary.from_list(
        [(name, line, fn, None) for name, line, fn in frames]
    )
    return "".join(summary.format())


def user_line(frames):
    """'file:line' of the innermost user frame of a captured stack, or None."""
    if not frames:
        return None
    name, line, _ = frames[-1]
    return f"{name}:{line}"


# in-place modifications, by version counter (only while recording): id -> (counter, [events])
_bumps = {}


def record_bump(counter, op):
    """Note that ``op`` moved ``counter`` to its current version (while recording)."""
    entry = _bumps.get(id(counter))
    if entry is None or entry[0] is not counter:
        entry = _bumps[id(counter)] = (counter, [])
    entry[1].append((counter[0], op, capture()))


def bumps(counter):
    """[(version, op name, stack)] recorded for ``counter``."""
    entry = _bumps.get(id(counter))
    return entry[1] if entry is not None and entry[0] is counter else []


# -- always-on diagnostics ----------------------------------------------------------------------
class GraphGrowthWarning(UserWarning):
    """A tensor that requires grad keeps growing its graph across training steps."""


class NonLeafGradWarning(UserWarning):
    """``.grad`` read on a tensor that is not a leaf (it stays None): plain words and the fix."""


# what the diagnostics found, in order: (warning class name, message); `ember run --explain`
# prints them at the end
found = []


def report(category, message, stacklevel_frames=None):
    """Warn with ``category`` at the innermost user line, and remember it for the summary."""
    frames = capture() if stacklevel_frames is None else stacklevel_frames
    found.append((category.__name__, message, user_line(frames)))
    if frames:
        name, line, _ = frames[-1]
        module = "__main__"
        warnings.warn_explicit(message, category, name, line, module=module)
    else:
        warnings.warn(message, category, stacklevel=3)


def report_growth(what, fix, where=None):
    """Warn once about a growing graph; ``where``: (file, line) of the user code that does it
    (default: the innermost user line, the backward() call)."""
    if where is None:
        report(GraphGrowthWarning, f"{what}\n{fix}")
        return
    name, line = where
    message = f"{what}\n{fix}"
    found.append((GraphGrowthWarning.__name__, message, f"{name}:{line}"))
    warnings.warn_explicit(message, GraphGrowthWarning, name, line, module="__main__")


def holder(node):
    """What keeps the root ``node`` of an old backward alive, as (words, where): words such as
    ' (a running total: `total += ...` at line 12 adds each new loss to the previous ones)',
    where the (file, line) of that statement, or None when it cannot be found.

    Only called once, when graph growth is reported (gc.get_referrers is slow).
    """
    import gc

    refs = gc.get_referrers(node)
    for ref in refs:
        if getattr(ref, "_grad_fn", None) is node:
            lists = [owner for owner in gc.get_referrers(ref) if owner.__class__ is list]
            if lists:
                return _kept_by(lists, "a list that the losses are appended to",
                                r"\b{}\s*(\.\s*(append|extend|insert)\s*\(|\+=)")
    for ref in refs:
        if ref.__class__ is tuple and len(ref) == 2:  # an edge (node, nr) of a later node
            for edges in gc.get_referrers(ref):
                if edges.__class__ is not tuple:
                    continue
                for consumer in gc.get_referrers(edges):
                    if getattr(consumer, "next_functions", None) is edges:
                        return _kept_by([consumer], f"a running total: {type(consumer).__name__} "
                                        "adds each new loss to the previous ones",
                                        r"\b{0}\s*([-+*/]=|=.*\b{0}\b)")
    return "", None


def _kept_by(keepers, words, statement):
    """(' (words)', where) naming the user's variable that is one of ``keepers`` (lists that hold
    a loss) or whose graph reaches one (a node of a running total's graph), and the line of the
    statement that feeds it, when found."""
    import re

    frames = []
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename
        if not name.startswith(_EMBER_DIR) and not name.endswith(_RUNNERS):
            frames.append(frame)
        frame = frame.f_back
    for frame in frames:  # innermost first: its locals, then its module's globals
        for scope in (frame.f_locals, frame.f_globals):
            for var, value in list(scope.items()):
                if any(value is k or _reaches(value, k) for k in keepers):
                    pattern = re.compile(statement.format(re.escape(var)))
                    for f in frames:
                        line = _statement_line(f, pattern)
                        if line:
                            return (f" (`{var}` at line {line}: {words})",
                                    (f.f_code.co_filename, line))
                    return f" (`{var}`: {words})", None
    return f" ({words})", None


def _reaches(value, node, limit=2000):
    """Whether the graph behind tensor ``value`` contains ``node`` (a bounded walk)."""
    fn = getattr(value, "_grad_fn", None)
    if fn is None or not hasattr(fn, "next_functions"):
        return False
    seen, stack = set(), [fn]
    while stack and len(seen) < limit:
        fn = stack.pop()
        if fn is node:
            return True
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        stack.extend(f for f, _ in fn.next_functions if f is not None)
    return False


def _statement_line(frame, pattern):
    """The first line of the frame's code that matches ``pattern``, or None."""
    import linecache

    code = frame.f_code
    name = code.co_filename
    lines = sorted({line for _, _, line in code.co_lines() if line is not None})
    for line in lines:
        if pattern.search(linecache.getline(name, line)):
            return line
    return None


_hinted = set()  # user lines already given the non-leaf .grad hint


def nonleaf_grad_hint(t):
    """After PyTorch's warning on a non-leaf ``.grad`` read: which mistake it is, and the fix.

    Only while diagnosing (diagnose(), anomaly mode, ``ember run --explain``): outside them the
    warnings stay exactly PyTorch's.
    """
    if not state.record:
        return
    frames = capture()
    where = user_line(frames)
    if where in _hinted:
        return
    _hinted.add(where)
    fn = t._grad_fn
    leaf = None
    edges = fn.next_functions
    # `w - lr * w.grad`: a subtraction (or addition) whose only input needing grad is a leaf
    # that already has a .grad of the same shape
    if fn.name() in ("SubBackward0", "AddBackward0") and len(edges) == 2 and edges[1][0] is None:
        var = getattr(edges[0][0], "variable", None)
        if var is not None and var._grad is not None and var._data.shape == t._data.shape:
            leaf = var
    if leaf is not None:
        message = (
            f"This tensor is not a leaf: it was computed ({fn.name()}) from a parameter that has "
            "a .grad, as `w = w - lr * w.grad` does. The name now holds a new tensor whose .grad "
            "stays None, and the parameter is no longer updated.\n"
            "Fix: update the parameter in place without recording it: "
            "`with torch.no_grad(): w -= lr * w.grad`, then `w.grad.zero_()` (or use an "
            "optimizer)."
        )
    else:
        message = (
            f"This tensor is not a leaf (its grad_fn is {fn.name()}), so backward() does not "
            "fill its .grad.\n"
            "Fix: read .grad on the leaf tensors (the parameters you created with "
            "requires_grad=True), or call .retain_grad() on this tensor before backward()."
        )
    report(NonLeafGradWarning, message, frames)
