"""Zero-shot classification: a linear classifier trained on sampled text latents of the unseen classes.

For each unseen class, 500 latent samples are drawn from the text encoder's posterior; a fresh
linear classifier (Adam, lr 1e-3, 300 full-batch steps) learns to tell them apart and is then
applied to the semantic means of the skeleton test samples. K replicas train at once.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .model import expand_scalar_noise


def fit_classifier(text_mu: torch.Tensor, text_logvar: torch.Tensor, generators: list[torch.Generator], *,
                   scalar_noise: bool, logits_relu: bool, samples_per_class: int = 500, steps: int = 300,
                   lr: float = 1e-3) -> tuple[torch.Tensor, torch.Tensor]:
    """text_mu/logvar (K, U, S) -> classifier weight (K, U, S) and bias (K, U)."""
    K, U, S = text_mu.shape
    device = text_mu.device
    n = samples_per_class * U
    weight = torch.empty(K, U, S, device=device)
    bound = 0.5 * math.sqrt(6.0 / (S + U))  # the reference's Xavier gain 0.5
    noise = torch.empty(K, n, 1 if scalar_noise else S, device=device)
    for k, gen in enumerate(generators):
        weight[k] = torch.rand(U, S, generator=gen, device=device) * (2 * bound) - bound
        torch.randn(noise.shape[1:], generator=gen, device=device, out=noise[k])
    if scalar_noise:  # QUIRK_SCALAR_NOISE
        noise = expand_scalar_noise(noise, [S])
    # samples are laid out class 0..U-1, then again, 500 times (the reference's repeat order)
    z = text_mu.repeat(1, samples_per_class, 1) + noise * torch.exp(0.5 * text_logvar).repeat(1, samples_per_class, 1)
    target = torch.arange(U, device=device).repeat(samples_per_class).repeat(K)
    weight.requires_grad_(True)
    bias = torch.zeros(K, U, device=device, requires_grad=True)
    opt = torch.optim.Adam([weight, bias], lr=lr)
    for _ in range(steps):
        logits = classifier_logits(weight, bias, z, logits_relu)
        # sum of per-replica means, so every replica sees exactly its own single-model gradient
        loss = F.cross_entropy(logits.reshape(-1, U), target) * K
        opt.zero_grad(set_to_none=False)
        loss.backward()
        opt.step()
    return weight.detach(), bias.detach()


def classifier_logits(weight, bias, z, logits_relu: bool) -> torch.Tensor:
    logits = torch.baddbmm(bias.unsqueeze(1), z, weight.transpose(1, 2))
    return torch.relu(logits) if logits_relu else logits  # QUIRK_CLASSIFIER_RELU when logits_relu


def predict_proba(weight, bias, semantic_mean, logits_relu: bool) -> torch.Tensor:
    """Softmax over the unseen classes for skeleton semantic means (K, n, S) -> (K, n, U)."""
    return torch.softmax(classifier_logits(weight, bias, semantic_mean, logits_relu), dim=-1)
