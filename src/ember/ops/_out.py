"""``out=``: an op's result written into tensors the caller gives, with PyTorch's rules.

``OUT`` names every public op that takes ``out=`` in PyTorch (by its name in the ops modules:
``linalg_inv`` is torch.linalg.inv, ``fft_rfft`` torch.fft.rfft). ``ops/__init__.py`` gives
each of them the keyword through its public wrapper, which calls ``write`` only when ``out``
is given: the op runs as usual, then

- an input that requires grad (grad mode on) is refused with PyTorch's RuntimeError, and a
  tangent of forward-mode AD with its NotImplementedError;
- the result's dtype meets out's dtype by the op's rule (``_RULES``; by default the result
  is cast when PyTorch's ``canCast`` allows it, as TensorIterator ops do);
- out takes the result's shape (with PyTorch's deprecation warning when it held elements of
  another shape), the values are copied in, its version counter moves, and out (or the tuple
  of outs) is returned.

The factories (``FACTORIES``) take their dtype from out when none is given. A few composite
ops (``_COPIES``) record the write as ``out.copy_(result)``, so out joins the graph.
"""

import warnings

import numpy as np

from .. import _device, _dtype, _names
from .._dispatch import state as _dispatch
from .._dtype import from_np
from .._tensor import Tensor
from ..autograd import forward_ad
from ..autograd.grad_mode import state as _grad

_LINALG = (
    "inv", "inv_ex", "solve", "solve_ex", "det", "slogdet", "cholesky", "cholesky_ex", "eigh",
    "eigvalsh", "eig", "eigvals", "svd", "svdvals", "qr", "lu_factor", "lu_factor_ex", "lu",
    "lu_solve", "pinv", "cross", "householder_product", "matrix_power", "multi_dot", "vecdot",
    "tensorinv", "tensorsolve", "vector_norm", "matrix_norm", "norm", "matrix_rank", "lstsq",
    "solve_triangular", "cond", "matmul", "ldl_factor", "ldl_factor_ex", "ldl_solve",
)
_FFT = (
    "fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fft2", "ifft2", "rfft2", "irfft2", "hfft2",
    "ihfft2", "fftn", "ifftn", "rfftn", "irfftn", "hfftn", "ihfftn",
)
FACTORIES = {
    "zeros", "ones", "empty", "full", "eye", "arange", "range", "linspace", "logspace", "rand",
    "randn", "randint", "randperm", "fft_fftfreq", "fft_rfftfreq",
}
# ops that apply out= themselves: the FFTs (PyTorch's own messages for their complex and real
# outputs, in ops/spectral.py), torch.lu and torch.norm (out is positional there)
OWN = {f"fft_{n}" for n in _FFT} - FACTORIES | {"lu", "norm"}
OUT = FACTORIES | {f"linalg_{n}" for n in _LINALG} | set("""
    abs absolute acos acosh add addmm all amax amin aminmax angle any arccos arccosh arcsin
    arcsinh arctan arctanh argmax argmin asin asinh atan atan2 atanh baddbmm bernoulli
    bitwise_and bitwise_left_shift bitwise_not bitwise_or bitwise_right_shift bitwise_xor bmm
    cat ceil cholesky cholesky_inverse cholesky_solve clamp clamp_max clamp_min clip complex
    concat concatenate conj_physical copysign cos cosh cross cummax cummin cumprod cumsum
    deg2rad diag div divide dot eq erf erfc exp exp2 expm1 fix floor floor_divide fmax fmin
    fmod frac gather ge gelu ger greater greater_equal gt hardshrink hstack hypot index_add
    index_select inner inverse isneginf isposinf kthvalue le lerp less less_equal linear log
    log10 log1p log2 log_softmax logaddexp logaddexp2 logcumsumexp logical_and logical_not
    logical_or logical_xor logit logsigmoid logsumexp lt lu_solve lu_unpack masked_select
    matmul matrix_power max maximum mean median min minimum mm mode msort mul multinomial
    multiply mv nan_to_num nanmean nanmedian nansum ne neg negative nonzero norm normal
    normalize not_equal outer polar pow prod qr rad2deg reciprocal remainder round rsqrt
    scatter scatter_add sgn sigmoid sign signbit sin sinc sinh slogdet softmax softplus
    softshrink sort sqrt square stack std sub subtract sum svd take take_along_dim tan tanh
    tensordot topk tril triu true_divide trunc var vdot vstack where xlogy avg_pool2d
    avg_pool3d searchsorted bucketize addbmm addcdiv addcmul addmv addr chain_matmul column_stack
    row_stack dstack diff float_power frexp gcd lcm heaviside histc kron ldexp nextafter renorm
    arctan2 isin quantile nanquantile histogram digamma erfinv lgamma mvlgamma polygamma
    geqrf ormqr
    i0 igamma igammac special_airy_ai special_bessel_j0 special_bessel_j1 special_bessel_y0
    special_bessel_y1 special_chebyshev_polynomial_t special_chebyshev_polynomial_u
    special_chebyshev_polynomial_v special_chebyshev_polynomial_w special_erfcx
    special_gammainc special_gammaincc special_hermite_polynomial_h
    special_hermite_polynomial_he special_i0 special_i0e special_i1 special_i1e
    special_laguerre_polynomial_l special_legendre_polynomial_p special_log_ndtr
    special_modified_bessel_i0 special_modified_bessel_i1 special_modified_bessel_k0
    special_modified_bessel_k1 special_ndtri special_scaled_modified_bessel_k0
    special_scaled_modified_bessel_k1 special_shifted_chebyshev_polynomial_t
    special_shifted_chebyshev_polynomial_u special_shifted_chebyshev_polynomial_v
    special_shifted_chebyshev_polynomial_w special_spherical_bessel_j0 special_zeta
""".split()) - OWN

# the operator PyTorch names in its autograd error, where it is not the function's own name
_KERNEL = {
    "absolute": "abs", "arccos": "acos", "arccosh": "acosh", "arcsin": "asin",
    "arcsinh": "asinh", "arctan": "atan", "arctanh": "atanh", "square": "pow",
    "true_divide": "div", "divide": "div", "multiply": "mul", "subtract": "sub",
    "clip": "clamp", "fix": "trunc", "negative": "neg", "concat": "cat", "concatenate": "cat",
    "hstack": "cat", "vstack": "cat", "msort": "sort", "take_along_dim": "gather",
    "outer": "mul", "ger": "mul", "logsigmoid": "log_sigmoid_forward", "normalize": "div",
    "nanmean": "nansum", "norm": "linalg_vector_norm", "linalg_inv": "linalg_inv_ex",
    "linalg_solve": "_linalg_solve_ex", "linalg_solve_ex": "_linalg_solve_ex",
    "linalg_det": "_linalg_det", "linalg_svdvals": "_linalg_svd",
    "linalg_lu_factor": "linalg_lu_factor_ex", "linalg_matrix_power": "matmul",
    "linalg_multi_dot": "mm", "linalg_vecdot": "sum", "linalg_matmul": "matmul",
    "matrix_power": "matmul", "row_stack": "cat", "column_stack": "cat", "dstack": "cat",
    "kron": "mul", "diff": "sub", "float_power": "pow", "chain_matmul": "mm", "arctan2": "atan2",
    "cross": "linalg_cross", "qr": "linalg_qr", "svd": "_linalg_svd", "linalg_svd": "_linalg_svd",
    "slogdet": "_linalg_slogdet", "linalg_slogdet": "_linalg_slogdet",
    "linalg_eigh": "_linalg_eigh", "linalg_eigvalsh": "_linalg_eigh",
}
# composite ops: the write is out.copy_(result), recorded by autograd (no error)
_COPIES = {"inner", "tensordot", "linalg_matrix_norm", "linalg_norm",
           "linalg_matrix_rank", "linalg_cond", "linalg_tensorinv", "linalg_tensorsolve",
           "quantile", "nanquantile", "lu", "nuclear_norm"}
# ops PyTorch does not differentiate: out= is written whatever requires grad
_NO_AUTOGRAD = set("""
    all any argmax argmin bucketize searchsorted eq ne ge gt le lt greater greater_equal less
    less_equal not_equal histc isin isneginf isposinf logical_and logical_not
    logical_or logical_xor multinomial nonzero signbit
""".split())
# ops whose out= form PyTorch gives no derivative: an input that requires grad makes out
# require grad through a NotImplemented node (its backward raises)
_NOT_IMPLEMENTED = {"conj_physical", "floor_divide", "heaviside", "linalg_eigvals", "softmax",
                    "log_softmax", "histogram", "diag", "linalg_ldl_factor_ex"}

# out may not share memory with an input: at all (cat's family, the gathers), or partly
# (the elementwise ops: out may be an input itself, element for element)
_NO_OVERLAP = {"cat", "concat", "concatenate", "hstack", "vstack", "index_select", "gather",
               "take_along_dim", "masked_select", "take"}
_NO_PARTIAL_OVERLAP = set("""
    abs absolute acos acosh add angle arccos arccosh arcsin arcsinh arctan arctanh asin asinh
    atan atan2 atanh bitwise_and bitwise_left_shift bitwise_not bitwise_or bitwise_right_shift
    bitwise_xor ceil clamp clamp_max clamp_min clip conj_physical copysign cos cosh deg2rad div
    divide eq erf erfc exp exp2 expm1 fix floor floor_divide fmax fmin fmod frac ge gelu greater
    greater_equal gt hardshrink hypot isneginf isposinf le lerp less less_equal log log10 log1p
    log2 logaddexp logaddexp2 logical_and logical_not logical_or logical_xor logit lt maximum
    minimum mul multiply nan_to_num ne neg negative not_equal pow rad2deg reciprocal remainder
    round rsqrt sgn sigmoid sign signbit sin sinc sinh softplus softshrink sqrt square sub
    subtract tan tanh true_divide trunc where xlogy
""".split())
_OVERLAP_TEXT = ("unsupported operation: some elements of the input tensor and the written-to "
                 "tensor refer to a single memory location. Please clone() the tensor before "
                 "performing the operation.")

# ops that compute in out's floating dtype (normal draws its numbers there)
_IN_OUT_DTYPE = {"normal"}

# ops whose out= PyTorch resizes without its warning
_QUIET_RESIZE = {"logsigmoid", "addbmm"}

# -- dtype rules: (check, exception, message); check "cast": PyTorch's canCast(result, out),
# "same": equal dtypes, "float": out is floating, "long": out is int64, "complex": out is not
# complex. Messages name dtypes as {R}/{O} ('Float') or {r}/{o} (C++: 'float'). Ops not listed
# cast (one output) or need equal dtypes (several).
_CAST = ("cast", RuntimeError, "result type {R} can't be cast to the desired output type {O}")
_CPP = ("same", RuntimeError, "Expected out tensor to have dtype {r}, but got {o} instead")
_FOUND = ("same", RuntimeError, "Found dtype {O} but expected {R}")
_CAT = ("cast", TypeError, "torch.cat(): input types can't be cast to the desired output type {O}")
_SCALAR = ("same", RuntimeError, "expected scalar type {R} but found {O}")
_TENSORDOT = ("same", RuntimeError, "tensordot: Expected the output tensor to have dtype {R}, but "
              "got an output tensor with dtype {O}")
_DOT = ("same", RuntimeError, "result dtype {O} does not match input dtype {R}")
_MAX = ("cast", RuntimeError, "Expected canCast( typeMetaToScalarType(self.dtype()), "
        "typeMetaToScalarType(out.dtype())) to be true, but got false.  (Could this error message "
        "be improved?  If so, please report an enhancement request to PyTorch.)")
_AMAX = ("same", RuntimeError, "Expected the dtype for input and out to match, but got {R} for "
         "input's dtype and {O} for out's dtype.")


def _castable(prefix):
    return ("cast", RuntimeError, prefix + ": Expected result to be safely castable from {R} "
            "dtype, but got result with dtype {O}")


def _selects(name):
    return ("same", RuntimeError, name + "(): self and result must have the same scalar type")


_RULES = {
    **dict.fromkeys("""neg abs sign floor ceil trunc frac round clamp clamp_min clamp_max absolute
        clip fix negative softplus gelu hardshrink softshrink""".split(), (_FOUND,)),
    **dict.fromkeys("""msort tril triu gather take_along_dim scatter scatter_add index_add matmul
        mm bmm mv addmm baddbmm linear avg_pool2d avg_pool3d norm linalg_matmul""".split(),
                   (_CPP,)),
    **dict.fromkeys("cat concat concatenate stack hstack vstack".split(), (_CAT,)),
    **dict.fromkeys(("dot", "vdot"), (_DOT,)),
    **dict.fromkeys(("inner", "tensordot"), (_TENSORDOT,)),
    **dict.fromkeys(("amax", "amin"), (_AMAX,)),
    **dict.fromkeys(("max", "min"), (_MAX,)),
    **dict.fromkeys(("logsigmoid", "linalg_solve_triangular"), (_SCALAR,)),
    **dict.fromkeys(("cumsum", "cumprod", "bernoulli"), ()),
    "multinomial": (("long", RuntimeError, "multinomial expects Long tensor out, got: {O}"),),
    **dict.fromkeys(("searchsorted", "bucketize"), (("same", RuntimeError, (
        "torch.searchsorted(): output tensor's dtype is wrong, it can only be Int(int32) or "
        "Long(int64) depending on whether out_int32 flag is True, but we got output tensor's "
        "dtype {O} and out_int32 flag is {F}")),)),
    "normal": (("float", NotImplementedError, "\"normal_kernel_cpu\" not implemented for '{O}'"),),
    "nan_to_num": (("same", RuntimeError, "nan_to_num: dtype of out: {O} should be same as "
                    "input: {R}"),),
    "where": (("same", RuntimeError, "Expected out type to be {R} but got {O}"),),
    "mean": (("cast", RuntimeError, "mean.dtype_out(): input types can't be cast to the desired "
              "output type {O}"),),
    "logsumexp": (("float", RuntimeError, "logsumexp(): Expected floating point type for result "
                   "tensor, but got: {O}"),),
    "logcumsumexp": (("same", RuntimeError, "expected scalar_type {R} but found {O}"),),
    "diag": (("cast", RuntimeError, "diag: result type {R} can't be cast to the desired out= type "
              "{O}"), _CPP),
    "index_select": (_selects("index_select"),),
    "masked_select": (_selects("masked_select"),),
    "take": (("same", RuntimeError, "take(): self and out expected to have the same dtype, but got "
              "self.dtype = {R} and out.dtype = {O}"),),
    "linalg_pinv": (_castable("linalg.pinv"),),
    "ldexp": (("cast", RuntimeError, "ldexp can't be cast to the desired output type {O}"),),
    **dict.fromkeys(("quantile", "nanquantile"), (("same", RuntimeError, "quantile() out tensor "
                                                  "must be same dtype as the input tensor"),)),
    "matrix_power": (_castable("matrix_power"), _CPP),
    "cholesky": (_castable("cholesky"),),
    "cholesky_inverse": (_castable("cholesky_inverse"),),
    "cholesky_solve": (_castable("cholesky_solve"),),
    **dict.fromkeys(("addmv", "renorm"), (_CPP,)),
    **dict.fromkeys(("column_stack", "row_stack", "dstack"), (_CAT,)),
    "addbmm": (("same", RuntimeError, "self and mat2 must have the same dtype, but got {O} and "
                "{R}"),),
    "chain_matmul": (("same", RuntimeError,
                      "multi_dot(): expected out tensor to have dtype {r} but got {o}"),),
    "float_power": (("same", RuntimeError, "the output given to float_power has dtype {O} but the "
                     "operation's result requires dtype {R}"),),
    "heaviside": (("complex", RuntimeError, "heaviside is not yet implemented for complex "
                   "tensors."),
                  ("same", RuntimeError, "heaviside is not yet implemented for tensors with "
                   "different dtypes.")),
    "histc": (("same", RuntimeError, "histogram: input tensor and hist tensor should have the "
               "same dtype, but got input {r} and hist {o}"),),
    # one rule per output
    "histogram": {0: (("same", RuntimeError, "torch.histogram: input tensor and hist tensor "
                       "should have the same dtype, but got input {r} and hist {o}"),),
                  1: (("same", RuntimeError, "torch.histogram: input tensor and bin_edges tensor "
                       "should have the same dtype, but got input {r} and bin_edges {o} for "
                       "dimension 0"),)},
    # {I}: the input's dtype
    "mvlgamma": (("cast", RuntimeError, "mvlgamma: result type {I} can't be cast to the desired "
                  "output type {R}"),),
    "linalg_matrix_power": (_castable("matrix_power"), _CPP),
    "linalg_multi_dot": (("same", RuntimeError,
                          "multi_dot(): expected out tensor to have dtype {r} but got {o}"),),
    "linalg_vecdot": (("same", RuntimeError, "linalg.vecdot: Expected out of dtype{R} but found "
                       "{O}"),),
    "linalg_matrix_norm": (("same", RuntimeError,
                            "linalg.matrix_norm expected out tensor dtype {R} but got: {O}"),),
    "linalg_norm": (("same", RuntimeError, "linalg.norm expected out tensor dtype {R} but got: "
                     "{O}"),),
    "linalg_cond": (_castable("linalg.cond"),),
    "linalg_tensorinv": (_castable("tensorinv"),),
    "linalg_tensorsolve": (_castable("tensorsolve"),),
    "linalg_householder_product": (_castable("torch.linalg.householder_product"),),
}
_SAME_DEFAULT = {"inverse", "lu_solve", "lu_unpack", "qr", "svd", "slogdet", "cross"} | {
    f"linalg_{n}" for n in _LINALG}

RESIZE_WARNING = (
    "An output with one or more elements was resized since it had shape {}, which does not match "
    "the required output shape {}. This behavior is deprecated, and in a future PyTorch release "
    "outputs will not be resized unless they have zero elements. You can explicitly reuse an out "
    "tensor t by resizing it, inplace, to zero elements with t.resize_(0).")


def _typename(obj):
    return type(obj).__name__ if isinstance(obj, Tensor) else _device._typename(obj)


def can_cast(src, dst):
    """PyTorch's canCast: no complex to real, no floating to integral, nothing else to bool."""
    if src.is_complex and not dst.is_complex:
        return False
    if src.is_floating_point and not (dst.is_floating_point or dst.is_complex):
        return False
    return not (dst is _dtype.bool and src is not _dtype.bool)


def _outs(out, n, name):
    """out as a tuple of n tensors (PyTorch's TypeErrors for anything else)."""
    if n == 1:
        if not isinstance(out, Tensor):
            raise TypeError(f"{name}(): argument 'out' must be Tensor, not {_typename(out)}")
        return (out,)
    if not isinstance(out, (tuple, list)) or not all(isinstance(o, Tensor) for o in out):
        raise TypeError(f"{name}(): argument 'out' must be tuple of Tensors, not "
                        f"{_typename(out)}")
    if len(out) != n:
        raise TypeError(f"expected tuple of {n} elements but got {len(out)}")
    return tuple(out)


def _check_dtype(name, r, o, several, i=0, first=None):
    rules = _RULES.get(name)
    if rules is None:
        rules = (_CPP,) if several or name in _SAME_DEFAULT else (_CAST,)
    elif isinstance(rules, dict):
        rules = rules[i]
    for check, exc, text in rules:
        if check == "cast":
            bad = not can_cast(r, o)
        elif check == "same":
            bad = r is not o
        elif check == "long":
            bad = o is not _dtype.int64
        elif check == "complex":
            bad = o.is_complex
        else:
            bad = not (o.is_floating_point or o.is_complex)
        if bad:
            raise exc(text.format(R=r.word, O=o.word, r=r.cpp, o=o.cpp,
                                  I=first.dtype.word if isinstance(first, Tensor) else r.word,
                                  F="True" if r is _dtype.int32 else "False"))


def _autograd(name, args, kwargs):
    """How PyTorch's out= form of this call meets autograd: "copy" (a composite: the write is
    out.copy_(result), recorded), "none" (not differentiated), "not_implemented" (out gets a
    NotImplemented node), or the name of the kernel whose refusal it raises."""
    n = args[1] if len(args) > 1 else None
    if name in _COPIES or name == "chain_matmul" and len(args) == 1 or (
            name == "diff" and (n if n is not None else kwargs.get("n", 1)) == 0) or (
            name == "linalg_pinv" and (n is not None or {"rcond", "atol", "rtol"} & kwargs.keys())):
        return "copy"
    if name in _NO_AUTOGRAD:
        return "none"
    if name in _NOT_IMPLEMENTED:
        return "not_implemented"
    if name in ("matrix_power", "linalg_matrix_power") and isinstance(n, int):
        return "none" if n == 0 else "copy" if n == 1 else "linalg_inv_ex" if n < 0 else "matmul"
    if name in ("max", "min") and isinstance(n, Tensor):
        return name + "imum"  # max(a, b) is maximum
    if name == "linalg_vecdot" and isinstance(n, Tensor) and n._data.ndim == 1 and (
            isinstance(args[0], Tensor) and args[0]._data.ndim == 1):
        return "vdot"
    return _KERNEL.get(name, name)


def check_grad(name, args, kwargs, outs=(), kind=None):
    """PyTorch's refusal of out= when autograd would have to see the op."""
    kind = kind or _autograd(name, args, kwargs)
    if kind in ("copy", "none", "not_implemented"):
        return
    if _grad.enabled and (any(_requires_grad(a) for a in (*args, *kwargs.values()))
                          or any(o._requires_grad for o in outs)):
        raise RuntimeError(f"{kind}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    if forward_ad.state.active and any(_has_tangent(a) for a in (*args, *kwargs.values())):
        raise NotImplementedError(f"Trying to use forward AD with {kind}_out that does not "
                                  "support it because it is an out= function")


def _requires_grad(a):
    if isinstance(a, Tensor):
        return a._requires_grad
    if isinstance(a, (tuple, list)):
        return any(isinstance(x, Tensor) and x._requires_grad for x in a)
    return False


def _has_tangent(a):
    if isinstance(a, Tensor):
        return forward_ad.tangent_of(a) is not None
    if isinstance(a, (tuple, list)):
        return any(isinstance(x, Tensor) and forward_ad.tangent_of(x) is not None for x in a)
    return False


# calls that pick an overload of PyTorch's without out= (a full reduction, where(condition),
# bernoulli(input, p)): the signatures PyTorch lists, or the dim it asks for
_TYPE = "ember.dtype dtype = None"
_NO_OUT_FORM = {
    "sum": (lambda a, k: len(a) < 2 and "dim" not in k,
            (f"(Tensor input, *, {_TYPE})", "(Tensor input, tuple of ints dim, bool keepdim = "
             f"False, *, {_TYPE}, Tensor out = None)")),
    "prod": (lambda a, k: len(a) < 2 and "dim" not in k,
             (f"(Tensor input, *, {_TYPE})", "(Tensor input, int dim, bool keepdim = False, *, "
              f"{_TYPE}, Tensor out = None)")),
    "median": (lambda a, k: len(a) < 2 and "dim" not in k, None),
    "nanmedian": (lambda a, k: len(a) < 2 and "dim" not in k, None),
    "where": (lambda a, k: len(a) + len(k) == 1, (
        "(Tensor condition)", "(Tensor condition, Tensor input, Tensor other, *, Tensor out = "
        "None)", "(Tensor condition, Number self, Tensor other)", "(Tensor condition, Tensor "
        "input, Number other)", "(Tensor condition, Number self, Number other)")),
    "bernoulli": (lambda a, k: len(a) > 1 or "p" in k, (
        "(Tensor input, *, ember.Generator generator = None, Tensor out = None)",
        "(Tensor input, float p, *, ember.Generator generator = None)")),
}


def _no_out_form(name, args, kwargs, out):
    """PyTorch's TypeError for a call whose overload takes no out= (see _NO_OUT_FORM)."""
    if not _NO_OUT_FORM[name][0](args, kwargs):
        return
    sigs = _NO_OUT_FORM[name][1]
    if sigs is None or "dtype" in kwargs:
        raise TypeError(f'{name}() missing 1 required positional arguments: "dim"')
    got = ", ".join([_typename(a) for a in args] +
                    [f"{k}={_typename(v)}" for k, v in kwargs.items()] +
                    [f"out={_typename(out)}"])
    raise TypeError(_names.spell(f"{name}() received an invalid combination of arguments - got "
                                 f"({got}), but expected one of:" +
                                 "".join(f"\n * {s}" for s in sigs) + "\n"))


def call(fn, name, args, kwargs, out):
    """fn(*args, **kwargs) with its result written into ``out`` (see the module's notes)."""
    if name in _NO_OUT_FORM:
        _no_out_form(name, args, kwargs, out)
    if _dispatch.depth:  # a transform (vmap) refuses out= when it owns an argument
        _dispatch.handler("out=", _batch_refusal(name), (*args, out), kwargs)
    if name in FACTORIES or name == "normal" and (len(args) > 2 or "size" in kwargs):
        return _factory(fn, name, args, kwargs, out)  # normal(mean, std, size) is a factory
    kind = _autograd(name, args, kwargs)
    check_grad(name, args, kwargs, out if isinstance(out, (tuple, list)) else
               (out,) if isinstance(out, Tensor) else (), kind)
    if name in _NO_OVERLAP or name in _NO_PARTIAL_OVERLAP:
        _check_overlap(name, args, out)
    if name in _IN_OUT_DTYPE and isinstance(out, Tensor) and out._data.dtype.kind == "f":
        args = tuple(a.to(out.dtype) if isinstance(a, Tensor) and a._data.dtype.kind == "f"
                     else a for a in args)
    written = write(fn(*args, **kwargs), out, name, args[0] if args else None, kind == "copy")
    if kind == "not_implemented" and _grad.enabled and any(
            _requires_grad(a) for a in (*args, *kwargs.values())):
        from .indexing import not_implemented  # the op's node: its backward raises

        inputs = tuple(a for a in (*args, *kwargs.values()) if isinstance(a, Tensor))
        for o in written if isinstance(written, tuple) else (written,):
            if o._data.dtype.kind in "fcV":  # integer outputs (pivots, info) need no grad
                not_implemented(o, _KERNEL.get(name, name), inputs)
    return written


def _check_overlap(name, args, out):
    """PyTorch's refusal of an out that shares memory with an input (see _NO_OVERLAP)."""
    if not isinstance(out, Tensor):
        return
    od = out._data
    for a in args:
        for t in (a if isinstance(a, (tuple, list)) else (a,)):
            if not isinstance(t, Tensor) or not np.may_share_memory(t._data, od):
                continue
            d = t._data
            same = (d.__array_interface__["data"][0] == od.__array_interface__["data"][0]
                    and d.shape == od.shape and d.strides == od.strides)
            if (name in _NO_OVERLAP or not same) and np.shares_memory(d, od):
                raise RuntimeError(_OVERLAP_TEXT)


def _batch_refusal(name):
    def refuse(*args, **kwargs):
        raise RuntimeError(f"Batching rule not implemented for aten::{_KERNEL.get(name, name)}"
                           ".out; the fallback path doesn't work on out= or view ops.")

    return refuse


def write(result, out, name, first=None, copy=None):
    """Write an op's result (a tensor or a tuple of them) into out; return out.

    ``first``: the op's first argument (some dtype errors name its dtype); ``copy``: record
    the write as out.copy_(result) (by default for the ops of ``_COPIES``)."""
    if copy is None:
        copy = name in _COPIES
    several = isinstance(result, tuple)
    results = tuple(result) if several else (result,)
    outs = _outs(out, len(results), name)
    for i, (r, o) in enumerate(zip(results, outs)):
        _check_dtype(name, from_np[r._data.dtype], from_np[o._data.dtype], several, i, first)
    for r, o in zip(results, outs):
        _resize(o, r._data.shape, name, name not in _QUIET_RESIZE)
        if copy:
            o.copy_(r)
        else:
            np.copyto(o._data, r._data, casting="unsafe")
            o._version[0] += 1
    if not several:
        return out
    if hasattr(result, "_fields"):
        return type(result)(outs)
    return outs


def _resize(o, shape, name, warn=True):
    od = o._data
    if od.shape == shape:
        return
    if warn and od.size:
        warnings.warn(RESIZE_WARNING.format(list(od.shape), list(shape)), UserWarning,
                      stacklevel=5)
    o._data = np.zeros(shape, od.dtype)


def _factory(fn, name, args, kwargs, out):
    """A factory's out=: its dtype (when none is given) and its tensor."""
    (o,) = _outs(out, 1, name)
    if _grad.enabled and o._requires_grad:
        raise RuntimeError(f"aten::{name}(): functions with out=... arguments don't support "
                           "automatic differentiation, but one of the arguments requires grad.")
    dt = kwargs.get("dtype")
    if dt is None:
        kwargs = {**kwargs, "dtype": from_np[o._data.dtype]}
    result = fn(*args, **kwargs)
    r, od = from_np[result._data.dtype], from_np[o._data.dtype]
    if r is not od:
        raise RuntimeError(f"dtype {r.word} does not match dtype of out parameter ({od.word})")
    n, had = result._data.size, o._data.size
    if name == "arange" and had and had != n:
        warnings.warn(f"The number of elements in the out tensor of shape {list(o._data.shape)} is "
                      f"{had} which does not match the computed number of elements {n}. Note that "
                      "this may occur as a result of rounding error. The out tensor will be "
                      f"resized to a tensor of shape ({n},).", UserWarning, stacklevel=4)
    _resize(o, result._data.shape, name, warn=False)
    np.copyto(o._data, result._data)
    o._version[0] += 1
    return o
