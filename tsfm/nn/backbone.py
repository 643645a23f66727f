"""The channel-independent patch backbone shared by the patch models.

A batch ``(B, L, C)`` is normalised per series and channel (RevIN), folded into ``(B*C, L)``,
cut into patches ``(B*C, N, patch_len)``, embedded to ``(B*C, N, d_model)`` and encoded. Heads
read the tokens; :meth:`PatchBackbone.unfold_channels` and ``fold`` move between the shapes.
"""

from __future__ import annotations

import torch
from torch import nn

from tsfm.nn.encoder import PatchEmbedding
from tsfm.nn.patching import n_patches, patchify


class PatchBackbone(nn.Module):
    """Patching, embedding and an encoder over univariate series.

    Parameters
    ----------
    context_length, patch_len, stride : int
        Lookback ``L`` and patching; ``N = n_patches(L, patch_len, stride, pad_end)``.
    d_model : int
        Token width.
    encoder : nn.Module
        Maps ``(B, N, d_model)`` to the same shape (Transformer, Mixer, ...).
    dropout : float
        Dropout after the embedding.
    pad_end : bool
        PatchTST's end padding (see :func:`tsfm.nn.patching.patchify`).
    positional : bool
        Learned positional encoding in the embedding (PatchTST yes, TSMixer no).
    """

    def __init__(
        self, context_length, patch_len, stride, d_model, encoder, dropout, pad_end=True,
        positional=True,
    ):  # fmt: skip
        super().__init__()
        self.patch_len, self.stride, self.pad_end = patch_len, stride, pad_end
        self.n_patches = n_patches(context_length, patch_len, stride, pad_end)
        self.embedding = PatchEmbedding(patch_len, self.n_patches, d_model, dropout, positional)
        self.encoder = encoder

    def patches(self, series: torch.Tensor) -> torch.Tensor:
        """``(B', L)`` to ``(B', N, patch_len)``."""
        return patchify(series, self.patch_len, self.stride, self.pad_end)

    def encode_patches(self, patches: torch.Tensor) -> torch.Tensor:
        """``(B', N, patch_len)`` to tokens ``(B', N, d_model)``."""
        return self.encoder(self.embedding(patches))

    def forward(self, series: torch.Tensor) -> torch.Tensor:
        """``(B', L)`` univariate series to tokens ``(B', N, d_model)``."""
        return self.encode_patches(self.patches(series))


def fold_channels(x: torch.Tensor) -> torch.Tensor:
    """``(B, L, C)`` to ``(B*C, L)``: every channel becomes its own series."""
    B, L, C = x.shape
    return x.transpose(1, 2).reshape(B * C, L)


def unfold_channels(y: torch.Tensor, n_channels: int) -> torch.Tensor:
    """``(B*C, H)`` back to ``(B, H, C)``."""
    return y.reshape(-1, n_channels, y.shape[-1]).transpose(1, 2)
