"""The training settings of a method on one split: each declared once, with its default and help
(the run configuration, its config files and the command-line flags are generated from these)."""
from __future__ import annotations

from dataclasses import dataclass

from ..settings import setting

# every --method, as the registry (registry.py) holds them; written out here so that the settings and
# their flags need no PyTorch (tests/test_methods.py checks the two agree)
METHODS = ("sadvae", "no-tc", "naive", "fs-vae", "msf", "projection", "anchor")


def fused_text_mode(modes: list[str]) -> str:
    """All of a pack's text modes as one `_`-joined mode, the class label (`lb`) first (MSF's text)."""
    ordered = sorted(modes, key=lambda m: (m != "lb", m))
    return "_".join(ordered)


@dataclass
class TrainConfig:
    # defaults: the authors' NTU-60 SynSE preset, the reference's constants
    semantic_dim: int = setting(160, "semantic latent size (default: the preset; 160)")
    style_dim: int = setting(8, "style latent size of SA-DVAE (default: the preset; 8)")
    lr: float = setting(3.389022400898623e-05, "learning rate of the VAE and the discriminator (default: the preset)")
    batch_size: int = setting(32, "training batch size (default: the preset; 32)")
    dis_step: int = setting(5, "batches between discriminator updates (default: the preset; 5)")
    passes: int = setting(10, "training passes over the training set (default 10)")
    mode: str = setting("reference", "reference quirks kept, or fixed (default reference)",
                        choices=("reference", "clean"))
    method: str = setting(
        "sadvae", "sadvae (default), or an ablation: no-tc (no total-correlation penalty), naive (no style latent, "
        "no penalty); fs-vae (frequency-reweighted inputs, calibrated alignment loss); msf (several description "
        "types per class fused); the baseline projection (ridge map from skeleton features to class text "
        "embeddings, nearest class); or anchor (the text head of an encoder trained by sadvae features: cosine to "
        "projected class texts)", choices=METHODS)
    zsl_samples: int = setting(500, "text-latent samples per unseen class for the ZSL classifier", flag=False)
    zsl_steps: int = setting(300, "full-batch Adam steps of the ZSL classifier", flag=False)
    zsl_fits: int = setting(1, "ZSL classifier fits averaged per pass (default 1; 5 on small packs without a preset)")
    zsl_lr: float = setting(1e-3, "learning rate of the ZSL classifier", flag=False)
    log_every: int = setting(25, "batches between loss readings (reading a loss costs extra work)", flag=False)
    fast_path: bool = setting(True, "train with the generic autograd step even where the method has a hand-written "
                                    "one (same gradients; about 2-3x slower)")
    alignment_alpha: float = setting(0.5, "fs-vae: weight of the calibrated alignment loss (default 0.5; its "
                                     "authors' presets: 0.5 on NTU-60, 0.1 on NTU-120)")
