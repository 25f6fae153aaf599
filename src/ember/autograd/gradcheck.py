"""gradcheck / gradgradcheck: compare autograd's gradients with finite differences.

The numerical Jacobian perturbs each input element in place by +-eps (central differences);
the analytical one is built row by row from vector-Jacobian products (``autograd.grad`` with a
one-hot grad_output) and, with check_forward_ad, column by column from forward mode (a one-hot
tangent per input element). Both have one row per input element and one column per output element,
as in PyTorch, and are compared with PyTorch's rule |analytical - numerical| <= atol +
rtol * |numerical|.
"""

import warnings

import numpy as np

from .._dtype import from_np
from .._tensor import Tensor, _make
from ..ops.random import rand
from . import forward_ad as fwAD
from .engine import grad
from .function import Function

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]


class GradcheckError(RuntimeError):
    """Error raised by :func:`gradcheck` and :func:`gradgradcheck`."""


def gradcheck(func, inputs, *, eps=1e-06, atol=1e-05, rtol=0.001, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
              check_batched_grad=False, check_batched_forward_grad=False,
              check_forward_ad=False, check_backward_ad=True, fast_mode=False, masked=None):
    """True when the gradients of ``func`` at ``inputs`` match finite differences.

    Checks the inputs that are floating-point tensors with requires_grad=True. Use float64
    inputs: float32 rounding makes central differences too inaccurate for the tolerances.
    On a mismatch raises GradcheckError (or returns False with raise_exception=False).
    """
    if not (check_forward_ad or check_backward_ad):
        raise AssertionError(
            "Expected at least one of check_forward_ad or check_backward_ad to be True"
        )
    if check_batched_grad and not check_backward_ad:
        raise AssertionError(
            "Setting check_batched_grad=True requires check_backward_ad to be True"
        )
    if check_batched_forward_grad and not check_forward_ad:
        raise AssertionError(
            "Setting check_batched_forward_grad=True requires check_forward_ad to be True"
        )
    # masked: ember has no sparse tensors; it is accepted and has no effect
    try:
        return _gradcheck(func, inputs, eps, atol, rtol, nondet_tol, check_undefined_grad,
                          check_grad_dtypes, fast_mode, check_forward_ad, check_backward_ad,
                          check_batched_grad, check_batched_forward_grad)
    except GradcheckError:
        if raise_exception:
            raise
        return False


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-06, atol=1e-05, rtol=0.001,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False):
    """gradcheck of the first derivatives: checks second derivatives (double backward).

    The checked function maps (inputs, grad_outputs) to the gradients of ``func``, computed
    with create_graph=True. Without ``grad_outputs``, random ones in [-1, 1) are used.
    """
    if not (check_fwd_over_rev or check_rev_over_rev):
        raise AssertionError(
            "Expected at least one of check_fwd_over_rev or check_rev_over_rev to be True"
        )
    if check_undefined_grad and not check_rev_over_rev:
        raise AssertionError(
            "Setting check_undefined_grad=True requires check_rev_over_rev to be True"
        )
    if check_batched_grad and not check_rev_over_rev:
        raise AssertionError(
            "Setting check_batched_grad=True requires check_rev_over_rev to be True"
        )
    tupled_inputs = _as_tuple(inputs)
    if grad_outputs is None:
        outputs = _differentiable_outputs(func(*tupled_inputs))
        tupled_grad_outputs = tuple(
            _random_grad_output(o, gen_non_contig_grad_outputs) for o in outputs
        )
    else:
        tupled_grad_outputs = _as_tuple(grad_outputs)
    n_out = len(tupled_grad_outputs)
    split = len(tupled_inputs)
    diff_inputs = {i for i, x in enumerate(tupled_inputs)
                   if isinstance(x, Tensor) and x.requires_grad}
    diff_grad_outputs = {i for i, x in enumerate(tupled_grad_outputs) if x.requires_grad}

    def first_derivatives(*args):
        input_args = tuple(x.requires_grad_() if i in diff_inputs else x
                           for i, x in enumerate(args[:split]))
        outs = _differentiable_outputs(func(*input_args))
        gos = tuple(x.requires_grad_() if i in diff_grad_outputs else x
                    for i, x in enumerate(args[split:split + n_out]))
        wrt = tuple(x for i, x in enumerate(input_args) if i in diff_inputs)
        grads = grad(outs, wrt, gos, create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(
        first_derivatives, tupled_inputs + tupled_grad_outputs, eps=eps, atol=atol, rtol=rtol,
        raise_exception=raise_exception, nondet_tol=nondet_tol,
        check_undefined_grad=check_undefined_grad, check_grad_dtypes=check_grad_dtypes,
        check_batched_grad=check_batched_grad, fast_mode=fast_mode,
        check_forward_ad=check_fwd_over_rev, check_backward_ad=check_rev_over_rev,
        masked=masked,
    )


# -- the checks, in PyTorch's order -------------------------------------------------------------
def _gradcheck(func, inputs, eps, atol, rtol, nondet_tol, check_undefined_grad,
               check_grad_dtypes, fast_mode, check_forward_ad=False, check_backward_ad=True,
               check_batched_grad=False, check_batched_forward_grad=False):
    inputs = _as_tuple(inputs)
    _check_inputs(inputs)
    func_out = func(*inputs)
    outputs = _differentiable_outputs(func_out)
    if check_backward_ad:
        if fast_mode:
            _fast_check(func, func_out, inputs, outputs, eps, rtol, atol, nondet_tol,
                        check_grad_dtypes)
        else:
            _slow_check(func, func_out, inputs, outputs, eps, rtol, atol, nondet_tol,
                        check_grad_dtypes)
    if check_forward_ad:
        # fast mode compares the same Jacobians (ember's fast mode projects them; forward mode
        # builds them whole, column by column)
        _forward_check(func, func_out, inputs, eps, rtol, atol)
    if check_batched_forward_grad:
        _check_batched_forward_grad(func, inputs)
    if not check_backward_ad:
        return True
    if check_batched_grad:
        for i, o in enumerate(outputs):
            _check_batched_grad(inputs, o, i)
    _check_backward_mul_by_grad_output(outputs, inputs)
    if check_undefined_grad:
        _check_undefined_grad(func, outputs, inputs)
    return True


def _check_inputs(inputs):
    any_requires_grad = False
    for idx, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad:
            if x._data.dtype not in (np.float64, np.complex128):
                warnings.warn(
                    f"Input #{idx} requires gradient and is not a double precision floating "
                    "point or complex. This check will likely fail if all the inputs are not "
                    "of double precision floating point or complex. ",
                    stacklevel=4,
                )
            d = x._data
            if d.size and not all(st > 0 or sz <= 1 for st, sz in zip(d.strides, d.shape)):
                raise RuntimeError(
                    f"The {idx}th input has a dimension with stride 0. gradcheck only supports "
                    "inputs that are non-overlapping to be able to compute the numerical "
                    "gradients correctly. You should call .contiguous on the input before "
                    "passing it to gradcheck."
                )
            any_requires_grad = True
    if not any_requires_grad:
        raise ValueError(
            "gradcheck expects at least one input tensor to require gradient, but none of "
            "them have requires_grad=True."
        )


def _slow_check(func, func_out, inputs, outputs, eps, rtol, atol, nondet_tol,
                check_grad_dtypes):
    float_outs = [o for o in _as_tuple(func_out) if _is_float(o)]
    if not outputs:
        for per_input in _numerical_jacobians(func, inputs, eps):
            for jac in per_input:
                if np.any(jac != 0):
                    raise GradcheckError("Numerical gradient for function expected to be zero")
        return
    # numerical[k][i]: input k, float output i; keep the outputs that require grad
    numerical = _numerical_jacobians(func, inputs, eps)
    keep = [i for i, o in enumerate(float_outs) if o.requires_grad]
    for i, o in enumerate(outputs):
        analytical = _analytical_jacobians(inputs, o, nondet_tol, check_grad_dtypes)
        for j, (a, per_input) in enumerate(zip(analytical, numerical)):
            n = per_input[keep[i]]
            if not _allclose(a, n, rtol, atol):
                raise GradcheckError(_mismatch_message(a, n, i, j))


def _forward_check(func, func_out, inputs, eps, rtol, atol):
    """Forward mode's Jacobians (one-hot tangents) against finite differences."""
    keep = [i for i, o in enumerate(o for o in _as_tuple(func_out) if _is_float(o))
            if o.requires_grad]
    numerical = _numerical_jacobians(func, inputs, eps)
    analytical = _forward_jacobians(func, inputs)
    for i, k in enumerate(keep):
        for j, (a, per_input) in enumerate(zip(analytical, numerical)):
            n = per_input[k]
            if not _allclose(a[k], n, rtol, atol):
                raise GradcheckError(
                    f"Jacobian computed with forward mode mismatch for output {i:d} with "
                    f"respect to input {j:d},\nnumerical:{_make(n)}\nanalytical:{_make(a[k])}\n")


def _forward_jacobians(func, inputs):
    """For each input that requires grad, one Jacobian (numel_in x numel_out) per float output,
    from forward mode: the inputs become dual tensors (of detached copies, as in PyTorch) and
    each column is the outputs' tangents for a one-hot tangent."""
    result = []
    with fwAD.dual_level():
        duals, tangents = [], []
        for x in inputs:
            if isinstance(x, Tensor) and x.requires_grad:
                t = _make(np.zeros_like(x._data))
                x = fwAD.make_dual(x.detach(), t)
                tangents.append(fwAD.unpack_dual(x).tangent)
            duals.append(x)
        for t in tangents:
            d = t._data
            columns = []
            for idx in np.ndindex(d.shape):
                d[idx] = 1
                outs = [o for o in _as_tuple(func(*duals)) if _is_float(o)]
                col = []
                for o in outs:  # read before the reset: a view's tangent views this one
                    tan = fwAD.unpack_dual(o).tangent
                    col.append(np.zeros(o._data.size, o._data.dtype) if tan is None
                               else tan._data.reshape(-1).copy())
                d[idx] = 0
                columns.append(col)
            if not columns:
                outs = [o for o in _as_tuple(func(*duals)) if _is_float(o)]
                result.append([np.zeros((0, o._data.size), o._data.dtype) for o in outs])
            else:
                result.append([np.stack([c[i] for c in columns])
                               for i in range(len(columns[0]))])
    return result


def _mismatch_message(a, n, out_idx, in_idx):
    return (f"Jacobian mismatch for output {out_idx:d} with respect to input {in_idx:d},\n"
            f"numerical:{_make(n)}\nanalytical:{_make(a)}\n")


def _allclose(a, n, rtol, atol):
    return bool(np.all(np.abs(a - n) <= atol + rtol * np.abs(n)))


def _numerical_jacobians(func, inputs, eps):
    """For each input that requires grad, one Jacobian (numel_in x numel_out) per float output.

    Each element is perturbed in the input's own array, so views and non-contiguous inputs
    are perturbed where they live; outputs are copied before the next evaluation.
    """
    result = []
    for x in inputs:
        if not (isinstance(x, Tensor) and x.requires_grad):
            continue
        d = x._data
        columns = []
        for idx in np.ndindex(d.shape):
            orig = d[idx]
            d[idx] = orig - eps
            out_a = _float_output_arrays(func(*inputs))
            d[idx] = orig + eps
            out_b = _float_output_arrays(func(*inputs))
            d[idx] = orig
            for a, b in zip(out_a, out_b):
                _check_same_dtype_and_shape(a, b, eps, idx)
            columns.append([((b - a) / (2 * eps)).reshape(-1) for a, b in zip(out_a, out_b)])
        if not columns:  # an empty input: evaluate once for the output sizes
            outs = _float_output_arrays(func(*inputs))
            result.append([np.zeros((0, o.size), o.dtype) for o in outs])
        else:
            result.append([np.stack([c[i] for c in columns]) for i in range(len(columns[0]))])
    return result


def _float_output_arrays(out):
    return [o._data.copy() for o in _as_tuple(out) if _is_float(o)]


def _check_same_dtype_and_shape(a, b, eps, idx):
    if a.shape != b.shape:
        raise AssertionError(
            f"Expected `func` to return outputs with the same shape when inputs are perturbed "
            f"on index {idx} by {eps}, but got: shapes {a.shape} and {b.shape}."
        )
    if a.dtype != b.dtype:
        raise AssertionError(
            f"Expected `func` to return outputs with the same dtype when inputs are perturbed "
            f"on index {idx} by {eps}, but got: dtypes {a.dtype} and {b.dtype}."
        )


def _vjp(output, diff_inputs, grad_output):
    return grad(output, diff_inputs, _make(grad_output), retain_graph=True, allow_unused=True)


def _analytical_jacobians(inputs, output, nondet_tol, check_grad_dtypes):
    """Row j of the Jacobian is the VJP with the j-th one-hot grad_output; done twice to
    catch a backward that is not deterministic (PyTorch calls this reentrancy)."""
    diff_inputs = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    n = output._data.size
    jacs = []
    sizes_ok = types_ok = True
    for _ in range(2):
        jac = [np.zeros((x._data.size, n), x._data.dtype) for x in diff_inputs]
        for j in range(n):
            onehot = np.zeros(n, output._data.dtype)
            onehot[j] = 1
            grads = _vjp(output, diff_inputs, onehot.reshape(output._data.shape))
            for k, (g, x) in enumerate(zip(grads, diff_inputs)):
                if g is None:
                    continue
                if g._data.shape != x._data.shape:
                    sizes_ok = False
                    continue
                if g._data.dtype != x._data.dtype:
                    types_ok = False
                jac[k][:, j] = g._data.reshape(-1)
        jacs.append(jac)
    if not types_ok and check_grad_dtypes:
        raise GradcheckError("Gradient has dtype mismatch")
    if not sizes_ok:
        raise GradcheckError("Analytical gradient has incorrect size")
    for j1, j2 in zip(*jacs):
        if j1.size and np.abs(j1 - j2).max() > nondet_tol:
            raise GradcheckError(
                "Backward is not reentrant, i.e., running backward with same input and "
                "grad_output multiple times gives different values, although analytical "
                "gradient matches numerical gradient."
                f"The tolerance for nondeterminism was {nondet_tol}."
            )
    return jacs[0]


# -- fast mode: compare v^T J u instead of whole Jacobians ---------------------------------------
def _fast_check(func, func_out, inputs, outputs, eps, rtol, atol, nondet_tol, check_grad_dtypes):
    rng = np.random.default_rng(0)  # its own generator: the user's RNG state is left alone
    idx = [k for k, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    all_u = [_unit_vector(rng, inputs[k]._data) for k in idx]
    all_v = [_unit_vector(rng, o._data) for o in outputs]
    # numerical J u for each input, by one central difference along u
    jus = []
    for k, u in zip(idx, all_u):
        d = inputs[k]._data
        orig = d.copy()
        step = (u * eps).reshape(d.shape)
        d[...] = orig - step
        out_a = _float_output_arrays(func(*inputs))
        d[...] = orig + step
        out_b = _float_output_arrays(func(*inputs))
        d[...] = orig
        jus.append([((b - a) / (2 * eps)).reshape(-1) for a, b in zip(out_a, out_b)])
    if not outputs:
        for per_input in jus:
            for ju in per_input:
                if ju.size and np.abs(ju).max() > nondet_tol:
                    raise GradcheckError("Numerical gradient for function expected to be zero")
        return
    float_outs = [o for o in _as_tuple(func_out) if _is_float(o)]
    keep = [i for i, o in enumerate(float_outs) if o.requires_grad]
    diff_inputs = [inputs[k] for k in idx]
    for i, (o, v) in enumerate(zip(outputs, all_v)):
        vjs = []
        for _ in range(2):
            grads = _vjp(o, diff_inputs, v.reshape(o._data.shape))
            vjs.append([np.zeros(x._data.size) if g is None else g._data.reshape(-1)
                        for g, x in zip(grads, diff_inputs)])
        for g, x in zip(grads, diff_inputs):
            if g is not None and g._data.shape != x._data.shape:
                raise GradcheckError("Analytical gradient has incorrect size")
            if g is not None and check_grad_dtypes and g._data.dtype != x._data.dtype:
                raise GradcheckError("Gradient has dtype mismatch")
        for a1, a2 in zip(*vjs):
            if a1.size and np.abs(a1 - a2).max() > nondet_tol:
                raise GradcheckError(
                    "Backward is not reentrant, i.e., running backward with same input and "
                    "grad_output multiple times gives different values, although analytical "
                    "gradient matches numerical gradient."
                    f"The tolerance for nondeterminism was {nondet_tol}."
                )
        for j, (vj, u) in enumerate(zip(vjs[0], all_u)):
            a = np.asarray(vj @ u)
            n = np.asarray(v @ jus[j][keep[i]])
            tol = atol * float(u.sum()) * float(v.sum())  # atol summed over v^T (.) u
            if not _allclose(a, n, rtol, tol):
                raise GradcheckError(
                    f"Jacobian mismatch for output {i:d} with respect to input {j:d},\n"
                    f"numerical:{float(n)}\nanalytical:{float(a)}\n"
                    + _slow_mode_details(func, inputs, o, i, j, rtol, atol, eps)
                )


def _unit_vector(rng, like):
    vec = rng.random(like.size).astype(like.dtype)
    norm = np.linalg.norm(vec)
    return vec / norm if norm else vec


def _slow_mode_details(func, inputs, output, out_idx, in_idx, rtol, atol, eps):
    numerical = _numerical_jacobians(func, inputs, eps)[in_idx]
    float_outs = [o for o in _as_tuple(func(*inputs)) if _is_float(o)]
    keep = [i for i, o in enumerate(float_outs) if o.requires_grad]
    n = numerical[keep[out_idx]]
    a = _analytical_jacobians(inputs, output, float("inf"), False)[in_idx]
    diff = float(np.abs(n - a).max()) if n.size else 0.0
    msg = (
        "\nThe above quantities relating the numerical and analytical jacobians are computed \n"
        "in fast mode. See: https://github.com/pytorch/pytorch/issues/53876 for more background "
        "\nabout fast mode. Below, we recompute numerical and analytical jacobians in slow mode:"
        f"\n\nNumerical:\n {_make(n)}\nAnalytical:\n{_make(a)}\n\n"
        f"The max per-element difference (slow mode) is: {diff}.\n"
    )
    if _allclose(a, n, rtol, atol):
        msg += ("Fast gradcheck failed but element-wise differences are small. This means that "
                "the\ntest might've passed in slow_mode!")
    return msg


# -- backward sanity checks -------------------------------------------------------------------
def _check_backward_mul_by_grad_output(outputs, inputs):
    """A zero grad_output must give zero gradients, of the input's dtype and size."""
    diff_inputs = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    if not outputs:
        return
    grads = grad(outputs, diff_inputs, [_make(np.zeros_like(o._data)) for o in outputs],
                 allow_unused=True)
    for g, x in zip(grads, diff_inputs):
        if g is None:
            continue
        if np.any(g._data != 0):
            raise GradcheckError("backward not multiplied by grad_output")
        if g._data.dtype != x._data.dtype:
            raise GradcheckError("grad is incorrect type")
        if g._data.shape != x._data.shape:
            raise GradcheckError("grad is incorrect size")


class UndefinedGrad(Function):
    """Identity whose backward sends no gradient: how gradcheck feeds 'undefined' grads."""

    @staticmethod
    def forward(ctx, x):
        return x

    @staticmethod
    def backward(ctx, g):
        return None


def _check_undefined_grad(func, outputs, inputs):
    """Backward must cope with outputs that get no gradient (None), one or all at a time."""
    diff_inputs = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    if not outputs:
        return

    def check(outs):
        zeros = [_make(np.zeros_like(o._data)) for o in outs]
        try:
            grads = grad(outs, diff_inputs, zeros, allow_unused=True)
        except RuntimeError as e:
            _warn_undefined()
            raise GradcheckError(
                "Expected backward function to handle undefined output grads. Please look at "
                '"Notes about undefined output gradients" in "tools/autograd/derivatives.yaml"'
            ) from e
        for g in grads:
            if g is not None and np.any(g._data != 0):
                _warn_undefined()
                raise GradcheckError(
                    "Expected all input grads to be undefined or zero when all output grads "
                    'are undefined or zero. Please look at "Notes about undefined output '
                    'gradients" in "tools/autograd/derivatives.yaml"'
                )

    check([UndefinedGrad.apply(o) for o in _differentiable_outputs(func(*inputs))
           if isinstance(o, Tensor)])
    if len(outputs) > 1:
        for undefined in range(len(outputs)):
            outs = _differentiable_outputs(func(*inputs))
            check([UndefinedGrad.apply(o) if k == undefined else o for k, o in enumerate(outs)])


def _warn_undefined():
    warnings.warn(
        "Backwards compatibility: New undefined gradient support checking feature is enabled "
        "by default, but it may break existing callers of this function. If this is true for "
        'you, you can call this function with "check_undefined_grad=False" to disable the '
        "feature",
        stacklevel=4,
    )


# -- batched gradients (vmap) -------------------------------------------------------------------
_BATCHED_MSG = """
gradcheck or gradgradcheck failed while testing batched gradient computation.
This could have been invoked in a number of ways (via a test that calls
gradcheck/gradgradcheck directly or via an autogenerated test).

If you are adding a new operator, please file an issue and then use one of the
workarounds. The workaround depends on how your test invokes gradcheck/gradgradcheck.
If the test
- manually invokes gradcheck/gradgradcheck, then call gradcheck/gradgradcheck
  with `check_batched_grad=False` as a keyword argument.
- is OpInfo-based (e.g., in test_ops_gradients.py), then modify the OpInfo for the test
  to have `check_batched_grad=False` and/or `check_batched_gradgrad=False`.

If you're modifying an existing operator that supports batched grad computation,
or wish to make a new operator work with batched grad computation, please read
the following.
""".strip()


def _batched_mismatch(output_idx, input_idx, got, expected):
    return (f"For output {output_idx} and input {input_idx}:\n\n{_BATCHED_MSG}\n\n"
            f"Got:\n{got}\n\nExpected:\n{expected}")


def _check_batched_grad(inputs, output, output_idx):
    """Two vector-Jacobian products computed at once (a batch of grad_outputs, vmap over the
    backward) equal the same products computed one by one."""
    wrt = [x for x in inputs if isinstance(x, Tensor) and x.requires_grad]
    vs = [_make(np.random.default_rng(output_idx).standard_normal(
        output._data.shape).astype(output._data.dtype)) for _ in range(2)]

    def one(v):
        got = grad(output, wrt, v, retain_graph=True, allow_unused=True)
        return [np.zeros(x._data.shape, x._data.dtype) if g is None else g._data
                for g, x in zip(got, wrt)]

    expected = [np.stack(rows) for rows in zip(*[one(v) for v in vs])]
    stacked = _make(np.stack([v._data for v in vs]))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="There is a performance drop")
        try:
            batched = grad(output, wrt, stacked, retain_graph=True, allow_unused=True,
                           is_grads_batched=True)
        except RuntimeError as exc:
            raise GradcheckError(
                f"While computing batched gradients, got: {exc}\n\n{_BATCHED_MSG}") from exc
    for i, (g, e) in enumerate(zip(batched, expected)):
        got = np.zeros_like(e) if g is None else g._data
        if not np.allclose(got, e, rtol=1e-5, atol=1e-8, equal_nan=True):
            raise GradcheckError(_batched_mismatch(output_idx, i, got, e))


def _check_batched_forward_grad(func, inputs):
    """Two Jacobian-vector products computed at once (vmap over the tangent) equal the same
    products computed one by one."""
    from ..func import vmap  # loaded on first use: `import ember` does not load the transforms

    for idx, x in enumerate(inputs):
        if not (isinstance(x, Tensor) and x.requires_grad and _is_float(x)):
            continue

        def jvp(tangent, idx=idx, x=x):
            with fwAD.dual_level():
                dual = fwAD.make_dual(x.detach(), tangent)
                args = tuple(dual if i == idx else (a.detach() if isinstance(a, Tensor) else a)
                             for i, a in enumerate(inputs))
                out = []
                for o in _as_tuple(func(*args)):
                    if o is None:
                        continue
                    primal, t = fwAD.unpack_dual(o)
                    out.append(t if t is not None else primal.new_zeros(tuple(primal.shape)))
                return tuple(out)

        rng = np.random.default_rng(idx)
        tangents = [_make(rng.standard_normal(x._data.shape).astype(x._data.dtype))
                    for _ in range(2)]
        expected = [np.stack([t._data for t in rows]) for rows in zip(*[jvp(t) for t in tangents])]
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="There is a performance drop")
            try:
                batched = vmap(jvp)(_make(np.stack([t._data for t in tangents])))
            except RuntimeError as exc:
                raise GradcheckError(
                    f"While computing batched gradients, got: {exc}\n\n{_BATCHED_MSG}"
                ) from exc
        for j, (g, e) in enumerate(zip(batched, expected)):
            if not np.allclose(g._data, e, rtol=1e-5, atol=1e-8, equal_nan=True):
                raise GradcheckError(_batched_mismatch(j, idx, g._data, e))


# -- helpers ------------------------------------------------------------------------------------
def _as_tuple(x):
    if isinstance(x, tuple):
        return x
    if isinstance(x, list):
        return tuple(x)
    return (x,)


def _differentiable_outputs(x):
    return tuple(o for o in _as_tuple(x) if o.requires_grad)


def _is_float(o):
    return isinstance(o, Tensor) and o._data.dtype.kind in "fcV"


def _random_grad_output(o, noncontiguous):
    """Uniform in [-1, 1), like torch.testing.make_tensor, drawn from ember's generator."""
    dtype = from_np[o._data.dtype] if o._data.dtype.kind in "fcV" else from_np[np.dtype("f8")]
    shape = o._data.shape
    wide = noncontiguous and o._data.size > 1
    d = rand((*shape[:-1], 2 * shape[-1]) if wide else shape, dtype=dtype)._data
    d *= 2
    d -= 1
    return _make(d[..., ::2] if wide else d, True)
