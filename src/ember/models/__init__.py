"""ember.models: ready-made architectures learners meet in tutorials (torchvision's names).

    from ember.models import resnet18
    model = resnet18(num_classes=10)
"""

from .resnet import (
    BasicBlock,
    Bottleneck,
    ResNet,
    resnet18,
    resnet34,
    resnet50,
)

__all__ = ["BasicBlock", "Bottleneck", "ResNet", "resnet18", "resnet34", "resnet50"]
