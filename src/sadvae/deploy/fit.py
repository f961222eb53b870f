"""A model of every labelled class (`sadvae fit`): raw skeletons + class texts -> an anchor bundle.

Where `sadvae features` holds classes out for a zero-shot protocol, this trains the text-anchored
encoder on all labelled classes, for a user who wants to name new actions on their own recordings:

1. samples are split by performer: a share of the performers is held out for early stopping (at
   random within each class when the data names no performers);
2. the encoder (text head, the descriptions when given, else the names in our templates) learns
   every class on the others;
3. the GZSL gate (calibrated stacking) needs classes the encoder never saw: for each of several
   draws of validation classes from the labelled ones, a second encoder learns the remaining
   classes, and its scores on the held-out performers (and on every sample of the validation
   classes) are pooled over the draws to choose the stacking margin (on the shared cosine scores);
   the same draws calibrate the probabilities and the "none of these" threshold (`confidence.py`);
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
from ..data.skeletons import SkeletonSet
from ..encoder.stgcn import EncoderConfig
from ..encoder.training import extract, rival_groups, train_encoder
from ..errors import SadvaeError
from ..experiment.gate import StackingDraw, fit_stacking_pooled
from ..encoder.settings import EncoderSettings
from ..pack.text import (OFFLINE_DEFAULT, ClassTexts, encode_classes, name_prompts, read_descriptions, styled_texts,
                         with_names)
from .bridge import bridge_scores, bridged, check_scoring
from .export import write_anchor_bundle
from .confidence import DrawCosines, calibrate


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
    balance: bool = True  # several datasets: each training batch draws every dataset equally often
    merge_classes: bool = True  # several datasets: the same class name in two of them is one class
    scoring: str = "direct"  # how the bundle ranks given classes by default: direct or bridged (bridge.py)


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
            if len(idx) > 1:  # a class of one recording keeps it for training
                held[rng.choice(idx, max(1, round(settings.holdout * len(idx))), replace=False)] = True
        how = f"{settings.holdout:.0%} of each class held out at random"
    missing = sorted(set(np.unique(labels).tolist()) - set(np.unique(labels[~held]).tolist()))
    if missing:
        raise SadvaeError(f"fit: expected training samples of every class outside the held-out performers, found "
                          f"none for classes {missing[:8]} ({how})")
    return held, how


@dataclass
class TrainingData:
    """What the encoders of a model learn from: the skeletons, the texts of their classes, the held-out
    samples, the sampling weights and the preprocessing."""

    skeletons: SkeletonSet
    texts: ClassTexts
    held: np.ndarray  # (N,) True: held out for early stopping and calibration
    how: str  # how the held-out samples were chosen
    weights: np.ndarray | None  # (N,) sampling weights (several datasets), or None: each sample once per epoch
    preprocessing: Preprocessing
    manifest: dict  # what the bundle's manifest says of the data
    groups: tuple[np.ndarray, np.ndarray] | None = None  # (dataset of each sample (N,), (datasets, classes) bool)
    drawable: np.ndarray | None = None  # the classes a calibration draw may hold out (None: every class)
    _styled: dict = dataclasses.field(default_factory=dict, init=False, repr=False, compare=False)  # style_text's

    def inputs(self, progress: bool = False) -> np.ndarray:
        return preprocess(self.skeletons, self.preprocessing, progress=progress)

    def style_text(self, text_model: str | None) -> tuple[np.ndarray, np.ndarray] | None:
        """(per sample the row of its (class, style) pair or -1, the pairs' texts encoded (K, M, D)) for
        `style_texts`, or None where no sample has a style; encoded once per text model."""
        if text_model not in self._styled:
            index, pairs = styled_texts(self.texts.texts, self.skeletons.labels, self.skeletons.styles)
            self._styled[text_model] = (index, encode_classes(pairs, text_model, ensemble=True)) if pairs else None
        return self._styled[text_model]


def training_data(skeletons: SkeletonSet, settings: FitSettings) -> TrainingData:
    """One dataset in its own joint layout, with settings.descriptions (else its class names)."""
    names = list(skeletons.class_names)
    texts = ClassTexts([[n] for n in names], "the skeleton data's class names", f"{len(names)} class names")
    mode = "lb"
    if settings.name_prompts:
        texts, mode = name_prompts(names, source="the skeleton data's class names"), "prompt"
    if settings.descriptions:
        mode = "desc"
        texts = settings.descriptions
        if not isinstance(texts, ClassTexts):
            texts = read_descriptions(texts, len(names), names)
        elif len(texts.texts) != len(names):
            raise SadvaeError(f"{texts.source}: expected descriptions of all {len(names)} classes of the "
                              f"skeleton data, found {len(texts.texts)} classes")
        if settings.names_in_texts:
            texts = ClassTexts(with_names(names, texts.texts), f"{texts.source} and the class names", texts.note)
    _check_classes(skeletons)
    held, how = _held_out(skeletons.labels, skeletons.subjects, settings)
    return TrainingData(skeletons, texts, held, how, None, settings.preprocessing(skeletons),
                        {"text_mode": mode,
                         "trained_on": f"all {len(names)} labelled classes"})


def sources_training_data(sources, settings: FitSettings) -> TrainingData:
    """Several datasets (`data.sources.Source`, each with its class texts): every source in the shared
    skeleton space at one frame rate, the union of their classes (the same name is one class when
    settings.merge_classes), performers held out within each dataset, and sampling weights that draw
    each dataset equally often (settings.balance)."""
    from ..data.sources import PERFORMER_STRIDE
    from ..pack.sources import combine_sources, datasets_manifest

    data = combine_sources(sources, settings.name_prompts, settings.merge_classes, settings.balance,
                           settings.names_in_texts)
    combined = data.combined
    skeletons = combined.skeletons
    _check_classes(skeletons)
    held = np.zeros(len(skeletons), dtype=bool)
    hows = []
    for d, name in enumerate(combined.names):
        rows = np.flatnonzero(combined.dataset == d)
        if name in combined.train_only:  # generated: every sample is learned from, none judges the training
            hows.append(f"{name}: none held out (training material only)")
            continue
        subjects = skeletons.subjects[rows] - d * PERFORMER_STRIDE  # the dataset's own performer ids
        mask, how = _held_out(skeletons.labels[rows], None if (subjects < 0).any() else subjects,
                              dataclasses.replace(settings, seed=settings.seed + d))
        held[rows] = mask
        hows.append(f"{name}: {how}")
    manifest = {"text_mode": data.text_mode, "trained_on": f"{len(skeletons.class_names)} classes of "
                + ", ".join(combined.names), "datasets": datasets_manifest(combined),
                "balanced_batches": settings.balance, "merged_classes": settings.merge_classes}
    return TrainingData(skeletons, data.texts, held, "; ".join(hows), data.weights, settings.preprocessing(skeletons),
                        manifest | {"rival_classes": settings.rival_classes}, (combined.dataset, combined.class_mask()),
                        combined.real_classes() if combined.train_only else None)


def fit_all_classes(skeletons, out, settings: FitSettings, progress: bool = True, log=print) -> dict:
    """Train on every labelled class of `skeletons`, calibrate the gate, write an anchor bundle to `out`.
    The skeletons keep their own joint layout (several datasets: `fit_sources`)."""
    _check_out(out, settings)
    return _fit(training_data(skeletons, settings), out, settings, progress, log)


def fit_sources(sources, out, settings: FitSettings, progress: bool = True, log=print) -> dict:
    """One model of several datasets (see `sources_training_data`), written as an anchor bundle to `out`."""
    _check_out(out, settings)
    data = sources_training_data(sources, settings)
    log(f"[sadvae] {len(data.manifest['datasets'])} datasets in the shared space: "
        + ", ".join(f"{k} {v['sequences']} sequences" for k, v in data.manifest["datasets"].items()))
    return _fit(data, out, settings, progress, log)


def _check_out(out, settings: FitSettings) -> None:
    if Path(out).exists() and not settings.force:
        raise SadvaeError(f"{out}: expected no earlier model here, found one (use --force to replace it)")
    if settings.calibration_draws < 1:
        raise SadvaeError(f"--calibration-draws: expected at least 1, found {settings.calibration_draws}")


def _check_classes(skeletons) -> None:
    n_classes = len(skeletons.class_names)
    present = np.unique(skeletons.labels)
    if len(present) != n_classes:
        raise SadvaeError(f"fit: expected samples of all {n_classes} named classes, found none for "
                          f"{sorted(set(range(n_classes)) - set(present.tolist()))[:8]}")


def train_classes(data: TrainingData, x: np.ndarray, class_text: np.ndarray, classes: np.ndarray,
                  settings: FitSettings, seed: int, desc: str = "encoder", progress: bool = False, log=None):
    """The text-anchored encoder of `classes`, trained on their samples outside `data.held` (early
    stopping on the held-out ones); `x` the preprocessed inputs, `class_text` (N, M, D)."""
    labels = data.skeletons.labels
    fit, hold = ~data.held & np.isin(labels, classes), data.held & np.isin(labels, classes)
    prep = data.preprocessing
    config = EncoderConfig(layout=prep.layout, n_classes=len(classes), channels=settings.channels,
                           strides=settings.strides, embed_dim=settings.embed_dim, bodies=prep.bodies,
                           streams=settings.streams, head="text", text_dim=class_text.shape[2],
                           text_members=class_text.shape[1])
    training = dataclasses.replace(settings.training, seed=seed)
    styled = data.style_text(settings.text_model) if settings.style_texts else None
    groups = None
    if settings.rival_classes == "dataset" and data.groups is not None:
        groups = rival_groups(data.groups, fit, hold, classes)
    enc = train_encoder(x[fit], labels[fit], x[hold], labels[hold], classes, config, prep, training,
                        progress=progress, desc=desc, class_text=class_text,
                        sample_weights=None if data.weights is None else data.weights[fit],
                        sample_text=None if styled is None else (styled[0][fit], styled[1]), sample_groups=groups)
    if log is not None:
        best = enc.history[enc.best_epoch]
        log(f"[sadvae] {desc}: {len(classes)} classes, best held-out accuracy {100 * best['holdout_accuracy']:.1f}% "
            f"at epoch {enc.best_epoch + 1}/{len(enc.history)}")
    return enc


def _fit(data: TrainingData, out, settings: FitSettings, progress: bool, log) -> dict:
    """The encoder of every class, the calibration draws, the bundle (see the module docstring)."""
    t0 = time.perf_counter()
    out = Path(out)
    names = list(data.skeletons.class_names)
    n_classes = len(names)
    labels, held = data.skeletons.labels, data.held
    present = np.unique(labels)
    drawable = np.arange(n_classes) if data.drawable is None else data.drawable
    n_val = max(1, round(settings.validation_share * len(drawable)))
    if n_classes - n_val < 2:
        raise SadvaeError(f"fit: expected at least {n_val + 2} classes (validation draws of {n_val} keep two to "
                          f"learn), found {n_classes}")
    class_text = encode_classes(data.texts.texts, settings.text_model, ensemble=True)  # (N, M, D)
    x = data.inputs(progress)
    log(f"[sadvae] {len(data.skeletons)} sequences, {n_classes} classes; {data.how} ({held.sum()} samples)")
    if settings.style_texts:
        styled = data.style_text(settings.text_model)
        log(f"[sadvae] style texts: {len(styled[1])} (class, style) pairs" if styled is not None else
            "[sadvae] style texts: no sample has a style; every sample learns its class's plain texts")

    def train(classes, desc, seed):
        return train_classes(data, x, class_text, classes, settings, seed, desc, progress, log)

    t_encoder = time.perf_counter()
    encoder = train(present, "encoder (all classes)", settings.training.seed)
    encoder_seconds = time.perf_counter() - t_encoder
    rng = np.random.default_rng(settings.seed + 1)
    check_scoring(settings.scoring)
    draws, calibration, cosines, ranked = [], [], [], []
    for d in range(settings.calibration_draws):
        val = np.sort(rng.choice(n_classes, n_val, replace=False) if data.drawable is None else
                      rng.choice(drawable, n_val, replace=False))
        rest = np.setdiff1d(present, val)
        enc = train(rest, f"calibration draw {d + 1}/{settings.calibration_draws}", settings.training.seed + 1 + d)
        unseen_idx = np.flatnonzero(np.isin(labels, val))  # never seen by this encoder
        seen_idx = np.flatnonzero(held & np.isin(labels, rest))
        feats, logits = extract(enc, x[np.r_[unseen_idx, seen_idx]], n_classes, settings.training.device)
        zsl = _zsl_logits(enc, feats, class_text[val])
        u = len(unseen_idx)
        scale = float(enc.model.log_scale.detach().exp())
        truth = np.searchsorted(val, labels[unseen_idx])
        cosines.append(DrawCosines(zsl[:u] / scale, truth, scale))
        unit = feats[:u] / np.maximum(np.linalg.norm(feats[:u], axis=1, keepdims=True), 1e-12)
        ranked.append(DrawCosines(bridged(zsl[:u] / scale, bridge_scores(enc.model, unit, class_text[val])), truth,
                                  scale))
        draws.append(StackingDraw(zsl[:u], logits[:u], labels[unseen_idx], zsl[u:], logits[u:], labels[seen_idx],
                                  rest, val))
        calibration.append({"validation_classes": val.tolist(), "pseudo_unseen_samples": int(u),
                            "seen_samples": int(len(seen_idx))})
    gate = fit_stacking_pooled(draws, scores="logits")
    log(f"[sadvae] gate: calibrated stacking over {len(draws)} draws, margin "
        f"{gate.threshold:.3f} on the cosine scores (validation H {100 * gate.holdout_accuracy:.1f}%)")
    # the validation classes' top-1 by either scoring: what the bundle's default was measured to give here
    top1 = {way: float(np.mean(np.concatenate([d.cosines.argmax(1) == d.truth for d in ds])))
            for way, ds in (("direct", cosines), ("bridged", ranked))}
    log(f"[sadvae] scoring: {settings.scoring}; the calibration draws' new classes named at top-1 "
        f"{100 * top1['direct']:.1f}% direct, {100 * top1['bridged']:.1f}% bridged")
    try:
        confidence = c = calibrate(cosines)
        if settings.scoring == "bridged":  # the probabilities are a softmax of the bridged scores: calibrated on them
            on = calibrate(ranked)
            c |= {key: on[key] for key in ("beta", "ece_before", "ece_after")} | {"beta_on": "bridged scores"}
        log(f"[sadvae] confidence: inverse temperature {c['beta']:.1f} on the cosines (ECE "
            f"{100 * c['ece_before']:.1f}% -> {100 * c['ece_after']:.1f}%, {c['held_out']}); "
            f"'none of these' below cosine {c['none_cosine']:.3f}: said for "
            f"{100 * c['none_when_left_out']:.0f}% of recordings whose class was not asked, "
            f"{100 * c['none_when_asked']:.0f}% of those whose class was")
    except SadvaeError as exc:  # a model is still useful without it; predict --allow-none says why not
        confidence = {"unavailable": str(exc)}
        log(f"[sadvae] confidence: not calibrated ({exc})")
    epochs = len(encoder.history)
    clips_per_second = epochs * int((~held).sum()) / max(encoder_seconds, 1e-9)
    write_anchor_bundle(out, encoder, gate, names, settings.text_model or OFFLINE_DEFAULT, True, force=settings.force,
                        extra={**data.manifest, "class_texts": data.texts.source, "holdout": data.how,
                               "style_texts": settings.style_texts,
                               "calibration": calibration, "confidence": confidence, "scoring": settings.scoring,
                               "validation_top1": top1,
                               "encoder_history": {"epochs_run": epochs, "best_epoch": encoder.best_epoch,
                                                   "objective": settings.training.objective,
                                                   "clips_per_second": round(clips_per_second, 1)}})
    return {"classes": n_classes, "holdout": data.how, "gate": gate.__dict__, "calibration": calibration,
            "confidence": confidence, "validation_top1": top1,
            "seconds": time.perf_counter() - t0, "out": str(out), "encoder_seconds": encoder_seconds,
            "encoder_clips_per_second": clips_per_second}


def _zsl_logits(encoder, feats: np.ndarray, text: np.ndarray) -> np.ndarray:
    """Scaled cosines to the given classes' texts (C, M, D) by the encoder's text head, for its features."""
    import torch

    with torch.no_grad():
        return encoder.model.text_logits(torch.as_tensor(feats), torch.as_tensor(text)).numpy().astype(np.float64)
