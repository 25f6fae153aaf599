"""torch.stft / torch.istft and torch.signal.windows against PyTorch: values, dtypes, strides,
gradients, warnings and errors. (Gradcheck, gradgradcheck, forward AD and float32 runs of stft
and istft come from their entries in tests/opinfo.py.)"""

import warnings

import numpy as np
import pytest
import torch

import ember

rng = np.random.default_rng(7)
X = rng.standard_normal(20)
X2 = rng.standard_normal((3, 21))
W8 = rng.random(8) + 0.1
W5 = rng.random(5) + 0.1


def _run(m, fn, *arrays):
    args = [m.tensor(a) if isinstance(a, np.ndarray) else a for a in arrays]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(m, *args)


def _same(fn, *arrays, atol=1e-9):
    e, t = _run(ember, fn, *arrays), _run(torch, fn, *arrays)
    assert str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1]
    assert tuple(e.shape) == tuple(t.shape)
    assert [st for st, n in zip(e.stride(), e.shape) if n > 1] == \
        [st for st, n in zip(t.stride(), t.shape) if n > 1]
    single = t.dtype in (torch.float32, torch.complex64)
    np.testing.assert_allclose(np.asarray(e.detach()), t.detach().numpy(),
                               atol=1e-5 if single else atol, rtol=1e-5 if single else 1e-7)


def _errors(fn, *arrays):
    msgs = []
    for m in (ember, torch):
        with pytest.raises(Exception) as info:
            _run(m, fn, *arrays)
        msgs.append((type(info.value), str(info.value).replace("ember.", "torch.")))
    assert msgs[0] == msgs[1]


STFT_CASES = [
    lambda m, x: m.stft(x, 8, return_complex=True),
    lambda m, x: m.stft(x, 8, return_complex=False),
    lambda m, x: x.stft(8, hop_length=3, return_complex=True, normalized=True),
    lambda m, x: m.stft(x, 8, return_complex=True, pad_mode="constant"),
    lambda m, x: m.stft(x, 8, return_complex=True, center=False, onesided=False),
    lambda m, x: m.stft(x.float(), 6, hop_length=1, return_complex=True, pad_mode="replicate"),
    lambda m, x: m.stft(x.to(m.complex128), 8, hop_length=4),
    lambda m, x: m.stft(x, 20, center=False, return_complex=True),
]


@pytest.mark.parametrize("case", range(len(STFT_CASES)))
def test_stft_values(case):
    _same(STFT_CASES[case], X)
    _same(STFT_CASES[case], X2[:, :20] if case != 7 else X2[:, :20])


def test_stft_window_and_lengths():
    _same(lambda m, x, w: m.stft(x, 8, window=w, return_complex=True), X, W8)
    _same(lambda m, x, w: m.stft(x, 8, 3, 5, w, return_complex=True), X2, W5)
    _same(lambda m, x, w: m.stft(x.float(), 8, window=w, return_complex=True), X, W8)
    _same(lambda m, x, w: m.stft(x, 8, window=w.to(m.complex64)), X, W8)
    _same(lambda m, x, w: m.stft(x, 8, hop_length=4, win_length=4, window=w[:4], center=False,
                                 align_to_window=True, return_complex=True), X, W8)


def test_stft_errors():
    for fn in (
        lambda m, x: m.stft(x, 8),
        lambda m, x: m.stft(x, 30, center=False, return_complex=True),
        lambda m, x: m.stft(x, 8, hop_length=0, return_complex=True),
        lambda m, x: m.stft(x, 8, win_length=9, return_complex=True),
        lambda m, x: m.stft(x, 8, window=m.ones(7, dtype=m.float64), return_complex=True),
        lambda m, x: m.stft(x.reshape(2, 2, 5), 4, return_complex=True),
        lambda m, x: m.stft(x.int(), 4, return_complex=True),
        lambda m, x: m.stft(x.half(), 4, return_complex=True),
        lambda m, x: m.stft(x, 4, align_to_window=False),
        lambda m, x: m.stft(x, 4, return_complex=True, pad_mode="foo"),
        lambda m, x: m.stft(x.to(m.complex128), 4, onesided=True),
        lambda m, x: m.stft(x[:3], 8, return_complex=True),
        lambda m, x: m.stft(x, 8, hop_length=3, win_length=5, window=m.ones(5).double(),
                            center=False, align_to_window=True, return_complex=True),
    ):
        _errors(fn, X)


def test_stft_warnings():
    # PyTorch's texts (PyTorch itself warns once per process, so it is not asked here)
    x = ember.tensor(X)
    with pytest.warns(UserWarning, match="A window was not provided. A rectangular window will "
                      "be applied,which is known to cause spectral leakage"):
        ember.stft(x, 8, return_complex=True)
    with pytest.warns(UserWarning, match="stft with return_complex=False is deprecated. In a "
                      "future pytorch release"):
        ember.stft(x, 8, window=ember.ones(8, dtype=ember.float64), return_complex=False)
    with pytest.warns(UserWarning, match="Please provide the same window used by stft"):
        ember.istft(ember.stft(x, 8, window=ember.ones(8, dtype=ember.float64),
                               return_complex=True), 8)


def test_stft_gradients_match_torch():
    grads = []
    for m in (ember, torch):
        x = m.tensor(X2, requires_grad=True)
        w = m.tensor(W5, requires_grad=True)
        s = m.stft(x, 8, 3, 5, w, return_complex=True, normalized=True)
        (m.view_as_real(s) * m.tensor(np.arange(s.numel() * 2.0).reshape(*s.shape, 2))).sum() \
            .backward()
        grads.append((x.grad.numpy(), w.grad.numpy()))
        assert type(s.grad_fn).__name__ == "TransposeBackward1"
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)


def _roundtrip(**kw):
    def fn(m, x):
        hw = m.hann_window(kw.get("win_length", 8), dtype=m.float64)
        k = {a: v for a, v in kw.items() if a != "length"}
        s = m.stft(x, 8, window=hw, return_complex=True, **k)
        return m.istft(s, 8, window=hw, **kw)
    return fn


@pytest.mark.parametrize("kw", [{}, {"length": 20}, {"length": 25}, {"normalized": True},
                                {"hop_length": 3, "win_length": 6}])
def test_istft_values(kw):
    _same(_roundtrip(**kw), X2)


def test_istft_inverts_stft():
    x = ember.tensor(X)
    hw = ember.hann_window(8, dtype=ember.float64)
    y = ember.istft(ember.stft(x, 8, window=hw, return_complex=True), 8, window=hw, length=20)
    np.testing.assert_allclose(y.numpy(), X, atol=1e-12)


def test_istft_two_sided_and_complex():
    def two_sided(m, x, complex_out):
        hw = m.hann_window(8, dtype=m.float64)
        s = m.stft(x, 8, window=hw, return_complex=True, onesided=False)
        y = m.istft(s, 8, window=hw, return_complex=complex_out)
        return m.view_as_real(y) if complex_out else y
    _same(lambda m, x: two_sided(m, x, False), X)
    _same(lambda m, x: two_sided(m, x, True), X)


m_hann = object()  # the library's hann_window(8), made inside the call


def test_istft_errors():
    def spec(m, x):
        return m.stft(x, 8, window=m.hann_window(8, dtype=m.float64), return_complex=True)
    for kw in ({"window": m_hann, "center": False}, {"n_fft": 7}, {"hop_length": 0},
               {"hop_length": 9}, {"win_length": 9}, {"onesided": False},
               {"return_complex": True}):
        def fn(m, x, kw=kw):
            k = dict(kw)
            if k.get("window") is m_hann:
                k["window"] = m.hann_window(8, dtype=m.float64)
            return m.istft(spec(m, x), k.pop("n_fft", 8), **k)
        _errors(fn, X)
    _errors(lambda m, x: m.istft(spec(m, x).real, 8), X)
    _errors(lambda m, x: m.istft(spec(m, x)[None, None], 8), X)
    _errors(lambda m, x: m.istft(spec(m, x)[:, :0], 8), X)
    _errors(lambda m, x: m.istft(spec(m, x), 8, window=m.ones(8, dtype=m.complex128)), X)


def test_istft_length_warning():
    s = ember.stft(ember.tensor(X), 8, window=ember.ones(8, dtype=ember.float64),
                   return_complex=True)
    with pytest.warns(UserWarning, match="The length of signal is shorter than the length "
                      "parameter. Result is being padded with zeros in the tail."):
        y = ember.istft(s, 8, window=ember.ones(8, dtype=ember.float64), length=25)
    assert y.shape[0] == 25 and y[24].item() == 0
    np.testing.assert_allclose(y[:20].numpy(), X, atol=1e-12)


# -- torch.signal.windows -------------------------------------------------------------------
WINDOWS = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine",
           "general_hamming", "hamming", "hann", "kaiser", "nuttall"]


@pytest.mark.parametrize("name", WINDOWS)
def test_windows(name):
    kw = {"a": [0.5, 0.3, 0.2]} if name == "general_cosine" else {}
    for M in (0, 1, 2, 5, 8):
        for sym in (True, False):
            for dt in ("float32", "float64"):
                e = getattr(ember.signal.windows, name)(M, sym=sym, dtype=getattr(ember, dt),
                                                        **kw)
                t = getattr(torch.signal.windows, name)(M, sym=sym, dtype=getattr(torch, dt),
                                                        **kw)
                assert e.dtype.name == dt and tuple(e.shape) == tuple(t.shape)
                np.testing.assert_allclose(e.numpy(), t.numpy(), atol=1e-6)
    e = getattr(ember.signal.windows, name)(4, requires_grad=True, **kw)
    assert e.requires_grad and e.is_leaf and e.dtype is ember.float32


def test_window_arguments():
    for lib in (ember, torch):
        w = lib.signal.windows
        np.testing.assert_allclose(np.asarray(w.exponential(6, center=1.0, sym=False)),
                                   torch.signal.windows.exponential(6, center=1.0, sym=False),
                                   atol=1e-6)
        np.testing.assert_allclose(np.asarray(w.kaiser(6, beta=3.0)),
                                   torch.signal.windows.kaiser(6, beta=3.0), atol=1e-6)
        np.testing.assert_allclose(np.asarray(w.gaussian(6, std=2.0)),
                                   torch.signal.windows.gaussian(6, std=2.0), atol=1e-6)
        np.testing.assert_allclose(np.asarray(w.general_hamming(6, alpha=0.3)),
                                   torch.signal.windows.general_hamming(6, alpha=0.3), atol=1e-6)


@pytest.mark.parametrize("call", [
    lambda w, m: w.hann(-1), lambda w, m: w.kaiser(-2), lambda w, m: w.blackman(-1),
    lambda w, m: w.hann(5, dtype=m.int64), lambda w, m: w.bartlett(3, dtype=m.float16),
    lambda w, m: w.gaussian(5, std=0), lambda w, m: w.exponential(5, center=1.0),
    lambda w, m: w.exponential(5, tau=0), lambda w, m: w.kaiser(5, beta=-1),
    lambda w, m: w.general_cosine(5, a=[]), lambda w, m: w.general_cosine(5, a=3),
    lambda w, m: w.general_cosine(5),
])
def test_window_errors(call):
    got = []
    for m in (ember, torch):
        with pytest.raises(Exception) as info:
            call(m.signal.windows, m)
        got.append((type(info.value), str(info.value).replace("ember.", "torch.")))
    assert got[0] == got[1]
