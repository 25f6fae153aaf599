"""Random draws: Generator, manual_seed, rand/randn/randint/randperm/normal/bernoulli/
multinomial, and the in-place samplers (uniform_, normal_, bernoulli_, ...).

Every draw reproduces PyTorch's CPU generator (see _random.py): the same seed gives the same
numbers as torch.manual_seed on the CPU.
"""

import builtins
import math

import numpy as np

from .. import _device, _dtype, _names, _random
from .._dtype import from_np
from .._errors import note
from .._tensor import Tensor, _make
from ..autograd.forward_ad import state as _fw_state
from ..autograd.grad_mode import state as _grad_state
from ._inplace import apply_inplace, check_inplace, overlap_error
from ._op import broadcast_shapes_error, formula_node, inplace_tangent, record
from .creation import _check_device, _finish, _np_dtype, _size, int_arg, sizes_arg
from .legacy import _NO_CUDA_LIBRARY

__all__ = [
    "Generator", "bernoulli", "binomial", "default_generator", "get_rng_state", "initial_seed",
    "manual_seed", "multinomial", "normal", "poisson", "rand", "rand_like", "randint",
    "randint_like", "randn", "randn_like", "randperm", "seed", "set_rng_state",
]


# numbers as torch.manual_seed on the CPU.
class Generator:
    """A source of random numbers; ``manual_seed`` makes draws reproducible."""

    def __init__(self, device="cpu"):
        self.device = _device.as_device(device)
        if self.device.type == "cuda":
            text = _NO_CUDA_LIBRARY.replace("initialize CUDA", "get CUDA generator", 1)
            raise note(RuntimeError(text), _device._CPU_HINT)
        self._mt = _random.MT19937()

    def manual_seed(self, seed):
        if isinstance(seed, np.integer) and not isinstance(seed, np.bool_):
            raise TypeError("an integer is required")
        if not isinstance(seed, builtins.int) or isinstance(seed, builtins.bool):
            got = "Tensor" if isinstance(seed, Tensor) else _device._typename(seed)
            raise RuntimeError(f"manual_seed expected a long, but got {got}")
        self._mt.manual_seed(seed)
        return self

    def initial_seed(self):
        return self._mt.seed

    def seed(self):
        s = _random.nondeterministic_seed()
        self._mt.manual_seed(s)
        return s

    def get_state(self):
        return _make(np.frombuffer(self._mt.get_state(), np.uint8).copy())

    def set_state(self, new_state):
        if not isinstance(new_state, Tensor):
            raise TypeError(f"expected a {_names.prefix}.ByteTensor, but got "
                            f"{type(new_state).__name__}")
        d = new_state._data
        if d.dtype != np.uint8:
            raise TypeError(_names.spell("RNG state must be a ember.ByteTensor"))
        if d.size != _STATE_BYTES:
            raise RuntimeError(
                f"Expected a CPUGeneratorImplState of size {_STATE_BYTES} but found the input "
                f"RNG state size to be {d.size}"
            )
        self._mt.set_state(np.ascontiguousarray(d).tobytes())
        return self

    def clone_state(self):
        g = Generator.__new__(Generator)
        g.device = self.device
        g._mt = self._mt.clone()
        return g

    def __getstate__(self):
        return {"device": str(self.device), "state": self._mt.get_state()}

    def __setstate__(self, st):
        self.__init__(st["device"])
        self._mt.set_state(st["state"])

    def __reduce__(self):
        # through a function whose module never changes: loads with or without the torch alias
        return (_rebuild_generator, (), self.__getstate__())


def _rebuild_generator():
    return Generator.__new__(Generator)


_STATE_BYTES = 5056  # sizeof(CPUGeneratorImplState): PyTorch's states load here and back
default_generator = Generator()


def manual_seed(seed):
    return default_generator.manual_seed(int(seed))


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)


def _mt(generator):
    return (generator if generator is not None else default_generator)._mt


_TYPE_WORDS = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
               "bool": "Bool"}


def _float_check(dt, name):
    if dt.kind not in "fcV":
        raise NotImplementedError(
            f'"{name}" not implemented for \'{_TYPE_WORDS[from_np[dt].name]}\''
        )


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _real_fill(draw, shape, dt):
    """Run ``draw(n, real_dtype)`` for a fresh tensor; complex tensors fill their real view."""
    if dt.kind == "c":
        real = np.dtype(np.float32 if dt == np.complex64 else np.float64)
        return draw(2 * _numel(shape), real).view(dt).reshape(shape)
    return draw(_numel(shape), dt).reshape(shape)


def _result(data, out, requires_grad):
    if out is not None:
        np.copyto(out._data, data.reshape(out._data.shape) if data.size == out._data.size
                  else data, casting="unsafe")
        out._version[0] += 1
        return out
    return _finish(data, requires_grad)


def rand(*sizes, size=None, generator=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False):
    _check_device(device, "rand")
    dt = _np_dtype(dtype)
    _float_check(dt, "check_uniform_bounds")
    mt = _mt(generator)
    shape = sizes_arg("rand", sizes, size)
    if dt.kind == "c":
        data = _real_fill(lambda n, d: _random.uniform(mt, n, d), shape, dt)
    else:
        data = _random.uniform(mt, _numel(shape), dt).reshape(shape)
    return _result(data, out, requires_grad)


def randn(*sizes, size=None, generator=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, pin_memory=False):
    _check_device(device, "randn")
    dt = _np_dtype(dtype)
    _float_check(dt, "normal_kernel_cpu")
    mt = _mt(generator)
    shape = sizes_arg("randn", sizes, size)
    if dt.kind == "c":
        # complex normals: each part has variance 1/2
        data = _real_fill(lambda n, d: _random.normal(mt, n, d, 0.0, math.sqrt(0.5)), shape, dt)
    else:
        data = _random.normal(mt, _numel(shape), dt).reshape(shape)
    return _result(data, out, requires_grad)


def rand_like(input, *, generator=None, dtype=None, layout=None, device=None,
              requires_grad=False, memory_format=None):
    if device is not None:
        _check_device(device, "rand_like", "empty_strided")
    return rand(input._data.shape, generator=generator, dtype=dtype or input.dtype,
                requires_grad=requires_grad, device="cpu")


def randn_like(input, *, generator=None, dtype=None, layout=None, device=None,
               requires_grad=False, memory_format=None):
    if device is not None:
        _check_device(device, "randn_like", "empty_strided")
    return randn(input._data.shape, generator=generator, dtype=dtype or input.dtype,
                 requires_grad=requires_grad, device="cpu")


def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None,
            device=None, requires_grad=False, pin_memory=False):
    _check_device(device, "randint")
    if size is None:
        # randint(high, size)
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if isinstance(low, Tensor):
        low = low.item()
    if isinstance(high, Tensor):
        high = high.item()
    low, high = builtins.int(low), builtins.int(high)
    if low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    dt = _np_dtype(dtype, _dtype.int64)
    shape = _size(size if isinstance(size, (tuple, list)) else (size,), "randint", 2, False)
    if dt.kind in "fV":
        low, high = _float_bounds(dt, low, high)
    data = _random.random_from_to(_mt(generator), _numel(shape), dt, low, high - low)
    return _result(data.reshape(shape), out, requires_grad)


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, layout=None,
                 device=None, requires_grad=False, memory_format=None):
    if device is not None:
        _check_device(device, "randint_like", "empty_strided")
    if high is None:
        low, high = 0, low
    return randint(low, high, input._data.shape, generator=generator,
                   dtype=dtype or input.dtype, requires_grad=requires_grad, device="cpu")


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False):
    _check_device(device, "randperm")
    n = int_arg(n, "randperm", "n", 1, one_element=True)
    if n < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension {n}: [{n}]")
    dt = _np_dtype(dtype, _dtype.int64)
    return _result(_random.randperm(_mt(generator), n).astype(dt, copy=False), out,
                   requires_grad)


def _zero_grad_node(name, n_inputs=1):
    return formula_node(name, *([lambda g: g * 0] * n_inputs))


_NODES = {}


def _node(name, n_inputs=1):
    cls = _NODES.get(name)
    if cls is None:
        cls = _NODES[name] = _zero_grad_node(name, n_inputs)
    return cls


def _record(data, name, inputs):
    """A fresh random tensor; with a node whose gradients are zero when an input needs grad
    (PyTorch treats samples as constants of the distribution's parameters)."""
    if _grad_state.enabled and builtins.any(isinstance(x, Tensor) and x._requires_grad
                                            for x in inputs):
        return record(data, _node(name, len(inputs)), inputs)
    return _make(data)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, requires_grad=False, pin_memory=False):
    if device is not None:
        _check_device(device, "normal")
    mt = _mt(generator)
    mt_t, st_t = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not (mt_t or st_t):
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments - got "
                            "(float, float), but expected one of: (Tensor mean, Tensor std) "
                            "(Tensor mean, float std) (float mean, Tensor std) "
                            "(float mean, float std, tuple of ints size)")
        _check_std(std)
        dt = _np_dtype(dtype)
        _float_check(dt, "normal_kernel_cpu")
        shape = _size(size if isinstance(size, (tuple, list)) else (size,), "normal", 3, False)
        data = _random.normal(mt, _numel(shape), dt, float(mean), float(std)).reshape(shape)
        return _result(data, out, requires_grad)
    if st_t and (std._data < 0).any():
        raise RuntimeError("normal expects all elements of std >= 0.0")
    if mt_t and not st_t:
        _check_std(std)
        dt = mean._data.dtype
        z = _random.normal(mt, mean._data.size, dt, 0.0, float(std)).reshape(mean._data.shape)
        data = z + mean._data
        name = "NormalBackward1"
        inputs = (mean,)
    else:
        ref = mean if mt_t else std
        dt = ref._data.dtype
        m = mean._data if mt_t else np.asarray(mean, dt)
        shape = np.broadcast_shapes(np.shape(m), std._data.shape)
        z = _random.normal(mt, _numel(shape), dt).reshape(shape)
        data = z * std._data + m
        name = "NormalBackward3" if mt_t else "NormalBackward2"
        inputs = (mean, std) if mt_t else (std,)
    data = np.asarray(data, dt)
    if out is not None:
        return _result(data, out, False)
    return _record(data, name, inputs)


def _check_std(std):
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {_fmt(std)}")


def _fmt(x):
    """A double as PyTorch's messages print it (C++ stream style: 1, 0.5, -1e-05)."""
    x = float(x)
    if x == builtins.int(x) and abs(x) < 1e16:
        return str(builtins.int(x))
    return f"{x:g}"


def bernoulli(input, p=None, *, generator=None, out=None):
    d = input._data
    mt = _mt(generator)
    if p is None:
        if d.dtype.kind not in "fV":
            raise NotImplementedError(
                f"\"bernoulli_tensor_cpu_p_\" not implemented for "
                f"'{_TYPE_WORDS[from_np[d.dtype].name]}'")
        _check_prob_tensor(d)
        # the result is a fresh contiguous tensor, filled in its (row-major) order
        vals = _random.bernoulli_tensor(mt, np.ascontiguousarray(d).reshape(-1))
        data = vals.astype(d.dtype).reshape(d.shape)
        name = "BernoulliBackward0"
    else:
        _check_prob(p)
        data = _from_mem_order(_random.bernoulli_scalar(mt, d.size, float(p)).astype(d.dtype), d)
        return _result(data, out, False) if out is not None else _make(data)
    if out is not None:
        return _result(data, out, False)
    return _record(data, name, (input,))


def _check_prob(p, name="bernoulli_"):
    if not 0 <= p <= 1:
        raise RuntimeError(f"{name} expects p to be in [0, 1], but got p={_fmt(p)}")


def _check_prob_tensor(p):
    if p.size and not ((p >= 0) & (p <= 1)).all():
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  "
                           "(Could this error message be improved?  If so, please report an "
                           "enhancement request to PyTorch.)")


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    d = input._data
    if d.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if d.dtype.kind not in "fV":
        raise RuntimeError(
            f"multinomial only supports floating-point dtypes for input, got: "
            f"{_TYPE_WORDS[from_np[d.dtype].name]}")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    n_cat = d.shape[-1]
    if not replacement and num_samples > n_cat:
        raise RuntimeError(
            "cannot sample n_sample > prob_dist.size(-1) samples without replacement")
    if n_cat > (1 << 24):
        raise RuntimeError("number of categories cannot exceed 2^24")
    mt = _mt(generator)
    probs = d.reshape(-1, n_cat)
    if not replacement or num_samples == 1:
        if d.size and not (np.all(probs < np.inf) and np.all(probs >= 0)):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if (probs.sum(axis=1) == 0).any():
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        # Gumbel-max in exponential form: argmax / top-k of p / q with q ~ Exp(1)
        q = _from_mem_order(_random.exponential(mt, d.size, 1.0).astype(d.dtype), d)
        ratio = (d / q).reshape(probs.shape)
        if num_samples == 1:
            res = np.argmax(ratio, axis=1)[:, None]
        else:
            res = np.argsort(-ratio, axis=1, kind="stable")[:, :num_samples]
    else:
        for row in probs:
            if (row < 0).any():
                raise RuntimeError(
                    "invalid multinomial distribution (encountering probability entry < 0)")
            if not np.isfinite(row).all():
                raise RuntimeError("invalid multinomial distribution (encountering probability "
                                   "entry = infinity or NaN)")
            if not row.sum() > 0:
                raise RuntimeError(
                    "invalid multinomial distribution (sum of probabilities <= 0)")
        res = _random.multinomial_with_replacement(mt, probs, num_samples)
    res = res.astype(np.int64)
    if d.ndim == 1:
        res = res[0]
    if out is not None:
        return _result(res, out, False)
    return _make(res)


# -- in-place draws: Tensor.uniform_, normal_, random_, bernoulli_, ... --------------------------
def _mem_order(a):
    """A view of ``a`` whose C order is a's memory order (the order PyTorch fills elements)."""
    if a.flags.c_contiguous or a.ndim < 2:
        return a
    axes = sorted(range(a.ndim), key=lambda i: (-abs(a.strides[i]), i))
    return a.transpose(axes)


def _from_mem_order(flat, like):
    """An array shaped like ``like`` whose memory-order elements are ``flat``."""
    if like.flags.c_contiguous or like.ndim < 2:
        return flat.reshape(like.shape)
    out = np.empty_like(like, dtype=flat.dtype)
    _mem_order(out)[...] = flat.reshape(_mem_order(like).shape)
    return out


def _fill_(self, flat, name):
    """Write ``flat`` (memory order) into self; record ``name`` when autograd tracks self."""
    check_inplace(self)
    d = self._data
    if _grad_state.enabled and self._requires_grad:
        vals = _from_mem_order(flat, d)
        return apply_inplace(self, lambda a: record(vals.astype(d.dtype, copy=False), _node(name),
                                               (a,)))
    if not d.flags.writeable:
        raise overlap_error()
    view = _mem_order(d)
    view[...] = flat.reshape(view.shape)
    self._version[0] += 1
    if _fw_state.active:
        inplace_tangent(self, self)  # a sample is a constant: its tangent is zero
    return self


def uniform_(self, from_=0, to=1, *, generator=None, **kwargs):
    if "from" in kwargs:
        from_ = kwargs.pop("from")
    dt = self._data.dtype
    _float_check(dt, "check_uniform_bounds")
    from_, to = float(from_), float(to)
    if from_ > to:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={_fmt(from_)} > to={_fmt(to)}")
    mt = _mt(generator)
    if dt.kind == "c":
        real = np.float32 if dt == np.complex64 else np.float64
        flat = _random.uniform(mt, 2 * self._data.size, np.dtype(real), from_, to).view(dt)
    else:
        flat = _random.uniform(mt, self._data.size, dt, from_, to)
    return _fill_(self, flat, "UniformBackward0")


def normal_(self, mean=0, std=1, *, generator=None):
    dt = self._data.dtype
    _float_check(dt, "normal_kernel_cpu")
    _check_std(std)
    d = self._data
    flat = _random.normal(_mt(generator), d.size, dt, float(mean), float(std),
                          d.flags.c_contiguous)
    return _fill_(self, flat, "NormalBackward0")


def random_(self, from_=None, to=None, *, generator=None, **kwargs):
    if "from" in kwargs:
        from_ = kwargs.pop("from")
    d = self._data
    dt = d.dtype
    mt = _mt(generator)
    n = d.size
    if from_ is None and to is None:
        flat = _random.random_default(mt, n, dt)
        name = "RandomBackward2"
    else:
        name = "RandomBackward0"
        if to is None:  # random_(to): [0, to)
            from_, to, name = 0, from_, "RandomBackward1"
        from_, to = builtins.int(from_), builtins.int(to)
        if from_ >= to:
            raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got "
                               f"from={from_} >= to={to}")
        if dt.kind in "fV":
            from_, to = _float_bounds(dt, from_, to)
        flat = _random.random_from_to(mt, n, dt, from_, to - from_)
    return _fill_(self, flat, name)


def _float_bounds(dt, from_, to):
    """PyTorch narrows [from, to) for float dtypes so that casting a draw cannot reach ``to``:
    a bound the dtype cannot hold exactly moves inwards by one step of the dtype's spacing."""
    digits = np.finfo(dt).nmant + 1
    f1 = builtins.int(np.array(from_ + 1).astype(dt))
    if f1 < from_:
        from_ = f1 + (1 << (builtins.abs(from_ + 1).bit_length() - 1 - digits + 1))
    t1 = builtins.int(np.array(to - 1).astype(dt))
    if t1 >= to:
        to = t1 - (1 << (builtins.abs(to - 1).bit_length() - 1 - digits + 1))
    if from_ >= to:
        raise RuntimeError(f"random_ expects 'from' casted to dtype to be less than 'to' "
                           f"casted to dtype, but got from={from_} >= to={to}")
    return from_, to


def bernoulli_(self, p=0.5, *, generator=None):
    d = self._data
    mt = _mt(generator)
    if isinstance(p, Tensor):
        pd = p._data
        _check_prob_tensor(pd)
        # p is read element by element alongside self, in self's memory order
        pv = np.broadcast_to(pd, d.shape).transpose(_mem_axes(d))
        flat = _random.bernoulli_tensor(mt, np.ascontiguousarray(pv).reshape(-1))
        name = "BernoulliBackward1"
    else:
        _check_prob(p)
        flat = _random.bernoulli_scalar(mt, d.size, float(p))
        name = "BernoulliBackward2"
    return _fill_(self, flat.astype(d.dtype), name)


def _mem_axes(a):
    if a.flags.c_contiguous or a.ndim < 2:
        return tuple(range(a.ndim))
    return tuple(sorted(range(a.ndim), key=lambda i: (-abs(a.strides[i]), i)))


def exponential_(self, lambd=1.0, *, generator=None):
    dt = self._data.dtype
    if dt.kind not in "fV":
        raise RuntimeError(
            "Exponential distribution is a continuous probability distribution. dtype must be a "
            f"floating point but you specified {_TYPE_WORDS[from_np[dt].name]}")
    if not lambd > 0.0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={_fmt(lambd)}")
    flat = _random.exponential(_mt(generator), self._data.size, float(lambd))
    return _fill_(self, flat.astype(dt), "ExponentialBackward0")


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    dt = self._data.dtype
    _float_check(dt, "cauchy_cpu")
    flat = _random.cauchy(_mt(generator), self._data.size, float(median), float(sigma))
    return _fill_(self, flat.astype(dt), "CauchyBackward0")


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    dt = self._data.dtype
    _float_check(dt, "log_normal_cpu")
    if not std > 0.0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_fmt(std)}")
    flat = _random.log_normal(_mt(generator), self._data.size, float(mean), float(std))
    return _fill_(self, flat.astype(dt), "LogNormalBackward0")


def geometric_(self, p, *, generator=None):
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_fmt(p)}")
    flat = _random.geometric(_mt(generator), self._data.size, float(p))
    return _fill_(self, flat.astype(self._data.dtype), "GeometricBackward0")


def _bernoulli_method(self, p=None, *, generator=None):
    return bernoulli(self, p, generator=generator)


def _multinomial_method(self, num_samples, replacement=False, *, generator=None):
    return multinomial(self, num_samples, replacement, generator=generator)


_RANDOM_METHODS = {
    "uniform_": uniform_, "normal_": normal_, "random_": random_, "bernoulli_": bernoulli_,
    "exponential_": exponential_, "cauchy_": cauchy_, "log_normal_": log_normal_,
    "geometric_": geometric_, "bernoulli": _bernoulli_method, "multinomial": _multinomial_method,
}


TENSOR_METHODS = _RANDOM_METHODS


# -- poisson and binomial: PyTorch's CPU samplers, one element after another ------------------
def _uniform_draw(mt):
    """One double in [0, 1) as PyTorch's uniform_real_distribution<double> draws it."""
    return _random.unit64_list(mt, 1)[0]


def _poisson_one(lam, mt):
    """A Poisson(lam) count: transformed rejection (Hoermann, 1993) for lam >= 10, the product
    of uniforms below it; the same draws in the same order as PyTorch's sample_poisson."""
    if lam >= 10:
        slam, loglam = math.sqrt(lam), math.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        while True:
            u = _uniform_draw(mt) - 0.5
            v = _uniform_draw(mt)
            us = 0.5 - abs(u)
            k = math.floor((2 * a / us + b) * u + lam + 0.43)
            if us >= 0.07 and v <= vr:
                return k
            if k < 0 or (us < 0.013 and v > us):
                continue
            if (math.log(v) + math.log(invalpha) - math.log(a / (us * us) + b)
                    <= -lam + k * loglam - math.lgamma(k + 1.0)):
                return k
    if lam == 0:
        return 0
    enlam = math.exp(-lam)
    x, prod = 0, 1.0
    while True:
        prod *= _uniform_draw(mt)
        if prod > enlam:
            x += 1
        else:
            return x


def poisson(input, generator=None):
    """Samples of Poisson(input), element by element: PyTorch's algorithm and draws, so the
    same seed gives PyTorch's numbers. Its gradient is zero, as in PyTorch."""
    d = input._data
    _float_check(d.dtype, "poisson_cpu")
    flat = np.ascontiguousarray(d).reshape(-1).astype(np.float64)
    if flat.size and not (flat >= 0).all():
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    mt = _mt(generator)
    data = np.array([_poisson_one(lam, mt) for lam in flat.tolist()], np.float64)
    return _record(data.astype(d.dtype).reshape(d.shape), "PoissonBackward0", (input,))


_STIRLING_TAIL = (0.0810614667953272, 0.0413406959554092, 0.0276779256849983,
                  0.02079067210376509, 0.0166446911898211, 0.0138761288230707,
                  0.0118967099458917, 0.0104112652619720, 0.00925546218271273,
                  0.00833056343336287)


def _stirling_tail(k):
    """log(k!) minus its Stirling approximation."""
    if k <= 9:
        return _STIRLING_TAIL[int(k)]
    kp1sq = (k + 1) * (k + 1)
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)


def _btrs(count, prob, mt, s):
    """Binomial(count, prob) by transformed rejection with squeeze (Hoermann, 1993), as
    PyTorch's btrs; ``s`` rounds to the tensor's dtype where PyTorch computes in it."""
    stddev = float(s(math.sqrt(s(s(count * prob) * s(1 - prob)))))
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * prob
    c = float(s(count * prob)) + 0.5
    v_r = 0.92 - 4.2 / b
    r = float(s(prob / s(1 - prob)))
    alpha = (2.83 + 5.1 / b) * stddev
    m = math.floor(s(s(count + 1) * prob))
    while True:
        u = _uniform_draw(mt) - 0.5
        v = _uniform_draw(mt)
        us = 0.5 - abs(u)
        k = float(s(math.floor((2 * a / us + b) * u + c)))
        if k < 0 or k > count:
            continue
        if us >= 0.07 and v <= v_r:
            return k
        v = math.log(v * alpha / (a / (us * us) + b))
        bound = ((m + 0.5) * math.log((m + 1) / (r * (count - m + 1)))
                 + (count + 1) * math.log((count - m + 1) / (count - k + 1))
                 + (k + 0.5) * math.log(r * (count - k + 1) / (k + 1))
                 + _stirling_tail(m) + _stirling_tail(count - m)
                 - _stirling_tail(k) - _stirling_tail(count - k))
        if v <= bound:
            return k


def _binomial_inversion(count, prob, mt, s):
    """Binomial(count, prob) as the number of geometric waiting times that fit in count."""
    logprob = math.log1p(-prob) if s is float else float(np.log1p(s(-prob)))
    total, n = 0.0, 0
    while True:
        total += math.ceil(math.log(_uniform_draw(mt)) / logprob)
        if total > count:
            return n
        n += 1


def _binomial_one(count, prob, mt, s):
    if count <= 0 or prob <= 0:
        return 0.0
    if prob >= 1:
        return count
    if prob <= 0.5:
        if s(count * prob) >= 10:
            return _btrs(count, prob, mt, s)
        return _binomial_inversion(count, prob, mt, s)
    if prob > 0.5:
        q = float(s(1 - prob))
        if s(count * q) >= 10:
            return count - _btrs(count, q, mt, s)
        return count - _binomial_inversion(count, q, mt, s)
    return math.nan


def binomial(count, prob, generator=None):
    """Samples of Binomial(count, prob), element by element: PyTorch's algorithm (BTRS, or
    inversion when count * prob < 10) and draws, so the same seed gives PyTorch's numbers.
    PyTorch gives it no derivative."""
    c, p = count._data, prob._data
    for name, x in (("count", c), ("prob", p)):
        if x.dtype.kind not in "fV":
            raise ValueError(f"binomial only supports floating-point dtypes for {name}, got: "
                             f"{_TYPE_WORDS[from_np[x.dtype].name]}")
    if p.dtype != c.dtype:
        raise RuntimeError(f"Found dtype {from_np[p.dtype].word} but expected "
                           f"{from_np[c.dtype].word}")
    if c.dtype.itemsize < 4:
        raise NotImplementedError(
            f"\"binomial_cpu\" not implemented for '{from_np[c.dtype].word}'")
    exc = broadcast_shapes_error(c.shape, p.shape)
    if exc is not None:
        raise exc
    shape = np.broadcast_shapes(c.shape, p.shape)
    if shape != c.shape and c.size:  # the result is written into a tensor of count's shape
        import warnings

        from ._out import RESIZE_WARNING

        warnings.warn(RESIZE_WARNING.format(list(c.shape), list(shape)), UserWarning,
                      stacklevel=3)
    c, p = np.broadcast_to(c, shape), np.broadcast_to(p, shape)
    s = np.float32 if c.dtype == np.float32 else float
    mt = _mt(generator)
    data = np.array([_binomial_one(n, q, mt, s) for n, q in
                     zip(np.ascontiguousarray(c).reshape(-1).tolist(),
                         np.ascontiguousarray(p).reshape(-1).tolist())], np.float64)
    out = _make(data.astype(c.dtype).reshape(shape))
    if _grad_state.enabled and (count._requires_grad or prob._requires_grad):
        from .indexing import not_implemented  # no derivative in PyTorch

        not_implemented(out, "binomial", (count, prob))
    return out
