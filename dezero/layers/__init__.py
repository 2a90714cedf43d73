"""Layers (imported as ``L``): containers of Parameters that make up models."""
from dezero.layers.base import Layer
from dezero.layers.basic import BatchNorm, EmbedID, Linear
from dezero.layers.conv import Conv2d, Deconv2d
from dezero.layers.recurrent import LSTM, RNN

__all__ = ["Layer", "Linear", "EmbedID", "BatchNorm", "Conv2d", "Deconv2d", "RNN", "LSTM"]
