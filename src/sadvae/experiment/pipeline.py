"""The four stages of SA-DVAE's ZSL/GZSL protocol on a feature pack, and the metrics they produce.

1. train on the main split (seen classes); per pass, ZSL softmax of its `unseen` and `all` sets
   (the roles of `format.py`: the authors' `ztest` and `gtest` files);
2. train on the validation split (seen minus validation classes); per pass, ZSL softmax of its
   pseudo-unseen `unseen` and held-out seen `seen_heldout` samples;
3. fit and calibrate the gate on the validation split;
4. evaluate on `all`: seen accuracy, unseen accuracy, harmonic mean; ZSL top-1 on `unseen`.

Model selection ("which pass"): `val` (default) picks the pass with the best validation-split ZSL
accuracy (pseudo-unseen classes, which are training data) and uses that pass for both splits; no
test label is read before `evaluate`. `test` is the paper protocol: each split keeps its pass with
the best accuracy on its own `unseen` set (for the main split, the unseen TEST set).
"""
from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..data.classnames import N_CLASSES
from ..errors import SadvaeError
from ..io import load_tensors, save_tensors
from ..methods import LOSS_TERMS, SINGLE_PASS, SplitResult, TrainConfig, resolve_device, train_split
from ..pack.format import OLD_ROLE_NAMES, FeaturePack, load_pack, text_modes
from ..version import __version__
from .config import RunConfig, choose_text_mode, default_names, derive_from_pack
from .gate import Gate, StackingDraw, evaluate_gzsl, fit_gate, fit_stacking_pooled

SELECTION_LABELS = {
    "val": "val: pass chosen on the validation split's pseudo-unseen classes (no test label used)",
    "test": "test: pass chosen on the unseen test set (paper protocol)",
}
METRICS = ("zsl_top1", "gzsl_seen", "gzsl_unseen", "gzsl_h")


def open_pack(cfg: RunConfig) -> FeaturePack:
    """Load and validate the run's pack; for a dataset without a preset, first derive the settings that
    were not given from the pack (`config.derive_from_pack`; recorded in the config)."""
    names = default_names(cfg)
    if cfg.to_derive and "text_mode" in cfg.to_derive:  # which text features to load is one of them
        modes = text_modes(cfg.resources, cfg.dataset, cfg.split_name, cfg.text_model)
        cfg.text_mode = choose_text_mode(cfg.method, modes)[0]
    pack = _load(cfg, names)
    apply_pack_defaults(cfg, pack)
    return pack


def apply_pack_defaults(cfg: RunConfig, pack: FeaturePack) -> None:
    """Derive the settings in `cfg.to_derive` from a loaded pack (in place; nothing when none are left)."""
    if cfg.to_derive:  # the text mode is the loaded pack's (open_pack chose it before loading)
        derive_from_pack(cfg, len(pack.main.features["train"]), pack.n_classes, [pack.text_mode], text_head(pack))


def text_head(pack: FeaturePack) -> bool:
    """Whether the pack's main encoder (a pack built by sadvae features) has the text-anchored head."""
    try:
        info = json.loads((pack.main.path / "encoder.json").read_text())
        return info.get("config", {}).get("head") == "text"
    except (OSError, ValueError, AttributeError):
        return False


def _load(cfg: RunConfig, names: dict) -> FeaturePack:
    return load_pack(cfg.resources, cfg.dataset, cfg.unseen, split_name=cfg.split_name, encoder=cfg.encoder,
                     text_model=cfg.text_model, text_mode=cfg.text_mode, split_type=cfg.split_type,
                     n_classes=N_CLASSES.get(cfg.dataset), default_encoder=names.get("encoder"),
                     default_text_model=names.get("text_model"))


def train_config(cfg: RunConfig) -> TrainConfig:
    """The training settings of a run (a RunConfig is a TrainConfig plus the pack and protocol settings)."""
    return TrainConfig(**{f.name: getattr(cfg, f.name) for f in dataclasses.fields(TrainConfig)})


def val_split_names(pack: FeaturePack) -> list[str]:
    """The validation splits of a pack: `val` (the authors' draw), then `val1`, `val2`, ... when written."""
    return ["val"] + [f"val{k}" for k in range(1, len(pack.more_vals) + 1)]


def _split_data(pack: FeaturePack, split: str):
    if split == "main":
        return pack.main, pack.unseen_classes, ("unseen", "all")
    names = val_split_names(pack)
    if split not in names:
        raise SadvaeError(f"--split: expected one of main, {', '.join(names)} (the pack's splits), found {split!r}")
    draw = pack.val_draws()[names.index(split)]
    return draw.data, draw.classes, ("unseen", "seen_heldout")


def split_inputs(pack: FeaturePack, split: str):
    """(train features, train labels, unseen classes, unlabelled evaluation sets) of one split."""
    data, unseen, sets = _split_data(pack, split)
    return data.features["train"], data.labels["train"], unseen, {s: data.features[s] for s in sets}


def train_stage(pack: FeaturePack, split: str, cfg: RunConfig, progress: bool = True,
                keep_weights: bool = True, checkpoint: str | None = None) -> SplitResult:
    x, y, unseen, sets = split_inputs(pack, split)
    if cfg.method in SINGLE_PASS:
        folder = _split_data(pack, split)[0].path
        return SINGLE_PASS[cfg.method](folder, x, y, pack.text, unseen, sets, cfg.seeds)
    device = resolve_device(cfg.device)
    return train_split(x, y, pack.text, unseen, sets, train_config(cfg), cfg.seeds, device,
                       keep_weights=keep_weights, progress=progress, desc=f"{split} split", checkpoint=checkpoint)


# Below this many training batches (both splits, all passes) a worker process costs more to start
# (importing torch) than it saves.
PARALLEL_MIN_BATCHES = 4000


def _worker_train(args: tuple) -> SplitResult:
    return train_split(*args[:-1], **args[-1])


def checkpoint_path(folder, split: str) -> str | None:
    return None if folder is None else str(Path(folder) / f"{split}.safetensors")


def train_splits(pack: FeaturePack, cfg: RunConfig, progress: bool = True, jobs: int | None = None,
                 checkpoints=None) -> tuple[SplitResult, list[SplitResult]]:
    """Stages 1 and 2: the main split, and every validation draw of the pack (`val`, then `val1`, ...).
    They are independent, so on a CPU with two or more cores they run side by side in two worker
    processes (one core each), which the per-step arithmetic cannot use better.
    With `checkpoints` (a folder), each split saves its state there after every pass and resumes
    from what it finds there. Returns (main, [each validation draw's result])."""
    device = resolve_device(cfg.device)
    splits = ["main"] + val_split_names(pack)
    batches = cfg.passes * sum(-(-len(split_inputs(pack, s)[0]) // cfg.batch_size) for s in splits)
    if jobs is None:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
        jobs = 2 if (device.type == "cpu" and cores >= 2 and batches >= PARALLEL_MIN_BATCHES) else 1
    if jobs < 2 or cfg.method in SINGLE_PASS:  # no training loop: nothing to run side by side
        results = [train_stage(pack, s, cfg, progress, checkpoint=checkpoint_path(checkpoints, s)) for s in splits]
        return results[0], results[1:]
    work = []
    for position, split in enumerate(splits):
        x, y, unseen, sets = split_inputs(pack, split)
        work.append((x, y, pack.text, unseen, sets, train_config(cfg), cfg.seeds, device,
                     dict(progress=progress, desc=f"{split} split", threads=1, bar_position=position % 2,
                          checkpoint=checkpoint_path(checkpoints, split))))
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn")) as pool:
        results = list(pool.map(_worker_train, work))
    return results[0], results[1:]


def accuracy_per_pass(probs: np.ndarray, labels: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """(K, P, n, U) probabilities over sorted `classes` -> (K, P) top-1 accuracy in percent."""
    pred = np.sort(classes)[probs.argmax(-1)]
    return 100.0 * (pred == labels).mean(-1)


def choose_passes(selection: str, vals: list[SplitResult], pack: FeaturePack,
                  main_probs: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Pass per replica for the main and the validation splits: the best mean pseudo-unseen accuracy
    over the pack's validation draws (`vals`, one result per draw, `val` first). The first best pass
    wins ties."""
    val_acc = validation_accuracy(vals, pack)
    val_pass = val_acc.argmax(1)
    if selection == "val":
        return val_pass.copy(), val_pass
    if main_probs is None:
        raise SadvaeError("selection test needs the main split's ZSL probabilities")
    main_acc = accuracy_per_pass(main_probs, pack.main.labels["unseen"], pack.unseen_classes)  # test labels
    return main_acc.argmax(1), val_pass


def validation_accuracy(vals: list[SplitResult], pack: FeaturePack) -> np.ndarray:
    """(K, P): each replica's pseudo-unseen accuracy per pass, the mean over the validation draws."""
    draws = pack.val_draws()
    if len(vals) != len(draws):
        raise SadvaeError(f"expected results of the pack's {len(draws)} validation draws "
                          f"({', '.join(val_split_names(pack))}), found {len(vals)}")
    return np.mean([accuracy_per_pass(v.probs["unseen"], d.data.labels["unseen"], d.classes)
                    for v, d in zip(vals, draws)], axis=0)


def gate_stage(pack: FeaturePack, vals: list[SplitResult], val_pass: np.ndarray, cfg: RunConfig) -> list[Gate]:
    """Each replica's seen/new decision. Calibrated stacking is chosen on the samples of every validation
    draw at once; the learnt gate (--gzsl gate) is fitted on the first draw."""
    draws = pack.val_draws()
    if len(vals) != len(draws):
        raise SadvaeError(f"expected results of the pack's {len(draws)} validation draws, found {len(vals)}")
    gates = []
    for k, seed in enumerate(vals[0].seeds):
        p = val_pass[k]
        if cfg.gzsl == "stacking":  # validation labels are training data
            scores = "logits" if vals[0].zsl_logits else "probs"
            pooled = []
            for v, d in zip(vals, draws):
                zsl = v.zsl_logits if v.zsl_logits else v.probs
                pooled.append(StackingDraw(zsl["unseen"][k, p], d.data.logits["unseen"], d.data.labels["unseen"],
                                           zsl["seen_heldout"][k, p], d.data.logits["seen_heldout"],
                                           d.data.labels["seen_heldout"], d.seen_minus_val, d.classes))
            gates.append(fit_stacking_pooled(pooled, temperature=cfg.gate_temperature, scores=scores))
            continue
        val = vals[0]
        gates.append(fit_gate(val.probs["unseen"][k, p], pack.val.logits["unseen"],
                              val.probs["seen_heldout"][k, p], pack.val.logits["seen_heldout"], seed=seed,
                              temperature=cfg.gate_temperature, threshold=cfg.gate_threshold,
                              rule="reference" if cfg.mode == "reference" else "calibrated"))
    return gates


def evaluate_stage(pack: FeaturePack, main_result: SplitResult, main_pass: np.ndarray, gates: list[Gate]) -> list[dict]:
    """The only place where the main split's test labels are read."""
    rows = []
    for k, seed in enumerate(main_result.seeds):
        p = main_pass[k]
        zsl = accuracy_per_pass(main_result.probs["unseen"][k:k + 1, p:p + 1], pack.main.labels["unseen"],
                                pack.unseen_classes)[0, 0]
        zsl_logits = main_result.zsl_logits["all"][k, p] if main_result.zsl_logits else None
        g = evaluate_gzsl(gates[k], main_result.probs["all"][k, p], pack.main.logits["all"],
                          pack.main.labels["all"], pack.seen_classes, pack.unseen_classes, zsl_logits)
        rows.append({"seed": seed, "zsl_top1": float(zsl), "gzsl_seen": 100 * g.seen_accuracy,
                     "gzsl_unseen": 100 * g.unseen_accuracy, "gzsl_h": 100 * g.harmonic_mean})
    return rows


def summarise(rows: list[dict]) -> dict:
    """Mean and sample standard deviation (ddof=1; 0 for a single seed) of each metric."""
    out = {}
    for m in METRICS:
        v = np.array([r[m] for r in rows], dtype=np.float64)
        out[m] = {"mean": float(v.mean()), "std": float(v.std(ddof=1)) if len(v) > 1 else 0.0}
    return out


@dataclass
class RunResult:
    config: RunConfig
    pack: FeaturePack
    per_seed: list[dict]
    summary: dict
    main: SplitResult
    val: SplitResult
    main_pass: np.ndarray
    val_pass: np.ndarray
    gates: list[Gate]
    more_vals: list[SplitResult] = dataclasses.field(default_factory=list)  # the further validation draws

    @property
    def vals(self) -> list[SplitResult]:
        return [self.val] + list(self.more_vals)

    def metrics(self) -> dict:
        per_seed = []
        for k, row in enumerate(self.per_seed):
            per_seed.append({**row, "chosen_pass": int(self.main_pass[k]), "val_chosen_pass": int(self.val_pass[k]),
                             "gate_temperature": self.gates[k].temperature,
                             "gate_threshold": self.gates[k].threshold})
        return {
            "version": __version__,
            "selection": self.config.selection,
            "selection_rule": SELECTION_LABELS[self.config.selection],
            "validation_draws": len(self.vals),
            "mode": self.config.mode,
            "method": self.config.method,
            "pack": {"resources": str(self.pack.root), "dataset": self.pack.dataset, "split_name": self.pack.split_name,
                     "encoder": self.pack.encoder, "text_model": self.pack.text_model,
                     "text_mode": self.pack.text_mode, "n_classes": self.pack.n_classes,
                     "unseen_classes": self.pack.unseen_classes.tolist()},
            "config": self.config.as_dict(),
            "per_seed": per_seed,
            "summary": self.summary,
        }


def run_all(cfg: RunConfig, pack: FeaturePack | None = None, progress: bool = True,
            jobs: int | None = None, checkpoints=None) -> RunResult:
    """All four stages for every seed of `cfg` (the seeds train together as one batched model).
    `checkpoints`: a folder for per-pass training checkpoints (see train_splits)."""
    if pack is None:
        pack = open_pack(cfg)
    else:
        apply_pack_defaults(cfg, pack)
    say = (lambda msg: print(f"[sadvae] {msg}", file=sys.stderr, flush=True)) if progress else (lambda msg: None)
    draws = len(pack.val_draws())
    say("stages 1-2/4: training on the main split and on the validation split"
        + (f" ({draws} validation draws)" if draws > 1 else ""))
    main, vals = train_splits(pack, cfg, progress, jobs, checkpoints)
    say(f"stage 3/4: gate (selection {cfg.selection})")
    main_pass, val_pass = choose_passes(cfg.selection, vals, pack,
                                        main.probs["unseen"] if cfg.selection == "test" else None)
    gates = gate_stage(pack, vals, val_pass, cfg)
    say("stage 4/4: evaluation on the test sets")
    rows = evaluate_stage(pack, main, main_pass, gates)
    return RunResult(cfg, pack, rows, summarise(rows), main, vals[0], main_pass, val_pass, gates, vals[1:])


# -------------------------------------------------------------------------------------------------
# artifacts: one safetensors file per split and seed, plain JSON for gates, configs and metrics


def save_split_result(path, result: SplitResult, k: int, split: str, cfg: RunConfig,
                      passes_to_keep: list[int] | None = None) -> None:
    """Per-pass ZSL probabilities, classifiers and losses of replica k; weights of the kept passes."""
    tensors = {f"probs.{name}": v[k] for name, v in result.probs.items()}
    tensors.update({f"logits.{name}": v[k] for name, v in result.zsl_logits.items()})
    tensors["classifier.weight"] = result.classifier_weight[k]
    tensors["classifier.bias"] = result.classifier_bias[k]
    tensors["losses"] = result.losses
    if result.weights:
        keep = range(len(result.weights[k])) if passes_to_keep is None else passes_to_keep
        for p in keep:
            for name, t in result.weights[k][p].items():
                tensors[f"pass{p}.{name}"] = t
    meta = {"split": split, "seed": str(result.seeds[k]), "version": __version__,
            "unseen_classes": json.dumps(result.unseen_classes.tolist()),
            "loss_terms": json.dumps(list(result.loss_terms)),
            "config": json.dumps(cfg.as_dict())}
    save_tensors(path, tensors, meta)


def load_split_results(paths: list[Path]) -> SplitResult:
    """Stack per-seed split files (as written by save_split_result) back into one SplitResult."""
    seeds, probs, cw, cb, weights, zsl_logits = [], {}, [], [], [], {}
    unseen, losses, terms = None, None, LOSS_TERMS
    for path in paths:
        tensors, meta = load_tensors(path)
        try:
            seeds.append(int(meta["seed"]))
            unseen = np.array(json.loads(meta["unseen_classes"]))
            for key, v in tensors.items():
                if key.startswith("probs."):
                    probs.setdefault(OLD_ROLE_NAMES.get(key[6:], key[6:]), []).append(v)
                elif key.startswith("logits."):
                    zsl_logits.setdefault(OLD_ROLE_NAMES.get(key[7:], key[7:]), []).append(v)
            cw.append(tensors["classifier.weight"])
            cb.append(tensors["classifier.bias"])
            losses = tensors["losses"]
            terms = tuple(json.loads(meta.get("loss_terms", "null")) or LOSS_TERMS)
        except (KeyError, ValueError) as exc:
            raise SadvaeError(f"{path}: expected a split file written by `sadvae train`, found missing {exc}") from None
        per_pass = {}
        for key, v in tensors.items():
            if key.startswith("pass"):
                p, name = key[4:].split(".", 1)
                per_pass.setdefault(int(p), {})[name] = torch.from_numpy(v)
        weights.append([per_pass[p] for p in sorted(per_pass)])
    return SplitResult(seeds=seeds, unseen_classes=unseen, probs={k: np.stack(v) for k, v in probs.items()},
                       classifier_weight=np.stack(cw), classifier_bias=np.stack(cb), losses=losses,
                       weights=weights if all(weights) else [],
                       zsl_logits={k: np.stack(v) for k, v in zsl_logits.items()}, loss_terms=terms)
