"""MSF (multi-semantic fusion, as read from EHZ9NIWI7/MSF-GZSSAR): the cross-modal VAE aligned with
several description types per class at once.

Each class's text is the concatenation of its embeddings of every description type (a label, an
action description, a motion description, ...), L2-normalised as one vector, and a single text
encoder reads it; there are no fusion weights. The VAE is the naive one (no style latent, no
discriminator), as in the authors' SynSE-based code.

The types are the pack's text modes joined by `_` (`--text-mode lb_desc`); when the text mode is not
given for a dataset without a preset, a run with `--method msf` takes every mode the pack has. A mode
with several descriptions per class (`desc`) pairs each description with the class's single-row
modes, and training draws one description per sample, as for any ensemble.
"""
from __future__ import annotations

from .config import fused_text_mode  # noqa: F401  (its old home)
from .naive import Naive


class MSF(Naive):
    name = "msf"


