"""Pure torch building blocks of the patch models (no pandas, no training, no models)."""

from tsfm.nn.backbone import PatchBackbone, fold_channels, unfold_channels
from tsfm.nn.decomposition import ExponentialDecomposition, dema_matrix, ema_matrix
from tsfm.nn.encoder import PatchEmbedding, TransformerEncoder
from tsfm.nn.flow import FlowHead
from tsfm.nn.heads import FlattenHead, PatchReconstructionHead
from tsfm.nn.patching import n_patches, patchify
from tsfm.nn.revin import RevIN

__all__ = [
    "ExponentialDecomposition",
    "dema_matrix",
    "ema_matrix",
    "FlattenHead",
    "FlowHead",
    "PatchBackbone",
    "PatchEmbedding",
    "PatchReconstructionHead",
    "RevIN",
    "TransformerEncoder",
    "fold_channels",
    "n_patches",
    "patchify",
    "unfold_channels",
]
