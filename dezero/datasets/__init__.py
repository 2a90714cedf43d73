"""Datasets: the Dataset base class, toy data, MNIST-format images, CIFAR, ImageNet labels."""
from dezero.datasets.base import Dataset
from dezero.datasets.cifar import CIFAR10, CIFAR100
from dezero.datasets.idx import IDXFormatError, read_idx, write_idx
from dezero.datasets.imagenet import ImageNet
from dezero.datasets.mnist import MNIST, FashionMNIST
from dezero.datasets.toy import Shakespear, SinCurve, Spiral, get_spiral
