"""Bridged scoring: a new class named through the training classes a recording resembles.

The direct score of a recording for a given class is the cosine between its embedding and the class's
prototype: the class's text through the encoder's learnt projection. That projection learnt only the
training classes' texts (descriptions, mostly), and a short name far from them ("bow", "respond") can
land anywhere in the skeleton space. The bridge does not use the projection for the new class: it takes
the encoder's own classifier over its training classes, p(s | recording), and carries it to the given
classes through the text model's similarity between texts,

    bridge(x, c) = sum_s p(s | x) * (cos_text(s, c) - mean over s' of cos_text(s', c)),

a class being scored by how much more it resembles the training classes the recording looks like than
the training classes on average (semantic transfer in the manner of ConSE, Norouzi et al. 2014, with the
text model's cosine in place of the prototypes' convex combination).

`bridged` ranks by the direct cosines and the bridge together: each standardised over the given classes
for every recording, averaged, and put back on the cosines' own mean and spread, so that the calibrated
temperature still applies. "None of these" and the seen/new gate keep the direct cosines they were
calibrated on. Measured in docs/results.md (leave one dataset out, PURLS splits).
"""
from __future__ import annotations

import numpy as np
import torch

from ..errors import SadvaeError

SCORINGS = ("direct", "bridged")


def check_scoring(scoring) -> str:
    if scoring not in SCORINGS:
        raise SadvaeError(f"--scoring: expected one of {', '.join(SCORINGS)}, found {scoring!r}")
    return scoring


def _unit(a: np.ndarray) -> np.ndarray:
    return a / np.maximum(np.linalg.norm(a, axis=-1, keepdims=True), 1e-12)


def _mean_text(t: np.ndarray) -> np.ndarray:
    """(C, D), or (C, M, D) ensembles of a class's texts -> (C, D) unit rows."""
    t = np.asarray(t, dtype=np.float64)
    return _unit(_unit(t).mean(1) if t.ndim == 3 else t)


def bridge_scores(model, emb: np.ndarray, text: np.ndarray) -> np.ndarray:
    """(n, C): the bridge of unit embeddings `emb` (n, E) to the given classes' text embeddings `text`
    ((C, D) or (C, M, D)), through `model`'s training classes (its `class_text` buffer, text head)."""
    train_text = model.class_text.detach().cpu()
    with torch.no_grad():
        train_proto = model.prototypes(train_text.to(next(model.parameters()).device)).cpu().numpy()
    logits = float(model.log_scale.detach().exp()) * emb @ train_proto.astype(np.float64).T
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    similar = _mean_text(train_text.numpy()) @ _mean_text(text).T  # (S, C)
    return p @ (similar - similar.mean(0))


def _standardised(scores: np.ndarray) -> np.ndarray:
    return (scores - scores.mean(1, keepdims=True)) / np.maximum(scores.std(1, keepdims=True), 1e-12)


def bridged(cosines: np.ndarray, bridge: np.ndarray) -> np.ndarray:
    """Direct cosines and the bridge, standardised per recording, averaged, on the cosines' scale. One
    given class has nothing to rank: its cosines are returned as they are."""
    if cosines.shape[1] < 2:
        return cosines
    mean, spread = cosines.mean(1, keepdims=True), cosines.std(1, keepdims=True)
    return mean + spread * (_standardised(cosines) + _standardised(bridge)) / 2
