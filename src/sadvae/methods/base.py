"""What a method is: an `nn.Module` holding K replicas of one model (one per seed), with a loss.

A method owns its parameters (K replicas as a leading dimension: `Replicated` layers), draws its own
randomness from one generator per replica, and defines its objective in `loss`, which returns
named terms plus their weighted `total`; autograd derives the gradients. The generic training loop
(`methods.training`) does forward, backward and a `torch.optim.Adam` step per parameter group.

A method may also offer an accelerated path (`fast_path`): a hand-written step that computes the
same gradients with fewer operations. The loop uses it only when the method says it implements the
exact settings (`TrainConfig.fast_path` turns it off); the tests check that both give the same
gradients.

Evaluation: `zsl_probabilities(unseen_text, sets)` gives, per evaluation set, each replica's
softmax over the unseen classes. Methods without a training loop (projection, anchor) are plain
functions in their own files (`SINGLE_PASS` in registry.py).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from .schedule import LossWeights


@dataclass
class Batch:
    """One training batch for K replicas: x (K,B,F) skeleton features, t (K,B,D) L2-normalised text of
    each sample's class, labels (K,B) their class ids; `noise` holds what the method drew for it."""

    x: torch.Tensor
    t: torch.Tensor
    labels: torch.Tensor
    noise: dict | None = None


class Replicated(nn.Module):
    """K independent linear layers: x (K,n,in) -> (K,n,out). `blocks` splits the weight's rows into
    layers initialised separately (an encoder's mean and log-variance rows are two layers)."""

    def __init__(self, replicas: int, in_features: int, out_features: int, blocks: int = 1, device=None):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(replicas, out_features, in_features, device=device))
        self.bias = nn.Parameter(torch.zeros(replicas, out_features, device=device))
        self.blocks = blocks

    def forward(self, x: torch.Tensor, frozen: bool = False) -> torch.Tensor:
        w, b = (self.weight.detach(), self.bias.detach()) if frozen else (self.weight, self.bias)
        return torch.baddbmm(b.unsqueeze(1), x, w.transpose(1, 2))

    def reset_replica(self, k: int, gen: torch.Generator) -> None:
        """Xavier-uniform with gain 0.5 per block and a zero bias (the reference's `weights_init`)."""
        with torch.no_grad():
            self.bias[k].zero_()
            rows = self.weight.shape[1] // self.blocks
            for j in range(self.blocks):
                block = self.weight[k, j * rows:(j + 1) * rows]
                bound = 0.5 * math.sqrt(6.0 / (block.shape[0] + block.shape[1]))
                block.copy_(torch.rand(block.shape, generator=gen, device=gen.device) * (2 * bound) - bound)


class Method(nn.Module):
    """Base class. Subclasses set `name`, build their layers, and implement `loss`; see the module doc."""

    name = "method"
    # the names of `loss` terms (and "discriminator" when there is one) that the loop logs per pass
    loss_terms: tuple[str, ...] = ()

    def __init__(self, seeds: list[int], device: torch.device):
        super().__init__()
        self.seeds, self.device, self.K = list(seeds), torch.device(device), len(seeds)
        self.generators = [torch.Generator(device=self.device).manual_seed(int(s)) for s in self.seeds]

    # ---- parameters

    def parameter_groups(self) -> dict[str, list[tuple[str, nn.Parameter]]]:
        """Named parameters per optimiser. Default: one group "model" with all of them."""
        return {"model": list(self.named_parameters())}

    def reset_parameters(self) -> None:
        """Every `Replicated` layer drawn replica by replica, group by group, in declaration order
        (other parameters keep the values their modules were built with)."""
        for params in self.parameter_groups().values():
            layers = list(dict.fromkeys(self.get_submodule(n.rsplit(".", 1)[0]) for n, _ in params))
            layers = [layer for layer in layers if isinstance(layer, Replicated)]
            for k, gen in enumerate(self.generators):
                for layer in layers:
                    layer.reset_replica(k, gen)

    def replica_state(self, k: int) -> dict[str, torch.Tensor]:
        """Replica k's parameters by name (what a run folder keeps per pass)."""
        return {name: p[k].detach().clone() for name, p in self.named_parameters()}

    # ---- randomness

    def draw(self, shape, kind: str = "normal") -> torch.Tensor:
        """(K, *shape) numbers, replica k's from its own generator."""
        out = torch.empty(self.K, *shape, device=self.device)
        fill = torch.randn if kind == "normal" else torch.rand
        for k, gen in enumerate(self.generators):
            fill(shape, generator=gen, device=self.device, out=out[k])
        return out

    def sample_noise(self, batch: Batch) -> None:
        """Draw this batch's randomness into `batch.noise` (before any update of the step)."""
        batch.noise = {}

    # ---- objective

    def loss(self, batch: Batch, weights: LossWeights) -> dict[str, torch.Tensor]:
        """Named terms, each summed over replicas (so each replica's gradient is its own), and "total"."""
        raise NotImplementedError

    def discriminator_loss(self, batch: Batch, weights: LossWeights) -> dict[str, torch.Tensor] | None:
        """A second player's loss, stepped before `loss` on the batches the loop says; None: no such player."""
        return None

    def fast_path(self):
        """A hand-written step with the same gradients for this exact configuration, or None."""
        return None

    # ---- evaluation

    def zsl_probabilities(self, unseen_text: torch.Tensor, sets: dict[str, torch.Tensor]):
        """unseen_text (U, D) or (U, M, D) -> ({set: (K, n, U) softmax}, classifier weight, bias)."""
        raise NotImplementedError


def replica_mse(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Mean squared error per replica (over the last two axes), summed over replicas."""
    return ((a - b) ** 2).mean(dim=(-2, -1)).sum()
