"""Test-time adaptation (transductive: it reads the unlabelled recordings being named, all of them at
once; off unless asked for, and named in every output that used it). Two ways:

`centre`: the recordings' embeddings are centred on their own mean and the asked classes'
prototypes on theirs before the cosine. Recordings of another sensor, room or style share a shift
that can draw them all towards the same few classes; removing the batch's mean removes it. It assumes
the batch holds recordings of several of the asked classes. Measured across datasets in
docs/results.md (leave one dataset out: by names, UTD-MHAD 8.4 -> 14.9, Bandai-Namco 1.4 -> 13.9,
NW-UCLA 29.9 -> 29.3).

`adapt_prototypes` (the default of `--transductive`): a new class's prototype is its text through
the encoder's projection; recordings of that class sit around it but not on it. Given the whole set
of recordings to name, each round soft-assigns every recording to the classes (softmax of `beta` x
cosine) and moves each prototype halfway, on the unit sphere, towards the weighted mean of the
recordings assigned to it (the text keeps an equal say). Two rounds. It helps when the set holds
many recordings of each asked class and hurts when it holds few or when most recordings belong to no
asked class; measured in docs/results.md.
"""
from __future__ import annotations

import numpy as np

from ..errors import SadvaeError

ROUNDS = 2
MIN_PER_CLASS = 2  # recordings per asked class, at least, for a prototype to move


def _unit(a: np.ndarray) -> np.ndarray:
    return a / np.maximum(np.linalg.norm(a, axis=-1, keepdims=True), 1e-12)


def centre(embeddings: np.ndarray, prototypes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unit embeddings (n, d) and prototypes (C, d), each centred on its own mean (see the module
    docstring); at least MIN_PER_CLASS recordings per class and two classes."""
    n, c = len(embeddings), len(prototypes)
    if n < MIN_PER_CLASS * c or c < 2:
        raise SadvaeError(f"--transductive centre: expected at least two classes and {MIN_PER_CLASS * c} recordings "
                          f"({MIN_PER_CLASS} per asked class) to centre on, found {c} and {n}")
    emb, proto = _unit(np.asarray(embeddings, dtype=np.float64)), _unit(np.asarray(prototypes, dtype=np.float64))
    return _unit(emb - emb.mean(0)), _unit(proto - proto.mean(0))


def adapt_prototypes(embeddings: np.ndarray, prototypes: np.ndarray, beta: float, rounds: int = ROUNDS) -> np.ndarray:
    """Unit prototypes (C, d) moved towards the recordings (n, d) they attract (see the module docstring)."""
    n, c = len(embeddings), len(prototypes)
    if n < MIN_PER_CLASS * c:
        raise SadvaeError(f"--transductive: expected at least {MIN_PER_CLASS * c} recordings ({MIN_PER_CLASS} per "
                          f"asked class) to adapt the prototypes to, found {n}")
    emb, text = _unit(np.asarray(embeddings, dtype=np.float64)), _unit(np.asarray(prototypes, dtype=np.float64))
    proto = text
    for _ in range(rounds):
        z = beta * emb @ proto.T
        w = np.exp(z - z.max(axis=1, keepdims=True))
        w /= w.sum(axis=1, keepdims=True)
        centroid = _unit(w.T @ emb / np.maximum(w.sum(axis=0)[:, None], 1e-12))
        proto = _unit(text + centroid)
    return proto
