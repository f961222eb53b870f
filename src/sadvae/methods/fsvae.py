"""FS-VAE (ICCV 2025), as read from wenhanwu95/FS-VAE: the naive cross-modal VAE (no style latent,
no discriminator) with two changes.

1. Frequency reweighting of each encoder's input. A feature vector (skeleton or text) goes through
   an orthonormal DCT-II, each coefficient is scaled by a multiplier, and the inverse DCT brings it
   back. The coefficients are cut into `bands` equal bands; a band that ends at or below index
   `boost_below` is amplified by 1 + w_i k (1 - i/bands), every later one damped by
   1 - w_i k (2 - i/bands); the last coefficient belongs to no band and keeps weight 1. k (the
   strength, 0.3) and the band weights w_i (1) are learned with the VAE, one set per replica.
   Being linear, the reweighting folds into the encoder weights: `replica_state` stores the folded
   encoders, so exported bundles need nothing new.
2. A calibrated alignment loss in place of the MSE cross-reconstruction. With t^ = Dec_t(z_s) and
   s^ = Dec_s(z_t), d(a, b) the squared distance and pi a random permutation of the batch:
     text side     mean_i sigmoid(-(d(t_i, t^_pi(i)) - d(t_i, t^_i)) / lambda)
     skeleton side mean_i sigmoid(d(s_i, s^_i) / lambda)
   weighted by lambda * alpha while the cross-reconstruction weight is on (the last 20% of a pass).
   The authors' scripts: lambda 100, alpha 0.5 (NTU-60) or 0.1 (NTU-120): `alignment_alpha`.

Everything else (encoders, decoders, KL schedule, reference quirks, the ZSL classifier) is the SA-DVAE
family's. On the datasets with a preset, `--method fs-vae` runs with the authors' own settings
(`experiment/config.py` METHOD_PRESETS: latent 100 on NTU-60 and 200 on NTU-120, lr 1e-4, batch 64,
alpha as above) unless flags or a config file set them; elsewhere the run config's apply, as for every
method. The report's `preset` says which.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from .base import Batch
from .naive import Naive
from .sadvae import VAE_TERMS
from .schedule import LossWeights

ALIGNMENT_LAMBDA = 100.0


def dct_basis(n: int) -> torch.Tensor:
    """The orthonormal DCT-II matrix C (n, n): C @ x is the DCT of x, C.T @ y its inverse."""
    k = torch.arange(n, dtype=torch.float64).unsqueeze(1)
    i = torch.arange(n, dtype=torch.float64).unsqueeze(0)
    c = torch.cos(math.pi * (2 * i + 1) * k / (2 * n)) * math.sqrt(2.0 / n)
    c[0] /= math.sqrt(2.0)
    return c.float()


class FrequencyReweight(nn.Module):
    """x (K, n, dim) -> idct(dct(x) * m), with learned per-band multipliers m (see the module doc)."""

    def __init__(self, replicas: int, dim: int, bands: int = 30, boost_below: int = 30, strength: float = 0.3,
                 device=None):
        super().__init__()
        self.register_buffer("basis", dct_basis(dim).to(device), persistent=False)
        edges = torch.linspace(0, dim - 1, bands + 1).long()
        band = torch.full((dim,), -1, dtype=torch.long)
        slope = torch.zeros(bands)
        for i in range(bands):
            band[edges[i]:edges[i + 1]] = i
            slope[i] = (1 - i / bands) if edges[i + 1] <= boost_below else -(2 - i / bands)
        in_band = band >= 0
        self.register_buffer("band", band.clamp(min=0).to(device), persistent=False)
        self.register_buffer("slope", (slope[band.clamp(min=0)] * in_band).to(device), persistent=False)
        self.strength = nn.Parameter(torch.full((replicas, 1), strength, device=device))
        self.band_weight = nn.Parameter(torch.ones(replicas, bands, device=device))

    def multipliers(self) -> torch.Tensor:
        """(K, dim): the weight of each DCT coefficient."""
        return 1 + self.strength * self.band_weight[:, self.band] * self.slope

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.matmul(torch.matmul(x, self.basis.T) * self.multipliers().unsqueeze(1), self.basis)

    def matrix(self) -> torch.Tensor:
        """(K, dim, dim) A with forward(x) = x @ A (A is symmetric)."""
        return torch.matmul(self.basis.T * self.multipliers().unsqueeze(1), self.basis)


class FSVAE(Naive):
    name = "fs-vae"
    loss_terms = VAE_TERMS[:4] + ("alignment",)

    def __init__(self, feature_dim: int, text_dim: int, cfg, seeds: list[int], device: torch.device):
        super().__init__(feature_dim, text_dim, cfg, seeds, device)
        self.skeleton_reweight = FrequencyReweight(self.K, feature_dim, device=device)
        self.text_reweight = FrequencyReweight(self.K, text_dim, device=device)

    def skeleton_input(self, x: torch.Tensor) -> torch.Tensor:
        return self.skeleton_reweight(x)

    def text_input(self, t: torch.Tensor) -> torch.Tensor:
        return self.text_reweight(t)

    def sample_noise(self, batch: Batch) -> None:
        super().sample_noise(batch)
        batch.noise["pairing"] = self.draw(batch.x.shape[1:2], kind="uniform").argsort(dim=-1)  # (K, B)

    def loss(self, batch: Batch, w: LossWeights) -> dict[str, torch.Tensor]:
        x, t = batch.x, batch.t
        terms, total, z, tz = self.vae_terms(batch, w)
        if w.cross != 0.0:
            lam = ALIGNMENT_LAMBDA
            text_from_skeleton = self.decode(self.text_decoder, z)
            skeleton_from_text = self.decode(self.skeleton_decoder, tz)
            own = (t - text_from_skeleton).pow(2).sum(-1)  # (K, B)
            rows = torch.arange(self.K, device=self.device).unsqueeze(1)
            other = (t - text_from_skeleton[rows, batch.noise["pairing"]]).pow(2).sum(-1)
            text_side = torch.sigmoid(-(other - own) / lam).mean(-1)
            skeleton_side = torch.sigmoid((x - skeleton_from_text).pow(2).sum(-1) / lam).mean(-1)
            terms["alignment"] = (text_side + skeleton_side).sum()
            total = total + w.cross * lam * self.train_config.alignment_alpha * terms["alignment"]
        terms["total"] = total
        return terms

    def replica_state(self, k: int) -> dict[str, torch.Tensor]:
        """Replica k's parameters, with the frequency reweighting folded into the encoder weights (what
        the run folder keeps and bundles read: an encoder applied to raw features)."""
        state = super().replica_state(k)
        with torch.no_grad():
            for name, reweight in (("skeleton_encoder", self.skeleton_reweight), ("text_encoder", self.text_reweight)):
                state[f"{name}.weight"] = state[f"{name}.weight"] @ reweight.matrix()[k]
        return state
