"""Zero-shot classification: a linear classifier trained on sampled text latents of the unseen classes.

For each unseen class, 500 latent samples are drawn from the text encoder's posterior; a fresh
linear classifier (Adam, lr 1e-3, 300 full-batch steps) learns to tell them apart and is then
applied to the semantic means of the skeleton test samples. K replicas train at once.

`train_softmax_classifier` is the accelerated path (gradients written out by hand, checked against
autograd by the tests); `fast=False` fits the same classifier with autograd and `torch.optim.Adam`.
"""
from __future__ import annotations

import math

import torch

from .optim import FlatAdam, adam


def fit_classifier(text_mu: torch.Tensor, text_logvar: torch.Tensor, generators: list[torch.Generator], *,
                   scalar_noise: bool, logits_relu: bool, samples_per_class: int = 500, steps: int = 300,
                   lr: float = 1e-3, fast: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """text_mu/logvar (K, U, S) -> classifier weight (K, U, S) and bias (K, U).

    With an ensemble of M descriptions per class (text_mu (K, U, M, S)), each class's samples are
    spread evenly over its descriptions (ceil(samples_per_class / M) from each)."""
    K, U, S = text_mu.shape[0], text_mu.shape[1], text_mu.shape[-1]
    members = text_mu.shape[2] if text_mu.dim() == 4 else 1
    groups = U * members  # group c*M + j: class c, description j
    per_group = -(-samples_per_class // members)
    device = text_mu.device
    weight = torch.empty(K, U, S, device=device)
    bound = 0.5 * math.sqrt(6.0 / (S + U))  # the reference's Xavier gain 0.5
    noise = torch.empty(K, per_group * groups, 1 if scalar_noise else S, device=device)
    for k, gen in enumerate(generators):
        weight[k] = torch.rand(U, S, generator=gen, device=device) * (2 * bound) - bound
        torch.randn(noise.shape[1:], generator=gen, device=device, out=noise[k])
    # samples are laid out group 0..G-1, then again, 500 times (the reference's repeat order)
    std = torch.exp(0.5 * text_logvar)
    group_class = torch.arange(U, device=device).repeat_interleave(members) if members > 1 else None
    train = train_softmax_classifier if fast else train_softmax_classifier_autograd
    return train(weight, text_mu.reshape(K, groups, S), std.reshape(K, groups, S),
                                    noise.view(K, per_group, groups, -1), steps=steps, lr=lr,
                                    logits_relu=logits_relu, group_class=group_class)


def train_softmax_classifier(weight: torch.Tensor, mu: torch.Tensor, std: torch.Tensor, noise: torch.Tensor, *,
                             steps: int, lr: float, logits_relu: bool,
                             group_class: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Full-batch Adam on mean cross-entropy over samples z = mu[g] + noise * std[g], by hand.

    weight (K,U,S) initial weight (bias starts at 0); mu, std (K,G,S) per sample group; noise
    (K, m, G, 1 or S): m samples per group; group g belongs to class group_class[g] (default: g).
    Gradients are written out by hand (autograd's per-step overhead dominates at these sizes); the
    tests check them against autograd.

    With QUIRK_SCALAR_NOISE (noise (..., 1)) the logits of z are W mu[c] + e (W std[c]) + b, so
    only two U x U products per step are needed, not one over all m*U samples: same numbers, a
    fraction of the work.
    """
    K, U, S = weight.shape
    m, G = noise.shape[1], noise.shape[2]
    scalar = noise.shape[-1] == 1
    flat = torch.nn.Parameter(torch.cat([weight.reshape(K, -1), torch.zeros(K, U, device=mu.device)], 1).reshape(-1))
    flat.grad = torch.zeros_like(flat.data)
    view = flat.data.view(K, U * S + U)
    w, b = view[:, :U * S].view(K, U, S), view[:, U * S:]
    grad = flat.grad.view(K, U * S + U)
    gw, gb = grad[:, :U * S].view(K, U, S), grad[:, U * S:]
    classes = group_class if group_class is not None else torch.arange(U, device=mu.device)
    target = torch.eye(U, device=mu.device)[classes]  # (G, U): one-hot class of each group
    if scalar:
        e = noise[..., 0].unsqueeze(-1)  # (K, m, U, 1)
        mu_std = torch.cat([mu, std], 1)  # (K, 2G, S)
    else:
        z = (mu.unsqueeze(1) + noise * std.unsqueeze(1)).view(K, m * G, S)
    opt = FlatAdam(flat, lr)
    for _ in range(steps):
        if scalar:
            ab = torch.bmm(mu_std, w.transpose(1, 2))  # (K, 2G, U): logits of the means and of the stds
            pre = torch.addcmul(ab[:, :G].unsqueeze(1), e, ab[:, G:].unsqueeze(1)).add_(b[:, None, None, :])
        else:
            pre = torch.baddbmm(b.unsqueeze(1), z, w.transpose(1, 2)).view(K, m, G, U)
        logits = pre.clamp(min=0.0) if logits_relu else pre
        prob = (logits - logits.amax(dim=-1, keepdim=True)).exp_()
        prob.div_(prob.sum(dim=-1, keepdim=True))
        g = prob.sub_(target).mul_(1.0 / (m * G))  # d(mean cross-entropy)/d(logits), (K, m, G, U)
        if logits_relu:
            g = torch.ops.aten.threshold_backward(g, pre, 0)
        if scalar:
            g_mean = g.sum(1)  # (K, G, U)
            g_std = (g * e).sum(1)
            torch.bmm(torch.cat([g_mean, g_std], 1).transpose(1, 2), mu_std, out=gw)
            torch.sum(g_mean, dim=1, out=gb)
        else:
            g = g.view(K, m * G, U)
            torch.bmm(g.transpose(1, 2), z, out=gw)
            torch.sum(g, dim=1, out=gb)
        opt.step()
    return w.clone(), b.clone()


def train_softmax_classifier_autograd(weight: torch.Tensor, mu: torch.Tensor, std: torch.Tensor,
                                     noise: torch.Tensor, *, steps: int, lr: float, logits_relu: bool,
                                     group_class: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The same fit as `train_softmax_classifier`, written plainly: autograd and torch.optim.Adam."""
    K, U, S = weight.shape
    m, G = noise.shape[1], noise.shape[2]
    w = torch.nn.Parameter(weight.clone())
    b = torch.nn.Parameter(torch.zeros(K, U, device=mu.device))
    z = (mu.unsqueeze(1) + noise * std.unsqueeze(1)).reshape(K, m * G, S)  # scalar noise broadcasts
    classes = group_class if group_class is not None else torch.arange(U, device=mu.device)
    target = classes.repeat(m)  # sample order: group 0..G-1, m times
    opt = adam([w, b], lr)
    for _ in range(steps):
        logits = classifier_logits(w, b, z, logits_relu)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, U), target.repeat(K), reduction="sum") / (m * G)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return w.detach().clone(), b.detach().clone()


def classifier_logits(weight, bias, z, logits_relu: bool) -> torch.Tensor:
    logits = torch.baddbmm(bias.unsqueeze(1), z, weight.transpose(1, 2))
    return torch.relu(logits) if logits_relu else logits  # QUIRK_CLASSIFIER_RELU when logits_relu


def predict_proba(weight, bias, semantic_mean, logits_relu: bool) -> torch.Tensor:
    """Softmax over the unseen classes for skeleton semantic means (K, n, S) -> (K, n, U)."""
    return torch.softmax(classifier_logits(weight, bias, semantic_mean, logits_relu), dim=-1)
