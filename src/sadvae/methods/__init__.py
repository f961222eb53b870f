"""Zero-shot methods, one file each, and the registry that maps `--method NAME` to them.

Trained methods are `nn.Module`s (`base.Method`) run by the generic loop in `training.py`:
- `sadvae`: SA-DVAE (ECCV 2024), with a hand-written accelerated step (`sadvae_fast.py`);
- `no-tc`, `naive`: the paper's ablations (same accelerated step);
- `fs-vae`: frequency-reweighted inputs and a calibrated alignment loss (ICCV 2025);
- `msf`: alignment with several description types per class fused into one text vector.

Single-pass methods have no training loop: `projection` (a ridge baseline) and `anchor` (the
skeleton encoder's own text-anchored head).

To add a method: write one file with a `Method` subclass (its layers, `loss`, and the evaluation
hook `zsl_probabilities`, or inherit them) and add it to `TRAINED` below. See docs/development.md.
"""
from __future__ import annotations

from .anchor import anchor_split
from .base import Batch, Method, Replicated
from .fsvae import FSVAE
from .msf import MSF
from .naive import Naive
from .no_tc import NoTC
from .projection import projection_split
from .sadvae import SADVAE
from .training import LOSS_TERMS, SplitResult, TrainConfig, resolve_device, train_split

TRAINED: dict[str, type[Method]] = {cls.name: cls for cls in (SADVAE, NoTC, Naive, FSVAE, MSF)}
# single-pass methods: (split folder, x, y, text, unseen, sets, seeds) -> SplitResult
SINGLE_PASS = {
    "projection": lambda folder, x, y, text, unseen, sets, seeds: projection_split(x, y, text, unseen, sets, seeds),
    "anchor": lambda folder, x, y, text, unseen, sets, seeds: anchor_split(folder, text, unseen, sets, seeds),
}
METHODS = (*TRAINED, *SINGLE_PASS)

__all__ = ["Batch", "LOSS_TERMS", "METHODS", "Method", "Replicated", "SINGLE_PASS", "SplitResult", "TRAINED",
           "TrainConfig", "resolve_device", "train_split"]
