"""SA-DVAE: skeleton VAE (semantic + style latents), text VAE, and the total-correlation discriminator.

All layers are single linear maps, as in the reference. The parameters of K independent replicas
(one per seed) live back to back in one flat buffer per optimiser, so a whole training step is a
handful of batched matrix products and one fused Adam update. The forward and backward passes of
the training step are written out by hand in `train.py` (autograd's per-op cost dominates at these
sizes); `reference_loss` below is the same objective written plainly with autograd, and the tests
check that both give the same gradients.

Reference quirks, kept when `mode == "reference"` and fixed when `mode == "clean"`:
- QUIRK_SCALAR_NOISE: reparameterisation draws one Gaussian number per sample (per latent block)
  and multiplies it into every dimension, instead of one number per dimension.
- QUIRK_DECODER_RELU: decoder outputs pass through a ReLU.
- QUIRK_CLASSIFIER_RELU: the ZSL classifier's logits pass through a ReLU.
"""
from __future__ import annotations

import math
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


def vae_shapes(cfg: ModelConfig) -> dict[str, tuple[int, ...]]:
    """Per-replica parameter shapes. Encoder weights stack the mean rows on top of the log-variance rows."""
    H, S, F, D = cfg.latent_dim, cfg.semantic_dim, cfg.feature_dim, cfg.text_dim
    return {
        "skeleton_encoder.weight": (2 * H, F), "skeleton_encoder.bias": (2 * H,),
        "skeleton_decoder.weight": (F, H), "skeleton_decoder.bias": (F,),
        "text_encoder.weight": (2 * S, D), "text_encoder.bias": (2 * S,),
        "text_decoder.weight": (D, S), "text_decoder.bias": (D,),
    }


def discriminator_shapes(cfg: ModelConfig) -> dict[str, tuple[int, ...]]:
    H = cfg.latent_dim
    return {"discriminator.hidden.weight": (H // 4, H), "discriminator.hidden.bias": (H // 4,),
            "discriminator.out.weight": (1, H // 4), "discriminator.out.bias": (1,)}


# Linear layers as the reference builds them (fan sizes for the Xavier bound); the fused encoder
# weight holds two such layers, each initialised with its own bound.
def _linear_blocks(name: str, shape: tuple[int, ...]) -> list[tuple[int, int]]:
    rows, cols = shape
    if name in ("skeleton_encoder.weight", "text_encoder.weight"):
        return [(rows // 2, cols), (rows // 2, cols)]
    return [(rows, cols)]


class FlatParams:
    """Parameters of K replicas in one contiguous buffer, with named (K, *shape) views and a gradient twin."""

    def __init__(self, shapes: dict[str, tuple[int, ...]], replicas: int, device):
        self.shapes, self.replicas = shapes, replicas
        total = sum(replicas * math.prod(s) for s in shapes.values())
        self.data = torch.nn.Parameter(torch.zeros(total, device=device))
        self.data.grad = torch.zeros(total, device=device)
        self.param, self.grad = {}, {}
        offset = 0
        for name, shape in shapes.items():
            n = replicas * math.prod(shape)
            self.param[name] = self.data.data[offset:offset + n].view(replicas, *shape)
            self.grad[name] = self.data.grad[offset:offset + n].view(replicas, *shape)
            offset += n

    def init_reference(self, generators: list[torch.Generator]) -> None:
        """Xavier-uniform weights with gain 0.5 and zero biases, as the reference's `weights_init`."""
        with torch.no_grad():
            for k, gen in enumerate(generators):
                for name, view in self.param.items():
                    if name.endswith(".bias"):
                        view[k].zero_()
                        continue
                    row = 0
                    for fan_out, fan_in in _linear_blocks(name, self.shapes[name]):
                        bound = 0.5 * math.sqrt(6.0 / (fan_in + fan_out))
                        block = view[k, row:row + fan_out]
                        block.copy_(torch.rand(block.shape, generator=gen, device=gen.device) * (2 * bound) - bound)
                        row += fan_out

    def replica_state(self, k: int) -> dict[str, torch.Tensor]:
        return {name: view[k].detach().clone() for name, view in self.param.items()}


def kl_to_standard_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, I)) summed over dimensions, averaged over the batch (rows)."""
    return 0.5 * torch.sum(mu.pow(2) + logvar.exp() - 1.0 - logvar) / mu.shape[-2]


def expand_scalar_noise(noise: torch.Tensor, block_sizes: list[int]) -> torch.Tensor:
    """QUIRK_SCALAR_NOISE: one number per sample and latent block, repeated over the block's dimensions."""
    return noise.repeat_interleave(torch.tensor(block_sizes, device=noise.device), dim=-1,
                                   output_size=sum(block_sizes))


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


def discriminator(params: dict[str, torch.Tensor], pairs: torch.Tensor) -> torch.Tensor:
    """Probability that each [semantic, style] row is a real pair rather than an independently shuffled one."""
    hidden = torch.relu(torch.baddbmm(params["discriminator.hidden.bias"].unsqueeze(1), pairs,
                                      params["discriminator.hidden.weight"].transpose(1, 2)))
    return torch.sigmoid(torch.baddbmm(params["discriminator.out.bias"].unsqueeze(1), hidden,
                                       params["discriminator.out.weight"].transpose(1, 2)))


def reference_loss(vae: dict[str, torch.Tensor], dis: dict[str, torch.Tensor], x, t, noise_x, noise_t,
                   weights, cfg: ModelConfig) -> dict[str, torch.Tensor]:
    """The VAE objective of one batch, written plainly (autograd-friendly; the tests' ground truth).

    x (K,B,F), t (K,B,D); noise_x (K,B,S+R) and noise_t (K,B,S) already expanded; `weights` has
    skeleton_kl, text_kl, cross, tc. Returns each term and the weighted total.
    """
    H, S = cfg.latent_dim, cfg.semantic_dim
    h = torch.baddbmm(vae["skeleton_encoder.bias"].unsqueeze(1), x, vae["skeleton_encoder.weight"].transpose(1, 2))
    mu, logvar = h[..., :H], h[..., H:]
    z = mu + noise_x * torch.exp(0.5 * logvar)
    ht = torch.baddbmm(vae["text_encoder.bias"].unsqueeze(1), t, vae["text_encoder.weight"].transpose(1, 2))
    tmu, tlogvar = ht[..., :S], ht[..., S:]
    tz = tmu + noise_t * torch.exp(0.5 * tlogvar)

    def decode(prefix, inp):
        out = torch.baddbmm(vae[prefix + ".bias"].unsqueeze(1), inp, vae[prefix + ".weight"].transpose(1, 2))
        return torch.relu(out) if cfg.decoder_relu else out

    def mse(a, b):
        return ((a - b) ** 2).mean(dim=(-2, -1)).sum()  # per-replica mean, summed over replicas

    terms = {
        "skeleton_recon": mse(decode("skeleton_decoder", z), x),
        "text_recon": mse(decode("text_decoder", tz), t),
        "skeleton_kl": sum(kl_to_standard_normal(mu[k], logvar[k]) for k in range(len(x))),
        "text_kl": sum(kl_to_standard_normal(tmu[k], tlogvar[k]) for k in range(len(x))),
        "skeleton_cross": mse(decode("skeleton_decoder", torch.cat([tz, z[..., S:]], -1)), x),
        "text_cross": mse(decode("text_decoder", z[..., :S]), t),
        "tc": discriminator(dis, z).mean(dim=(-2, -1)).sum(),
    }
    terms["total"] = (terms["skeleton_recon"] + terms["text_recon"]
                      + weights.skeleton_kl * terms["skeleton_kl"] + weights.text_kl * terms["text_kl"]
                      + weights.cross * (terms["skeleton_cross"] + terms["text_cross"]) + weights.tc * terms["tc"])
    return terms
