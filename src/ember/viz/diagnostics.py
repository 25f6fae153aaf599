"""What the diagnostics found, for `ember run --explain` (and anyone who asks).

The checks themselves live where the mistakes happen (the engine's graph growth check, the
notes on autograd's errors, the non-leaf ``.grad`` hint); they record each finding in
``ember.autograd.anomaly.found``. This module turns those records into the closing summary.
"""

from ..autograd import anomaly

__all__ = ["findings", "summary"]


def findings():
    """[(kind, message, 'file:line' or None)] found so far in this process."""
    return list(anomaly.found)


def summary(exc=None):
    """The closing report: each finding with its line, the error the script stopped on (with
    the plain-words notes ember added to it), or that nothing was found."""
    found = findings()
    lines = ["", "ember --explain: summary"]
    if exc is not None:
        where = _exc_line(exc)
        lines.append(f"- the script stopped with {type(exc).__name__}" +
                     (f" at {where}" if where else "") + ":")
        lines.append("    " + str(exc).split("\n", 1)[0][:300])
        for n in getattr(exc, "__notes__", ()):
            lines.extend("    " + part for part in n.split("\n"))
    for kind, message, where in found:
        lines.append(f"- {kind}" + (f" at {where}" if where else "") + ":")
        lines.extend("    " + part for part in message.split("\n"))
    if exc is None and not found:
        lines.append("- no autograd mistakes found: no graph kept across steps, no non-leaf "
                     ".grad read, no saved tensor modified in place.")
    return "\n".join(lines) + "\n"


def _exc_line(exc):
    tb = exc.__traceback__
    where = None
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if not name.startswith(anomaly._EMBER_DIR):
            where = f"{name}:{tb.tb_lineno}"
        tb = tb.tb_next
    return where
