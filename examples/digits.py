"""Recognise handwritten digits with a small convolutional network.

This is plain PyTorch code. Run it on ember (no PyTorch needed) or on PyTorch:

    ember run examples/digits.py
    python examples/digits.py

The data is scikit-learn's bundled set of 1,797 8x8 images of the digits 0-9 (no download).
The script trains on 80% of them, reports the accuracy on the other 20%, saves the model,
reloads it into a fresh model and plots the training loss.

Options: --epochs N (default 20), --model cnn|mlp (default cnn), --lr LR (default 0.002),
--batch-size N (default 32), --out-dir DIR (default: the current folder).
Needs scikit-learn; tqdm (progress bar) and matplotlib (plot) are optional:
    pip install "ember[examples]"     (scikit-learn, tqdm, matplotlib, safetensors)
"""

import argparse
import os
import time

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def load_data(seed):
    """The digits as tensors: images (N, 1, 8, 8) scaled to [0, 1], labels (N,)."""
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError:
        raise SystemExit("this example needs scikit-learn: pip install scikit-learn") from None
    digits = load_digits()
    images = digits.images.astype("float32") / 16.0  # pixel values are 0..16
    labels = digits.target.astype("int64")
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=0.2, random_state=seed, stratify=labels
    )

    def to_tensors(x, y):
        return torch.from_numpy(x).unsqueeze(1), torch.from_numpy(y)  # add a channel dim

    return to_tensors(x_train, y_train), to_tensors(x_test, y_test)


def build_model(kind):
    if kind == "mlp":
        return nn.Sequential(
            nn.Flatten(),                 # (N, 1, 8, 8) -> (N, 64)
            nn.Linear(64, 128), nn.ReLU(),
            nn.Linear(128, 10),
        )
    return nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, padding=1), nn.ReLU(),  # (N, 16, 8, 8)
        nn.MaxPool2d(2),                                        # (N, 16, 4, 4)
        nn.Conv2d(16, 32, kernel_size=3, padding=1), nn.ReLU(),  # (N, 32, 4, 4)
        nn.MaxPool2d(2),                                        # (N, 32, 2, 2)
        nn.Flatten(),                                           # (N, 128)
        nn.Linear(128, 64), nn.ReLU(),
        nn.Linear(64, 10),                                      # one score per digit
    )


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        predicted = model(x).argmax(dim=1)
    return (predicted == y).float().mean().item()


def progress(epochs):
    """A tqdm progress bar over the epochs, or a plain range when tqdm is missing."""
    try:
        from tqdm import trange
    except ImportError:
        return None, range(1, epochs + 1)
    bar = trange(1, epochs + 1, desc="training", unit="epoch")
    return bar, bar


def main():
    parser = argparse.ArgumentParser(description="A small CNN on scikit-learn's 8x8 digits.")
    parser.add_argument("--epochs", type=int, default=20, help="training epochs (default 20)")
    parser.add_argument("--model", choices=["cnn", "mlp"], default="cnn",
                        help="network: cnn (default) or mlp")
    parser.add_argument("--lr", type=float, default=0.002, help="Adam's learning rate")
    parser.add_argument("--batch-size", type=int, default=32, help="batch size (default 32)")
    parser.add_argument("--out-dir", default=".", help="where the checkpoint and plot go")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)

    torch.manual_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = load_data(args.seed)
    print(f"{len(x_train)} training and {len(x_test)} test images of 8x8 pixels")

    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=args.batch_size,
                        shuffle=True, generator=torch.Generator().manual_seed(args.seed))
    model = build_model(args.model)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: {args.model}, {n_params} parameters")

    losses = []
    start = time.perf_counter()
    bar, epochs = progress(args.epochs)
    for epoch in epochs:
        model.train()
        total, count = 0.0, 0
        for images, labels in loader:
            loss = loss_fn(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(labels)
            count += len(labels)
        losses.append(total / count)
        test_acc = accuracy(model, x_test, y_test)
        if bar is not None:
            bar.set_postfix(loss=f"{losses[-1]:.4f}", test_acc=f"{test_acc:.3f}")
        else:
            print(f"epoch {epoch:3d}  loss {losses[-1]:.4f}  test accuracy {test_acc:.3f}")
    if bar is not None:
        bar.close()
    print(f"trained {args.epochs} epochs in {time.perf_counter() - start:.1f} s")

    test_acc = accuracy(model, x_test, y_test)
    print(f"test accuracy: {test_acc:.4f} ({round(test_acc * len(y_test))}/{len(y_test)})")

    # save the weights, then load them into a fresh model: it must score the same
    path = os.path.join(args.out_dir, f"digits_{args.model}.pt")
    torch.save(model.state_dict(), path)
    fresh = build_model(args.model)
    fresh.load_state_dict(torch.load(path))
    reloaded_acc = accuracy(fresh, x_test, y_test)
    print(f"saved {path}; reloaded model's test accuracy: {reloaded_acc:.4f}")
    if reloaded_acc != test_acc:
        raise SystemExit("the reloaded model does not match the trained one")

    plot(losses, os.path.join(args.out_dir, f"digits_{args.model}_loss.png"))


def plot(losses, path):
    try:
        import matplotlib
    except ImportError:
        print("matplotlib is not installed, so no plot (pip install matplotlib)")
        return
    matplotlib.use("Agg")  # draw to a file; no window needed
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(range(1, len(losses) + 1), losses, marker="o")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss (cross-entropy)")
    ax.set_yscale("log")
    ax.set_title("Digits: training loss")
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"saved plot to {path}")


if __name__ == "__main__":
    main()
