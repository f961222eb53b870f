"""Raw skeleton sequences -> a whole feature pack (`sadvae features`).

Classes are split into seen and unseen (and validation classes drawn from the seen ones), samples
into training and test pools (see `prepare`). Two ST-GCN encoders are trained: one on the seen
classes of the training pool (the main split), one on the seen-minus-validation classes (the
validation split), so that neither ever sees a class it will be asked about zero-shot. Their
embeddings and seen-class logits fill the pack; each feature folder also holds the encoder that
made it (`encoder.safetensors`) and how it was trained (`encoder.json`). Text features of the class
names (mode `lb`), of the names in our templates (mode `prompt`, an ensemble: `text.NAME_TEMPLATES`)
and, when given, of the class descriptions (mode `desc`, an ensemble of several per class) are
written too, unless asked not to. Several datasets make one pack in the shared skeleton space
(`build_sources_pack`).

With the text head (the default), each encoder learns its classes against their text embeddings
(the descriptions when given, else the names in the templates, or the bare names with
`name_prompts=False`), so its embedding space is organised by the class texts; see `stgcn.py`.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data.preprocess import preprocess
from ..encoder import distributed
from ..encoder.stgcn import EncoderConfig
from ..encoder.settings import EncoderSettings
from ..encoder.training import EncoderTraining, extract, rival_groups, train_encoder, training_summary
from ..errors import SadvaeError
from .build import (ClassSplit, SamplePartition, check_targets, choose_classes, more_validation_draws, pack_targets,
                    partition_samples, split_arrays, write_split_pack)
from .text import (ClassTexts, encode_classes, load_model, name_prompts, read_descriptions, styled_texts,
                   text_features_path, with_names, write_text_features)


@dataclass
class FeatureSettings(EncoderSettings):
    """A feature pack from skeletons: the class split, the encoder (`EncoderSettings`: preprocessing,
    shape, training) and what else the pack gets."""

    dataset: str
    n_unseen: int | None = None
    unseen_classes: list[int] | None = None
    val_classes: list[int] | None = None
    split_seed: int = 0
    train_subjects: list[int] | None = None
    test_fraction: float = 0.5
    holdout: float = 0.2
    holdout_performers: float | None = None  # instead: this share of the training performers held out
    encoder_name: str = "stgcn"
    split_type: str = "r"
    dropout: float = 0.2
    head: str = "text"  # "text" (text-anchored prototypes) or "classifier" (plain ST-GCN)
    descriptions: str | None = None  # class descriptions: a built-in list (utd27-desc) or a CSV idx,description
    text_model: str | None = None  # None: the offline default
    write_text: bool = True
    force: bool = False
    balance: bool = True  # several datasets: each training batch draws every dataset equally often
    merge_classes: bool = True  # several datasets: the same class name in two of them is one class
    val_draws: int = 1  # validation class draws, each with its own encoder (1: the authors' layout)


def _encoder_files(encoder, training: EncoderTraining, extra: dict) -> dict[str, bytes]:
    summary = training_summary(encoder, training) | extra
    return {"encoder.safetensors": encoder.to_bytes(), "encoder.json": json.dumps(summary, indent=2).encode()}


def build_sources_pack(sources, resources, settings: FeatureSettings, progress: bool = True, log=print) -> dict:
    """A feature pack of several datasets (`data.sources.Source`, each with its class texts): the shared
    skeleton space, the union of their classes (one class per name when settings.merge_classes),
    batches drawing each dataset equally often (settings.balance); the class split draws from the
    union, and each dataset's performers are split as one dataset's are (odd ones train)."""
    from ..data.sources import PERFORMER_STRIDE
    from .sources import combine_sources, datasets_manifest

    data = combine_sources(sources, settings.name_prompts, settings.merge_classes, settings.balance,
                           settings.names_in_texts)
    combined = data.combined
    unknown = [name for d, name in enumerate(combined.names)
               if (combined.skeletons.subjects[combined.dataset == d] - d * PERFORMER_STRIDE < 0).any()]
    if unknown and settings.train_subjects is None:
        raise SadvaeError(f"features: expected performer ids in every dataset (the test split is by performer), "
                          f"found none in {', '.join(unknown)}")
    described = data.texts if data.text_mode == "desc" else None
    log(f"[sadvae] {len(combined.names)} datasets in the shared space: "
        + ", ".join(f"{k} {v} sequences" for k, v in combined.counts().items()))
    return build_feature_pack(combined.skeletons, resources, settings, progress, log, descriptions=described,
                              sample_weights=data.weights, sample_groups=(combined.dataset, combined.class_mask()),
                              report_extra={"datasets": datasets_manifest(combined),
                                            "balanced_batches": settings.balance,
                                            "merged_classes": settings.merge_classes,
                                            "rival_classes": settings.rival_classes})


def build_feature_pack(skeletons, resources, settings: FeatureSettings, progress: bool = True, log=print, *,
                       descriptions: ClassTexts | None = None, sample_weights: np.ndarray | None = None,
                       report_extra: dict | None = None,
                       sample_groups: tuple[np.ndarray, np.ndarray] | None = None) -> dict:
    """Train both encoders and write the pack; returns a report (counts, accuracies, timings, paths).
    `descriptions`: the class texts of mode desc, given (instead of settings.descriptions);
    `sample_weights` (N,): the encoders draw their samples in proportion to them; `sample_groups`
    (dataset of each sample, (datasets, classes) bool): with settings.rival_classes "dataset", a
    sample's classes compete only with those of its own dataset."""
    t0 = time.perf_counter()
    root = Path(resources)
    n_classes = len(skeletons.class_names)
    split = choose_classes(n_classes, settings.n_unseen, settings.unseen_classes, settings.val_classes,
                           settings.split_seed)
    more_vals = more_validation_draws(split, settings.val_draws - 1, settings.split_seed)
    check_targets(pack_targets(root, settings.dataset, settings.encoder_name, split, settings.split_type,
                               len(more_vals)), settings.force)
    main_process = distributed.is_main()  # under torchrun only rank 0 writes (and shows progress)
    progress = progress and main_process
    texts = {"lb": ClassTexts([[n] for n in skeletons.class_names], "the skeleton data's class names",
                              f"{n_classes} class names")}
    texts["prompt"] = name_prompts(skeletons.class_names, source="the skeleton data's class names")
    if descriptions is not None:
        if settings.descriptions:
            raise SadvaeError("features: expected the descriptions once (the settings' or the datasets'), found both")
        texts["desc"] = descriptions
    elif settings.descriptions:
        texts["desc"] = read_descriptions(settings.descriptions, n_classes)

    def missing(mode: str) -> bool:
        return not text_features_path(root, settings.dataset, settings.text_model, mode, n_classes).exists()

    write_modes = [mode for mode in texts if settings.write_text and main_process and (settings.force or missing(mode))]
    encoder_text, encoder_source, styled = None, None, None
    if settings.head == "text":  # the encoder learns against the richest class texts there are
        learnt = texts.get("desc") or (texts["prompt"] if settings.name_prompts else texts["lb"])
        if settings.names_in_texts and "desc" in texts and descriptions is None:  # (several datasets: already in)
            learnt = ClassTexts(with_names(skeletons.class_names, learnt.texts), f"{learnt.source} and the class names",
                                learnt.note)
        encoder_source = learnt.source
        encoder_text = encode_classes(learnt.texts, settings.text_model, ensemble=True)  # (N, M, D)
        if settings.style_texts:
            style_index, style_groups = styled_texts(learnt.texts, skeletons.labels, skeletons.styles)
            if style_groups:
                styled = style_index, encode_classes(style_groups, settings.text_model, ensemble=True)
            log(f"[sadvae] style texts: {len(style_groups)} (class, style) pairs")
    elif write_modes:  # fail before hours of training, not after
        load_model(settings.text_model)
    def partition(classes: ClassSplit) -> SamplePartition:
        return partition_samples(skeletons.labels, classes, skeletons.subjects, train_subjects=settings.train_subjects,
                                 test_fraction=settings.test_fraction, holdout=settings.holdout,
                                 holdout_performers=settings.holdout_performers,
                                 seed=settings.split_seed, class_names=skeletons.class_names)

    part = partition(split)
    # a further draw changes only the validation classes: the same seed gives the same training and test pools
    draws = []
    for val in more_vals:
        draw = ClassSplit(n_classes, split.unseen, val)
        draws.append((draw, partition(draw)))
        if not (np.array_equal(draws[-1][1].main_train, part.main_train)
                and np.array_equal(draws[-1][1].holdout, part.holdout)):
            raise SadvaeError("features: expected every validation draw to keep the same sample pools (internal)")
    names = skeletons.class_names
    log(f"[sadvae] {len(skeletons)} sequences, {n_classes} classes; unseen: "
        f"{', '.join(names[c] for c in split.unseen)}; validation: {', '.join(names[c] for c in split.val)}")
    log(f"[sadvae] samples split {part.how}: " + ", ".join(f"{k} {v}" for k, v in part.counts().items()))
    for k, (d, _) in enumerate(draws, start=1):
        log(f"[sadvae] validation draw {k}: {', '.join(names[c] for c in d.val)}")

    prep = settings.preprocessing(skeletons)
    x = preprocess(skeletons, prep, progress=progress)
    labels = skeletons.labels
    report = {"dataset": settings.dataset, "sequences": len(skeletons), "classes": n_classes,
              "unseen_classes": split.unseen.tolist(), "val_classes": split.val.tolist(),
              "more_val_classes": [d.val.tolist() for d, _ in draws],
              "split_seed": settings.split_seed, "partition": part.how, "counts": part.counts(),
              "skipped_files": len(skeletons.skipped), "preprocessing": prep.as_dict(),
              "processes": distributed.world_size() if distributed.active() else 1,
              "head": settings.head, "streams": list(settings.streams),
              "encoder_text": encoder_source, "style_texts": styled is not None} | (report_extra or {})
    encoders, outputs = {}, {}
    fit_main = np.setdiff1d(part.main_train, part.holdout)
    jobs = {"main": (fit_main, part.holdout, split.seen, np.union1d(part.main_train, part.gzsl_test)),
            "val": (part.val_train, part.val_holdout, split.seen_minus_val,
                    np.concatenate([part.val_train, part.val_holdout, part.val_unseen]))}
    for k, (d, p) in enumerate(draws, start=1):
        jobs[f"val{k}"] = (p.val_train, p.val_holdout, d.seen_minus_val,
                           np.concatenate([p.val_train, p.val_holdout, p.val_unseen]))
    for key, (fit, held, classes, needed) in jobs.items():
        t = time.perf_counter()
        text_shape = encoder_text.shape[1:] if encoder_text is not None else (1, 0)
        config = EncoderConfig(layout=skeletons.layout, n_classes=len(classes), channels=settings.channels,
                               strides=settings.strides, embed_dim=settings.embed_dim, dropout=settings.dropout,
                               bodies=prep.bodies, streams=settings.streams, head=settings.head,
                               text_members=text_shape[0], text_dim=text_shape[1])
        enc = train_encoder(x[fit], labels[fit], x[held], labels[held], classes, config, prep, settings.training,
                            progress=progress, desc=f"encoder ({key} split)", class_text=encoder_text,
                            sample_weights=None if sample_weights is None else sample_weights[fit],
                            sample_text=None if styled is None else (styled[0][fit], styled[1]),
                            sample_groups=None if sample_groups is None or settings.rival_classes != "dataset" else
                            rival_groups(sample_groups, fit, held, classes))
        feats = np.zeros((len(x), settings.embed_dim), dtype=np.float32)
        logits = np.zeros((len(x), n_classes), dtype=np.float32)
        if main_process:
            feats[needed], logits[needed] = extract(enc, x[needed], n_classes, settings.training.device)
        encoders[key], outputs[key] = enc, (feats, logits)
        best = enc.history[enc.best_epoch]
        report[f"{key}_encoder"] = {"classes": len(classes), "fit_samples": len(fit), "held_out": len(held),
                                    "epochs_run": len(enc.history), "best_epoch": enc.best_epoch,
                                    "holdout_accuracy": best["holdout_accuracy"], "seconds": time.perf_counter() - t}
        log(f"[sadvae] {key} encoder: {len(classes)} classes, {len(fit)} training samples, best held-out accuracy "
            f"{100 * best['holdout_accuracy']:.1f}% at epoch {enc.best_epoch + 1}/{len(enc.history)} "
            f"({time.perf_counter() - t:.0f} s)")
    if not main_process:
        return report
    main, val = split_arrays(labels, part, *outputs["main"], *outputs["val"])
    more = [(d.val, split_arrays(labels, p, *outputs["main"], *outputs[f"val{k}"])[1])
            for k, (d, p) in enumerate(draws, start=1)]
    extra = {key: _encoder_files(encoders[key], settings.training, {"pack": report | {"split": key}})
             for key in encoders}
    paths = write_split_pack(root, settings.dataset, settings.encoder_name, split, main, val,
                             split_type=settings.split_type, extra=extra, force=settings.force, more_vals=more)
    for mode in write_modes:
        paths.append(write_text_features(root, settings.dataset, texts[mode], settings.text_model, mode,
                                         several="ensemble" if mode != "lb" else None, progress=progress,
                                         force=True))
    report["paths"] = [str(p) for p in paths]
    report["seconds"] = time.perf_counter() - t0
    return report

