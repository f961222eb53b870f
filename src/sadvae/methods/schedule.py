"""The annealing schedule of the reference: loss weights as a function of pass and batch index.

The weights restart at every pass. With i the batch index and L the number of batches per pass
(the reference's constants were tuned for L = 1700, hence the L/1700 scaling):
- skeleton KL (semantic and style): max(0, 0.1 (i - 1000 L/1700) / (3000 L/1700))
- text KL and total correlation:    max(0, 0.1 (i - int(0.8 L)) / (3000 L/1700)), 0 in passes 0 and 1
- cross-reconstruction:             1 when i > int(0.8 L), else 0
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LossWeights:
    skeleton_kl: float
    text_kl: float
    cross: float
    tc: float


def loss_weights(pass_index: int, batch_index: int, batches_per_pass: int) -> LossWeights:
    L, i = batches_per_pass, batch_index
    cross_start = int(0.8 * L)
    skeleton_kl = max(0.1 * (i - (L / 1700 * 1000)) / (L / 1700 * 3000), 0.0)
    text_kl = max(0.1 * (i - cross_start) / (L / 1700 * 3000), 0.0) if pass_index > 1 else 0.0
    return LossWeights(skeleton_kl=skeleton_kl, text_kl=text_kl, cross=1.0 if i > cross_start else 0.0, tc=text_kl)
