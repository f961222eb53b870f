"""SA-DVAE family: the model settings, and the functional pieces that read saved weights.

The trainable modules are in `methods/` (`methods/sadvae.py` defines the model and its loss). The
functions here take named weights, (K, ...) per name as `Method.replica_state` stores them, so that
run folders and bundles can encode without building a module.

Reference quirks, kept when `mode == "reference"` and fixed when `mode == "clean"`:
- QUIRK_SCALAR_NOISE: reparameterisation draws one Gaussian number per sample (per latent block)
  and multiplies it into every dimension, instead of one number per dimension.
- QUIRK_DECODER_RELU: decoder outputs pass through a ReLU.
- QUIRK_CLASSIFIER_RELU: the ZSL classifier's logits pass through a ReLU.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

MODES = ("reference", "clean")


@dataclass(frozen=True)
class ModelConfig:
    feature_dim: int
    text_dim: int
    semantic_dim: int = 160
    style_dim: int = 8
    mode: str = "reference"

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}")

    @property
    def latent_dim(self) -> int:
        return self.semantic_dim + self.style_dim

    @property
    def scalar_noise(self) -> bool:  # QUIRK_SCALAR_NOISE
        return self.mode == "reference"

    @property
    def decoder_relu(self) -> bool:  # QUIRK_DECODER_RELU
        return self.mode == "reference"

    @property
    def classifier_relu(self) -> bool:  # QUIRK_CLASSIFIER_RELU
        return self.mode == "reference"


def kl_to_standard_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, I)) summed over dimensions, averaged over the batch (rows)."""
    return 0.5 * torch.sum(mu.pow(2) + logvar.exp() - 1.0 - logvar) / mu.shape[-2]


def encode_skeleton(params: dict[str, torch.Tensor], x: torch.Tensor, cfg: ModelConfig):
    """x (n, F) or (K, n, F) -> semantic mean (K, n, S), the representation that is classified."""
    S = cfg.semantic_dim
    w = params["skeleton_encoder.weight"][:, :S]
    b = params["skeleton_encoder.bias"][:, :S]
    return torch.matmul(x, w.transpose(1, 2)) + b.unsqueeze(1)


def encode_text(params: dict[str, torch.Tensor], t: torch.Tensor, cfg: ModelConfig):
    """Normalised text features (n, D) -> mean and log-variance (K, n, S) of the text latent."""
    S = cfg.semantic_dim
    h = torch.matmul(t, params["text_encoder.weight"].transpose(1, 2)) + params["text_encoder.bias"].unsqueeze(1)
    return h[..., :S], h[..., S:]
