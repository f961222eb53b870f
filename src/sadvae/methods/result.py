"""What training one split produces (`SplitResult`), with the helpers of the single-pass methods."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from .sadvae import VAE_TERMS

LOSS_TERMS = VAE_TERMS + ("discriminator",)  # SA-DVAE's; a method may log others (SplitResult.loss_terms)


@dataclass
class SplitResult:
    """Everything one split's training produced, per replica (seed) and per pass."""

    seeds: list[int]
    unseen_classes: np.ndarray
    probs: dict[str, np.ndarray]  # set name -> (K, passes, n, U) ZSL softmax
    classifier_weight: np.ndarray  # (K, passes, U, S); with zsl_fits > 1, the last fit's (probs average all)
    classifier_bias: np.ndarray  # (K, passes, U)
    losses: np.ndarray  # (passes, len(LOSS_TERMS)): mean of each pass's readings, averaged over replicas
    weights: list[list[dict[str, torch.Tensor]]] = field(default_factory=list)  # [k][pass] -> named tensors
    zsl_logits: dict[str, np.ndarray] = field(default_factory=dict)  # like probs: the scores before the softmax,
    # for methods whose ZSL and seen-class scores share one space (anchor; stacking on logits)
    loss_terms: tuple[str, ...] = LOSS_TERMS  # the columns of `losses`


# results of methods without a training loop (projection, anchor)

def unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def single_pass_result(seeds, unseen, probs, targets) -> SplitResult:
    """One pass, the same for every seed; `targets` (U, D) stands in for the classifier weight."""
    k = len(seeds)
    return SplitResult(seeds=list(seeds), unseen_classes=unseen, probs=probs,
                       classifier_weight=np.broadcast_to(targets[None, None], (k, 1, *targets.shape)).copy(),
                       classifier_bias=np.zeros((k, 1, len(unseen))),
                       losses=np.full((1, len(LOSS_TERMS)), np.nan), weights=[])
