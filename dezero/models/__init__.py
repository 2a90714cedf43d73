"""Models: Layers meant to be trained and used as a whole (MLP, VGG16, ResNet, SqueezeNet)."""
from dezero.models.base import MLP, Model, Sequential
from dezero.models.resnet import (BottleneckA, BottleneckB, BuildingBlock, ResNet, ResNet50,
                                  ResNet101, ResNet152)
from dezero.models.squeezenet import Fire, SqueezeNet
from dezero.models.vgg import VGG16

__all__ = ["Model", "Sequential", "MLP", "VGG16", "ResNet", "ResNet50", "ResNet101",
           "ResNet152", "BuildingBlock", "BottleneckA", "BottleneckB", "SqueezeNet", "Fire"]
