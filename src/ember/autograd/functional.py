"""Derivatives of whole functions, as ``torch.autograd.functional``: jacobian, hessian, vjp,
jvp, hvp and vhp.

Each takes a function and the point (a Tensor or a tuple of Tensors) and runs the function on
fresh copies of the inputs that require grad, so that the derivative is taken with respect to
exactly those copies (a tensor the function captures from outside is a constant here). The
products are one or two calls of ``autograd.grad``:

- vjp: one backward pass with ``v`` as the output gradient;
- jvp: the double backward trick: ``g -> J^T g`` is linear in ``g``, so differentiating
  ``<J^T g, v>`` with respect to ``g`` gives ``J v`` (hvp uses the same trick one level up);
- jacobian: one backward pass per output element, the rows stacked (``vectorize=True`` feeds
  the one-hot output gradients as one batch to a single backward pass, ``autograd.grad``'s
  ``is_grads_batched``); ``strategy="forward-mode"`` pushes one tangent per input element through
  ``autograd.forward_ad`` instead;
- hessian: the jacobian of the jacobian (the inner one always reverse-mode).

Results are detached unless ``create_graph=True``; an input that no output depends on gets
zeros, or an error with ``strict=True``.
"""

from .. import _errors, _names
from .._tensor import Tensor
from ..ops.creation import zeros_like
from ..ops.shape import stack
from . import forward_ad as fwad
from .engine import grad as _autograd_grad
from .grad_mode import enable_grad, is_grad_enabled, set_grad_enabled

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]

_STRATEGIES = ("forward-mode", "reverse-mode")


# ---------------------------------------------------------------------------------------------
# tuples in, tuples out


def _tuplify(value, what, fn):
    """(was it a tuple, the tuple of Tensors); only a tuple counts as several Tensors."""
    is_tuple = isinstance(value, tuple)
    items = value if is_tuple else (value,)
    for i, item in enumerate(items):
        if not isinstance(item, Tensor):
            where = f"value at index {i}" if is_tuple else f"given {what}"
            exc = TypeError(f"The {what} given to {fn} must be either a Tensor or a tuple of "
                            f"Tensors but the {where} has type {type(item)}.")
            if isinstance(value, list):
                _errors.note(exc, "Several tensors are passed as a tuple, not a list: "
                                  "write tuple(...) around them.")
            raise exc
    return is_tuple, items


def _untuple(result, is_tuple):
    """Undo _tuplify on a result: ``is_tuple`` is one flag, or (outer, inner) for a tuple of
    tuples (one row per output, one column per input)."""
    if isinstance(is_tuple, tuple):
        outer, inner = is_tuple
        if not inner:
            result = tuple(row[0] for row in result)
        return result if outer else result[0]
    return result if is_tuple else result[0]


def _fresh(tensors, create_graph, need_graph):
    """New Tensor objects for the function to use: differentiable views of the inputs that
    require grad when the result must stay in the graph, detached copies otherwise (they
    require grad when ``need_graph``). Always new objects, so the derivatives are taken with
    respect to what was passed, not to the same tensors captured inside the function."""
    fresh = []
    for t in tensors:
        if create_graph and t.requires_grad:
            fresh.append(t.view_as(t))
        else:
            fresh.append(t.detach().requires_grad_(need_graph))
    return tuple(fresh)


def _finish(tensors, create_graph):
    """Results leave without their history unless the caller asked for the graph."""
    if create_graph:
        return tensors
    if isinstance(tensors[0], Tensor):  # (nothing at all: IndexError, as in PyTorch)
        return tuple(t.detach() for t in tensors)
    return tuple(_finish(row, create_graph) for row in tensors)


def _check_v(v, against, is_tuple):
    """``v`` must match ``against`` (the outputs for vjp, the inputs otherwise) in count and
    sizes."""
    if len(v) != len(against):
        if is_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(against)} but "
                               f"got {len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (vi, ai) in enumerate(zip(v, against)):
        if vi.size() != ai.size():
            where = f"Entry {i} in " if is_tuple else ""
            raise RuntimeError(f"{where}v has invalid size: should be {ai.size()} but got "
                               f"{vi.size()}.")


def _v_none(what, like, name):
    """v left out where it is not the number 1: ``like`` are the tensors v must match (the
    outputs or the inputs, called ``name``)."""
    exc = RuntimeError(f"The vector v can only be None if {what} a single Tensor with a "
                       "single element.")
    shapes = ", ".join(str(tuple(t.shape)) for t in like)
    return _errors.note(exc, f"v is the vector multiplied with the derivative: pass one tensor "
                             f"shaped like each of the {name} ({shapes}), as a tuple if there "
                             "are several.")


def _single_output(outs, is_tuple, fn):
    if is_tuple:
        exc = RuntimeError(f"The function given to {fn} should return a single Tensor")
        raise _errors.note(exc, "Return the tensor itself, not a tuple holding it.")
    out = outs[0]
    if out.numel() != 1:
        exc = RuntimeError(f"The Tensor returned by the function given to {fn} should contain "
                           "a single element")
        raise _errors.note(exc, f"The function returned a tensor of shape {tuple(out.shape)}; "
                                f"{fn} needs a scalar function. Reduce the output to one number "
                                "(e.g. .sum()), or use jacobian for a vector-valued function.")


# ---------------------------------------------------------------------------------------------
# strict mode and independent inputs

_STRICT = "This is not allowed in strict mode."


def _strict_error(text):
    return _errors.note(RuntimeError(text),
                        "strict=True refuses a derivative that is zero only because nothing "
                        "connects it to the inputs; with strict=False (the default) it is "
                        "returned as zeros.")


def _require_grad(tensors, kind, strict):
    """strict mode: each of ``tensors`` (what one stage produced) must depend on the inputs.
    ``kind``: "outputs" (the function's), "grad_inputs" (jvp's first backward pass) or
    "jacobian" (the gradient inside hessian, vhp and hvp)."""
    if not strict:
        return
    for i, t in enumerate(tensors):
        if t is None:
            raise _strict_error(f"The output of the user-provided function is independent of "
                                f"input {i}. {_STRICT}")
        if t.requires_grad:
            continue
        if kind == "outputs":
            raise _strict_error(
                f"Output {i} of the user-provided function does not require gradients. The "
                "outputs must be computed in a differentiable manner from the input when "
                "running in strict mode.")
        if kind == "grad_inputs":
            raise _strict_error(
                f"The gradient with respect to input {i} is independent of the inputs of the "
                f"user-provided function. {_STRICT}")
        if kind == "jacobian":  # while computing a hessian (second-order products too)
            raise _strict_error(
                "While computing the hessian, found that the jacobian of the user-provided "
                f"function with respect to input {i} is independent of the input. {_STRICT} "
                "You should ensure that your function is twice differentiable and that the "
                "jacobian depends on the inputs (this would be violated by a linear function "
                "for example).")


_INDEPENDENT = {
    "back": "The output of the user-provided function is independent of input {i}. " + _STRICT,
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the "
                  "grad_outputs when using the double backward trick to compute forward mode "
                  "gradients. " + _STRICT,
    "double_back": "The jacobian of the user-provided function is independent of input {i}. "
                   + _STRICT,
    "double_back_trick": "The hessian of the user-provided function is independent of entry "
                         "{i} in the grad_jacobian. This is not allowed in strict mode as it "
                         "prevents from using the double backward trick to replace forward "
                         "mode AD.",
}


def _zeros_for_none(grads, refs, strict, create_graph, stage):
    """Replace a missing gradient (no path to that input) by zeros shaped like ``refs[i]``, or
    raise in strict mode. ``stage`` names the pass, for the message: "back" (vjp),
    "back_trick" (jvp), "double_back" (vhp) or "double_back_trick" (hvp)."""
    filled = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise _strict_error(_INDEPENDENT[stage].format(i=i))
            g = zeros_like(refs[i])
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if stage.startswith("double") else "jacobian"
            raise _strict_error(f"The {what} of the user-provided function is independent of "
                                f"input {i}. This is not allowed in strict mode when "
                                "create_graph=True.")
        filled.append(g)
    return tuple(filled)


def _grads(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None,
           is_grads_batched=False):
    """autograd.grad over the outputs that are in the graph (None entries and outputs that do
    not require grad are skipped); None for an input no output reaches."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    used = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not used:
        return (None,) * len(inputs)
    outs, gos = zip(*used)
    return _autograd_grad(outs, inputs, gos, retain_graph=retain_graph,
                          create_graph=create_graph, allow_unused=True,
                          is_grads_batched=is_grads_batched)


# ---------------------------------------------------------------------------------------------
# products


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``v`` times the Jacobian of ``func`` at ``inputs``: returns ``(func(inputs), vjp)``,
    the vjp shaped like the inputs. ``v`` is shaped like the output (optional when that is a
    single element)."""
    with enable_grad():
        is_inputs_tuple, inputs = _tuplify(inputs, "inputs", "vjp")
        inputs = _fresh(inputs, create_graph, need_graph=True)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _tuplify(outputs, "outputs of the user-provided function",
                                             "vjp")
        _require_grad(outputs, "outputs", strict)
        if v is not None:
            _, v = _tuplify(v, "v", "vjp")
            v = _fresh(v, create_graph, need_graph=False)
            _check_v(v, outputs, is_outputs_tuple)
        elif len(outputs) != 1 or outputs[0].numel() != 1:
            raise _v_none("the user-provided function returns", outputs, "outputs")

    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grads = _grads(outputs, inputs, v, create_graph=create_graph)
        result = _zeros_for_none(grads, inputs, strict, create_graph, "back")
    return (_untuple(_finish(outputs, create_graph), is_outputs_tuple),
            _untuple(_finish(result, create_graph), is_inputs_tuple))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """The Jacobian of ``func`` at ``inputs`` times ``v``: returns ``(func(inputs), jvp)``, the
    jvp shaped like the output. ``v`` is shaped like the inputs (optional when they are a
    single element). Computed with the double backward trick."""
    with enable_grad():
        is_inputs_tuple, inputs = _tuplify(inputs, "inputs", "jvp")
        inputs = _fresh(inputs, create_graph, need_graph=True)
        if v is not None:
            _, v = _tuplify(v, "v", "jvp")
            v = _fresh(v, create_graph, need_graph=False)
            _check_v(v, inputs, is_inputs_tuple)
        elif len(inputs) != 1 or inputs[0].numel() != 1:
            raise _v_none("the input to the user-provided function is", inputs, "inputs")
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _tuplify(outputs, "outputs of the user-provided function",
                                             "jvp")
        _require_grad(outputs, "outputs", strict)
        # J^T g is linear in g: any finite g gives the same derivative with respect to g
        dummies = tuple(zeros_like(out, requires_grad=True) for out in outputs)
        grad_inputs = _grads(outputs, inputs, dummies, create_graph=True)
        _require_grad(grad_inputs, "grad_inputs", strict)

    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grads = _grads(grad_inputs, dummies, v, create_graph=create_graph)
        result = _zeros_for_none(grads, outputs, strict, create_graph, "back_trick")
    return (_untuple(_finish(outputs, create_graph), is_outputs_tuple),
            _untuple(_finish(result, create_graph), is_outputs_tuple))


def _scalar_output(func, inputs, fn, strict):
    """Run a function that must return one single-element Tensor (vhp, hvp)."""
    outputs = func(*inputs)
    is_outputs_tuple, outputs = _tuplify(outputs, "outputs of the user-provided function", fn)
    _require_grad(outputs, "outputs", strict)
    _single_output(outputs, is_outputs_tuple, fn)
    return is_outputs_tuple, outputs


def _second_order_setup(func, inputs, v, create_graph, strict, fn):
    is_inputs_tuple, inputs = _tuplify(inputs, "inputs", fn)
    inputs = _fresh(inputs, create_graph, need_graph=True)
    if v is not None:
        _, v = _tuplify(v, "v", fn)
        v = _fresh(v, create_graph, need_graph=False)
        _check_v(v, inputs, is_inputs_tuple)
    elif len(inputs) != 1 or inputs[0].numel() != 1:
        raise _v_none("the input to the user-provided function is", inputs, "inputs")
    is_outputs_tuple, outputs = _scalar_output(func, inputs, fn, strict)
    jac = _grads(outputs, inputs, create_graph=True)
    _require_grad(jac, "jacobian", strict)
    return is_inputs_tuple, inputs, v, is_outputs_tuple, outputs, jac


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``v`` times the Hessian of the scalar function ``func`` at ``inputs``: returns
    ``(func(inputs), vhp)``, the vhp shaped like the inputs."""
    with enable_grad():
        is_inputs_tuple, inputs, v, is_outputs_tuple, outputs, jac = _second_order_setup(
            func, inputs, v, create_graph, strict, "vhp")

    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grads = _grads(jac, inputs, v, create_graph=create_graph)
        result = _zeros_for_none(grads, inputs, strict, create_graph, "double_back")
    return (_untuple(_finish(outputs, create_graph), is_outputs_tuple),
            _untuple(_finish(result, create_graph), is_inputs_tuple))


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """The Hessian of the scalar function ``func`` at ``inputs`` times ``v``: returns
    ``(func(inputs), hvp)``, the hvp shaped like the inputs. Computed with the double backward
    trick on top of the gradient (vhp is cheaper and equal for twice continuously
    differentiable functions)."""
    with enable_grad():
        is_inputs_tuple, inputs, v, is_outputs_tuple, outputs, jac = _second_order_setup(
            func, inputs, v, create_graph, strict, "hvp")
        dummies = tuple(zeros_like(inp, requires_grad=True) for inp in inputs)
        double_back = _grads(jac, inputs, dummies, create_graph=True)

    with set_grad_enabled(True if create_graph else is_grad_enabled()):
        grads = _grads(double_back, dummies, v, create_graph=create_graph)
        result = _zeros_for_none(grads, inputs, strict, create_graph, "double_back_trick")
    return (_untuple(_finish(outputs, create_graph), is_outputs_tuple),
            _untuple(_finish(result, create_graph), is_inputs_tuple))


# ---------------------------------------------------------------------------------------------
# jacobian and hessian


def _standard_basis(tensors, numels):
    """The identity matrix of size sum(numels), cut into one column block per tensor: block i
    has shape (sum(numels), numels[i]) and the dtype of tensors[i]."""
    if not tensors:
        raise AssertionError("Expected at least one tensor")
    total = sum(numels)
    blocks = []
    offset = 0
    for t, n in zip(tensors, numels):
        block = t.new_zeros(total, n)
        block.diagonal(-offset).fill_(1)
        blocks.append(block)
        offset += n
    return tuple(blocks)


def _over_basis(fn, basis):
    """``fn`` applied to each row of the basis blocks (one row of every block per call), its
    results stacked along a new dim 0; ``fn`` returns a tuple of Tensors. Forward mode's
    vectorize runs its rows so: forward_ad.make_dual takes no batch of tangents (under vmap
    this would be ``vmap(fn)(*basis)``)."""
    rows = [fn(*(block[k] for block in basis)) for k in range(basis[0].shape[0])]
    return tuple(stack(column, 0) for column in zip(*rows))


def _jacobian_rows(outputs, inputs, create_graph, strict):
    """The Jacobian one output element at a time: one backward pass per element."""
    jacobian = []
    for i, out in enumerate(outputs):
        columns = tuple([] for _ in inputs)
        flat = out.reshape(-1)
        for k in range(out.numel()):
            grads = _grads((flat[k],), inputs, retain_graph=True, create_graph=create_graph)
            for j, (g, inp) in enumerate(zip(grads, inputs)):
                if g is None:
                    if strict:
                        raise _strict_error(f"Output {i} of the user-provided function is "
                                            f"independent of input {j}. {_STRICT}")
                    g = zeros_like(inp)
                elif strict and create_graph and not g.requires_grad:
                    # (PyTorch names the output's index here)
                    raise _strict_error(
                        f"The jacobian of the user-provided function is independent of input "
                        f"{i}. This is not allowed in strict mode when create_graph=True.")
                columns[j].append(g)
        jacobian.append(tuple(stack(col, 0).view(out.size() + inputs[j].size())
                              for j, col in enumerate(columns)))
    return tuple(jacobian)


def _jacobian_vectorized(outputs, inputs, create_graph):
    """The Jacobian from one batch of vector-Jacobian products: the output gradients are the
    rows of the identity, split across the outputs."""
    numels = tuple(out.numel() for out in outputs)
    total = sum(numels)
    basis = _standard_basis(outputs, numels)
    if total == 0:  # an empty batch of output gradients
        raise IndexError("index 0 is out of bounds for dimension 0 with size 0")
    flat = tuple(out.reshape(-1) for out in outputs)
    # one backward pass for the whole basis: row k of the blocks is the k-th output gradient
    grads = _grads(flat, inputs, basis, create_graph=create_graph, retain_graph=True,
                   is_grads_batched=True)
    per_input = tuple(zeros_like(inp).expand((total,) + tuple(inp.shape)) if g is None else g
                      for g, inp in zip(grads, inputs))
    by_input = [[block.view(out.shape + inp.shape)
                 for block, out in zip(jac.split(numels, dim=0), outputs)]
                for jac, inp in zip(per_input, inputs)]
    return tuple(zip(*by_input))


def _jacobian_forward(func, inputs, vectorize):
    """The Jacobian with forward-mode AD: one tangent per input element."""
    is_inputs_tuple, inputs = _tuplify(inputs, "inputs", "jacobian")
    if not vectorize:
        exc = NotImplementedError("Computing Jacobian using forward-AD or forward-over-reverse "
                                  "Hessian isonly implemented for `vectorize=True`.")
        raise _errors.note(exc, "Pass vectorize=True with the forward-mode strategy.")

    numels = tuple(inp.numel() for inp in inputs)
    basis = _standard_basis(inputs, numels)
    seen = []

    def jvp_row(*tangents):
        with fwad.dual_level():
            duals = tuple(fwad.make_dual(inp, t.view_as(inp))
                          for inp, t in zip(inputs, tangents))
            is_outputs_tuple, outs = _tuplify(func(*duals), "outputs", None)
            primals, jv = [], []
            for out in outs:
                primal, tangent = fwad.unpack_dual(out)
                primals.append(primal)
                jv.append(zeros_like(primal) if tangent is None else tangent)
        if not seen:
            seen.extend((is_outputs_tuple, primals))
        return tuple(jv)

    if sum(numels) == 0:
        # no tangent to push: run once for the outputs' shapes, and no row comes out
        jv = jvp_row(*(block.new_zeros(block.shape[1:]) for block in basis))
        per_output = tuple(t.new_zeros((0,) + t.shape) for t in jv)
    else:
        per_output = _over_basis(jvp_row, basis)
    is_outputs_tuple, primals = seen
    jacobian = []
    for jac, out in zip(per_output, primals):
        # the batch dim runs over the input elements: it moves last, then unflattens
        row = []
        for block, inp in zip(jac.split(numels, dim=0), inputs):
            row.append(block.permute(*range(1, block.dim()), 0).reshape(out.shape + inp.shape))
        jacobian.append(row)
    # (as PyTorch's, forward mode's rows and their container are lists, not tuples)
    return _untuple(jacobian, (is_outputs_tuple, is_inputs_tuple))


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``.

    One input and one output: a Tensor of shape ``output.shape + input.shape``. A tuple on
    either side: a tuple of such Tensors; on both: a tuple (one per output) of tuples (one per
    input).
    """
    if strategy not in _STRATEGIES:
        raise AssertionError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
            'function has more outputs than inputs, "forward-mode" tends to be more performant. '
            'Otherwise, prefer to use "reverse-mode".')
    if strategy == "forward-mode":
        if create_graph:
            raise NotImplementedError(_names.spell(
                "ember.autograd.functional.jacobian: `create_graph=True` and "
                '`strategy="forward-mode"` are not supported together (yet). Please either set '
                '`create_graph=False` or `strategy="reverse-mode"`.'))
        if strict:
            raise RuntimeError(_names.spell(
                "ember.autograd.functional.jacobian: `strict=True` and "
                '`strategy="forward-mode"` are not supported together (yet). Please either set '
                '`strict=False` or `strategy="reverse-mode"`.'))
        return _jacobian_forward(func, inputs, vectorize)

    with enable_grad():
        is_inputs_tuple, inputs = _tuplify(inputs, "inputs", "jacobian")
        inputs = _fresh(inputs, create_graph, need_graph=True)
        outputs = func(*inputs)
        is_outputs_tuple, outputs = _tuplify(outputs, "outputs of the user-provided function",
                                             "jacobian")
        _require_grad(outputs, "outputs", strict)
        if vectorize:
            if strict:
                raise RuntimeError(_names.spell(
                    "ember.autograd.functional.jacobian: `strict=True` and `vectorized=True` "
                    "are not supported together. Please either set `strict=False` or "
                    "`vectorize=False`."))
            result = _jacobian_vectorized(outputs, inputs, create_graph)
        else:
            result = _jacobian_rows(outputs, inputs, create_graph, strict)
        return _untuple(_finish(result, create_graph), (is_outputs_tuple, is_inputs_tuple))


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Hessian of the scalar function ``func`` at ``inputs``: a Tensor of shape
    ``input.shape + input.shape`` for one input, else a tuple of tuples (``H[i][j]`` for
    inputs i and j)."""
    is_inputs_tuple, inputs = _tuplify(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in _STRATEGIES:
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    forward = outer_jacobian_strategy == "forward-mode"

    def scalar_func(*inp):
        out = func(*inp)
        is_out_tuple, outs = _tuplify(out, "outputs of the user-provided function", "hessian")
        _require_grad(outs, "outputs", strict)
        _single_output(outs, is_out_tuple, "hessian")
        return out.squeeze()

    def gradient(*inp):
        if forward:
            # the inner reverse pass differentiates with respect to the dual inputs themselves
            inp = tuple(t.requires_grad_(True) for t in inp)
        jac = jacobian(scalar_func, inp, create_graph=True)
        _require_grad(jac, "jacobian", strict)
        return jac

    result = jacobian(gradient, inputs, create_graph=create_graph, strict=strict,
                      vectorize=vectorize, strategy=outer_jacobian_strategy)
    return _untuple(result, (is_inputs_tuple, is_inputs_tuple))
