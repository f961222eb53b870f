"""Methods without a generative model, in the same four-stage framework.

Anchor (`--method anchor`): zero-shot with the skeleton encoder's own text-anchored head (a pack
built by `sadvae features` with `--head text`): each unseen class's prototype is its text embedding
through the encoder's learned projection; a sample's ZSL probabilities are a softmax over its
scaled cosine similarities to the unseen prototypes. Its seen-class logits (`*_out`) are the same
head's scores over the seen classes, so the two classifiers share one space. One "pass", no
randomness.

Projection (`--method projection`): a ridge regression maps standardised skeleton features to
the L2-normalised text embedding of their class; a sample's ZSL probabilities are a softmax over
the cosine similarities of its projection to the unseen classes' embeddings. One "pass", no
randomness: every seed gives the same numbers (the spread over seeds is zero by construction).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .train import LOSS_TERMS, SplitResult

PROJECTION_ALPHA = 1.0  # ridge penalty on standardised features
PROJECTION_TEMPERATURE = 0.1  # softmax temperature over cosine similarities


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def anchor_split(folder, text: np.ndarray, unseen: np.ndarray, sets: dict, seeds: list[int]) -> SplitResult:
    """ZSL softmax of each set over `unseen` by the text head of the encoder stored in `folder`."""
    import torch

    from .encoder import TrainedEncoder
    from .errors import SadvaeError

    path = Path(folder) / "encoder.safetensors"
    if not path.is_file():
        raise SadvaeError(f"{path}: method anchor expects the encoder that made the features (a pack built by "
                          "sadvae features), found no such file")
    model = TrainedEncoder.load(path).model
    cfg = model.config
    if cfg.head != "text":
        raise SadvaeError(f"{path}: method anchor expects an encoder with the text head (sadvae features --head "
                          f"text), found the {cfg.head} head")
    class_text = text if text.ndim == 3 else text[:, None]
    if class_text.shape[-1] != cfg.text_dim:
        raise SadvaeError(f"{path}: expected {cfg.text_dim}-d class texts like the encoder was trained with (the "
                          f"same text model), found {class_text.shape[-1]}-d text features")
    unseen = np.sort(unseen)
    with torch.no_grad():
        unit_text = torch.nn.functional.normalize(torch.from_numpy(class_text[unseen]).float(), dim=-1)
        proto = model.prototypes(unit_text)  # (U, E)
        scale = float(model.log_scale.exp())
    probs, logits = {}, {}
    for name, feats in sets.items():
        z = scale * (_unit(feats) @ proto.numpy().T)
        e = np.exp(z - z.max(1, keepdims=True))
        probs[name] = np.broadcast_to((e / e.sum(1, keepdims=True))[None, None], (len(seeds), 1, *z.shape)).copy()
        logits[name] = np.broadcast_to(z[None, None], (len(seeds), 1, *z.shape)).copy()
    result = _single_pass(seeds, unseen, probs, proto.numpy())
    result.zsl_logits = logits
    return result


def _single_pass(seeds, unseen, probs, targets) -> SplitResult:
    k = len(seeds)
    return SplitResult(seeds=list(seeds), unseen_classes=unseen, probs=probs,
                       classifier_weight=np.broadcast_to(targets[None, None], (k, 1, *targets.shape)).copy(),
                       classifier_bias=np.zeros((k, 1, len(unseen))),
                       losses=np.full((1, len(LOSS_TERMS)), np.nan), weights=[])


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
    return _single_pass(seeds, unseen, probs, targets)
