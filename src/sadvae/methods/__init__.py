"""Zero-shot methods, one file each, and the registry that maps `--method NAME` to them.

Trained methods are `nn.Module`s (`base.Method`) run by the generic loop in `training.py`:
- `sadvae`: SA-DVAE (ECCV 2024), with a hand-written accelerated step (`sadvae_fast.py`);
- `no-tc`, `naive`: the paper's ablations (same accelerated step);
- `fs-vae`: frequency-reweighted inputs and a calibrated alignment loss (ICCV 2025);
- `msf`: alignment with several description types per class fused into one text vector.

Single-pass methods have no training loop: `projection` (a ridge baseline) and `anchor` (the
skeleton encoder's own text-anchored head).

To add a method: write one file with a `Method` subclass (its layers, `loss`, and the evaluation
hook `zsl_probabilities`, or inherit them) and add it to `TRAINED` in registry.py. See docs/development.md.
"""
from __future__ import annotations

from .base import Batch, Method, Replicated
from .registry import METHODS, SINGLE_PASS, TRAINED, style_dim_of
from .config import TrainConfig
from .result import LOSS_TERMS, SplitResult
from .training import resolve_device, train_split

__all__ = ["Batch", "LOSS_TERMS", "METHODS", "Method", "Replicated", "SINGLE_PASS", "SplitResult", "TRAINED",
           "TrainConfig", "resolve_device", "style_dim_of", "train_split"]
