"""Projection (`--method projection`), a baseline without a generative model: a ridge regression
maps standardised skeleton features to the L2-normalised text embedding of their class; a sample's
ZSL probabilities are a softmax over the cosine similarities of its projection to the unseen
classes' embeddings. One "pass", no
randomness: every seed gives the same numbers (the spread over seeds is zero by construction).
"""
from __future__ import annotations

import numpy as np

from .result import SplitResult, single_pass_result, unit

PROJECTION_ALPHA = 1.0  # ridge penalty on standardised features
PROJECTION_TEMPERATURE = 0.1  # softmax temperature over cosine similarities


def projection_split(x: np.ndarray, y: np.ndarray, text: np.ndarray, unseen: np.ndarray, sets: dict,
                     seeds: list[int]) -> SplitResult:
    from sklearn.linear_model import Ridge

    class_text = unit(unit(text).mean(1) if text.ndim == 3 else text)  # ensembles: mean description
    mean, std = x.mean(0), x.std(0) + 1e-6
    ridge = Ridge(alpha=PROJECTION_ALPHA).fit((x - mean) / std, class_text[y])
    unseen = np.sort(unseen)
    targets = class_text[unseen]  # (U, D)
    probs = {}
    for name, feats in sets.items():
        cos = unit(ridge.predict((feats - mean) / std)) @ targets.T
        z = cos / PROJECTION_TEMPERATURE
        e = np.exp(z - z.max(1, keepdims=True))
        probs[name] = np.broadcast_to((e / e.sum(1, keepdims=True))[None, None], (len(seeds), 1, *cos.shape)).copy()
    return single_pass_result(seeds, unseen, probs, targets)
