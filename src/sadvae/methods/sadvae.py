"""SA-DVAE (ECCV 2024): a skeleton VAE with a semantic and a style latent, a text VAE, cross-
reconstruction between them, and a total-correlation penalty from an adversarial discriminator.

All layers are single linear maps, as in the reference. Reference quirks (named in `vae.py`)
are kept when `mode == "reference"`: one noise number per sample and latent block, a ReLU on the
decoder outputs and on the ZSL classifier's logits.

Training step (the reference's order): on the batches the loop says, the discriminator is updated
first, on fresh samples of the current latents; then the VAE loss (which reads the updated
discriminator) is stepped. `fast_path` gives the hand-written step of `sadvae_fast.py`, which
computes the same gradients (tests compare them) with a fraction of the operations.
"""
from __future__ import annotations

import torch
from torch import nn

from .base import Batch, Method, Replicated, replica_mse
from .classifier import fit_classifier, predict_proba
from .sadvae_fast import HandStep
from .schedule import LossWeights
from .vae import ModelConfig, kl_to_standard_normal

VAE_TERMS = ("skeleton_recon", "text_recon", "skeleton_kl", "text_kl", "skeleton_cross", "text_cross", "tc")


class Discriminator(nn.Module):
    """Probability that a [semantic, style] row is a real pair rather than independently shuffled halves."""

    def __init__(self, replicas: int, latent_dim: int, device=None):
        super().__init__()
        self.hidden = Replicated(replicas, latent_dim, latent_dim // 4, device=device)
        self.out = Replicated(replicas, latent_dim // 4, 1, device=device)

    def forward(self, pairs: torch.Tensor, frozen: bool = False) -> torch.Tensor:
        return torch.sigmoid(self.out(torch.relu(self.hidden(pairs, frozen)), frozen))


class SADVAE(Method):
    name = "sadvae"
    loss_terms = VAE_TERMS + ("discriminator",)
    total_correlation = True  # the ablations turn the penalty (and the discriminator's training) off
    style = True  # the naive ablation has no style latent

    def __init__(self, feature_dim: int, text_dim: int, cfg, seeds: list[int], device: torch.device):
        super().__init__(seeds, device)
        self.train_config = cfg  # TrainConfig; `config` is the model's ModelConfig
        self.config = ModelConfig(feature_dim=feature_dim, text_dim=text_dim, semantic_dim=cfg.semantic_dim,
                                  style_dim=cfg.style_dim if self.style else 0, mode=cfg.mode)
        K, F, D = self.K, feature_dim, text_dim
        S, H = self.config.semantic_dim, self.config.latent_dim
        self.skeleton_encoder = Replicated(K, F, 2 * H, blocks=2, device=device)  # rows: mean; log-variance
        self.skeleton_decoder = Replicated(K, H, F, device=device)
        self.text_encoder = Replicated(K, D, 2 * S, blocks=2, device=device)
        self.text_decoder = Replicated(K, S, D, device=device)
        # built (and drawn) for the ablations too, so that their other draws match the full method's
        self.discriminator = Discriminator(K, H, device=device)
        self._block_index: dict[tuple, torch.Tensor] = {}
        self.reset_parameters()

    def parameter_groups(self):
        named = list(self.named_parameters())
        return {"model": [(n, p) for n, p in named if not n.startswith("discriminator.")],
                "discriminator": [(n, p) for n, p in named if n.startswith("discriminator.")]}

    # ---- randomness

    def latent_noise(self, B: int, blocks: list[list[int]]) -> list[torch.Tensor]:
        """Noise for several reparameterisations at once, each (K, B, sum of its block sizes)."""
        if self.config.scalar_noise:  # QUIRK_SCALAR_NOISE: one number per sample and latent block
            key = tuple(map(tuple, blocks))
            if key not in self._block_index:  # column j of the expanded noise reads raw column index[j]
                sizes = torch.tensor([n for b in blocks for n in b], device=self.device)
                self._block_index[key] = torch.repeat_interleave(torch.arange(len(sizes), device=self.device), sizes)
            raw = self.draw((B, sum(len(b) for b in blocks)))
            expanded = raw.index_select(-1, self._block_index[key])
            return list(torch.split(expanded, [sum(b) for b in blocks], dim=-1))
        raw = self.draw((B, sum(sum(b) for b in blocks)))
        return list(torch.split(raw, [sum(b) for b in blocks], dim=-1))

    def sample_noise(self, batch: Batch) -> None:
        S, R = self.config.semantic_dim, self.config.style_dim
        noise_x, noise_t = self.latent_noise(batch.x.shape[1], [[S, R], [S]])
        batch.noise = {"x": noise_x, "t": noise_t}

    def shuffle_order(self, B: int) -> torch.Tensor:
        """(K, 4, B) permutations for the discriminator's shuffled pairs."""
        return self.draw((4, B), kind="uniform").argsort(dim=-1)

    # ---- forward pieces

    def skeleton_input(self, x: torch.Tensor) -> torch.Tensor:
        """What the skeleton encoder reads, (K, n, F); a subclass may transform the features first."""
        return x

    def text_input(self, t: torch.Tensor) -> torch.Tensor:
        """What the text encoder reads, (K, n, D)."""
        return t

    def encode(self, x: torch.Tensor, t: torch.Tensor):
        """Means and log-variances of the skeleton latent (K,B,S+R) and of the text latent (K,B,S)."""
        H, S = self.config.latent_dim, self.config.semantic_dim
        h, ht = self.skeleton_encoder(self.skeleton_input(x)), self.text_encoder(self.text_input(t))
        return h[..., :H], h[..., H:], ht[..., :S], ht[..., S:]

    def decode(self, decoder: Replicated, z: torch.Tensor) -> torch.Tensor:
        out = decoder(z)
        return torch.relu(out) if self.config.decoder_relu else out  # QUIRK_DECODER_RELU

    def semantic_mean(self, x: torch.Tensor) -> torch.Tensor:
        """x (n, F) or (K, n, F) -> the semantic mean (K, n, S), the representation that is classified."""
        if x.dim() == 2:
            x = x.expand(self.K, *x.shape)
        x = self.skeleton_input(x)
        S = self.config.semantic_dim
        w, b = self.skeleton_encoder.weight[:, :S], self.skeleton_encoder.bias[:, :S]
        return torch.baddbmm(b.unsqueeze(1), x, w.transpose(1, 2))

    # ---- objective

    def vae_terms(self, batch: Batch, w: LossWeights):
        """Both VAEs' own terms (reconstructions and KLs) and their weighted sum, with the latent samples
        z (K,B,S+R) and tz (K,B,S) for the alignment terms of a method."""
        x, t = batch.x, batch.t
        mu, logvar, tmu, tlogvar = self.encode(x, t)
        z = mu + batch.noise["x"] * torch.exp(0.5 * logvar)
        tz = tmu + batch.noise["t"] * torch.exp(0.5 * tlogvar)
        terms = {
            "skeleton_recon": replica_mse(self.decode(self.skeleton_decoder, z), x),
            "text_recon": replica_mse(self.decode(self.text_decoder, tz), t),
            "skeleton_kl": sum(kl_to_standard_normal(mu[k], logvar[k]) for k in range(self.K)),
            "text_kl": sum(kl_to_standard_normal(tmu[k], tlogvar[k]) for k in range(self.K)),
        }
        total = (terms["skeleton_recon"] + terms["text_recon"] + w.skeleton_kl * terms["skeleton_kl"]
                 + w.text_kl * terms["text_kl"])
        return terms, total, z, tz

    def loss(self, batch: Batch, w: LossWeights) -> dict[str, torch.Tensor]:
        S = self.config.semantic_dim
        x, t = batch.x, batch.t
        terms, total, z, tz = self.vae_terms(batch, w)
        if w.cross != 0.0:  # zero in the first 80% of each pass: not computed
            cross_in = torch.cat([tz, z[..., S:]], -1)  # the text latent with the skeleton's style
            terms["skeleton_cross"] = replica_mse(self.decode(self.skeleton_decoder, cross_in), x)
            terms["text_cross"] = replica_mse(self.decode(self.text_decoder, z[..., :S]), t)
            total = total + w.cross * (terms["skeleton_cross"] + terms["text_cross"])
        if self.total_correlation:  # the discriminator is read, not trained, here
            terms["tc"] = self.discriminator(z, frozen=True).mean(dim=(-2, -1)).sum()
            total = total + w.tc * terms["tc"]
        terms["total"] = total
        return terms

    def discriminator_loss(self, batch: Batch, w: LossWeights) -> dict[str, torch.Tensor] | None:
        """Binary cross-entropy of real [z_s, z_r] and [z_t, z_r] against shuffled halves, on fresh
        samples of the current latents. Scaled by the text-KL weight like the reference, so while that
        is zero the Adam step still runs (moving the discriminator only through its momentum, as there)."""
        if not self.total_correlation:
            return None
        with torch.no_grad():
            mu, logvar, tmu, tlogvar = self.encode(batch.x, batch.t)
            pairs, target = self.discriminator_pairs(mu, torch.exp(0.5 * logvar), tmu, torch.exp(0.5 * tlogvar))
        p = self.discriminator(pairs)
        bce = nn.functional.binary_cross_entropy(p, target.expand_as(p), reduction="none").mean(dim=(-2, -1)).sum()
        return {"discriminator": bce, "total": w.tc * bce}

    def discriminator_pairs(self, mu, std, tmu, tstd) -> tuple[torch.Tensor, torch.Tensor]:
        """The discriminator's rows (K, 4B, S+R) and targets (1, 4B, 1), drawn fresh from the current
        latents (K, B, .): real [z_s, z_r], shuffled halves of those, real [z_t, z_r], shuffled halves
        (targets 1, 0, 1, 0); without gradient. One draw for both steps (autograd and `sadvae_fast.py`)."""
        S, R = self.config.semantic_dim, self.config.style_dim
        K, B, _ = mu.shape
        with torch.no_grad():
            noise_s, noise_t = self.latent_noise(B, [[S, R], [S, R]])
            real_s = torch.addcmul(mu, noise_s, std)
            real_t = torch.cat([tmu, mu[..., S:]], -1).addcmul_(noise_t, torch.cat([tstd, std[..., S:]], -1))
            perm = self.shuffle_order(B)
            rows = torch.arange(K, device=mu.device).unsqueeze(1)
            shuffled_s = torch.cat([real_s[rows, perm[:, 0], :S], real_s[rows, perm[:, 1], S:]], -1)
            shuffled_t = torch.cat([real_t[rows, perm[:, 2], :S], real_t[rows, perm[:, 3], S:]], -1)
            pairs = torch.cat([real_s, shuffled_s, real_t, shuffled_t], 1)
            target = torch.zeros(1, 4 * B, 1, device=mu.device)
            target[:, :B] = 1.0
            target[:, 2 * B:3 * B] = 1.0
        return pairs, target

    def fast_path(self):
        """The hand-written step, for this class and the subclasses that keep everything it covers."""
        same = all(getattr(type(self), name) is getattr(SADVAE, name) for name in HandStep.COVERS)
        return HandStep(self) if same and self.device.type in HandStep.DEVICES else None

    # ---- evaluation

    def class_latents(self, text: torch.Tensor):
        """Class texts (U, D) or (U, M, D) -> text latent means and log-variances (K, U[, M], S)."""
        with torch.no_grad():
            ht = self.text_encoder(self.text_input(text.reshape(-1, text.shape[-1]).expand(self.K, -1, -1)))
        S = self.config.semantic_dim
        shape = (self.K, *text.shape[:-1], S)
        return ht[..., :S].reshape(shape), ht[..., S:].reshape(shape)

    def zsl_probabilities(self, unseen_text: torch.Tensor, sets: dict[str, torch.Tensor]):
        """A linear classifier fitted on sampled text latents of the unseen classes, applied to the
        skeleton semantic means; with `zsl_fits` > 1 the probabilities of several fits are averaged."""
        cfg, mcfg = self.train_config, self.config
        tmu, tlogvar = self.class_latents(unseen_text)
        with torch.no_grad():
            means = {name: self.semantic_mean(x) for name, x in sets.items()}
        probs = {}
        for _ in range(cfg.zsl_fits):
            weight, bias = fit_classifier(tmu, tlogvar, self.generators, scalar_noise=mcfg.scalar_noise,
                                          logits_relu=mcfg.classifier_relu, samples_per_class=cfg.zsl_samples,
                                          steps=cfg.zsl_steps, lr=cfg.zsl_lr, fast=cfg.fast_path)
            with torch.no_grad():
                for name, z in means.items():
                    p = predict_proba(weight, bias, z, mcfg.classifier_relu) / cfg.zsl_fits
                    probs[name] = probs[name] + p if name in probs else p
        return probs, weight, bias
