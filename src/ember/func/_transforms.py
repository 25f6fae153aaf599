"""grad, grad_and_value, vjp, jvp, linearize, jacrev, jacfwd and hessian, as torch.func has them.

All of them run on ember's reverse-mode autograd. Each transform makes the differentiated inputs
fresh differentiable aliases, calls the function, and asks autograd for the derivative with
respect to exactly those aliases, so nested transforms never confuse their variables
(``grad(grad(f))`` differentiates the inner gradient, which was built with create_graph).

Inside vmap the aliases are made on the physical tensors, batched at every active vmap level (an
input that is the same for every sample is expanded, a view), so one backward pass gives every
sample's derivative: that is how ``vmap(grad(f))`` computes per-sample gradients at once.
``jvp`` is the transpose of a vjp (the "double backward" trick): it needs only reverse-mode
rules, which every differentiable op has.
"""

import functools

from .. import _dtype
from .._tensor import Tensor
from ..autograd import engine
from ..autograd.grad_mode import enable_grad, is_grad_enabled
from ..autograd.graph import AccumulateGrad
from ..ops.creation import ones_like, zeros, zeros_like
from ._tree import flatten, unflatten
from ._vmap import BatchedTensor, NoBatchingRule, levels, vmap, wrap

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "linearize", "jacrev", "jacfwd", "hessian"]


class _Depth:
    """How many transforms are differentiating around the current call."""

    n = 0


# -- inputs as differentiable aliases, batched at every active vmap level -------------------
def _decompose(x):
    """(base tensor, [levels, outermost first]) of a possibly nested BatchedTensor."""
    found = []
    while x.__class__ is BatchedTensor:
        found.append(x._level)
        x = x._value
    found.reverse()
    return x, found


def _compose(base, lvls):
    for lv in lvls:
        base = wrap(base, lv)
    return base


def _lift(x):
    """x's base with a batch dimension for every active vmap level, and those levels."""
    base, have = _decompose(x)
    active = list(levels.stack)
    for i, lv in enumerate(active):
        if lv not in have:
            base = _insert(base, i, lv.size)
    return base, active


def _insert(t, i, size):
    """t with a new dimension of ``size`` at ``i`` (an expanded view: no copy)."""
    u = t.unsqueeze(i)
    return u.expand(*u.shape[:i], size, *u.shape[i + 1:])


class _Inputs:
    """The differentiated inputs of one transform call, as fresh aliases."""

    def __init__(self, leaves):
        self.bases = []
        self.levels = []
        self.wrapped = []
        self.any_requires_grad = False
        for x in leaves:
            if not isinstance(x, Tensor):
                raise TypeError(f"Expected tensors to differentiate, got {type(x)}")
            base, lvls = _lift(x)
            if base.requires_grad:
                self.any_requires_grad = True
                alias = base.view_as(base)
            else:
                alias = base.detach().requires_grad_(True)
            self.bases.append(alias)
            self.levels.append(lvls)
            self.wrapped.append(_compose(alias, lvls))

    def rewrap(self, grads):
        return [_compose(g, lv) for g, lv in zip(grads, self.levels)]


def _reaches_other_leaf(roots, own):
    """Whether the graph of ``roots`` reaches a leaf that requires grad besides ``own``."""
    own_ids = {id(t) for t in own}
    seen = set()
    stack = [r.grad_fn for r in roots if r.grad_fn is not None]
    while stack:
        fn = stack.pop()
        if fn in seen:
            continue
        seen.add(fn)
        if fn.__class__ is AccumulateGrad:
            if id(fn.variable) not in own_ids:
                return True
            continue
        for nxt, _ in fn.next_functions:
            if nxt is not None and nxt not in seen:
                stack.append(nxt)
    return False


def _need_graph(grad_enabled, inputs, roots):
    """create_graph for this transform: an enclosing transform or the user's own autograd
    will differentiate the result again."""
    if not grad_enabled:
        return False
    if _Depth.n > 0 or inputs.any_requires_grad:
        return True
    return _reaches_other_leaf(roots, inputs.bases)


def _grads(outputs, inputs, grad_outputs, create_graph, retain_graph=None):
    """autograd.grad over base tensors; zeros where an input is unused."""
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if not pairs:
        return [zeros_like(b) for b in inputs]
    got = engine.grad([o for o, _ in pairs], inputs, [g for _, g in pairs],
                      retain_graph=retain_graph, create_graph=create_graph, allow_unused=True)
    return [zeros_like(b) if g is None else g for b, g in zip(inputs, got)]


def _base(x):
    return _decompose(x)[0] if x.__class__ is BatchedTensor else x


def _detach_tree(tree, keep):
    if keep:
        return tree
    leaves, spec = flatten(tree)
    return unflatten([x.detach() if isinstance(x, Tensor) else x for x in leaves], spec)


def _argnums(argnums, args, fname):
    if isinstance(argnums, int) and not isinstance(argnums, bool):
        nums = (argnums,)
    elif isinstance(argnums, tuple) and argnums and all(
            isinstance(a, int) and not isinstance(a, bool) for a in argnums):
        nums = argnums
    elif isinstance(argnums, tuple) and not argnums:
        raise RuntimeError("argnums must be non-empty")
    else:
        raise RuntimeError(f"argnums must be int or Tuple[int, ...], got: {type(argnums)}")
    n = len(args)
    out = []
    for a in nums:
        if not -n <= a < n:
            raise RuntimeError(
                f"Got argnum={a}, but only {n} positional inputs")
        out.append(a % n)
    if len(set(out)) != len(out):
        raise RuntimeError(f"argnums elements must be unique, got {argnums}")
    return out


def _call(func, leaves, spec):
    """func called on fresh differentiable aliases of ``leaves`` (arranged as ``spec``), with
    grad mode on and this transform counted as differentiating: (the aliases, the output)."""
    inputs = _Inputs(leaves)
    _Depth.n += 1
    try:
        with enable_grad():
            out = func(*unflatten(inputs.wrapped, spec))
    finally:
        _Depth.n -= 1
    return inputs, out


def _split_aux(out, has_aux, call):
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(
            f"{call}: output of function f should be a tuple: (output, aux) if has_aux is True")
    return out


# -- grad ---------------------------------------------------------------------------------
def grad_and_value(func, argnums=0, has_aux=False):
    """``func``'s gradient with respect to the inputs ``argnums``, and its value."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nums = _argnums(argnums, args, "grad_and_value")
        grad_enabled = is_grad_enabled()
        leaves, spec = flatten(tuple(args[i] for i in nums))

        def partial(*diff):
            new_args = list(args)
            for i, tree in zip(nums, diff):
                new_args[i] = tree
            return func(*new_args, **kwargs)

        inputs, out = _call(partial, leaves, spec)
        out, aux = _split_aux(out, has_aux, "grad_and_value(f)(*args)")
        if not isinstance(out, Tensor):
            raise RuntimeError(
                f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got "
                f"{type(out)}")
        if out.dim() != 0:
            raise RuntimeError(
                "grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got "
                f"tensor with {out.dim()} dims. Maybe you wanted to use the vjp or jacrev "
                "APIs instead?")
        root = _base(out)
        keep = _need_graph(grad_enabled, inputs, [root])
        with enable_grad():
            g = _grads([root], inputs.bases, [ones_like(root)], keep)
        g = inputs.rewrap(g)
        grads = _detach_tree(unflatten(g, spec), keep)
        grads = grads[0] if isinstance(argnums, int) else tuple(grads)
        value = _detach_tree(out, keep)
        if has_aux:
            return grads, (value, _detach_tree(aux, keep))
        return grads, value

    return wrapper


def grad(func, argnums=0, has_aux=False):
    """The gradient of the scalar function ``func`` with respect to inputs ``argnums``."""
    gv = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, value = gv(*args, **kwargs)
        if has_aux:
            return g, value[1]
        return g

    return wrapper


# -- vjp ----------------------------------------------------------------------------------
def vjp(func, *primals, has_aux=False):
    """``(func(*primals), vjp_fn)``: vjp_fn(cotangents) gives the vector-Jacobian products."""
    grad_enabled = is_grad_enabled()
    leaves, spec = flatten(primals)
    inputs, out = _call(func, leaves, spec)
    out, aux = _split_aux(out, has_aux, "vjp(f, *primals)")
    out_leaves, out_spec = flatten(out)
    for o in out_leaves:
        if not isinstance(o, Tensor):
            raise RuntimeError(
                "vjp(f, *primals): expected f(*primals) to return only tensors, got "
                f"unsupported type {type(o)}")
    roots = [_base(o) for o in out_leaves]
    keep = _need_graph(grad_enabled, inputs, roots)
    active = list(levels.stack)

    def vjp_fn(*cotangents, retain_graph=True, create_graph=None):
        ct_tree = cotangents[0] if len(cotangents) == 1 and not isinstance(
            out, (tuple, list, dict)) else cotangents
        if len(cotangents) == 1 and isinstance(out, (tuple, list, dict)):
            ct_tree = cotangents[0]
        ct_leaves, ct_spec = flatten(ct_tree)
        if len(ct_leaves) != len(out_leaves):
            raise RuntimeError(
                "Expected pytree structure of cotangents to be the same as pytree structure "
                f"of outputs to the function. cotangents: {_describe(ct_tree)}, primal output: "
                f"{_describe(out)}")
        for c, o in zip(ct_leaves, out_leaves):
            if tuple(c.shape) != tuple(o.shape):
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[0] has a shape of {c.shape} and output[0] "
                    f"has a shape of {o.shape}.")
        newer = _newer_level(ct_leaves, active)
        if newer is not None:
            if _plain(out_leaves) and _plain(leaves) and all(
                    c.__class__ is not BatchedTensor or c._level is newer and
                    c._value.__class__ is not BatchedTensor for c in ct_leaves):
                try:
                    return _batched_backward(roots, inputs, ct_leaves, spec, keep, retain_graph)
                except NoBatchingRule:
                    pass  # a backward formula without a batching rule: one pass per sample
            return _per_sample(vjp_fn, newer, cotangents)
        cts = [_align(c, o) for c, o in zip(ct_leaves, out_leaves)]
        cg = keep if create_graph is None else create_graph
        with enable_grad():
            g = _grads(roots, inputs.bases, cts, cg, retain_graph=retain_graph)
        g = inputs.rewrap(g)
        result = unflatten(g, spec)
        return _detach_tree(tuple(result), cg)

    value = _detach_tree(out, keep)
    if has_aux:
        return value, vjp_fn, _detach_tree(aux, keep)
    return value, vjp_fn


def _describe(tree):
    from ._vmap import _describe as describe

    return describe(tree)


def _newer_level(tensors, active):
    """A vmap level entered after the transform was called, that batches some of ``tensors``."""
    for t in tensors:
        x = t
        while x.__class__ is BatchedTensor:
            if x._level not in active:
                return x._level
            x = x._value
    return None


def _plain(tensors):
    return all(t.__class__ is not BatchedTensor for t in tensors)


def _batched_backward(roots, inputs, cotangents, spec, keep, retain_graph):
    """One backward pass for a whole batch of cotangents (vmap over a vjp, as jacrev does):
    the gradients flowing through the graph are batched tensors, so every backward formula
    runs once, through its batching rule. Formulas then take their Tensor path (create_graph);
    the graph they record is dropped unless an enclosing transform needs it."""
    with enable_grad():
        g = _grads(roots, inputs.bases, cotangents, True, retain_graph=retain_graph)
    result = unflatten(inputs.rewrap(g), spec)
    return _detach_tree(tuple(result), keep)


def batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused,
                 materialize_grads):
    """autograd.grad with is_grads_batched=True: grad_outputs carry a leading batch dimension,
    and the backward runs once for the whole batch (vmap over it)."""
    if grad_outputs is None or any(g is None for g in grad_outputs):
        raise RuntimeError("If `is_grads_batched=True`, we interpret the first dimension of "
                           "each grad_output as the batch dimension. The sizes of the "
                           "remaining dimensions are expected to match the shape of "
                           "corresponding output, but a mismatch was detected: grad_output[0] "
                           "is None")
    for i, (g, o) in enumerate(zip(grad_outputs, outputs)):
        if g.dim() == 0 or tuple(g.shape[1:]) != tuple(o.shape):
            raise RuntimeError(
                "If `is_grads_batched=True`, we interpret the first dimension of each "
                "grad_output as the batch dimension. The sizes of the remaining dimensions are "
                "expected to match the shape of corresponding output, but a mismatch was "
                f"detected: grad_output[{i}] has a shape of {g.shape} and output[{i}] has a "
                f"shape of {o.shape}. If you only want some tensors in `grad_output` to be "
                "considered batched, consider using vmap.")
    unused = set()

    def one(*cts):
        got = engine.grad(outputs, inputs, cts, retain_graph=True, create_graph=True,
                          allow_unused=True)
        out = []
        for i, (g, x) in enumerate(zip(got, inputs)):
            if g is None:
                unused.add(i)
                g = zeros_like(x)
            out.append(g)
        return tuple(out)

    try:
        result = vmap(one)(*grad_outputs)
    except NoBatchingRule:  # a backward formula without a batching rule: once per sample
        from ..ops.shape import stack

        rows = [one(*[g[k] for g in grad_outputs]) for k in range(grad_outputs[0].shape[0])]
        result = tuple(stack([r[i] for r in rows]) for i in range(len(inputs)))
    if unused and not allow_unused:
        i = min(unused)
        raise RuntimeError(
            f"The differentiated Tensor at index {i} appears to not have been used in the "
            "graph. Set allow_unused=True if this is the desired behavior.")
    if not create_graph:
        result = tuple(r.detach() for r in result)
    return tuple(None if i in unused and not materialize_grads else r
                 for i, r in enumerate(result))


def _per_sample(fn, level, args):
    """fn over each sample of a vmap level that fn's graph was not built under."""
    from ._vmap import _sample, stack_results

    results = [fn(*[_sample(a, level, i) for a in args]) for i in range(level.size)]
    return stack_results(results, level, "vjp")


def _align(c, o):
    """A cotangent or tangent as a base tensor shaped like the output's (or input's) base."""
    ob, olv = _decompose(o) if o.__class__ is BatchedTensor else (o, [])
    cb, clv = _decompose(c) if c.__class__ is BatchedTensor else (c, [])
    # bring the cotangent to the output's levels: expand missing ones, in level order
    for i, lv in enumerate(olv):
        if lv not in clv:
            cb = _insert(cb, i, lv.size)
            clv = clv[:i] + [lv] + clv[i:]
    if len(clv) != len(olv):
        # batched at a level the output is not: the output is the same for every sample there
        return None
    return cb


# -- jvp ----------------------------------------------------------------------------------
def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """``(func(*primals), J @ tangents)``: the Jacobian-vector product."""
    if not isinstance(primals, tuple):
        raise RuntimeError(
            "jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it should be "
            "valid to call f(*primals).")
    if not isinstance(tangents, tuple) or len(flatten(tangents)[0]) != len(flatten(primals)[0]):
        raise RuntimeError(
            "jvp(f, primals, tangents): Expected primals and tangents to have the same python "
            f"structure. For example, if primals is a tuple of 3 tensors, tangents also must "
            f"be. Got primals with structure {_describe(primals)} and tangents with structure "
            f"{_describe(tangents)}")
    if strict:
        raise RuntimeError("jvp(f, primals, tangents): strict=True is not implemented yet")
    p_leaves, spec = flatten(primals)
    t_leaves, _ = flatten(tangents)
    for p, t in zip(p_leaves, t_leaves):
        if not isinstance(p, Tensor) or not isinstance(t, Tensor):
            raise RuntimeError(
                "jvp(f, primals, tangents): Expected primals and tangents to only contain "
                "Tensors")
        if tuple(p.shape) != tuple(t.shape):
            raise RuntimeError(
                "Trying to set a forward gradient that has a different size than that of the "
                f"original Tensor, this is not supported. Tensor is of size {list(p.shape)} "
                f"while the given forward gradient is of size {list(t.shape)}.")
    grad_enabled = is_grad_enabled()
    inputs, out = _call(func, p_leaves, spec)
    out, aux = _split_aux(out, has_aux, "jvp(f, primals, tangents)")
    out_leaves, out_spec = flatten(out)
    for o in out_leaves:
        if not isinstance(o, Tensor):
            raise RuntimeError(
                f"jvp(f, primals, tangents): Expected f(*primals) to return only tensors, got "
                f"unsupported type {type(o)}")
    roots = [_base(o) for o in out_leaves]
    keep = _need_graph(grad_enabled, inputs, roots)
    tans = [_align(t, b_like) for t, b_like in zip(t_leaves, inputs.wrapped)]
    with enable_grad():
        # any value works (the vjp is linear in it); ones keep log-based backward formulas
        # (logcumsumexp's) away from log(0)
        dummies = [ones_like(r).requires_grad_(True) for r in roots]
        live = [(r, d) for r, d in zip(roots, dummies) if r.requires_grad]
        if live:
            vj = engine.grad([r for r, _ in live], inputs.bases, [d for _, d in live],
                             create_graph=True, allow_unused=True)
            total = None
            for g, t in zip(vj, tans):
                if g is None or t is None:
                    continue
                term = (g * t).sum()
                total = term if total is None else total + term
        else:
            total = None
        if total is not None and total.requires_grad:
            jv = engine.grad([total], [d for _, d in live], create_graph=keep,
                             allow_unused=True)
            by_root = {id(d): g for (_, d), g in zip(live, jv)}
        else:
            by_root = {}
    results = []
    for o, r, d in zip(out_leaves, roots, dummies):
        g = by_root.get(id(d))
        g = zeros_like(r) if g is None else g
        _, lv = _decompose(o) if o.__class__ is BatchedTensor else (o, [])
        results.append(_compose(g, lv))
    jvp_out = _detach_tree(unflatten(results, out_spec), keep)
    value = _detach_tree(out, keep)
    if has_aux:
        return value, jvp_out, _detach_tree(aux, keep)
    return value, jvp_out


def linearize(func, *primals):
    """``(func(*primals), jvp_fn)``: jvp_fn(*tangents) is the jvp at ``primals``."""
    out = func(*primals)
    out = _detach_tree(out, False)

    def jvp_fn(*tangents):
        return jvp(func, primals, tangents)[1]

    return out, jvp_fn


# -- Jacobians ----------------------------------------------------------------------------
def _basis(shapes, dtype, n):
    """The rows of an n x n identity, cut into blocks shaped like each input or output."""
    from ..ops.creation import eye

    rows = eye(n, dtype=dtype)
    blocks = []
    start = 0
    for shape in shapes:
        size = 1
        for s in shape:
            size *= s
        blocks.append(rows[:, start:start + size].reshape((n,) + tuple(shape)))
        start += size
    return blocks


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """The Jacobian of ``func`` with respect to inputs ``argnums``, by reverse mode."""
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size <= 0):
        raise ValueError("jacrev: `chunk_size` should be greater than 0.")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nums = _argnums(argnums, args, "jacrev")
        diff = tuple(args[i] for i in nums)

        def partial(*d):
            new = list(args)
            for i, v in zip(nums, d):
                new[i] = v
            return func(*new, **kwargs)

        got = vjp(partial, *diff, has_aux=has_aux)
        out, vjp_fn = got[0], got[1]
        out_leaves, out_spec = flatten(out)
        in_leaves, in_spec = flatten(diff)
        shapes = [tuple(o.shape) for o in out_leaves]
        n = sum(_numel(s) for s in shapes)
        dtype = out_leaves[0].dtype if out_leaves else _dtype.get_default_dtype()
        # an empty output has an empty Jacobian: no rows at all
        rows_per_input = [[zeros((0,) + tuple(x.shape), dtype=x.dtype)] if not n else []
                          for x in in_leaves]
        basis = _basis(shapes, dtype, n)
        step = max(n, 1) if chunk_size is None else chunk_size
        for start in range(0, n, step):
            cts = [b[start:start + step] for b in basis]
            ct_tree = unflatten(cts, out_spec)
            rows = vmap(lambda c: flatten(vjp_fn(c))[0])(ct_tree)
            for j, r in enumerate(rows):
                rows_per_input[j].append(r)
        from ..ops.shape import cat

        full = [cat(r, 0) if len(r) > 1 else r[0] for r in rows_per_input]
        jac = _assemble(full, shapes, in_leaves, out_spec, in_spec, argnums)
        if has_aux:
            return jac, got[2]
        return jac

    return wrapper


def _assemble(rows, out_shapes, in_leaves, out_spec, in_spec, argnums):
    """J[out leaf][in leaf] of shape out.shape + in.shape, from rows indexed by output entry."""
    per_out = []
    start = 0
    for shape in out_shapes:
        size = _numel(shape)
        blocks = [r[start:start + size].reshape(tuple(shape) + tuple(x.shape))
                  for r, x in zip(rows, in_leaves)]
        start += size
        tree = unflatten(blocks, in_spec)
        per_out.append(tree[0] if isinstance(argnums, int) else tuple(tree))
    return unflatten(per_out, out_spec)


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """The Jacobian of ``func`` with respect to inputs ``argnums``, by forward mode."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nums = _argnums(argnums, args, "jacfwd")
        diff = tuple(args[i] for i in nums)
        in_leaves, in_spec = flatten(diff)
        in_shapes = [tuple(x.shape) for x in in_leaves]
        n = sum(_numel(s) for s in in_shapes)
        dtype = in_leaves[0].dtype

        def partial(*d):
            new = list(args)
            for i, v in zip(nums, d):
                new[i] = v
            return func(*new, **kwargs)

        def column(*tangent_leaves):
            tans = unflatten(list(tangent_leaves), in_spec)
            got = jvp(partial, diff, tuple(tans), has_aux=has_aux)
            if has_aux:
                return got[1], got[2]
            return got[1]

        if n == 0:  # no input entries: an empty Jacobian, shaped by one call
            got = partial(*diff)
            out, aux = (got if has_aux else (got, None))
            jac = unflatten([_empty_jacobian(o, in_leaves, in_spec, argnums)
                             for o in flatten(out)[0]], flatten(out)[1])
            return (jac, aux) if has_aux else jac
        basis = _basis(in_shapes, dtype, n)
        if has_aux:
            cols, aux = vmap(column, randomness=randomness)(*basis)
            aux = _first_sample(aux)  # the same in every column
        else:
            cols = vmap(column, randomness=randomness)(*basis)
        col_leaves, out_spec = flatten(cols)
        per_out = []
        for c in col_leaves:
            out_shape = tuple(c.shape[1:])
            blocks = []
            start = 0
            for shape in in_shapes:
                size = _numel(shape)
                part = c[start:start + size]
                blocks.append(part.movedim(0, -1).reshape(out_shape + shape) if part.ndim > 1
                              else part.reshape(out_shape + shape))
                start += size
            tree = unflatten(blocks, in_spec)
            per_out.append(tree[0] if isinstance(argnums, int) else tuple(tree))
        jac = unflatten(per_out, out_spec)
        if has_aux:
            return jac, aux
        return jac

    return wrapper


def _empty_jacobian(out, in_leaves, in_spec, argnums):
    blocks = [zeros(tuple(out.shape) + tuple(x.shape), dtype=out.dtype) for x in in_leaves]
    tree = unflatten(blocks, in_spec)
    return tree[0] if isinstance(argnums, int) else tuple(tree)


def _first_sample(tree):
    leaves, spec = flatten(tree)
    return unflatten([x[0] if isinstance(x, Tensor) else x for x in leaves], spec)


def hessian(func, argnums=0):
    """The Hessian of the scalar function ``func``: jacfwd of jacrev."""
    return jacfwd(jacrev(func, argnums), argnums)
