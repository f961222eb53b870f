"""A model of every labelled class (`sadvae fit`): raw skeletons + class texts -> an anchor bundle.

Where `sadvae features` holds classes out for a zero-shot protocol, this trains the text-anchored
encoder on all labelled classes, for a user who wants to name new actions on their own recordings:

1. samples are split by performer: a share of the performers is held out for early stopping (at
   random within each class when the data names no performers);
2. the encoder (text head, the descriptions when given) learns every class on the others;
3. the GZSL gate (calibrated stacking) needs classes the encoder never saw: for each of several
   draws of validation classes from the labelled ones, a second encoder learns the remaining
   classes, and its scores on the held-out performers (and on every sample of the validation
   classes) are pooled over the draws to choose the stacking margin (on the shared cosine scores);
4. the encoder, the gate and a manifest (the classes, their names, the text model, the draws) are
   written as an anchor bundle, which `sadvae predict` and `sadvae.load` use.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data.preprocess import Preprocessing, preprocess
from ..encoder.stgcn import EncoderConfig
from ..encoder.training import extract, train_encoder
from ..errors import SadvaeError
from ..experiment.gate import StackingDraw, fit_stacking_pooled
from ..encoder.settings import EncoderSettings
from ..pack.text import OFFLINE_DEFAULT, ClassTexts, encode_classes, read_descriptions
from .bundle import write_anchor_bundle


@dataclass
class FitSettings(EncoderSettings):
    """A model of every labelled class: the encoder (`EncoderSettings`), its texts, the held-out share
    and the calibration of the seen/new decision."""

    descriptions: "str | ClassTexts | None" = None  # a built-in list (utd27-desc), a CSV idx,description, or texts
    text_model: str | None = None
    holdout_performers: float = 0.25  # share of performers held out for early stopping and calibration
    holdout: float = 0.2  # share of samples per class held out when the data names no performers
    calibration_draws: int = 3
    validation_share: float = 0.2  # of the classes, per calibration draw
    seed: int = 0
    force: bool = False


def _held_out(labels: np.ndarray, subjects: np.ndarray | None, settings: FitSettings) -> tuple[np.ndarray, str]:
    """Boolean mask of the held-out samples, and how they were chosen."""
    rng = np.random.default_rng(settings.seed)
    for flag, share in (("--holdout-performers", settings.holdout_performers), ("--holdout", settings.holdout)):
        if not 0 < share < 1:
            raise SadvaeError(f"{flag}: expected a share between 0 and 1, found {share}")
    if subjects is not None and len(np.unique(subjects)) >= 2:
        performers = np.unique(subjects)
        k = min(len(performers) - 1, max(1, round(settings.holdout_performers * len(performers))))
        chosen = np.sort(rng.choice(performers, k, replace=False))
        held = np.isin(subjects, chosen)
        how = f"performers {chosen.tolist()} held out"
    else:
        held = np.zeros(len(labels), dtype=bool)
        for c in np.unique(labels):
            idx = np.flatnonzero(labels == c)
            held[rng.choice(idx, max(1, round(settings.holdout * len(idx))), replace=False)] = True
        how = f"{settings.holdout:.0%} of each class held out at random"
    missing = sorted(set(np.unique(labels).tolist()) - set(np.unique(labels[~held]).tolist()))
    if missing:
        raise SadvaeError(f"fit: expected training samples of every class outside the held-out performers, found "
                          f"none for classes {missing[:8]} ({how})")
    return held, how


def fit_all_classes(skeletons, out, settings: FitSettings, progress: bool = True, log=print) -> dict:
    """Train on every labelled class of `skeletons`, calibrate the gate, write an anchor bundle to `out`."""

    t0 = time.perf_counter()
    out = Path(out)
    if out.exists() and not settings.force:
        raise SadvaeError(f"{out}: expected no earlier model here, found one (use --force to replace it)")
    if settings.calibration_draws < 1:
        raise SadvaeError(f"--calibration-draws: expected at least 1, found {settings.calibration_draws}")
    names = list(skeletons.class_names)
    n_classes = len(names)
    labels = skeletons.labels
    present = np.unique(labels)
    if len(present) != n_classes:
        raise SadvaeError(f"fit: expected samples of all {n_classes} named classes, found none for "
                          f"{sorted(set(range(n_classes)) - set(present.tolist()))[:8]}")
    n_val = max(1, round(settings.validation_share * n_classes))
    if n_classes - n_val < 2:
        raise SadvaeError(f"fit: expected at least {n_val + 2} classes (validation draws of {n_val} keep two to "
                          f"learn), found {n_classes}")
    texts = ClassTexts([[n] for n in names], "the skeleton data's class names", f"{n_classes} class names")
    if settings.descriptions:
        texts = settings.descriptions
        if not isinstance(texts, ClassTexts):
            texts = read_descriptions(texts, n_classes)
        elif len(texts.texts) != n_classes:
            raise SadvaeError(f"{texts.source}: expected descriptions of all {n_classes} classes of the "
                              f"skeleton data, found {len(texts.texts)} classes")
    class_text = encode_classes(texts.texts, settings.text_model, ensemble=True)  # (N, M, D)
    held, how = _held_out(labels, skeletons.subjects, settings)
    bodies = settings.bodies or min(2, max(s.shape[1] for s in skeletons.sequences))
    prep = Preprocessing(layout=skeletons.layout, frames=settings.frames, bodies=bodies, center=settings.center)
    x = preprocess(skeletons, prep, progress=progress)
    log(f"[sadvae] {len(skeletons)} sequences, {n_classes} classes; {how} ({held.sum()} samples)")

    def train(classes: np.ndarray, desc: str, seed: int):
        fit, hold = ~held & np.isin(labels, classes), held & np.isin(labels, classes)
        config = EncoderConfig(layout=skeletons.layout, n_classes=len(classes), channels=settings.channels,
                               strides=settings.strides, embed_dim=settings.embed_dim, bodies=bodies,
                               streams=settings.streams, head="text", text_dim=class_text.shape[2],
                               text_members=class_text.shape[1])
        training = dataclasses.replace(settings.training, seed=seed)
        enc = train_encoder(x[fit], labels[fit], x[hold], labels[hold], classes, config, prep, training,
                            progress=progress, desc=desc, class_text=class_text)
        best = enc.history[enc.best_epoch]
        log(f"[sadvae] {desc}: {len(classes)} classes, best held-out accuracy {100 * best['holdout_accuracy']:.1f}% "
            f"at epoch {enc.best_epoch + 1}/{len(enc.history)}")
        return enc

    encoder = train(present, "encoder (all classes)", settings.training.seed)
    rng = np.random.default_rng(settings.seed + 1)
    draws, calibration = [], []
    for d in range(settings.calibration_draws):
        val = np.sort(rng.choice(n_classes, n_val, replace=False))
        rest = np.setdiff1d(present, val)
        enc = train(rest, f"calibration draw {d + 1}/{settings.calibration_draws}", settings.training.seed + 1 + d)
        unseen_idx = np.flatnonzero(np.isin(labels, val))  # never seen by this encoder
        seen_idx = np.flatnonzero(held & np.isin(labels, rest))
        feats, logits = extract(enc, x[np.r_[unseen_idx, seen_idx]], n_classes, settings.training.device)
        zsl = _zsl_logits(enc, feats, class_text[val])
        u = len(unseen_idx)
        draws.append(StackingDraw(zsl[:u], logits[:u], labels[unseen_idx], zsl[u:], logits[u:], labels[seen_idx],
                                  rest, val))
        calibration.append({"validation_classes": val.tolist(), "pseudo_unseen_samples": int(u),
                            "seen_samples": int(len(seen_idx))})
    gate = fit_stacking_pooled(draws, scores="logits")
    log(f"[sadvae] gate: calibrated stacking over {len(draws)} draws, margin "
        f"{gate.threshold:.3f} on the cosine scores (validation H {100 * gate.holdout_accuracy:.1f}%)")
    write_anchor_bundle(out, encoder, gate, names, settings.text_model or OFFLINE_DEFAULT, True, force=settings.force,
                        extra={"text_mode": "desc" if settings.descriptions else "lb",
                               "trained_on": f"all {n_classes} labelled classes",
                               "class_texts": texts.source, "holdout": how, "calibration": calibration,
                               "encoder_history": {"epochs_run": len(encoder.history),
                                                   "best_epoch": encoder.best_epoch}})
    return {"classes": n_classes, "holdout": how, "gate": gate.__dict__, "calibration": calibration,
            "seconds": time.perf_counter() - t0, "out": str(out)}


def _zsl_logits(encoder, feats: np.ndarray, text: np.ndarray) -> np.ndarray:
    """Scaled cosines to the given classes' texts (C, M, D) by the encoder's text head, for its features."""
    import torch

    with torch.no_grad():
        return encoder.model.text_logits(torch.as_tensor(feats), torch.as_tensor(text)).numpy().astype(np.float64)
