"""The registry: `--method NAME` -> a trained method class, or a single-pass function."""
from __future__ import annotations

from .anchor import anchor_split
from .base import Method
from .fsvae import FSVAE
from .msf import MSF
from .naive import Naive
from .no_tc import NoTC
from .projection import projection_split
from .sadvae import SADVAE

TRAINED: dict[str, type[Method]] = {cls.name: cls for cls in (SADVAE, NoTC, Naive, FSVAE, MSF)}
# single-pass methods: (split folder, x, y, text, unseen, sets, seeds) -> SplitResult
SINGLE_PASS = {
    "projection": lambda folder, x, y, text, unseen, sets, seeds: projection_split(x, y, text, unseen, sets, seeds),
    "anchor": lambda folder, x, y, text, unseen, sets, seeds: anchor_split(folder, text, unseen, sets, seeds),
}
METHODS = (*TRAINED, *SINGLE_PASS)


def style_dim_of(method: str, style_dim: int) -> int:
    """The style latent size a method's saved weights have (0 for methods without a style latent)."""
    cls = TRAINED.get(method)
    return style_dim if cls is not None and getattr(cls, "style", False) else 0
