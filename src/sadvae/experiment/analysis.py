"""What the reports show of a run beyond its metrics: the unseen-class confusion matrix and a 2-D
projection of the semantic latents (PCA of skeleton and text latents together)."""
from __future__ import annotations

import numpy as np
import torch

from ..methods import style_dim_of
from ..methods.vae import ModelConfig, encode_skeleton, encode_text
from ..pack.names import class_names
from .pipeline import RunResult

MAX_PROJECTED = 2000  # test samples drawn for the latent-space picture


def _pca_2d(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows projected on their first two principal axes; and the share of variance each explains."""
    centred = points - points.mean(0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    var = s ** 2
    coords = centred @ vt[:2].T
    if coords.shape[1] < 2:
        coords = np.pad(coords, ((0, 0), (0, 2 - coords.shape[1])))
    share = var[:2] / max(var.sum(), 1e-12)
    return coords, np.pad(share, (0, 2 - len(share)))


def latent_projection(result: RunResult, k: int, seed: int) -> dict | None:
    """Semantic latents (mean) of up to MAX_PROJECTED unseen-class test samples and the text latents
    of the unseen class names, under the chosen pass's weights, projected together on two PCA axes."""
    weights = result.main.weights[k][int(result.main_pass[k])] if result.main.weights else None
    if weights is None or "text_encoder.weight" not in weights:
        return None  # e.g. the projection baseline, which has no latent space
    pack, cfg = result.pack, result.config
    p = {name: t.unsqueeze(0).float() for name, t in weights.items()}
    semantic = cfg.semantic_dim
    mcfg = ModelConfig(feature_dim=pack.main.features["unseen"].shape[1], text_dim=pack.text.shape[-1],
                       semantic_dim=semantic, style_dim=style_dim_of(cfg.method, cfg.style_dim), mode=cfg.mode)
    x, y = pack.main.features["unseen"], pack.main.labels["unseen"]
    if len(x) > MAX_PROJECTED:
        pick = np.sort(np.random.default_rng(seed).choice(len(x), MAX_PROJECTED, replace=False))
        x, y = x[pick], y[pick]
    text = torch.as_tensor(np.asarray(pack.text, dtype=np.float32))
    text = text / text.norm(dim=-1, keepdim=True)
    if text.dim() == 3:  # several descriptions per class: their mean latent stands for the class
        unseen_text = text[torch.as_tensor(pack.unseen_classes)]
    else:
        unseen_text = text[torch.as_tensor(pack.unseen_classes)].unsqueeze(1)
    with torch.no_grad():
        z = encode_skeleton(p, torch.as_tensor(x, dtype=torch.float32), mcfg)[0].numpy()
        tmu, _ = encode_text(p, unseen_text.reshape(-1, unseen_text.shape[-1]), mcfg)
        tmu = tmu[0].reshape(len(pack.unseen_classes), -1, semantic).mean(1).numpy()
    coords, share = _pca_2d(np.concatenate([z, tmu]).astype(np.float64))
    return {"method": "pca", "explained_variance": share.round(4).tolist(),
            "samples": coords[:len(z)].round(4).tolist(), "labels": y.tolist(),
            "text": coords[len(z):].round(4).tolist(), "classes": pack.unseen_classes.tolist()}


def confusion(result: RunResult, k: int) -> dict:
    """Counts of (true unseen class, predicted unseen class) on the ZSL test set at the chosen pass."""
    classes = np.sort(result.pack.unseen_classes)
    probs = result.main.probs["unseen"][k, int(result.main_pass[k])]
    pred = probs.argmax(-1)
    true = np.searchsorted(classes, result.pack.main.labels["unseen"])
    counts = np.zeros((len(classes), len(classes)), dtype=np.int64)
    np.add.at(counts, (true, pred), 1)
    names = class_names(result.pack)
    return {"classes": classes.tolist(), "names": [names[c] for c in classes] if names else None,
            "counts": counts.tolist()}
