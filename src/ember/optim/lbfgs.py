"""L-BFGS: quasi-Newton steps from a limited history of gradient differences."""

import numpy as np

from .._tensor import Tensor, _make
from ..autograd.grad_mode import enable_grad, no_grad
from .optimizer import Optimizer

__all__ = ["LBFGS"]


def _box(value):
    """NumPy values as ember Tensors (state holds tensors where PyTorch's does)."""
    if isinstance(value, (np.ndarray, np.generic)):
        return _make(np.asarray(value))
    if isinstance(value, list):
        return [_box(v) for v in value]
    return value


def _unbox(value):
    if isinstance(value, Tensor):
        data = value._data
        return data[()] if data.ndim == 0 else data
    if isinstance(value, list):
        return [_unbox(v) for v in value]
    return value


def _cubic_minimum(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimizer of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, kept
    within bounds (the interval between x1 and x2 by default); their midpoint when the cubic
    has no minimum."""
    low, high = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 * d1 - g1 * g2
    if d2_square < 0:
        return (low + high) / 2.0
    d2 = np.sqrt(d2_square)
    if x1 <= x2:
        x = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        x = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(x, low), high)


def _strong_wolfe(evaluate, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                  max_ls=25):
    """A line search along d from step t satisfying the strong Wolfe conditions: a bracketing
    phase (extrapolating by cubic interpolation) then a zoom phase. Returns the loss, the
    flat gradient and the step it chose, and the number of evaluations."""
    d_norm = np.abs(d).max()
    g = g.copy()
    f_new, g_new = evaluate(t)
    evals = 1
    gtd_new = g_new.dot(d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    it = 0
    bracket = None
    while it < max_ls:  # bracketing
        if f_new > f + c1 * t * gtd or (it > 1 and f_new >= f_prev):
            bracket = [[t_prev, f_prev, g_prev, gtd_prev], [t, f_new, g_new.copy(), gtd_new]]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket = [[t, f_new, g_new, gtd_new]]
            done = True
            break
        if gtd_new >= 0:
            bracket = [[t_prev, f_prev, g_prev, gtd_prev], [t, f_new, g_new.copy(), gtd_new]]
            break
        lo, hi = t + 0.01 * (t - t_prev), t * 10
        t_prev, t = t, _cubic_minimum(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                                      bounds=(lo, hi))
        f_prev, g_prev, gtd_prev = f_new, g_new.copy(), gtd_new
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = g_new.dot(d)
        it += 1
    if it == max_ls:
        bracket = [[0, f, g, None], [t, f_new, g_new, None]]
    low, high = (0, 1) if bracket[0][1] <= bracket[-1][1] else (1, 0)
    progress_low = False
    while not done and it < max_ls:  # zoom
        (t0, f0, _, gtd0), (t1, f1, _, gtd1) = bracket
        if abs(t1 - t0) * d_norm < tolerance_change:
            break
        t = _cubic_minimum(t0, f0, gtd0, t1, f1, gtd1)
        top, bottom = max(t0, t1), min(t0, t1)
        margin = 0.1 * (top - bottom)
        if min(top - t, t - bottom) < margin:  # too close to an end of the bracket
            if progress_low or t >= top or t <= bottom:
                t = top - margin if abs(t - top) < abs(t - bottom) else bottom + margin
                progress_low = False
            else:
                progress_low = True
        else:
            progress_low = False
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = g_new.dot(d)
        it += 1
        if f_new > f + c1 * t * gtd or f_new >= bracket[low][1]:
            bracket[high] = [t, f_new, g_new.copy(), gtd_new]
            low, high = (0, 1) if bracket[0][1] <= bracket[1][1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high][0] - bracket[low][0]) >= 0:
                bracket[high] = bracket[low]
            bracket[low] = [t, f_new, g_new.copy(), gtd_new]
    t, f_new, g_new, _ = bracket[low]
    return f_new, g_new, t, evals


class LBFGS(Optimizer):
    """PyTorch's L-BFGS (after minFunc). step(closure) runs up to max_iter iterations, each a
    two-loop recursion over the last history_size (s, y) pairs, then a step of lr along the
    direction found (the first one scaled by min(1, 1 / |g|_1)), or one chosen by a strong
    Wolfe line search (line_search_fn="strong_wolfe"). One parameter group only.

    The state (of the first parameter, as in PyTorch) keeps 'func_evals', 'n_iter', 'd', 't',
    'old_dirs', 'old_stps', 'ro', 'H_diag', 'prev_flat_grad', 'prev_loss' (and 'al').
    """

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {
            "lr": lr, "max_iter": max_iter, "max_eval": max_eval,
            "tolerance_grad": tolerance_grad, "tolerance_change": tolerance_change,
            "history_size": history_size, "line_search_fn": line_search_fn,
        }
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]
        self._numel_cache = None

    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state,
                "param_groups": self.param_groups}

    def __setstate__(self, state):
        super().__setstate__(state)
        self._params = self.param_groups[0]["params"]
        self._numel_cache = None

    def _numel(self):
        if self._numel_cache is None:
            self._numel_cache = sum(p.numel() for p in self._params)
        return self._numel_cache

    def _flat_grad(self):
        return np.concatenate([
            np.zeros(p._data.size, p._data.dtype) if p._grad is None
            else p._grad._data.reshape(-1).astype(p._data.dtype, copy=False)
            for p in self._params])

    def _add(self, step, direction):
        """Every parameter += step * its slice of the flat direction."""
        lo = 0
        for p in self._params:
            n = p._data.size
            piece = direction[lo:lo + n].reshape(p._data.shape)
            p._data += p._data.dtype.type(step) * piece
            p._version[0] += 1
            lo += n

    def _evaluate(self, closure):
        with enable_grad():
            return closure()

    def step(self, closure):
        """Run the iterations of one step; closure() recomputes the loss and its gradients
        (zero_grad, forward, backward) and returns the loss. Returns the first loss."""
        for p in self._params:
            if p.is_complex():
                raise NotImplementedError("ember's LBFGS does not support complex parameters")
        with no_grad():
            return self._step(closure)

    def _step(self, closure):
        group = self.param_groups[0]
        lr = group["lr"].item() if isinstance(group["lr"], Tensor) else group["lr"]
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        orig_loss = self._evaluate(closure)
        loss = float(orig_loss)
        evals = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        if np.abs(flat_grad).max() <= tolerance_grad:
            return orig_loss

        d, t = _unbox(state.get("d")), _unbox(state.get("t"))
        old_dirs, old_stps = _unbox(state.get("old_dirs")), _unbox(state.get("old_stps"))
        ro, h_diag = _unbox(state.get("ro")), _unbox(state.get("H_diag"))
        prev_flat_grad, prev_loss = _unbox(state.get("prev_flat_grad")), state.get("prev_loss")

        n_iter = 0
        opt_cond = False
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:  # steepest descent
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                h_diag = 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * d.dtype.type(t)
                ys = y.dot(s)
                if ys > 1e-10:  # curvature condition: keep the pair
                    if len(old_dirs) == history_size:
                        del old_dirs[0], old_stps[0], ro[0]
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / y.dot(y)
                # two-loop recursion: d = -H g
                if "al" not in state:
                    state["al"] = [None] * history_size
                al = _unbox(state["al"])
                q = -flat_grad
                for i in range(len(old_dirs) - 1, -1, -1):
                    al[i] = old_stps[i].dot(q) * ro[i]
                    q += q.dtype.type(-al[i]) * old_dirs[i]
                d = r = q * h_diag
                for i in range(len(old_dirs)):
                    be_i = old_dirs[i].dot(r) * ro[i]
                    r += r.dtype.type(al[i] - be_i) * old_stps[i]
                state["al"] = _box(al)
            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.copy()
            else:
                prev_flat_grad[...] = flat_grad
            prev_loss = loss

            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / np.abs(flat_grad).sum()) * lr
            else:
                t = lr
            gtd = flat_grad.dot(d)
            if gtd > -tolerance_change:  # not a descent direction
                break

            ls_evals = 0
            if line_search_fn is not None:
                if line_search_fn != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                start = [p._data.copy() for p in self._params]

                def evaluate(step, start=start, d=d):
                    self._add(step, d)
                    value = float(self._evaluate(closure))
                    grad = self._flat_grad()
                    for p, a in zip(self._params, start):
                        p._data[...] = a
                        p._version[0] += 1
                    return value, grad

                loss, flat_grad, t, ls_evals = _strong_wolfe(
                    evaluate, t, d, loss, flat_grad, gtd, max_ls=max_eval - evals)
                self._add(t, d)
                opt_cond = np.abs(flat_grad).max() <= tolerance_grad
            else:
                self._add(t, d)
                if n_iter != max_iter:  # the next iteration's loss and gradient
                    loss = float(self._evaluate(closure))
                    flat_grad = self._flat_grad()
                    opt_cond = np.abs(flat_grad).max() <= tolerance_grad
                    ls_evals = 1
            evals += ls_evals
            state["func_evals"] += ls_evals

            if (n_iter == max_iter or evals >= max_eval or opt_cond
                    or np.abs(d * d.dtype.type(t)).max() <= tolerance_change
                    or abs(loss - prev_loss) < tolerance_change):
                break

        state.update({
            "d": _box(d), "t": _box(t), "old_dirs": _box(old_dirs),
            "old_stps": _box(old_stps), "ro": _box(ro), "H_diag": _box(h_diag),
            "prev_flat_grad": _box(prev_flat_grad), "prev_loss": prev_loss,
        })
        return orig_loss
