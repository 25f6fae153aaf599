"""The learner's notes, run on ember and on PyTorch: printed output must match character for
character (with "torch." read as "ember.").

Each scenario is a function of the module (`def scenario(torch): ...`) written as the learner
wrote it; `run` captures what it prints and the warnings it raises.
"""

import contextlib
import io
import warnings

import numpy as np
import torch

import ember


def run(scenario, module):
    out = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(out):
        warnings.simplefilter("always")
        scenario(module)
    for w in caught:
        text = str(w.message).split(" (Triggered internally")[0]
        out.write(f"{w.category.__name__}: {text}\n")
    return out.getvalue()


def check(scenario):
    e = run(scenario, ember)
    t = run(scenario, torch).replace("torch.", "ember.")
    assert e == t
    return e


# (a) -------------------------------------------------------------------------------------------
def scenario_a(torch):
    x_data = [1.0, 2.0, 3.0]
    y_data = [2.0, 4.0, 6.0]

    w = torch.Tensor([1.0])
    w.requires_grad = True

    def forward(x):
        return x * w

    print("predict (before training)", 4, forward(4).item())
    for epoch in range(10):
        for x_val, y_val in zip(x_data, y_data):
            l = (forward(x_val) - y_val) ** 2  # noqa: E741 - the learner's name
            l.backward()
            print("\tgrad: ", x_val, y_val, w.grad.item())
            w.data = w.data - 0.01 * w.grad.data
            w.grad.data.zero_()
        print("progress:", epoch, l.item(), l.data)
    print("predict (after training)", 4, forward(4).item())
    print(w)
    print(l)
    print(w.grad, w.is_leaf, l.is_leaf, l.grad_fn.name())


def test_a_manual_gradient_descent():
    out = check(scenario_a)
    assert "grad_fn=<PowBackward0>" in out and "requires_grad=True" in out
    assert "predict (after training) 4 7.8" in out


# (b) -------------------------------------------------------------------------------------------
def scenario_b(torch):
    a = torch.tensor([2.0, 3.0], requires_grad=True)
    b = torch.tensor([6.0, 4.0], requires_grad=True)
    Q = 3 * a**3 - b**2
    external_grad = torch.tensor([1.0, 1.0])
    Q.backward(gradient=external_grad)
    print(9 * a**2 == a.grad)
    print(-2 * b == b.grad)
    print(Q)
    print(a.grad, b.grad)


def test_b_vector_jacobian_product():
    out = check(scenario_b)
    assert out.startswith("tensor([True, True])\ntensor([True, True])\n")


# (c) -------------------------------------------------------------------------------------------
def scenario_c(torch):
    x = torch.tensor(2.0, requires_grad=True)
    y = x**3 + 2 * x**2
    (dy,) = torch.autograd.grad(y, x, create_graph=True)
    (d2y,) = torch.autograd.grad(dy, x)
    print("dy/dx =", dy.item(), dy.requires_grad)
    print("d2y/dx2 =", d2y)
    z = torch.tensor([1.0, 2.0], requires_grad=True)
    g = torch.autograd.grad((z.sin()).sum(), z, create_graph=True)[0]
    g2 = torch.autograd.grad(g.sum(), z)[0]
    print(g2, torch.allclose(g2, -z.detach().sin()))


def test_c_second_derivative():
    out = check(scenario_c)
    assert "dy/dx = 20.0 True" in out and "d2y/dx2 = tensor(16.)" in out


def scenario_c_print_grad_fn(torch):
    x = torch.tensor(2.0, requires_grad=True)
    (dy,) = torch.autograd.grad(x**3 + 2 * x**2, x, create_graph=True)
    print(dy)


def test_c_print_first_derivative():
    check(scenario_c_print_grad_fn)


# (d) -------------------------------------------------------------------------------------------
def scenario_d(torch):
    x = torch.tensor(0.0, requires_grad=True)
    a, b, c = 1, -2, 1
    optimizer = torch.optim.SGD(params=[x], lr=0.01)

    def f(x):
        return a * x**2 + b * x + c

    for i in range(500):
        optimizer.zero_grad()
        y = f(x)
        y.backward()
        optimizer.step()
        if i % 100 == 0:
            print(i, x)
    print(x.item(), x)


def test_d_optimizer_minimises_quadratic():
    out = check(scenario_d)
    assert "0 tensor(0.0200, requires_grad=True)" in out


# (e) -------------------------------------------------------------------------------------------
X_TRAIN = [[3.3], [4.4], [5.5], [6.71], [6.93], [4.168], [9.779], [6.182], [7.59], [2.167],
           [7.042], [10.791], [5.313], [7.997], [3.1]]
Y_TRAIN = [[1.632], [2.17], [1.961], [2.747], [2.42], [1.796], [3.441], [2.291], [2.727], [1.058],
           [2.713], [3.521], [2.026], [2.972], [1.457]]


def scenario_e(torch):
    from importlib import import_module

    Variable = import_module(torch.__name__ + ".autograd").Variable  # from torch.autograd import

    x_train = torch.Tensor(X_TRAIN)
    y_train = torch.Tensor(Y_TRAIN)
    w, b = Variable(torch.Tensor([1]), requires_grad=True), Variable(torch.Tensor([0]),
                                                                      requires_grad=True)
    lr = 0.001

    def linear_model(x):
        return x * w + b

    def get_loss(y_, y):
        return torch.mean((y_ - y) ** 2)

    y_ = linear_model(x_train)
    loss = get_loss(y_, y_train)
    print(loss)
    epoch = 0
    while True:
        y_ = linear_model(x_train)
        loss = get_loss(y_, y_train)
        if loss <= 0.1 or epoch > 1000:
            break
        loss.backward()
        w.data -= lr * w.grad.data
        b.data -= lr * b.grad.data
        w.grad.data.zero_()
        b.grad.data.zero_()
        if epoch % 5 == 0:
            # 4 decimals: float32 sums are rounded in a different order from PyTorch's (last bit)
            print(f"epoch: {epoch}, loss: {loss.item():.4f}")
        epoch += 1
    print("stopped at epoch", epoch, f"loss {loss.item():.4f}")
    print(f"w = {w.item():.4f}, b = {b.item():.4f}")
    print(type(w).__name__, w.is_leaf, w.requires_grad, w.grad_fn)
    y_predict = linear_model(x_train)
    print(y_predict.data.numpy().shape, y_predict.data.numpy().dtype)


def test_e_linear_regression_with_variable():
    out = check(scenario_e)
    assert "stopped at epoch 39 loss 0.0993" in out


# (f) -------------------------------------------------------------------------------------------
def scenario_f_rebinding(torch):
    x = torch.tensor([3.0, 4.0])
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    lr = 0.1
    loss = (w * x).sum()
    loss.backward()
    w = w - lr * w.grad  # mistake 1: w is now a new non-leaf tensor
    print(w)
    print("is_leaf:", w.is_leaf, "grad:", w.grad)
    loss = (w * x).sum()
    loss.backward()  # still works: backward runs through the new graph to the old leaf
    print("grad after second backward:", w.grad)
    print(loss)


def test_f_rebinding_makes_a_non_leaf():
    out = check(scenario_f_rebinding)
    assert "grad_fn=<SubBackward0>" in out
    assert out.count("UserWarning: The .grad attribute of a Tensor that is not a leaf") == 2


def scenario_f_inplace(torch):
    x = torch.tensor([3.0, 4.0])
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    lr = 0.1
    (w * x).sum().backward()
    try:
        w -= lr * w.grad  # mistake 2: in-place on a leaf that requires grad
    except RuntimeError as e:
        print("RuntimeError:", e)
    print(w, w.grad)

    ident = id(w)
    w.data -= lr * w.grad  # fix 1
    print(id(w) == ident, w.is_leaf, w.grad_fn, w.requires_grad, w)

    with torch.no_grad():  # fix 2
        w -= lr * w.grad
    print(id(w) == ident, w.is_leaf, w.grad_fn, w.requires_grad, w)

    w.grad.zero_()
    (w * x).sum().backward()
    print(w.grad)


def test_f_inplace_on_leaf_and_fixes():
    out = check(scenario_f_inplace)
    assert ("RuntimeError: a leaf Variable that requires grad is being used in an in-place "
            "operation.\n") in out
    assert out.count("True True None True tensor(") == 2


# (g) -------------------------------------------------------------------------------------------
def scenario_g(torch):
    w = torch.tensor([2.0], requires_grad=True)
    x = torch.linspace(0, 1, 5)
    y_predict = x * w
    xs = np.asarray(x)
    print(type(xs).__name__, xs.dtype, xs)
    ys = y_predict.data.numpy()
    print(type(ys).__name__, ys.dtype, ys)
    print(y_predict.detach().numpy())
    try:
        y_predict.numpy()
    except RuntimeError as e:
        print("RuntimeError:", e)
    print(np.asarray(torch.arange(3)).tolist(), np.asarray(torch.tensor(1.5)).shape)


def test_g_plotting_inputs():
    out = check(scenario_g)
    assert "ndarray float32 [0.   0.25 0.5  0.75 1.  ]" in out


# (h) -------------------------------------------------------------------------------------------
def scenario_h(torch):
    nn = torch.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Linear(4, 8)
            self.fc = nn.Linear(8, 2)

        def forward(self, x):
            return self.fc(torch.relu(self.body(x)))

    model = Net()
    for p in model.parameters():
        p.requires_grad = False
    model.fc = nn.Linear(8, 3)
    out = model(torch.ones(5, 4))
    print(out.shape, out.requires_grad, out.grad_fn.name())
    out.sum().backward()
    for name, p in model.named_parameters():
        grad_shape = None if p.grad is None else tuple(p.grad.shape)
        print(name, tuple(p.shape), p.requires_grad, grad_shape)


def test_h_freezing_layers():
    out = check(scenario_h)
    assert "fc.weight (3, 8) True (3, 8)" in out and "body.weight (8, 4) False None" in out
