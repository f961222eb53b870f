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

import importlib

# name -> the module that defines it; imported on first use, so that the command line can read the
# settings (methods/config.py) without importing PyTorch
_HOMES = {"Batch": "base", "Method": "base", "Replicated": "base", "METHODS": "registry", "SINGLE_PASS": "registry",
          "TRAINED": "registry", "style_dim_of": "registry", "TrainConfig": "config", "LOSS_TERMS": "result",
          "SplitResult": "result", "resolve_device": "training", "train_split": "training"}

__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_HOMES[name]}", __name__), name)
