"""Cut series into patches with ``unfold`` (a view), padding the end as PatchTST does."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def n_patches(length: int, patch_len: int, stride: int, pad_end: bool = True) -> int:
    """Patches from a series of ``length``: ``(length - patch_len) // stride + 1`` (+1 padded)."""
    if length < patch_len:
        raise ValueError(f"context of {length} steps is shorter than patch_len={patch_len}")
    if stride > patch_len:
        raise ValueError(
            f"stride={stride} exceeds patch_len={patch_len}: the values between patches would "
            "never be read; use a stride of at most patch_len"
        )
    return (length - patch_len) // stride + 1 + int(pad_end)


def patchify(x: torch.Tensor, patch_len: int, stride: int, pad_end: bool = True) -> torch.Tensor:
    """Patches of the last axis.

    Parameters
    ----------
    x : Tensor, shape (..., L)
    patch_len, stride : int
    pad_end : bool
        Repeat the last value ``stride`` times first, so the end of the series gets a patch of
        its own (the PatchTST paper's end padding). Without it, the oldest
        ``(L - patch_len) % stride`` values are left out, so that the last patch still ends at
        the last value (as IBM's PatchTSMixer).

    Returns
    -------
    Tensor, shape (..., N, patch_len)
        ``N = n_patches(L, patch_len, stride, pad_end)``.
    """
    if pad_end:
        shape = x.shape
        x = F.pad(x.reshape(-1, 1, shape[-1]), (0, stride), mode="replicate").reshape(
            *shape[:-1], shape[-1] + stride
        )
    else:
        x = x[..., (x.shape[-1] - patch_len) % stride :]
    return x.unfold(-1, patch_len, stride)
