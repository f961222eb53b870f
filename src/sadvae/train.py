"""Training of SA-DVAE on one split, for K seeds at once, with a ZSL evaluation after every pass.

The loop is the reference's: `passes` passes over the shuffled training set with batch size B;
loss weights from `schedule.loss_weights`; the discriminator is updated every `dis_step` batches
(counter restarting each pass) *before* the VAE step that uses it; Adam for both.

The training step is written out by hand (forward, backward, one fused Adam update over a flat
parameter buffer): at these layer sizes autograd's per-operation overhead costs more than the
arithmetic. `model.reference_loss` is the same objective with autograd; tests compare gradients.
Terms whose weight is zero are not computed (the cross-reconstructions in the first 80% of each
pass, the total-correlation term until its weight rises); they add nothing to the gradient.

Labels of evaluation sets never enter this module: it returns per-pass class probabilities, and
the caller decides what to score against which labels (see `pipeline.py`).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from .errors import SadvaeError
from .model import (FlatParams, ModelConfig, discriminator_shapes, encode_skeleton, encode_text,
                    kl_to_standard_normal, vae_shapes)
from .schedule import LossWeights, loss_weights
from .zsl import fit_classifier, predict_proba

METHODS = ("sadvae", "no-tc", "naive")
LOSS_TERMS = ("skeleton_recon", "text_recon", "skeleton_kl", "text_kl", "skeleton_cross", "text_cross", "tc",
              "discriminator")


@dataclass(frozen=True)
class TrainConfig:
    semantic_dim: int = 160
    style_dim: int = 8
    lr: float = 3.389022400898623e-05
    batch_size: int = 32
    dis_step: int = 5
    passes: int = 10
    mode: str = "reference"
    # "sadvae" (full); "no-tc": disentangled latents without the total-correlation penalty;
    # "naive": no style latent and no penalty (CADA-VAE-like alignment). The paper's ablations.
    method: str = "sadvae"
    zsl_samples: int = 500
    zsl_steps: int = 300
    zsl_fits: int = 1  # ZSL classifier fits averaged per pass (one fit varies a lot on small packs)
    zsl_lr: float = 1e-3
    log_every: int = 25  # batches between loss readings (reading a loss value costs extra work)


@dataclass
class SplitResult:
    """Everything one split's training produced, per replica (seed) and per pass."""

    seeds: list[int]
    unseen_classes: np.ndarray
    probs: dict[str, np.ndarray]  # set name -> (K, passes, n, U) ZSL softmax
    classifier_weight: np.ndarray  # (K, passes, U, S); with zsl_fits > 1, the last fit's (probs average all)
    classifier_bias: np.ndarray  # (K, passes, U)
    losses: np.ndarray  # (passes, len(LOSS_TERMS)): mean of each pass's readings, averaged over replicas
    weights: list[list[dict[str, torch.Tensor]]] = field(default_factory=list)  # [k][pass] -> named tensors
    zsl_logits: dict[str, np.ndarray] = field(default_factory=dict)  # like probs: the scores before the softmax,
    # for methods whose ZSL and seen-class scores share one space (anchor; stacking on logits)


def _column_means(readings: list[list[float]]) -> np.ndarray:
    """Mean of each loss term over a pass's readings, skipping terms not computed (NaN) at a reading."""
    table = np.array(readings, dtype=np.float64).reshape(-1, len(LOSS_TERMS))
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


def _linear(inp: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """inp (K,n,in) @ weight (K,out,in)^T + bias (K,out). (baddbmm would first copy the broadcast bias
    into the output, which costs more than the matrix product at these sizes.)"""
    return torch.bmm(inp, weight.transpose(1, 2)).add_(bias.unsqueeze(1))


def _relu_backward(grad: torch.Tensor, pre_activation: torch.Tensor) -> torch.Tensor:
    """grad where pre_activation > 0, else 0 (one fused kernel, as autograd's ReLU backward)."""
    return torch.ops.aten.threshold_backward(grad, pre_activation, 0)


class FlatAdam:
    """Adam (PyTorch's defaults: betas 0.9/0.999, eps 1e-8) on one flat parameter buffer.

    Calls the fused kernel directly where PyTorch has one for the device: the optimizer wrapper's
    own bookkeeping costs more than the update itself at this size. Same arithmetic as torch.optim.Adam.
    """

    def __init__(self, param: torch.nn.Parameter, lr: float):
        self.param, self.lr = param, lr
        self.fused = param.device.type in ("cpu", "cuda") and hasattr(torch, "_fused_adam_")
        if self.fused:
            self.exp_avg = torch.zeros_like(param.data)
            self.exp_avg_sq = torch.zeros_like(param.data)
            self.steps = torch.zeros((), dtype=torch.float32, device=param.device)
        else:
            self.opt = torch.optim.Adam([param], lr=lr)

    def state(self) -> dict[str, torch.Tensor]:
        """Moments and step count, for a checkpoint."""
        if self.fused:
            return {"exp_avg": self.exp_avg, "exp_avg_sq": self.exp_avg_sq, "steps": self.steps}
        st = self.opt.state.get(self.param, {})
        zeros = torch.zeros_like(self.param.data)
        return {"exp_avg": st.get("exp_avg", zeros), "exp_avg_sq": st.get("exp_avg_sq", zeros),
                "steps": torch.as_tensor(st.get("step", 0.0), dtype=torch.float32)}

    def load_state(self, state: dict[str, torch.Tensor]) -> None:
        dev = self.param.device
        if self.fused:
            self.exp_avg.copy_(state["exp_avg"].to(dev))
            self.exp_avg_sq.copy_(state["exp_avg_sq"].to(dev))
            self.steps.copy_(state["steps"].to(dev))
        elif float(state["steps"]) > 0:
            self.opt.state[self.param] = {"step": state["steps"].clone(), "exp_avg": state["exp_avg"].to(dev).clone(),
                                          "exp_avg_sq": state["exp_avg_sq"].to(dev).clone()}

    def step(self) -> None:
        if not self.fused:
            self.opt.step()
            return
        self.steps.add_(1)
        torch._fused_adam_([self.param.data], [self.param.grad], [self.exp_avg], [self.exp_avg_sq], [],
                           [self.steps], amsgrad=False, lr=self.lr, beta1=0.9, beta2=0.999, weight_decay=0.0,
                           eps=1e-8, maximize=False)


class Trainer:
    """K replicas of SA-DVAE, one per seed, trained in lock-step on the same training set."""

    def __init__(self, model_cfg: ModelConfig, cfg: TrainConfig, seeds: list[int], device: torch.device):
        self.model_cfg, self.cfg, self.seeds, self.device = model_cfg, cfg, list(seeds), device
        self.K = len(self.seeds)
        self.generators = [torch.Generator(device=device).manual_seed(int(s)) for s in self.seeds]
        self.vae = FlatParams(vae_shapes(model_cfg), self.K, device)
        self.dis = FlatParams(discriminator_shapes(model_cfg), self.K, device)
        self.vae.init_reference(self.generators)
        self.dis.init_reference(self.generators)
        self._block_index: dict[tuple, torch.Tensor] = {}
        self.vae_opt = FlatAdam(self.vae.data, cfg.lr)
        self.dis_opt = FlatAdam(self.dis.data, cfg.lr)

    # -----------------------------------------------------------------------------------------
    # noise

    def _draw(self, shape) -> torch.Tensor:
        out = torch.empty(self.K, *shape, device=self.device)
        for k, gen in enumerate(self.generators):
            torch.randn(shape, generator=gen, device=self.device, out=out[k])
        return out

    def _latent_noise(self, B: int, blocks: list[int]) -> list[torch.Tensor]:
        """Noise for several reparameterisations at once, each (K, B, sum of its block sizes)."""
        if self.model_cfg.scalar_noise:  # QUIRK_SCALAR_NOISE: one number per sample and latent block
            key = tuple(map(tuple, blocks))
            if key not in self._block_index:  # column j of the expanded noise reads raw column index[j]
                sizes = torch.tensor([n for b in blocks for n in b], device=self.device)
                self._block_index[key] = torch.repeat_interleave(torch.arange(len(sizes), device=self.device), sizes)
            raw = self._draw((B, sum(len(b) for b in blocks)))
            expanded = raw.index_select(-1, self._block_index[key])
            return list(torch.split(expanded, [sum(b) for b in blocks], dim=-1))
        raw = self._draw((B, sum(sum(b) for b in blocks)))
        return list(torch.split(raw, [sum(b) for b in blocks], dim=-1))

    # -----------------------------------------------------------------------------------------
    # one training step

    def step(self, x: torch.Tensor, t: torch.Tensor, w: LossWeights, update_discriminator: bool,
             want_losses: bool = False) -> dict[str, float] | None:
        """x (K,B,F) skeleton features, t (K,B,D) normalised class texts of the same samples."""
        cfg = self.model_cfg
        S, R, H = cfg.semantic_dim, cfg.style_dim, cfg.latent_dim
        K, B, F = x.shape
        D = t.shape[-1]
        P = self.vae.param
        noise_x, noise_t = self._latent_noise(B, [[S, R], [S]])

        h = _linear(x, P["skeleton_encoder.weight"], P["skeleton_encoder.bias"])
        mu, logvar = h[..., :H], h[..., H:]
        std = torch.exp(0.5 * logvar)
        z = torch.addcmul(mu, noise_x, std)
        ht = _linear(t, P["text_encoder.weight"], P["text_encoder.bias"])
        tmu, tlogvar = ht[..., :S], ht[..., S:]
        tstd = torch.exp(0.5 * tlogvar)
        tz = torch.addcmul(tmu, noise_t, tstd)

        losses = {} if want_losses else None
        if update_discriminator:
            losses_d = self._discriminator_step(mu, std, tmu, tstd, w.tc)
            if losses is not None:
                losses["discriminator"] = losses_d

        cross = w.cross != 0.0
        if cross:  # decoders see [own latent; cross latent] stacked along the batch
            dec_in = torch.cat([z, torch.cat([tz, z[..., S:]], -1)], 1)
            tdec_in = torch.cat([tz, z[..., :S]], 1)
        else:
            dec_in, tdec_in = z, tz
        parts = 2 if cross else 1
        g_z_in = self._decoder_backward("skeleton_decoder", dec_in, x, parts, w.cross, F, losses,
                                        ("skeleton_recon", "skeleton_cross"))
        g_t_in = self._decoder_backward("text_decoder", tdec_in, t, parts, w.cross, D, losses,
                                        ("text_recon", "text_cross"))
        g_z = g_z_in[:, :B]
        if cross:
            g_tz = g_t_in[:, :B] + g_z_in[:, B:, :S]
            g_z[..., :S] += g_t_in[:, B:]
            g_z[..., S:] += g_z_in[:, B:, S:]
        else:
            g_tz = g_t_in
        if w.tc != 0.0 or want_losses:
            self._tc_backward(z, w.tc, g_z, losses)

        self._encoder_backward("skeleton_encoder", x, mu, logvar, std, noise_x, g_z, w.skeleton_kl)
        self._encoder_backward("text_encoder", t, tmu, tlogvar, tstd, noise_t, g_tz, w.text_kl)
        if losses is not None:
            losses["skeleton_kl"] = float(sum(kl_to_standard_normal(mu[k], logvar[k]) for k in range(K))) / K
            losses["text_kl"] = float(sum(kl_to_standard_normal(tmu[k], tlogvar[k]) for k in range(K))) / K
        self.vae_opt.step()
        return losses

    def _decoder_backward(self, name, inp, target, parts, cross_weight, width, losses, loss_names):
        """Decoder forward + backward of the (per-replica mean) MSE; returns the gradient w.r.t. its input."""
        P, G = self.vae.param, self.vae.grad
        K, B = target.shape[:2]
        pre = _linear(inp, P[name + ".weight"], P[name + ".bias"])
        relu = self.model_cfg.decoder_relu  # QUIRK_DECODER_RELU
        out = pre.clamp(min=0.0) if relu else pre
        resid = out.view(K, parts, B, width).sub_(target.unsqueeze(1))
        if losses is not None:
            sq = resid.pow(2).mean(dim=(2, 3)).mean(0)
            losses[loss_names[0]] = float(sq[0])
            losses[loss_names[1]] = float(sq[1]) if parts == 2 else float("nan")
        grad = resid.mul_(2.0 / (B * width))
        if parts == 2 and cross_weight != 1.0:
            grad[:, 1].mul_(cross_weight)
        grad = grad.view(K, parts * B, width)
        if relu:
            grad = _relu_backward(grad, pre)
        torch.bmm(grad.transpose(1, 2), inp, out=G[name + ".weight"])
        torch.sum(grad, dim=1, out=G[name + ".bias"])
        return torch.bmm(grad, P[name + ".weight"])

    def _tc_backward(self, z, weight, g_z, losses):
        """Total-correlation term weight * mean D([z_s, z_r]); adds its gradient w.r.t. z into g_z."""
        Pd = self.dis.param
        K, B, _ = z.shape
        a1 = _linear(z, Pd["discriminator.hidden.weight"], Pd["discriminator.hidden.bias"])
        r1 = torch.relu(a1)
        p = torch.sigmoid(_linear(r1, Pd["discriminator.out.weight"], Pd["discriminator.out.bias"]))
        if losses is not None:
            losses["tc"] = float(p.mean())
        if weight == 0.0:
            return
        g_a2 = p * (1 - p) * (weight / B)
        g_a1 = _relu_backward(g_a2 * Pd["discriminator.out.weight"], a1)
        g_z.baddbmm_(g_a1, Pd["discriminator.hidden.weight"])

    def _encoder_backward(self, name, inp, mu, logvar, std, noise, g_latent, kl_weight):
        """Reparameterisation and KL backward into the encoder's (mean; log-variance) weight rows."""
        G = self.vae.grad
        K, B, H = mu.shape
        g_h = torch.empty(K, B, 2 * H, device=mu.device)
        g_mu, g_logvar = g_h[..., :H], g_h[..., H:]
        torch.add(g_latent, mu, alpha=kl_weight / B, out=g_mu)
        torch.mul(g_latent, noise, out=g_logvar)
        g_logvar.mul_(std).mul_(0.5)
        if kl_weight != 0.0:
            g_logvar.add_(std * std - 1.0, alpha=0.5 * kl_weight / B)
        torch.bmm(g_h.transpose(1, 2), inp, out=G[name + ".weight"])
        torch.sum(g_h, dim=1, out=G[name + ".bias"])

    def _discriminator_step(self, mu, std, tmu, tstd, weight) -> float:
        """One discriminator update on fresh samples: real [z_s, z_r] and [z_t, z_r] vs shuffled halves.

        Its loss is scaled by the text-KL weight like the reference, so while that weight is zero the
        Adam step still runs (moving the discriminator only through its momentum, as there).
        """
        cfg = self.model_cfg
        S, R = cfg.semantic_dim, cfg.style_dim
        K, B, _ = mu.shape
        with torch.no_grad():
            noise_s, noise_t = self._latent_noise(B, [[S, R], [S, R]])
            real_s = torch.addcmul(mu, noise_s, std)
            real_t = torch.cat([tmu, mu[..., S:]], -1).addcmul_(noise_t, torch.cat([tstd, std[..., S:]], -1))
            order = torch.empty(K, 4, B, device=mu.device)
            for k, gen in enumerate(self.generators):
                torch.rand((4, B), generator=gen, device=mu.device, out=order[k])
            perm = order.argsort(dim=-1)
            rows = torch.arange(K, device=mu.device).unsqueeze(1)
            shuffled_s = torch.cat([real_s[rows, perm[:, 0], :S], real_s[rows, perm[:, 1], S:]], -1)
            shuffled_t = torch.cat([real_t[rows, perm[:, 2], :S], real_t[rows, perm[:, 3], S:]], -1)
            pairs = torch.cat([real_s, shuffled_s, real_t, shuffled_t], 1)  # (K, 4B, H)
            target = torch.zeros(1, 4 * B, 1, device=mu.device)
            target[:, :B] = 1.0
            target[:, 2 * B:3 * B] = 1.0
            Pd, Gd = self.dis.param, self.dis.grad
            a1 = _linear(pairs, Pd["discriminator.hidden.weight"], Pd["discriminator.hidden.bias"])
            r1 = torch.relu(a1)
            p = torch.sigmoid(_linear(r1, Pd["discriminator.out.weight"], Pd["discriminator.out.bias"]))
            # BCE on sigmoid outputs, averaged over the four groups of B: d/d(logit) = (p - y) / (4B)
            g_a2 = (p - target).mul_(weight / (4 * B))
            torch.bmm(g_a2.transpose(1, 2), r1, out=Gd["discriminator.out.weight"])
            torch.sum(g_a2, dim=1, out=Gd["discriminator.out.bias"])
            g_a1 = _relu_backward(g_a2 * Pd["discriminator.out.weight"], a1)
            torch.bmm(g_a1.transpose(1, 2), pairs, out=Gd["discriminator.hidden.weight"])
            torch.sum(g_a1, dim=1, out=Gd["discriminator.hidden.bias"])
            self.dis_opt.step()
            eps = 1e-12
            bce = -(target * torch.log(p.clamp_min(eps)) + (1 - target) * torch.log((1 - p).clamp_min(eps)))
            return float(bce.mean())

    # -----------------------------------------------------------------------------------------
    # evaluation

    def zsl_probabilities(self, unseen_text: torch.Tensor, eval_sets: dict[str, torch.Tensor]):
        """Fit the ZSL classifier on sampled text latents; softmax over unseen classes for each set."""
        cfg = self.model_cfg
        with torch.no_grad():  # unseen_text (U, D), or (U, M, D) with M descriptions per class
            tmu, tlogvar = encode_text(self.vae.param, unseen_text.reshape(-1, unseen_text.shape[-1]), cfg)
            if unseen_text.dim() == 3:
                tmu = tmu.view(self.K, *unseen_text.shape[:2], -1)
                tlogvar = tlogvar.view(self.K, *unseen_text.shape[:2], -1)
        probs = {}
        with torch.no_grad():
            means = {name: encode_skeleton(self.vae.param, x, cfg) for name, x in eval_sets.items()}
        for _ in range(self.cfg.zsl_fits):  # the probabilities of several fits are averaged
            weight, bias = fit_classifier(tmu, tlogvar, self.generators, scalar_noise=cfg.scalar_noise,
                                          logits_relu=cfg.classifier_relu, samples_per_class=self.cfg.zsl_samples,
                                          steps=self.cfg.zsl_steps, lr=self.cfg.zsl_lr)
            with torch.no_grad():
                for name, z in means.items():
                    p = predict_proba(weight, bias, z, cfg.classifier_relu) / self.cfg.zsl_fits
                    probs[name] = probs[name] + p if name in probs else p
        return probs, weight, bias


def cpu_threads_for(replicas: int) -> int:
    """Intra-op threads for training on the CPU. At these matrix sizes a second thread buys almost
    nothing for one replica (measured: benchmarks/bench_step.py), so one model trains on one core and
    the other core trains the other split (pipeline.train_splits); batched seeds use all cores."""
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


def _save_checkpoint(path, trainer: "Trainer", done: int, probs, cls_w, cls_b, losses, weights, key: str) -> None:
    """Everything needed to continue after pass `done`, written atomically (temp file + rename)."""
    from .io import save_tensors

    tensors = {"vae": trainer.vae.data.data, "dis": trainer.dis.data.data}
    for name, opt in (("vae_opt", trainer.vae_opt), ("dis_opt", trainer.dis_opt)):
        for k, v in opt.state().items():
            tensors[f"{name}.{k}"] = v.reshape(-1)
    for k, gen in enumerate(trainer.generators):
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
    save_tensors(path, tensors, {"passes_done": str(done), "fingerprint": key, "format": "sadvae-checkpoint/1"})


def _load_checkpoint(path, trainer: "Trainer", key: str, sets, keep_weights: bool):
    """The state saved by _save_checkpoint, put back into `trainer`; returns the per-pass lists."""
    from .io import load_tensors

    tensors, meta = load_tensors(path)
    if meta.get("fingerprint") != key:
        raise SadvaeError(f"{path}: expected a checkpoint of this run (same pack, settings and seeds), found one of "
                          "another run (use --force to start over)")
    t = {k: torch.from_numpy(np.array(v)) for k, v in tensors.items()}
    dev = trainer.device
    with torch.no_grad():
        trainer.vae.data.data.copy_(t["vae"].to(dev))
        trainer.dis.data.data.copy_(t["dis"].to(dev))
    for name, opt in (("vae_opt", trainer.vae_opt), ("dis_opt", trainer.dis_opt)):
        opt.load_state({"exp_avg": t[f"{name}.exp_avg"], "exp_avg_sq": t[f"{name}.exp_avg_sq"],
                        "steps": t[f"{name}.steps"].reshape(())})
    for k, gen in enumerate(trainer.generators):
        gen.set_state(t[f"generator.{k}"].to(torch.uint8))
    done = int(meta["passes_done"])
    probs = {name: list(np.moveaxis(tensors[f"probs.{name}"], 1, 0)) for name in sets}
    cls_w = list(np.moveaxis(tensors["classifier.weight"], 1, 0))
    cls_b = list(np.moveaxis(tensors["classifier.bias"], 1, 0))
    losses = list(tensors["losses"])
    weights = [[] for _ in range(trainer.K)]
    if keep_weights:
        for k in range(trainer.K):
            for p in range(done):
                prefix = f"weights.{k}.{p}."
                weights[k].append({n[len(prefix):]: v for n, v in t.items() if n.startswith(prefix)})
    return done, probs, cls_w, cls_b, losses, weights


def _train_split(train_x, train_y, text, unseen_classes, eval_sets, cfg, seeds, device, keep_weights, progress,
                 desc, bar_position, checkpoint=None) -> SplitResult:
    unseen_classes = np.sort(np.asarray(unseen_classes))
    text_t = torch.as_tensor(np.asarray(text, dtype=np.float32), device=device)
    text_t = text_t / text_t.norm(dim=-1, keepdim=True)
    members = text_t.shape[1] if text_t.dim() == 3 else 1  # an ensemble of descriptions per class
    text_rows = text_t.reshape(-1, text_t.shape[-1])  # row c*M + j: class c, description j
    if cfg.method not in METHODS:
        raise SadvaeError(f"method: expected one of {', '.join(METHODS)}, found {cfg.method!r}")
    model_cfg = ModelConfig(feature_dim=train_x.shape[1], text_dim=text_t.shape[-1], semantic_dim=cfg.semantic_dim,
                            style_dim=0 if cfg.method == "naive" else cfg.style_dim, mode=cfg.mode)
    trainer = Trainer(model_cfg, cfg, seeds, device)
    X = torch.as_tensor(np.asarray(train_x, dtype=np.float32), device=device)
    Y = torch.as_tensor(np.asarray(train_y, dtype=np.int64), device=device)
    sets = {name: torch.as_tensor(np.asarray(v, dtype=np.float32), device=device) for name, v in eval_sets.items()}
    unseen_text = text_t[torch.as_tensor(unseen_classes, device=device)]
    K, n, B = trainer.K, len(X), cfg.batch_size
    L = math.ceil(n / B)

    probs = {name: [] for name in sets}
    cls_w, cls_b, losses, weights = [], [], [], [[] for _ in range(K)]
    start, key = 0, None
    if checkpoint is not None:
        key = fingerprint(train_x, train_y, text, unseen_classes, eval_sets, cfg, seeds)
        if Path(checkpoint).is_file():
            start, probs, cls_w, cls_b, losses, weights = _load_checkpoint(checkpoint, trainer, key, sets,
                                                                           keep_weights)
    bar = tqdm(total=cfg.passes * L, initial=start * L, desc=desc, unit="batch", disable=not progress, leave=False,
               mininterval=0.5, dynamic_ncols=True, position=bar_position)
    for p in range(start, cfg.passes):
        order = torch.stack([torch.randperm(n, generator=g, device=device) for g in trainer.generators])
        x_pass = X[order]  # (K, n, F): each batch below is then a view, not a gather
        y_pass = Y[order]
        readings = []
        dis_countdown = cfg.dis_step
        for i in range(L):
            x = x_pass[:, i * B:(i + 1) * B]
            labels = y_pass[:, i * B:(i + 1) * B]
            if members > 1:  # each sample is paired with one of its class's descriptions, drawn afresh
                labels = labels * members + torch.stack([torch.randint(members, labels.shape[1:], generator=g,
                                                                       device=device) for g in trainer.generators])
            t = text_rows.index_select(0, labels.reshape(-1)).view(K, labels.shape[1], -1)
            dis_countdown -= 1
            update_dis = dis_countdown == 0
            if update_dis:
                dis_countdown = cfg.dis_step
            want = (i % cfg.log_every == cfg.log_every - 1) or i == L - 1
            step_weights = loss_weights(p, i, L)
            if cfg.method != "sadvae":  # ablations: no discriminator, no total-correlation term
                update_dis, step_weights = False, dataclasses.replace(step_weights, tc=0.0)
            reading = trainer.step(x, t, step_weights, update_dis, want_losses=want)
            if reading is not None:
                readings.append([reading.get(term, float("nan")) for term in LOSS_TERMS])
            if i % 50 == 49 or i == L - 1:
                bar.update(i + 1 - (bar.n - p * L))
        del x_pass, y_pass
        pass_probs, w, b = trainer.zsl_probabilities(unseen_text, sets)
        for name, pr in pass_probs.items():
            probs[name].append(pr.cpu().numpy())
        cls_w.append(w.cpu().numpy())
        cls_b.append(b.cpu().numpy())
        losses.append(_column_means(readings))
        if keep_weights:
            for k in range(K):
                weights[k].append({**trainer.vae.replica_state(k), **trainer.dis.replica_state(k)})
        if checkpoint is not None:
            _save_checkpoint(checkpoint, trainer, p + 1, probs, cls_w, cls_b, losses, weights, key)
        bar.set_postfix_str(f"pass {p + 1}/{cfg.passes}")
    bar.close()
    return SplitResult(seeds=list(seeds), unseen_classes=unseen_classes,
                       probs={name: np.stack(v, axis=1) for name, v in probs.items()},
                       classifier_weight=np.stack(cls_w, axis=1), classifier_bias=np.stack(cls_b, axis=1),
                       losses=np.stack(losses), weights=weights if keep_weights else [])
