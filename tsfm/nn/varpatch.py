"""Variable-length patches: where they start, and fixed-size embeddings of them (EntroPE's
Entropy-based Dynamic Patcher and Adaptive Patch Encoder, usable by any model).

A patching of ``B`` series of ``L`` steps is a boolean start mask ``(B, L)`` (step 0 always
starts a patch); :func:`patch_index` numbers each step's patch. Patches are kept in slots
``0 .. P-1`` in time order; a series with fewer patches leaves its last slots empty.

- :func:`entropy_starts` starts a patch after every step whose entropy exceeds a quantile of
  the series' entropies (a threshold crossing) or rises by more than ``jump`` over the previous
  step's (a jump).
- :func:`bound_patches` splits patches longer than ``max_patch_len`` (as the official
  ``split_large_numbers``) and then keeps the patch count within ``[min_patches, max_patches]``,
  dropping the weakest boundaries or adding the strongest steps.
- :class:`VariablePatchEncoder` pools the step states of each patch (max) into a query and
  refines it by cross-attention over the steps of its patch (and of the ``window - 1`` patches
  before it), giving ``(B, P, d_model)`` whatever the patches' lengths.
"""

from __future__ import annotations

import torch
from torch import nn

from tsfm.nn.encoder import CrossAttention


def entropy_starts(
    entropy: torch.Tensor, quantile: float | None = None, jump: float | None = None
) -> torch.Tensor:
    """Patch starts from per-step entropies.

    Parameters
    ----------
    entropy : Tensor, shape (B, L)
        ``entropy[:, t]``: uncertainty about step ``t + 1`` given steps up to ``t``.
    quantile : float, optional
        A crossing: entropy above this quantile of its own series' ``L`` entropies.
    jump : float, optional
        A jump: entropy higher than the previous step's by more than this.

    Returns
    -------
    BoolTensor, shape (B, L)
        True at step 0 and at ``t + 1`` for every crossing or jump at ``t``.
    """
    crossing = torch.zeros_like(entropy, dtype=torch.bool)
    if quantile is not None:
        threshold = torch.quantile(entropy.float(), quantile, dim=1, keepdim=True)
        crossing |= entropy > threshold
    if jump is not None:
        crossing[:, 1:] |= entropy[:, 1:] - entropy[:, :-1] > jump
    starts = torch.zeros_like(crossing)
    starts[:, 0] = True
    starts[:, 1:] = crossing[:, :-1]
    return starts


def bound_patches(
    starts: torch.Tensor,
    strength: torch.Tensor,
    max_patch_len: int | None = None,
    min_patches: int = 1,
    max_patches: int | None = None,
) -> torch.Tensor:
    """Patch starts with no patch longer than ``max_patch_len`` and a bounded count.

    Parameters
    ----------
    starts : BoolTensor, shape (B, L)
        Proposed starts (step 0 among them).
    strength : Tensor, shape (B, L)
        How strongly each step calls for a start (e.g. the entropy before it): the weakest
        proposed starts go first when there are too many, the strongest other steps are added
        when there are too few.
    max_patch_len : int, optional
        Longer patches are cut into pieces of this length from their start (and a remainder).
    min_patches, max_patches : int
        Bounds on the patch count (``max_patches`` None: ``L``). They win over
        ``max_patch_len`` when the two conflict; starts made by the cuts are dropped last.

    Returns
    -------
    BoolTensor, shape (B, L)
    """
    B, L = starts.shape
    steps = torch.arange(L, device=starts.device)
    cuts = torch.zeros_like(starts)
    if max_patch_len is not None:
        last_start = torch.where(starts, steps, 0).cummax(dim=1).values
        cuts = ((steps - last_start) % max_patch_len == 0) & ~starts
    chosen = starts | cuts
    count = chosen.sum(dim=1)
    high = min(max_patches or L, L)
    target = count.clamp(min(min_patches, high), high)
    if bool((target == count).all()):
        return chosen
    low, span = strength.amin(dim=1, keepdim=True), strength.amax(dim=1, keepdim=True)
    scaled = (strength - low) / (span - low).clamp(min=1e-12) * 0.5  # in [0, 0.5]
    key = scaled + starts.to(scaled.dtype) + 2 * cuts.to(scaled.dtype)
    key[:, 0] = float("inf")
    rank = key.argsort(dim=1, descending=True, stable=True).argsort(dim=1)
    return rank < target[:, None]


def patch_index(starts: torch.Tensor) -> torch.Tensor:
    """Each step's patch number, ``(B, L)`` long, from starts ``(B, L)`` (step 0 a start)."""
    return starts.long().cumsum(dim=1) - 1


class VariablePatchEncoder(nn.Module):
    """Fixed-size embeddings of variable-length patches by pooling and cross-attention.

    Parameters
    ----------
    d_model, n_heads : int
        Width of the step states and embeddings; attention heads.
    n_layers : int
        Cross-attention refinements (each with a residual and pre-norms).
    dropout : float
        Dropout on each cross-attention's output.
    window : int
        Patches a patch's query reads: its own (1) and the ``window - 1`` before it.
    """

    def __init__(self, d_model: int, n_heads: int, n_layers: int, dropout: float, window: int = 1):
        super().__init__()
        self.window = window
        self.attention = nn.ModuleList(
            CrossAttention(d_model, n_heads, dropout) for _ in range(n_layers)
        )
        self.norm_queries = nn.ModuleList(nn.LayerNorm(d_model) for _ in range(n_layers))
        self.norm_keys = nn.ModuleList(nn.LayerNorm(d_model) for _ in range(n_layers))

    def forward(
        self, states: torch.Tensor, index: torch.Tensor, n_slots: int
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Embed the patches of ``states``.

        Parameters
        ----------
        states : Tensor, shape (B, L, d_model)
            Step states.
        index : LongTensor, shape (B, L)
            Each step's patch (:func:`patch_index`), below ``n_slots``.
        n_slots : int
            Slots ``P`` of the output.

        Returns
        -------
        embeddings : Tensor, shape (B, P, d_model)
            Zero in empty slots.
        filled : BoolTensor, shape (B, P)
            True for the slots holding a patch.
        """
        B, L, d = states.shape
        slots = torch.arange(n_slots, device=states.device)
        pooled = states.new_zeros(B, n_slots, d).scatter_reduce(
            1, index[..., None].expand(B, L, d), states, "amax", include_self=False
        )
        filled = slots[None] <= index[:, -1:]  # (B, P)
        # Query p reads the steps of patches p - window + 1 .. p.
        key_patch = index[:, None, :]  # (B, 1, L)
        reads = (key_patch <= slots[:, None]) & (slots[:, None] < key_patch + self.window)
        reads = (reads | ~filled[..., None])[:, None]  # empty slots read all (and are zeroed)
        queries = pooled
        for attend, norm_q, norm_k in zip(self.attention, self.norm_queries, self.norm_keys):
            queries = queries + attend(norm_q(queries), norm_k(states), reads)
        return queries * filled[..., None], filled
