"""Layers (imported as ``L``): containers of Parameters that make up models."""
from dezero.layers.base import Layer
from dezero.layers.basic import BatchNorm, Dropout, EmbedID, Linear
from dezero.layers.conv import Conv2d, Deconv2d
from dezero.layers.recurrent import GRU, LSTM, RNN
from dezero.layers.normalization import LayerNorm
from dezero.layers.attention import MultiHeadAttention

__all__ = ["Layer", "Linear", "EmbedID", "BatchNorm", "Conv2d", "Deconv2d", "RNN", "LSTM", "GRU",
           "Dropout", "LayerNorm", "MultiHeadAttention"]
