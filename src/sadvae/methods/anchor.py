"""Anchor (`--method anchor`): zero-shot with the skeleton encoder's own text-anchored head.

For a pack built by `sadvae features` with `--head text`: each unseen class's prototype is its
text embedding through the encoder's learned projection; a sample's ZSL probabilities are a softmax
over its scaled cosine similarities to the unseen prototypes. Its seen-class logits (`*_out`) are
the same head's scores over the seen classes, so the two classifiers share one space. One "pass",
no randomness.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ..encoder.training import TrainedEncoder
from ..errors import SadvaeError
from .result import SplitResult, single_pass_result, unit


def anchor_split(folder, text: np.ndarray, unseen: np.ndarray, sets: dict, seeds: list[int]) -> SplitResult:
    """ZSL softmax of each set over `unseen` by the text head of the encoder stored in `folder`."""
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
        z = scale * (unit(feats) @ proto.numpy().T)
        e = np.exp(z - z.max(1, keepdims=True))
        probs[name] = np.broadcast_to((e / e.sum(1, keepdims=True))[None, None], (len(seeds), 1, *z.shape)).copy()
        logits[name] = np.broadcast_to(z[None, None], (len(seeds), 1, *z.shape)).copy()
    result = single_pass_result(seeds, unseen, probs, proto.numpy())
    result.zsl_logits = logits
    return result
