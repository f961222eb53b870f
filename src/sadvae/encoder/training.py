"""Training the skeleton encoder on the seen classes, and extracting features and seen-class logits.

The loop is plain: SGD with Nesterov momentum and a cosine learning rate, cross-entropy over the
classes the encoder may know, augmentation (a random turn about the vertical axis and a random
scale; `sadvae features` and `fit` add tilt, shear and a temporal crop), early stopping on
held-out samples of those same classes (the weights of the best held-out epoch are kept). With
the text head, each training batch scores the classes against one of their descriptions drawn at
random (when there are several), or (objective "contrastive") a symmetric InfoNCE in which every
description of a sample's class is a positive; with `text_smoothing` the prototypes target spreads a
share over the other classes by their texts' similarity (`smoothed_loss`). Left-right mirroring is
not used: it changes the label of most actions that name a side ("right arm throw").
Checkpoints are safetensors files with the encoder and preprocessing settings as JSON metadata.
"""
from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from ..data.layouts import get_layout
from ..data.preprocess import Preprocessing
from ..errors import SadvaeError
from ..io import atomic_write_bytes, load_tensors
from . import distributed
from .settings import EncoderTraining, default_training  # noqa: F401  (their old home)
from .stgcn import STGCN, EncoderConfig, joint_parents


@dataclass
class TrainedEncoder:
    model: STGCN
    preprocessing: Preprocessing
    classes: np.ndarray  # dataset class id of each classifier output
    history: list[dict]  # per epoch: loss, train accuracy, held-out accuracy
    best_epoch: int

    def to_bytes(self) -> bytes:
        """The safetensors file's content: weights, with the settings as JSON metadata."""
        from safetensors.torch import save

        meta = {"encoder": json.dumps(self.model.config.as_dict()),
                "preprocessing": json.dumps(self.preprocessing.as_dict()),
                "classes": json.dumps([int(c) for c in self.classes]),
                "best_epoch": str(self.best_epoch), "history": json.dumps(self.history)}
        return save({k: v.detach().cpu().contiguous() for k, v in self.model.state_dict().items()}, metadata=meta)

    def save(self, path) -> None:
        atomic_write_bytes(path, self.to_bytes())

    @classmethod
    def load(cls, path) -> "TrainedEncoder":
        tensors, meta = load_tensors(path)
        try:
            config = EncoderConfig(**json.loads(meta["encoder"]))
            prep = Preprocessing.from_dict(json.loads(meta["preprocessing"]))
            classes = np.array(json.loads(meta["classes"]), dtype=np.int64)
            model = STGCN(config)
            model.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()})
        except (KeyError, TypeError, ValueError, RuntimeError) as exc:
            raise SadvaeError(f"{path}: expected an encoder checkpoint written by sadvae, found {exc}") from None
        model.eval()
        return cls(model, prep, classes, json.loads(meta.get("history", "[]")), int(meta.get("best_epoch", -1)))


def _rotation(angle: torch.Tensor, axis: int) -> torch.Tensor:
    """(n,) angles -> (n, 3, 3) rotations about one coordinate axis."""
    n = len(angle)
    rot = torch.eye(3).repeat(n, 1, 1)
    i, j = [a for a in range(3) if a != axis]
    rot[:, i, i], rot[:, i, j] = torch.cos(angle), -torch.sin(angle)
    rot[:, j, i], rot[:, j, j] = torch.sin(angle), torch.cos(angle)
    return rot


def _uniform(n, bound: float, gen: torch.Generator, *shape) -> torch.Tensor:
    return (torch.rand(n, *shape, generator=gen) * 2 - 1) * bound


def _temporal_crop(x: torch.Tensor, min_crop: float, gen: torch.Generator) -> torch.Tensor:
    """Per sample, a random window of [min_crop, 1] of the frames, stretched back to all frames (linear
    interpolation); a body absent from either neighbouring frame stays absent."""
    n, m, t = x.shape[:3]
    length = min_crop + (1 - min_crop) * torch.rand(n, generator=gen)
    start = torch.rand(n, generator=gen) * (1 - length)
    pos = (start[:, None] + length[:, None] * torch.linspace(0, 1, t)[None]) * (t - 1)
    lo = pos.floor().long().clamp(0, t - 1)
    hi = (lo + 1).clamp(max=t - 1)
    w = (pos - lo).to(x.dtype)[:, None, :, None, None]
    present = (x.abs().sum(dim=(-2, -1), keepdim=True) > 0).to(x.dtype)  # (n, m, t, 1, 1)

    def frames(values, index):
        return torch.gather(values, 2, index[:, None, :, None, None].expand(-1, m, -1, *values.shape[3:]))

    both = frames(present, lo) * frames(present, hi)
    return (frames(x, lo) * (1 - w) + frames(x, hi) * w) * both


def _tree(layout_name: str) -> np.ndarray:
    """(parent, child) pairs of the layout's tree from the body centre outwards, parents first."""
    layout = get_layout(layout_name)
    parents, hops = joint_parents(layout), layout.hops_to_center
    return np.array([(parents[j], j) for j in np.argsort(hops, kind="stable") if parents[j] != j], dtype=np.int64)


def _jitter_bones(x: torch.Tensor, edges: np.ndarray, amount: float, gen: torch.Generator) -> torch.Tensor:
    """Per sample, every bone (parent, child; parents first) its own length factor exp(U(-amount, amount)),
    the same in every frame and body: from the centre outwards each child is placed at its moved parent
    plus the scaled recorded bone. Directions, the centre's path and absent bodies stay."""
    factor = torch.exp(_uniform(x.shape[0], amount, gen, len(edges))).to(x)
    present = (x.abs().sum(dim=(-2, -1), keepdim=True) > 0).to(x.dtype)
    out = x.clone()
    for k, (parent, child) in enumerate(edges.tolist()):
        bone = x[:, :, :, child] - x[:, :, :, parent]
        out[:, :, :, child] = out[:, :, :, parent] + factor[:, k, None, None, None] * bone
    return out * present


def _augment(x: torch.Tensor, cfg: EncoderTraining, gen: torch.Generator, edges: np.ndarray | None = None) \
        -> torch.Tensor:
    """Random turn about the y (vertical) axis and scale, then (when set) tilt about x and z and shear, one
    per sample, then a random temporal crop; zeros stay zeros. Options that are off draw nothing, so the
    turn-and-scale default draws exactly what it always has. With `bone_jitter` (and the layout's bones,
    `edges`), every bone's length is drawn first."""
    n = x.shape[0]
    if cfg.bone_jitter > 0:
        if edges is None:
            raise SadvaeError("encoder: bone jitter expects the layout's bones, found none")
        x = _jitter_bones(x, edges, cfg.bone_jitter, gen)
    turn = _uniform(n, math.radians(cfg.max_turn_degrees), gen)
    factor = 1 + _uniform(n, cfg.max_scale, gen)
    rot = _rotation(-turn, 1)
    if cfg.max_tilt_degrees > 0:
        tilt = _uniform(n, math.radians(cfg.max_tilt_degrees), gen, 2)
        rot = _rotation(tilt[:, 1], 2) @ rot @ _rotation(tilt[:, 0], 0)
    if cfg.max_shear > 0:
        rot = rot @ (torch.eye(3) + _uniform(n, cfg.max_shear, gen, 3, 3) * (1 - torch.eye(3)))
    x = torch.einsum("nmtvc,ndc->nmtvd", x, (rot * factor[:, None, None]).to(x.device))
    return _temporal_crop(x, cfg.min_crop, gen) if cfg.min_crop < 1 else x


def _batches(n: int, size: int, gen: torch.Generator | None, weights: torch.Tensor | None = None):
    """Index batches of one epoch: a shuffle of all n samples, or n draws (with replacement) in
    proportion to `weights` (to balance datasets of different sizes); in order without `gen`."""
    if weights is not None:
        order = torch.multinomial(weights, n, replacement=True, generator=gen)
    else:
        order = torch.randperm(n, generator=gen) if gen is not None else torch.arange(n)
    for i in range(0, n, size):
        yield order[i:i + size]


@torch.no_grad()
def predict_features(model: STGCN, x: np.ndarray, device: torch.device, batch_size: int = 128):
    """Features (the embedding times the model's `feature_scale`) and logits over the encoder's classes."""
    model.eval()
    embs, logits = [], []
    for idx in _batches(len(x), batch_size, None):
        e, out = model(torch.from_numpy(x[idx.numpy()]).to(device))
        embs.append(e.float().cpu() * model.feature_scale)
        logits.append(out.float().cpu())
    return torch.cat(embs).numpy(), torch.cat(logits).numpy()


def train_encoder(x: np.ndarray, labels: np.ndarray, holdout_x: np.ndarray, holdout_labels: np.ndarray,
                  classes: np.ndarray, config: EncoderConfig, preprocessing: Preprocessing,
                  training: EncoderTraining, progress: bool = False, desc: str = "encoder",
                  class_text: np.ndarray | None = None, sample_weights: np.ndarray | None = None,
                  sample_text: tuple[np.ndarray, np.ndarray] | None = None,
                  sample_groups: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> TrainedEncoder:
    """Train on (x, labels) whose labels are dataset class ids inside `classes`; keep the epoch with the
    best accuracy on the held-out samples (ties: lower held-out loss). The text head needs `class_text`,
    the text embeddings of every dataset class, (N, D) or (N, M, D) with M descriptions per class; only
    the rows of `classes` are read. `sample_weights` (n,): each epoch draws its samples in proportion
    to them (e.g. 1 / the size of each sample's dataset) instead of taking each once. `sample_text`
    (index (n,), texts (K, M, D)): a sample whose index is not -1 scores its own class against that
    row's texts (its class's texts with its style, `pack.text.styled_texts`) instead of the class's, in
    a share STYLE_SHARE of its batches (drawn); the other classes stay its negatives (objective
    "prototypes" only). `sample_groups` (group of each training sample (n,), of each held-out sample,
    and (G, C) bool: the classes, in the order of `classes`, of each group): a sample's loss (either objective),
    and its accuracy, count only the classes of its own group (its dataset), so that telling the
    datasets apart earns nothing."""
    from tqdm.auto import tqdm

    training.check()
    classes = np.asarray(classes, dtype=np.int64)
    to_index = {int(c): i for i, c in enumerate(classes)}
    for name, y in (("training", labels), ("held-out", holdout_labels)):
        unknown = sorted(set(np.unique(y).tolist()) - set(to_index))
        if unknown:
            raise SadvaeError(f"encoder: expected {name} labels among its {len(classes)} classes, found {unknown[:8]}")
    missing = sorted(set(to_index) - set(np.unique(labels).tolist()))
    if missing:
        raise SadvaeError(f"encoder: expected training samples of every class it learns, found none for classes "
                          f"{missing[:8]}")
    if len(holdout_x) == 0:
        raise SadvaeError("encoder: expected held-out samples for early stopping, found none")
    weights = None
    if sample_weights is not None:
        weights = torch.as_tensor(np.asarray(sample_weights, dtype=np.float64))
        if weights.shape != (len(x),) or not bool(torch.isfinite(weights).all()) or bool((weights < 0).any()) \
                or float(weights.sum()) <= 0:
            raise SadvaeError(f"encoder: expected {len(x)} finite non-negative sample weights, found shape "
                              f"{tuple(weights.shape)}")

    styled = _sample_text(sample_text, len(x), config, training) if sample_text is not None else None
    device = distributed.local_device(training.device)
    world, rank = (torch.distributed.get_world_size(), distributed.rank()) if distributed.active() else (1, 0)
    torch.manual_seed(training.seed)  # the same initial weights and batch order on every rank
    gen = torch.Generator().manual_seed(training.seed)
    model = STGCN(config).to(device)
    text = None
    if config.head == "text":
        text = _training_text(class_text, classes, config).to(device)
        model.class_text.copy_(text)
    net = model
    if world > 1:  # each rank trains on its share of every batch; gradients are averaged
        net = nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    y = torch.tensor([to_index[int(c)] for c in labels])
    y_hold = np.array([to_index[int(c)] for c in holdout_labels])
    rivals = None if sample_groups is None else _sample_groups(sample_groups, y, y_hold, len(classes))
    xt = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    opt = torch.optim.SGD(model.parameters(), lr=training.lr, momentum=0.9, nesterov=True,
                          weight_decay=training.weight_decay)
    steps_per_epoch = math.ceil(len(x) / training.batch_size)
    # (at least 20 steps: OneCycleLR divides by the warm-up's length, zero for a handful of steps)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=training.lr,
                                                total_steps=max(20, training.epochs * steps_per_epoch),
                                                pct_start=0.1, anneal_strategy="cos")
    loss_fn = nn.CrossEntropyLoss()
    contrastive = training.objective == "contrastive"
    edges = _tree(config.layout) if training.bone_jitter > 0 else None
    if styled is not None:
        styled = (styled[0], styled[1].to(device))
    if contrastive and text is None:
        raise SadvaeError("encoder: the contrastive objective expects the text head, found the classifier head")
    neighbours = None
    if training.text_smoothing > 0:
        if text is None or contrastive:
            raise SadvaeError("encoder: text smoothing expects the text head and the prototypes objective, found head "
                              f"{config.head!r} and objective {training.objective!r}")
        neighbours = text_neighbours(text)
    best = (-1.0, math.inf, -1, None)
    history = []
    bar = tqdm(range(training.epochs), desc=desc, disable=not progress or rank > 0, leave=False)
    for epoch in bar:
        net.train()
        total, correct, loss_sum = 0, 0, 0.0
        for idx in _batches(len(x), training.batch_size, gen, weights):
            if len(idx) < 2 * world:  # batch norm needs two samples (per rank)
                continue
            xb = xt[idx]
            if training.augment:  # the whole batch on every rank, so that the generators stay in step
                xb = _augment(xb, training, gen, edges)
            xb, yb = xb[rank::world].to(device), y[idx][rank::world].to(device)
            rival = None if rivals is None else rivals[2][rivals[0][idx][rank::world]].to(device)  # (B, C)
            if contrastive:
                emb, logits = net(xb)
                per_text = model.description_logits(emb, text)
                if rival is not None:  # only the descriptions of the sample's own dataset's classes compete
                    per_text = per_text.masked_fill(~rival[..., None], -math.inf)
                loss = contrastive_loss(per_text, yb)
            elif text is not None and text.shape[1] > 1:  # one description per class, drawn for this batch
                pick = torch.randint(text.shape[1], (text.shape[0],), generator=gen).to(device)
                emb, logits = net(xb, text[torch.arange(text.shape[0], device=device), pick])
                if styled is not None:
                    logits = _styled_logits(model, emb, logits, yb, styled, _styled_rows(idx, gen)[rank::world], pick)
            else:
                emb, logits = net(xb)
                if styled is not None:
                    logits = _styled_logits(model, emb, logits, yb, styled, _styled_rows(idx, gen)[rank::world],
                                            torch.zeros(text.shape[0], dtype=torch.long, device=device))
            if rival is not None:  # only the classes of the sample's own dataset compete
                logits = logits.masked_fill(~rival, -math.inf)
            if neighbours is not None:
                loss = smoothed_loss(logits, yb, neighbours, training.text_smoothing, rival)
            elif not contrastive:
                loss = loss_fn(logits, yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += float(loss.detach()) * len(idx)
            correct += int((logits.argmax(1) == yb).sum())
            total += len(idx)
        _, hold_logits = predict_features(model, holdout_x, device)
        if rivals is not None:
            hold_logits = np.where(rivals[2][rivals[1]].numpy(), hold_logits, -np.inf).astype(np.float32)
        hold_loss = float(nn.functional.cross_entropy(torch.from_numpy(hold_logits), torch.from_numpy(y_hold)))
        hold_acc = float((hold_logits.argmax(1) == y_hold).mean())
        # ranks differ in their batch-norm statistics; rank 0's figures decide for all (no rank stops alone)
        hold_acc, hold_loss, loss_sum = distributed.from_main([hold_acc, hold_loss, loss_sum], device)
        history.append({"epoch": epoch, "loss": loss_sum / max(total, 1), "train_accuracy": correct / max(total, 1),
                        "holdout_accuracy": hold_acc, "holdout_loss": hold_loss})
        if not math.isfinite(loss_sum):
            raise SadvaeError(f"encoder: expected a finite training loss, found it diverged at epoch {epoch} "
                              f"(try a smaller --encoder-lr)")
        if (hold_acc, -hold_loss) > (best[0], -best[1]):
            best = (hold_acc, hold_loss, epoch, {k: v.detach().clone() for k, v in model.state_dict().items()})
        bar.set_postfix(acc=f"{correct / max(total, 1):.2f}", held_out=f"{hold_acc:.2f}")
        if epoch - best[2] >= training.patience:
            break
    model.load_state_dict(best[3])
    model.eval()
    return TrainedEncoder(model.cpu(), preprocessing, classes, history, best[2])


def rival_groups(groups, fit, held, classes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`train_encoder`'s sample_groups from every sample's dataset and each dataset's classes, `groups`
    ((N,), (datasets, all classes) bool), for the training samples `fit`, the held-out `held` (masks or
    indices) and the classes learnt."""
    dataset, mask = groups
    return dataset[fit], dataset[held], mask[:, classes]


def _sample_groups(sample_groups, y: torch.Tensor, y_hold: np.ndarray, n_classes: int):
    """The checked (train groups, held-out groups, class mask) of `train_encoder`'s sample_groups, as tensors."""
    train, hold, mask = (np.asarray(a) for a in sample_groups)
    if mask.ndim != 2 or mask.dtype != bool or mask.shape[1] != n_classes:
        raise SadvaeError(f"encoder: expected a (groups, classes) boolean mask of each group's classes, found shape "
                          f"{mask.shape} of {mask.dtype}")
    for name, groups, labels in (("training", train, y.numpy()), ("held-out", hold, y_hold)):
        if groups.shape != labels.shape or not np.issubdtype(groups.dtype, np.integer) \
                or ((groups < 0) | (groups >= len(mask))).any():
            raise SadvaeError(f"encoder: expected a group from 0 to {len(mask) - 1} for each of the {len(labels)} "
                              f"{name} samples, found shape {groups.shape}")
        if not mask[groups, labels].all():
            raise SadvaeError(f"encoder: expected each {name} sample's class among its group's classes, found "
                              f"{int((~mask[groups, labels]).sum())} outside")
    return torch.from_numpy(train.astype(np.int64)), torch.from_numpy(hold.astype(np.int64)), torch.from_numpy(mask)


def _sample_text(sample_text, n: int, config: EncoderConfig, training: EncoderTraining):
    """The checked (index, texts) of `train_encoder`'s sample_text, as tensors."""
    index, text = sample_text
    index = np.asarray(index)
    text = np.asarray(text, dtype=np.float32)
    if config.head != "text" or training.objective != "prototypes":
        raise SadvaeError("encoder: style texts expect the text head and the prototypes objective, found head "
                          f"{config.head!r} and objective {training.objective!r}")
    if index.shape != (n,) or not np.issubdtype(index.dtype, np.integer):
        raise SadvaeError(f"encoder: expected a style text row for each of the {n} samples, found shape {index.shape}")
    k = len(text)
    if text.ndim != 3 or text.shape[1:] != (config.text_members, config.text_dim) or not np.isfinite(text).all():
        raise SadvaeError(f"encoder: expected finite style texts of shape (pairs, {config.text_members}, "
                          f"{config.text_dim}), found {text.shape}")
    if ((index < -1) | (index >= k)).any():
        raise SadvaeError(f"encoder: expected style text rows from -1 to {k - 1}, found {int(index.min())} to "
                          f"{int(index.max())}")
    return torch.from_numpy(index.astype(np.int64)), torch.from_numpy(text)


STYLE_SHARE = 0.5  # of its batches, a styled sample learns its styled texts; in the others its class's plain ones


def _styled_rows(idx: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """The batch's sample indices, -1 where a sample learns its plain texts this time (a share
    1 - STYLE_SHARE, drawn for the whole batch so that every rank draws the same)."""
    return torch.where(torch.rand(len(idx), generator=gen) < STYLE_SHARE, idx, -1)


def _styled_logits(model: STGCN, emb, logits, labels, styled, rows, pick):
    """The logits with each styled sample's own-class entry scored against its (class, style) text;
    `rows` the samples' indices into styled's index (-1: this sample stays plain)."""
    index, text = styled
    rows = rows.to(index.device)
    row = torch.where(rows >= 0, index[rows.clamp(min=0)], -1).to(logits.device)
    has = torch.nonzero(row >= 0).squeeze(1)
    if len(has) == 0:
        return logits
    own_text = text[row[has], pick[labels[has]]]  # (h, D): the drawn member of each sample's pair
    own = model.log_scale.exp() * (nn.functional.normalize(emb[has], dim=-1) * model.prototypes(own_text)).sum(-1)
    return logits.index_put((has, labels[has]), own)


SMOOTHING_TEMPERATURE = 0.1  # text smoothing: the softness of the class texts' cosines (MiniLM: about 0.2-0.8)


def text_neighbours(text: torch.Tensor) -> torch.Tensor:
    """(C, C) from the classes' texts (C, M, D): row c a distribution over the other classes, by the
    softmax of their mean texts' cosines to c's at SMOOTHING_TEMPERATURE (the diagonal zero)."""
    mean = nn.functional.normalize(text.float().mean(1), dim=-1)
    cos = (mean @ mean.T) / SMOOTHING_TEMPERATURE
    cos.fill_diagonal_(-math.inf)
    return torch.softmax(cos, dim=1) if len(text) > 1 else torch.zeros(1, 1, device=text.device)


def smoothed_loss(logits: torch.Tensor, labels: torch.Tensor, neighbours: torch.Tensor, amount: float,
                  rival: torch.Tensor | None = None) -> torch.Tensor:
    """Cross-entropy against a target that keeps 1 - amount on each sample's class and spreads amount
    over the other classes by `neighbours` (text_neighbours), only over its `rival` classes where given
    (renormalised; a sample with no other rival keeps the one-hot target)."""
    spread = neighbours[labels]
    if rival is not None:
        spread = spread * rival
    total = spread.sum(1, keepdim=True)
    spread = torch.where(total > 0, spread / total.clamp(min=1e-12), 0.0)
    own = nn.functional.one_hot(labels, logits.shape[1]).to(spread)
    target = own * (1 - amount * (total > 0).to(spread)) + amount * spread
    logp = torch.log_softmax(logits, dim=1)
    return -(target * logp.masked_fill(target == 0, 0)).sum(1).mean()


def contrastive_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Symmetric InfoNCE with several positives. `logits` (B, C, M): each sample's scaled cosine to
    every description of every class it may know; `labels` (B,) class indices. Sample to texts: the
    softmax over all C x M descriptions, its own class's M summed (every description a positive).
    Text to samples: for each description of a class in the batch, the softmax over the batch's
    samples, that class's samples summed. The mean of both directions."""
    b, c, m = logits.shape
    flat = logits.reshape(b, c * m)
    own = logits[torch.arange(b, device=logits.device), labels]  # (B, M)
    to_text = (torch.logsumexp(flat, 1) - torch.logsumexp(own, 1)).mean()
    present = torch.unique(labels)
    cols = logits[:, present].reshape(b, -1)  # (B, P x M): each present class's descriptions
    positive = (labels[:, None] == present[None, :]).repeat_interleave(m, dim=1)
    to_samples = (torch.logsumexp(cols, 0) - torch.logsumexp(cols.masked_fill(~positive, -math.inf), 0)).mean()
    return (to_text + to_samples) / 2


def _training_text(class_text, classes: np.ndarray, config: EncoderConfig) -> torch.Tensor:
    """The text rows of the encoder's classes as (C, M, D) float32, checked against its config."""
    if class_text is None:
        raise SadvaeError("encoder: the text head expects the class text embeddings, found none")
    text = np.asarray(class_text, dtype=np.float32)
    text = text[:, None] if text.ndim == 2 else text
    if text.ndim != 3 or text.shape[2] != config.text_dim or text.shape[1] != config.text_members:
        raise SadvaeError(f"encoder: expected class texts of shape (classes, {config.text_members}, {config.text_dim}),"
                          f" found {text.shape}")
    if not np.isfinite(text).all() or classes.max() >= len(text):
        raise SadvaeError(f"encoder: expected finite text embeddings for all {classes.max() + 1}+ classes, found "
                          f"{len(text)} rows" + ("" if np.isfinite(text).all() else " with NaN/Inf"))
    return torch.from_numpy(text[classes])


def extract(encoder: TrainedEncoder, x: np.ndarray, n_classes: int, device: str = "cpu",
            batch_size: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """Features (n, embed_dim) and logits over all n_classes dataset classes (n, n_classes); classes the
    encoder never learnt get NO_LOGIT, so a softmax gives them no weight at any gate temperature."""
    model = encoder.model.to(torch.device(device))
    feats, seen_logits = predict_features(model, np.ascontiguousarray(x, dtype=np.float32), torch.device(device),
                                          batch_size)
    encoder.model.cpu()
    return feats, full_logits(seen_logits, encoder.classes, n_classes)


NO_LOGIT = -1e4


def full_logits(seen_logits: np.ndarray, classes: np.ndarray, n_classes: int) -> np.ndarray:
    out = np.full((len(seen_logits), n_classes), NO_LOGIT, dtype=np.float32)
    out[:, classes] = seen_logits
    return out


def training_summary(encoder: TrainedEncoder, training: EncoderTraining) -> dict:
    """What a pack's encoder.json records about how its encoder was trained."""
    best = encoder.history[encoder.best_epoch] if encoder.history else {}
    return {"epochs_run": len(encoder.history), "best_epoch": encoder.best_epoch,
            "holdout_accuracy": best.get("holdout_accuracy"), "train_accuracy": best.get("train_accuracy"),
            "classes": [int(c) for c in encoder.classes], "config": encoder.model.config.as_dict(),
            "preprocessing": encoder.preprocessing.as_dict(), "training": asdict(training)}
