"""The paper's ablation "no-tc": SA-DVAE's disentangled latents without the total-correlation
penalty (the discriminator is neither trained nor read)."""
from __future__ import annotations

from .sadvae import SADVAE, VAE_TERMS


class NoTC(SADVAE):
    name = "no-tc"
    loss_terms = VAE_TERMS[:-1]
    total_correlation = False
