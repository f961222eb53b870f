"""Simple baselines in the same four-stage framework (`--method projection`).

Projection: a ridge regression maps standardised skeleton features to the L2-normalised text
embedding of their class; a sample's ZSL probabilities are a softmax over the cosine similarities
of its projection to the unseen classes' embeddings. One "pass", no randomness: every seed gives
the same numbers (the spread over seeds is zero by construction).
"""
from __future__ import annotations

import numpy as np

from .train import LOSS_TERMS, SplitResult

PROJECTION_ALPHA = 1.0  # ridge penalty on standardised features
PROJECTION_TEMPERATURE = 0.1  # softmax temperature over cosine similarities


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def projection_split(x: np.ndarray, y: np.ndarray, text: np.ndarray, unseen: np.ndarray, sets: dict,
                     seeds: list[int]) -> SplitResult:
    from sklearn.linear_model import Ridge

    class_text = _unit(_unit(text).mean(1) if text.ndim == 3 else text)  # ensembles: mean description
    mean, std = x.mean(0), x.std(0) + 1e-6
    ridge = Ridge(alpha=PROJECTION_ALPHA).fit((x - mean) / std, class_text[y])
    unseen = np.sort(unseen)
    targets = class_text[unseen]  # (U, D)
    probs = {}
    for name, feats in sets.items():
        cos = _unit(ridge.predict((feats - mean) / std)) @ targets.T
        z = cos / PROJECTION_TEMPERATURE
        e = np.exp(z - z.max(1, keepdims=True))
        probs[name] = np.broadcast_to((e / e.sum(1, keepdims=True))[None, None], (len(seeds), 1, *cos.shape)).copy()
    k = len(seeds)
    return SplitResult(seeds=list(seeds), unseen_classes=unseen, probs=probs,
                       classifier_weight=np.broadcast_to(targets[None, None], (k, 1, *targets.shape)).copy(),
                       classifier_bias=np.zeros((k, 1, len(unseen))),
                       losses=np.full((1, len(LOSS_TERMS)), np.nan), weights=[])
