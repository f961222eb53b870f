"""The generic training loop: any registered method on one split, K seeds at once, with a ZSL
evaluation after every pass.

The loop is the reference's: `passes` passes over the shuffled training set with batch size B;
loss weights from `schedule.loss_weights`; a method with a discriminator has it updated every
`dis_step` batches (counter restarting each pass) *before* the step that uses it. Each step is
forward, backward and one `torch.optim.Adam` step per parameter group, unless the method offers
an accelerated path for its exact settings (`Method.fast_path`; `TrainConfig.fast_path=False`
turns it off), which computes the same gradients by hand.

Labels of evaluation sets never enter this module: it returns per-pass class probabilities, and
the caller decides what to score against which labels (see `experiment/pipeline.py`).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from ..errors import SadvaeError
from ..io import load_tensors, save_tensors
from .base import Batch, Method
from .optim import adam, adam_state, load_adam_state
from .registry import TRAINED
from .config import TrainConfig
from .result import SplitResult
from .schedule import loss_weights


def _column_means(readings: list[list[float]], n_terms: int) -> np.ndarray:
    """Mean of each loss term over a pass's readings, skipping terms not computed (NaN) at a reading."""
    table = np.array(readings, dtype=np.float64).reshape(-1, n_terms)
    seen = ~np.isnan(table)
    sums = np.where(seen, table, 0.0).sum(0)
    counts = seen.sum(0)
    return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def resolve_device(name: str = "auto") -> torch.device:
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise SadvaeError("--device cuda: expected a CUDA device, found none (use --device auto or cpu)")
    if name == "mps" and not (getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available()):
        raise SadvaeError("--device mps: expected an Apple MPS device, found none (use --device auto or cpu)")
    return torch.device(name)


def cpu_threads_for(replicas: int) -> int:
    """Intra-op threads for training on the CPU. At these matrix sizes a second thread buys almost
    nothing for one replica (measured: benchmarks/bench_step.py), so one model trains on one core and
    the other core trains the other split (experiment.pipeline.train_splits); batched seeds use all cores."""
    return 1 if replicas == 1 else max(1, torch.get_num_threads())


def train_split(train_x: np.ndarray, train_y: np.ndarray, text: np.ndarray, unseen_classes: np.ndarray,
                eval_sets: dict[str, np.ndarray], cfg: TrainConfig, seeds: list[int], device: torch.device,
                keep_weights: bool = True, progress: bool = True, desc: str = "train",
                threads: int | None = None, bar_position: int | None = None,
                checkpoint: str | None = None) -> SplitResult:
    """Train K = len(seeds) replicas on (train_x, train_y) and evaluate ZSL after every pass.

    `text` holds all N class features (raw; L2-normalised here). `eval_sets` maps a name to
    unlabelled features; the result holds, per pass, their softmax over `unseen_classes` (sorted).

    With `checkpoint` (a file path), the whole training state is saved there atomically after every
    pass, and a matching checkpoint found there at the start is resumed from: the result is then
    the same, number for number, as that of an uninterrupted run.
    """
    previous = torch.get_num_threads()
    if device.type == "cpu":
        torch.set_num_threads(threads or cpu_threads_for(len(seeds)))
    try:
        return _train_split(train_x, train_y, text, unseen_classes, eval_sets, cfg, seeds, device, keep_weights,
                            progress, desc, bar_position, checkpoint)
    finally:
        torch.set_num_threads(previous)


def fingerprint(train_x, train_y, text, unseen_classes, eval_sets, cfg, seeds) -> str:
    """What a checkpoint must match to be resumed: the data, the settings and the seeds."""
    h = hashlib.sha256()
    for arr in (train_x, train_y, text, unseen_classes, *(eval_sets[k] for k in sorted(eval_sets))):
        arr = np.ascontiguousarray(arr)
        h.update(f"{arr.dtype}{arr.shape}".encode())
        h.update(arr.tobytes())
    h.update(json.dumps([dataclasses.asdict(cfg), [int(s) for s in seeds], sorted(eval_sets)]).encode())
    return h.hexdigest()


class AutogradStep:
    """The generic step: forward, backward and one torch.optim.Adam step per parameter group."""

    def __init__(self, method: Method, lr: float):
        self.method = method
        self.params = {g: [p for _, p in named] for g, named in method.parameter_groups().items()}
        self.opts = {g: adam(ps, lr) for g, ps in self.params.items()}

    def step(self, batch: Batch, w, update_discriminator: bool, want_losses: bool = False) -> dict | None:
        m = self.method
        m.sample_noise(batch)
        readings = {} if want_losses else None
        if update_discriminator:
            terms = m.discriminator_loss(batch, w)
            if terms is not None:
                opt = self.opts["discriminator"]
                opt.zero_grad()
                terms["total"].backward()
                opt.step()
                if readings is not None:
                    readings["discriminator"] = float(terms["discriminator"].detach()) / m.K
        terms = m.loss(batch, w)
        opt = self.opts["model"]
        opt.zero_grad()
        terms["total"].backward()
        opt.step()
        if readings is not None:
            readings.update({n: float(v.detach()) / m.K for n, v in terms.items() if n != "total"})
        return readings

    def optimizer_state(self) -> dict[str, dict[str, torch.Tensor]]:
        return {g: adam_state(opt, self.params[g]) for g, opt in self.opts.items()}

    def load_optimizer_state(self, state: dict[str, dict[str, torch.Tensor]]) -> None:
        for g, opt in self.opts.items():
            load_adam_state(opt, self.params[g], state[g])


def build_method(cfg: TrainConfig, feature_dim: int, text_dim: int, seeds: list[int], device) -> Method:
    if cfg.method not in TRAINED:
        raise SadvaeError(f"method: expected one of {', '.join(TRAINED)} for training, found {cfg.method!r}")
    return TRAINED[cfg.method](feature_dim, text_dim, cfg, seeds, device)


def stepper_for(method: Method, cfg: TrainConfig):
    """The method's accelerated step where it implements these settings (and it is allowed), else autograd."""
    fast = method.fast_path() if cfg.fast_path else None
    return fast if fast is not None else AutogradStep(method, cfg.lr)


CHECKPOINT_FORMAT = "sadvae-checkpoint/2"


def _save_checkpoint(path, method: Method, stepper, done: int, probs, cls_w, cls_b, losses, weights,
                     key: str) -> None:
    """Everything needed to continue after pass `done`, written atomically (temp file + rename)."""
    tensors = {f"param.{name}": p.data for name, p in method.named_parameters()}
    for group, state in stepper.optimizer_state().items():
        for k, v in state.items():
            tensors[f"opt.{group}.{k}"] = v.reshape(-1)
    for k, gen in enumerate(method.generators):
        tensors[f"generator.{k}"] = gen.get_state()
    for name, per_pass in probs.items():
        tensors[f"probs.{name}"] = np.stack(per_pass, axis=1)
    tensors["classifier.weight"], tensors["classifier.bias"] = np.stack(cls_w, axis=1), np.stack(cls_b, axis=1)
    tensors["losses"] = np.stack(losses)
    for k, per_k in enumerate(weights):
        for p, named in enumerate(per_k):
            for name, t in named.items():
                tensors[f"weights.{k}.{p}.{name}"] = t
    tensors = {k: (v.detach().cpu() if isinstance(v, torch.Tensor) else v) for k, v in tensors.items()}
    save_tensors(path, tensors, {"passes_done": str(done), "fingerprint": key, "format": CHECKPOINT_FORMAT})


def _load_checkpoint(path, method: Method, stepper, key: str, sets, keep_weights: bool):
    """The state saved by _save_checkpoint, put back into `method` and `stepper`; returns the per-pass lists."""
    tensors, meta = load_tensors(path)
    if meta.get("fingerprint") != key or meta.get("format") != CHECKPOINT_FORMAT:
        raise SadvaeError(f"{path}: expected a checkpoint of this run (same pack, settings, seeds and version), "
                          "found one of another run (use --force to start over)")
    t = {k: torch.from_numpy(np.array(v)) for k, v in tensors.items()}
    dev = method.device
    with torch.no_grad():
        for name, p in method.named_parameters():
            p.data.copy_(t[f"param.{name}"].to(dev))
    state = {}
    for name, v in t.items():
        if name.startswith("opt."):
            group, field_name = name[4:].rsplit(".", 1)
            state.setdefault(group, {})[field_name] = v.reshape(()) if field_name == "steps" else v
    stepper.load_optimizer_state(state)
    for k, gen in enumerate(method.generators):
        gen.set_state(t[f"generator.{k}"].to(torch.uint8))
    done = int(meta["passes_done"])
    probs = {name: list(np.moveaxis(tensors[f"probs.{name}"], 1, 0)) for name in sets}
    cls_w = list(np.moveaxis(tensors["classifier.weight"], 1, 0))
    cls_b = list(np.moveaxis(tensors["classifier.bias"], 1, 0))
    losses = list(tensors["losses"])
    weights = [[] for _ in range(method.K)]
    if keep_weights:
        for k in range(method.K):
            for p in range(done):
                prefix = f"weights.{k}.{p}."
                weights[k].append({n[len(prefix):]: v for n, v in t.items() if n.startswith(prefix)})
    return done, probs, cls_w, cls_b, losses, weights


PAUSE_HOOK = "SADVAE_TEST_PAUSE"


def _pause_for_tests(checkpoint, done: int) -> None:
    """A test hook that makes crash tests deterministic instead of a race against the clock: with
    SADVAE_TEST_PAUSE='{"after_pass": N, "marker": PATH, "checkpoint_contains": TEXT}' in the
    environment, the process stops for good once the checkpoint of pass N is saved (of a checkpoint
    whose path contains TEXT, if given) and writes PATH, so that a test can kill it there."""
    import os

    spec = os.environ.get(PAUSE_HOOK)
    if not spec:
        return
    spec = json.loads(spec)
    if done != int(spec["after_pass"]) or spec.get("checkpoint_contains", "") not in str(checkpoint):
        return
    Path(spec["marker"]).write_text(str(done))
    import time

    while True:
        time.sleep(60)


def _train_split(train_x, train_y, text, unseen_classes, eval_sets, cfg, seeds, device, keep_weights, progress,
                 desc, bar_position, checkpoint=None) -> SplitResult:
    unseen_classes = np.sort(np.asarray(unseen_classes))
    text_t = torch.as_tensor(np.asarray(text, dtype=np.float32), device=device)
    text_t = text_t / text_t.norm(dim=-1, keepdim=True)
    members = text_t.shape[1] if text_t.dim() == 3 else 1  # an ensemble of descriptions per class
    text_rows = text_t.reshape(-1, text_t.shape[-1])  # row c*M + j: class c, description j
    method = build_method(cfg, train_x.shape[1], text_t.shape[-1], seeds, device)
    stepper = stepper_for(method, cfg)
    terms = method.loss_terms
    X = torch.as_tensor(np.asarray(train_x, dtype=np.float32), device=device)
    Y = torch.as_tensor(np.asarray(train_y, dtype=np.int64), device=device)
    sets = {name: torch.as_tensor(np.asarray(v, dtype=np.float32), device=device) for name, v in eval_sets.items()}
    unseen_text = text_t[torch.as_tensor(unseen_classes, device=device)]
    K, n, B = method.K, len(X), cfg.batch_size
    L = math.ceil(n / B)

    probs = {name: [] for name in sets}
    cls_w, cls_b, losses, weights = [], [], [], [[] for _ in range(K)]
    start, key = 0, None
    if checkpoint is not None:
        key = fingerprint(train_x, train_y, text, unseen_classes, eval_sets, cfg, seeds)
        if Path(checkpoint).is_file():
            start, probs, cls_w, cls_b, losses, weights = _load_checkpoint(checkpoint, method, stepper, key, sets,
                                                                           keep_weights)
    bar = tqdm(total=cfg.passes * L, initial=start * L, desc=desc, unit="batch", disable=not progress, leave=False,
               mininterval=0.5, dynamic_ncols=True, position=bar_position)
    for p in range(start, cfg.passes):
        order = torch.stack([torch.randperm(n, generator=g, device=device) for g in method.generators])
        x_pass = X[order]  # (K, n, F): each batch below is then a view, not a gather
        y_pass = Y[order]
        readings = []
        dis_countdown = cfg.dis_step
        for i in range(L):
            x = x_pass[:, i * B:(i + 1) * B]
            labels = y_pass[:, i * B:(i + 1) * B]
            rows = labels
            if members > 1:  # each sample is paired with one of its class's descriptions, drawn afresh
                rows = labels * members + torch.stack([torch.randint(members, labels.shape[1:], generator=g,
                                                                     device=device) for g in method.generators])
            t = text_rows.index_select(0, rows.reshape(-1)).view(K, labels.shape[1], -1)
            dis_countdown -= 1
            update_dis = dis_countdown == 0
            if update_dis:
                dis_countdown = cfg.dis_step
            want = (i % cfg.log_every == cfg.log_every - 1) or i == L - 1
            reading = stepper.step(Batch(x, t, labels), loss_weights(p, i, L), update_dis, want_losses=want)
            if reading is not None:
                readings.append([reading.get(term, float("nan")) for term in terms])
            if i % 50 == 49 or i == L - 1:
                bar.update(i + 1 - (bar.n - p * L))
        del x_pass, y_pass
        pass_probs, w, b = method.zsl_probabilities(unseen_text, sets)
        for name, pr in pass_probs.items():
            probs[name].append(pr.cpu().numpy())
        cls_w.append(w.cpu().numpy())
        cls_b.append(b.cpu().numpy())
        losses.append(_column_means(readings, len(terms)))
        if keep_weights:
            for k in range(K):
                weights[k].append(method.replica_state(k))
        if checkpoint is not None:
            _save_checkpoint(checkpoint, method, stepper, p + 1, probs, cls_w, cls_b, losses, weights, key)
            _pause_for_tests(checkpoint, p + 1)
        bar.set_postfix_str(f"pass {p + 1}/{cfg.passes}")
    bar.close()
    return SplitResult(seeds=list(seeds), unseen_classes=unseen_classes,
                       probs={name: np.stack(v, axis=1) for name, v in probs.items()},
                       classifier_weight=np.stack(cls_w, axis=1), classifier_bias=np.stack(cls_b, axis=1),
                       losses=np.stack(losses), weights=weights if keep_weights else [], loss_terms=terms)
