"""The paper's ablation "naive": no style latent and no total-correlation penalty, which leaves a
CADA-VAE-like alignment of one skeleton latent with the text latent."""
from __future__ import annotations

from .no_tc import NoTC


class Naive(NoTC):
    name = "naive"
    style = False
