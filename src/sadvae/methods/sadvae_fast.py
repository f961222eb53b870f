"""The hand-written SA-DVAE training step: the accelerated path of `methods.sadvae.SADVAE`.

Forward, backward and one fused Adam update per parameter group, written out by hand over flat
parameter buffers: at these layer sizes autograd's per-operation overhead costs more than the
arithmetic (measured: 9.6 ms vs 4.2 ms per NTU-60 batch on one thread, benchmarks/bench_step.py). Terms whose
weight is zero are not computed (the cross-reconstructions in the first 80% of each pass, the
total-correlation term until its weight rises); they add nothing to the gradient.

The contract: for the configurations `HandStep.supports` accepts, `step` computes the same
gradients as autograd on `SADVAE.loss` / `SADVAE.discriminator_loss` with the same draws, and
the same Adam update (tests/test_model.py checks both).
"""
from __future__ import annotations

import torch

from .base import Batch
from .optim import FlatAdam
from .schedule import LossWeights
from .vae import kl_to_standard_normal


def _linear(inp: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """inp (K,n,in) @ weight (K,out,in)^T + bias (K,out). (baddbmm would first copy the broadcast bias
    into the output, which costs more than the matrix product at these sizes.)"""
    return torch.bmm(inp, weight.transpose(1, 2)).add_(bias.unsqueeze(1))


def _relu_backward(grad: torch.Tensor, pre_activation: torch.Tensor) -> torch.Tensor:
    """grad where pre_activation > 0, else 0 (one fused kernel, as autograd's ReLU backward)."""
    return torch.ops.aten.threshold_backward(grad, pre_activation, 0)


class FlatGroup:
    """The parameters of one optimiser group moved into one contiguous buffer (each parameter becomes a
    view of it, so the module sees every update), with a gradient buffer of the same layout."""

    def __init__(self, named: list[tuple[str, torch.nn.Parameter]], lr: float):
        self.params = [p for _, p in named]
        total = sum(p.numel() for p in self.params)
        device = self.params[0].device
        self.data = torch.nn.Parameter(torch.zeros(total, device=device))
        self.data.grad = torch.zeros(total, device=device)
        self.param, self.grad = {}, {}
        offset = 0
        with torch.no_grad():
            for name, p in named:
                n = p.numel()
                view = self.data.data[offset:offset + n].view_as(p)
                view.copy_(p.data)
                p.data = view
                self.param[name] = view
                self.grad[name] = self.data.grad[offset:offset + n].view_as(p)
                offset += n
        self.opt = FlatAdam(self.data, lr)


class HandStep:
    """SA-DVAE's step for K replicas, by hand. Built from (and updating) a `SADVAE` module."""

    # what it writes out by hand: a class that overrides any of these is not this objective any more
    COVERS = ("loss", "vae_terms", "discriminator_loss", "encode", "decode", "skeleton_input", "text_input",
              "sample_noise")
    DEVICES = ("cpu", "cuda")

    def __init__(self, method):
        self.method, self.model_config = method, method.config
        groups = method.parameter_groups()
        self.vae = FlatGroup(groups["model"], method.train_config.lr)
        self.dis = FlatGroup(groups["discriminator"], method.train_config.lr)
        self.groups = {"model": self.vae, "discriminator": self.dis}

    def optimizer_state(self) -> dict[str, dict[str, torch.Tensor]]:
        return {name: g.opt.state() for name, g in self.groups.items()}

    def load_optimizer_state(self, state: dict[str, dict[str, torch.Tensor]]) -> None:
        for name, g in self.groups.items():
            g.opt.load_state(state[name])

    def step(self, batch: Batch, w: LossWeights, update_discriminator: bool,
             want_losses: bool = False) -> dict[str, float] | None:
        """One step on `batch` (drawing its noise); the loss readings (averaged over replicas) if wanted."""
        cfg = self.model_config
        x, t = batch.x, batch.t
        S, H = cfg.semantic_dim, cfg.latent_dim
        K, B, F = x.shape
        D = t.shape[-1]
        P = self.vae.param
        self.method.sample_noise(batch)
        noise_x, noise_t = batch.noise["x"], batch.noise["t"]

        h = _linear(x, P["skeleton_encoder.weight"], P["skeleton_encoder.bias"])
        mu, logvar = h[..., :H], h[..., H:]
        std = torch.exp(0.5 * logvar)
        z = torch.addcmul(mu, noise_x, std)
        ht = _linear(t, P["text_encoder.weight"], P["text_encoder.bias"])
        tmu, tlogvar = ht[..., :S], ht[..., S:]
        tstd = torch.exp(0.5 * tlogvar)
        tz = torch.addcmul(tmu, noise_t, tstd)

        losses = {} if want_losses else None
        tc = self.method.total_correlation
        if update_discriminator and tc:
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
        if tc and (w.tc != 0.0 or want_losses):
            self._tc_backward(z, w.tc, g_z, losses)

        self._encoder_backward("skeleton_encoder", x, mu, logvar, std, noise_x, g_z, w.skeleton_kl)
        self._encoder_backward("text_encoder", t, tmu, tlogvar, tstd, noise_t, g_tz, w.text_kl)
        if losses is not None:
            losses["skeleton_kl"] = float(sum(kl_to_standard_normal(mu[k], logvar[k]) for k in range(K))) / K
            losses["text_kl"] = float(sum(kl_to_standard_normal(tmu[k], tlogvar[k]) for k in range(K))) / K
        self.vae.opt.step()
        return losses

    def _decoder_backward(self, name, inp, target, parts, cross_weight, width, losses, loss_names):
        """Decoder forward + backward of the (per-replica mean) MSE; returns the gradient w.r.t. its input."""
        P, G = self.vae.param, self.vae.grad
        K, B = target.shape[:2]
        pre = _linear(inp, P[name + ".weight"], P[name + ".bias"])
        relu = self.model_config.decoder_relu  # QUIRK_DECODER_RELU
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
        B = mu.shape[1]
        pairs, target = self.method.discriminator_pairs(mu, std, tmu, tstd)  # (K, 4B, H), (1, 4B, 1)
        with torch.no_grad():
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
            self.dis.opt.step()
            eps = 1e-12
            bce = -(target * torch.log(p.clamp_min(eps)) + (1 - target) * torch.log((1 - p).clamp_min(eps)))
            return float(bce.mean())
