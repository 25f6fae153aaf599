"""ember.models against torchvision's architectures.

torchvision is not installed: the reference is a re-implementation from torch.nn layers with
torchvision's documented module structure (the same attribute names, order and shapes), so a
state_dict saved from torchvision's resnet18 has exactly the keys and shapes checked here.
"""

import numpy as np
import pytest
import torch
import torch.nn as tnn

import ember
import ember.nn as nn
from ember import models
from parity import assert_same

needs_conv = pytest.mark.skipif(
    not all(hasattr(nn, n) for n in ("Conv2d", "BatchNorm2d", "MaxPool2d", "AdaptiveAvgPool2d")),
    reason="Conv2d/BatchNorm2d/MaxPool2d/AdaptiveAvgPool2d are not in ember yet")


# -- the reference: torchvision's ResNet structure, written with torch.nn ---------------------
class TBasicBlock(tnn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = tnn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(planes)
        self.relu = tnn.ReLU(inplace=True)
        self.conv2 = tnn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = tnn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


class TBottleneck(tnn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = tnn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(planes)
        self.conv2 = tnn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = tnn.BatchNorm2d(planes)
        self.conv3 = tnn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = tnn.BatchNorm2d(planes * 4)
        self.relu = tnn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


class TResNet(tnn.Module):
    def __init__(self, block, layers, num_classes=1000):
        super().__init__()
        self.inplanes = 64
        self.conv1 = tnn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = tnn.BatchNorm2d(64)
        self.relu = tnn.ReLU(inplace=True)
        self.maxpool = tnn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], 2)
        self.layer3 = self._make_layer(block, 256, layers[2], 2)
        self.layer4 = self._make_layer(block, 512, layers[3], 2)
        self.avgpool = tnn.AdaptiveAvgPool2d((1, 1))
        self.fc = tnn.Linear(512 * block.expansion, num_classes)

    def _make_layer(self, block, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = tnn.Sequential(
                tnn.Conv2d(self.inplanes, planes * block.expansion, 1, stride, bias=False),
                tnn.BatchNorm2d(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes) for _ in range(1, blocks)]
        return tnn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def _shapes(sd):
    return [(k, tuple(v.shape)) for k, v in sd.items()]


# -- structure ------------------------------------------------------------------------------
@needs_conv
@pytest.mark.parametrize("name,block,layers,n_params", [
    ("resnet18", TBasicBlock, [2, 2, 2, 2], 11_689_512),
    ("resnet34", TBasicBlock, [3, 4, 6, 3], 21_797_672),
    ("resnet50", TBottleneck, [3, 4, 6, 3], 25_557_032),
])
def test_state_dict_keys_and_shapes_match_torchvision(name, block, layers, n_params):
    em = getattr(models, name)()
    tm = TResNet(block, layers)
    assert _shapes(em.state_dict()) == _shapes(tm.state_dict())
    # torchvision's documented parameter counts
    assert sum(p.numel() for p in em.parameters()) == n_params


@needs_conv
def test_resnet18_known_keys_and_module_names():
    em = models.resnet18(num_classes=10)
    sd = em.state_dict()
    assert len(sd) == 122
    assert tuple(sd["conv1.weight"].shape) == (64, 3, 7, 7)
    assert tuple(sd["layer2.0.downsample.0.weight"].shape) == (128, 64, 1, 1)
    assert tuple(sd["layer4.1.bn2.running_var"].shape) == (512,)
    assert "layer1.0.downsample.0.weight" not in sd  # no projection where shapes agree
    assert tuple(sd["fc.weight"].shape) == (10, 512)
    assert sd["layer3.1.bn1.num_batches_tracked"].dtype == ember.int64
    assert list(em._modules) == ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2",
                                 "layer3", "layer4", "avgpool", "fc"]
    assert list(em.layer2[0]._modules) == ["conv1", "bn1", "relu", "conv2", "bn2", "downsample"]
    assert repr(em.layer2[0].downsample) == repr(TResNet(TBasicBlock, [2] * 4).layer2[0]
                                                 .downsample)


@needs_conv
def test_init_as_torchvision():
    ember.manual_seed(0)
    em = models.resnet18()
    for name, m in em.named_modules():
        if isinstance(m, nn.Conv2d):
            w = m.weight.detach().numpy()
            fan_out = w.shape[0] * w.shape[2] * w.shape[3]
            if w.size > 10_000:  # enough draws to see the std: kaiming_normal_, fan_out, relu
                assert abs(w.std() - np.sqrt(2.0 / fan_out)) < 0.05 * np.sqrt(2.0 / fan_out)
        elif isinstance(m, nn.BatchNorm2d):
            assert (m.weight.detach().numpy() == 1).all()
            assert (m.bias.detach().numpy() == 0).all()
    z = models.resnet18(zero_init_residual=True)
    assert not z.layer1[0].bn2.weight.detach().numpy().any()


def test_pretrained_weights_are_refused_clearly():
    with pytest.raises(NotImplementedError, match="does not download"):
        models.resnet18(weights="IMAGENET1K_V1")


# -- forward --------------------------------------------------------------------------------
@needs_conv
def test_forward_matches_torch_in_eval_mode():
    torch.manual_seed(0)
    tm = TResNet(TBasicBlock, [2, 2, 2, 2], num_classes=7)
    # non-trivial BN statistics, so that eval mode uses them
    with torch.no_grad():
        for m in tm.modules():
            if isinstance(m, tnn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.1, 0.1)
    em = models.resnet18(num_classes=7)
    em.load_state_dict({k: ember.from_numpy(v.detach().numpy().copy())
                        for k, v in tm.state_dict().items()})
    tm.eval()
    em.eval()
    x = np.random.default_rng(0).standard_normal((1, 3, 64, 64)).astype(np.float32)
    xe = ember.from_numpy(x.copy()).requires_grad_(True)
    xt = torch.from_numpy(x.copy()).requires_grad_(True)
    ye, yt = em(xe), tm(xt)
    assert_same(ye, yt, 1e-4, 1e-4)
    ye.sum().backward()
    yt.sum().backward()
    assert_same(xe.grad, xt.grad, 1e-3, 1e-4)
    assert_same(em.conv1.weight.grad, tm.conv1.weight.grad, 1e-3, 1e-3)


@needs_conv
def test_transfer_learning_recipe():
    model = models.resnet18()
    for p in model.parameters():
        p.requires_grad_(False)
    model.fc = nn.Linear(model.fc.in_features, 3)
    model.eval()  # frozen BN statistics too, as in the usual feature-extraction recipe
    x = ember.randn(2, 3, 32, 32)
    loss = nn.functional.cross_entropy(model(x), ember.tensor([0, 2]))
    loss.backward()
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert trainable == ["fc.weight", "fc.bias"]
    for name, p in model.named_parameters():
        assert (p.grad is not None) == name.startswith("fc."), name
    assert np.abs(model.fc.weight.grad.numpy()).sum() > 0
    # an optimizer over the trainable parameters changes only the head
    before = model.layer4[1].conv2.weight.detach().numpy().copy()
    opt = ember.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    w0 = model.fc.weight.detach().numpy().copy()
    opt.step()
    assert not np.allclose(model.fc.weight.detach().numpy(), w0)
    assert np.array_equal(model.layer4[1].conv2.weight.detach().numpy(), before)


@needs_conv
def test_train_mode_step_updates_batchnorm_statistics():
    model = models.resnet18(num_classes=2)
    x = ember.randn(2, 3, 32, 32)
    before = model.bn1.running_mean.numpy().copy()
    model(x).sum().backward()
    assert not np.allclose(model.bn1.running_mean.numpy(), before)
    assert model.conv1.weight.grad is not None
