"""A deterministic synthetic feature pack, generated on the fly (the demo and the tests use it).

Skeleton features depend on the class text embedding through one fixed random non-linear map
(shared by all classes, so what is learnt on seen classes transfers to unseen ones), plus a
per-sample style vector through another fixed map, plus noise. The seen-class classifier logits
(`*_out.npy`) come from a nearest-centroid classifier fitted on the training samples of the
classes that classifier is allowed to know.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data.layouts import get_layout
from ..data.skeletons import SkeletonSet
from .build import write_pack


@dataclass(frozen=True)
class SyntheticSpec:
    dataset: str = "demo"
    n_classes: int = 20
    n_unseen: int = 4
    feature_dim: int = 64
    text_dim: int = 96
    style_dim: int = 4
    attribute_dim: int = 6  # class texts vary along this many directions (seen classes must span them)
    train_per_class: int = 80
    test_per_class: int = 30
    val_fraction: float = 0.15  # share of each seen-minus-val class's training samples held out as `val`
    noise: float = 0.35
    seed: int = 0
    encoder: str = "synthetic"
    text_model: str = "synthetic-text"
    unseen_classes: tuple[int, ...] | None = None  # default: drawn with `seed`


def _nearest_centroid_logits(x, centroids, known, n_classes, scale):
    d2 = ((x[:, None, :] - centroids[None, known, :]) ** 2).sum(-1)
    logits = np.full((len(x), n_classes), 0.0, dtype=np.float32)
    known_logits = -d2 / scale
    logits[:] = known_logits.min(1, keepdims=True) - 10.0
    logits[:, known] = known_logits
    return logits


def synthetic_arrays(spec: SyntheticSpec, text: np.ndarray | None = None) -> dict:
    """All arrays of a synthetic pack (see module doc); `text` overrides the random class embeddings."""
    rng = np.random.default_rng(spec.seed)
    n, u = spec.n_classes, spec.n_unseen
    if text is None:  # like real sentence embeddings: correlated, varying along a few directions
        attributes = rng.standard_normal((n, spec.attribute_dim))
        mixing = rng.standard_normal((spec.attribute_dim, spec.text_dim))
        text = (attributes @ mixing + 0.3 * rng.standard_normal((n, spec.text_dim)) + 2.0).astype(np.float32)
    text = np.asarray(text, dtype=np.float32)
    unit = text / np.linalg.norm(text, axis=1, keepdims=True)
    hidden = 2 * spec.feature_dim
    w1 = rng.standard_normal((unit.shape[1], hidden)) * (3.0 / np.sqrt(unit.shape[1]))
    w2 = rng.standard_normal((hidden, spec.feature_dim)) / np.sqrt(hidden)
    prototypes = np.tanh(unit @ w1) @ w2 * 2.0
    style_map = rng.standard_normal((spec.style_dim, spec.feature_dim)) / np.sqrt(spec.style_dim)

    def sample(labels):
        style = rng.standard_normal((len(labels), spec.style_dim)) @ style_map * 0.6
        noise = rng.standard_normal((len(labels), spec.feature_dim)) * spec.noise
        return np.logaddexp(0.0, prototypes[labels] + style + noise).astype(np.float32)  # softplus: GCN-like >= 0

    perm = rng.permutation(n)
    unseen, seen = np.sort(perm[:u]), np.sort(perm[u:])
    if spec.unseen_classes is not None:
        unseen = np.sort(np.asarray(spec.unseen_classes, dtype=np.int64))
        seen = np.setdiff1d(np.arange(n), unseen)
        if len(unseen) != u or len(np.unique(unseen)) != u or unseen.min() < 0 or unseen.max() >= n:
            raise ValueError(f"unseen_classes: expected {u} distinct ids in 0..{n - 1}, found {spec.unseen_classes}")
    val_classes = np.sort(rng.choice(seen, u, replace=False))
    seen_minus_val = np.setdiff1d(seen, val_classes)

    train_y = np.repeat(seen, spec.train_per_class)
    train_x = sample(train_y)
    test_y = np.repeat(np.arange(n), spec.test_per_class)
    test_x = sample(test_y)
    z_mask = np.isin(test_y, unseen)

    centroids = np.zeros((n, spec.feature_dim))
    for c in seen:
        centroids[c] = train_x[train_y == c].mean(0)
    scale = 2.0 * spec.noise ** 2 * spec.feature_dim
    main = {
        "train": train_x, "train_label": train_y,
        "ztest": test_x[z_mask], "z_label": test_y[z_mask],
        "gtest": test_x, "g_label": test_y,
        "gtest_out": _nearest_centroid_logits(test_x, centroids, seen, n, scale),
    }
    # validation split: the held-out `val` samples come from the seen-minus-val training samples
    keep = np.isin(train_y, seen_minus_val)
    sm_x, sm_y = train_x[keep], train_y[keep]
    held = np.zeros(len(sm_y), dtype=bool)
    for c in seen_minus_val:
        idx = np.flatnonzero(sm_y == c)
        held[rng.choice(idx, max(1, int(round(spec.val_fraction * len(idx)))), replace=False)] = True
    vz = np.isin(train_y, val_classes)
    val_centroids = np.zeros_like(centroids)
    for c in seen_minus_val:
        val_centroids[c] = sm_x[~held & (sm_y == c)].mean(0)
    val = {
        "train": sm_x[~held], "train_label": sm_y[~held],
        "ztest": train_x[vz], "z_label": train_y[vz],
        "ztest_out": _nearest_centroid_logits(train_x[vz], val_centroids, seen_minus_val, n, scale),
        "val": sm_x[held], "val_label": sm_y[held],
        "val_out": _nearest_centroid_logits(sm_x[held], val_centroids, seen_minus_val, n, scale),
    }
    return dict(text=text, unseen_classes=unseen, val_classes=val_classes, main=main, val=val)


def make_synthetic_pack(resources, spec: SyntheticSpec = SyntheticSpec(), text: np.ndarray | None = None) -> Path:
    """Write a synthetic pack in the reference layout under `resources` and return it."""
    arrays = synthetic_arrays(spec, text)
    return write_pack(resources, dataset=spec.dataset, encoder=spec.encoder, text_model=spec.text_model, **arrays)


def synthetic_skeletons(n_classes: int = 6, per_subject: int = 2, subjects: int = 4, frames: int = 30,
                        layout: str = "kinect-v1-20", seed: int = 0):
    """A small SkeletonSet of made-up motions for tests and demos: every class swings three joints of
    its own along its own axis at its own frequency; performers differ in body size and speed,
    samples in phase, noise and length."""

    rng = np.random.default_rng(seed)
    lay = get_layout(layout)
    rest = rng.standard_normal((lay.n_joints, 3)) * 0.3
    rest[:, 1] += np.linspace(1.0, -1.0, lay.n_joints)  # roughly upright
    moving = [rng.choice(lay.n_joints, 3, replace=False) for _ in range(n_classes)]
    freq = rng.uniform(0.5, 3.0, n_classes)
    axis = rng.standard_normal((n_classes, 3))
    seqs, labels, subj, ids = [], [], [], []
    for s in range(1, subjects + 1):
        size, speed = rng.uniform(0.8, 1.2), rng.uniform(0.8, 1.2)
        for c in range(n_classes):
            for k in range(per_subject):
                t = np.arange(frames + rng.integers(-5, 6)) / frames
                seq = np.repeat(rest[None], len(t), 0) * size
                swing = np.sin(2 * np.pi * freq[c] * speed * t + rng.uniform(0, 2 * np.pi))
                seq[:, moving[c]] += swing[:, None, None] * axis[c] * 0.5
                seq += rng.standard_normal(seq.shape) * 0.02 + np.array([0.0, 0.0, 3.0])
                seqs.append(seq[:, None].astype(np.float32))
                labels.append(c)
                subj.append(s)
                ids.append(f"c{c}_s{s}_k{k}")
    return SkeletonSet(sequences=seqs, labels=np.array(labels, dtype=np.int64),
                       class_names=[f"motion {c}" for c in range(n_classes)], layout=layout,
                       subjects=np.array(subj, dtype=np.int64), sample_ids=ids)
