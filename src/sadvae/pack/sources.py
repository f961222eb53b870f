"""Several datasets with their class texts -> one training set (`sadvae fit` and `sadvae features`).

`data.sources.combine` puts the skeletons into the shared space and joins the class lists; this adds
what both commands need beside it: every dataset's class texts (its descriptions, else its class
names in our templates, or bare with prompts off), the union as one `ClassTexts`, and sampling
weights that draw each dataset equally often.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..data.sources import Combined, Source, combine
from .text import ClassTexts, name_prompts, with_names


@dataclass
class SourcesData:
    combined: Combined  # the skeletons in the shared space, which dataset each sample came from
    texts: ClassTexts  # per class of combined.skeletons.class_names
    weights: np.ndarray | None  # (N,) sampling weights, 1 / the size of the sample's dataset (balance), or None
    text_mode: str  # desc (some dataset has descriptions), prompt (names in templates) or lb (bare names)


def combine_sources(sources: list[Source], prompts: bool = True, merge: bool = True,
                    balance: bool = True, names: bool = False) -> SourcesData:
    """The datasets as one (see the module docstring); `prompts`: a dataset without descriptions learns
    its class names in the templates (else bare); `names`: a dataset with descriptions also learns each
    class's bare name beside them."""
    sources = list(sources)
    described = any(s.texts is not None for s in sources)
    if names:
        sources = [s if s.texts is None else dataclasses.replace(
            s, texts=with_names(s.skeletons.class_names, s.class_texts()),
            text_source=f"{s.text_source} and the class names") for s in sources]
    if prompts:
        sources = [s if s.texts is not None else dataclasses.replace(
            s, texts=name_prompts(s.skeletons.class_names).texts, text_source="class names in templates")
            for s in sources]
    combined = combine(sources, merge=merge)
    texts = ClassTexts(combined.texts, "; ".join(f"{s.name}: {s.text_source}" for s in sources),
                       f"{len(combined.texts)} classes of {len(sources)} datasets")
    counts = np.bincount(combined.dataset, minlength=len(combined.names)).astype(np.float64)
    weights = 1.0 / counts[combined.dataset] if balance else None
    return SourcesData(combined, texts, weights, "desc" if described else "prompt" if prompts else "lb")


def datasets_manifest(combined: Combined) -> dict:
    """Per dataset: its sequence count and the classes it has (for a manifest or a pack report)."""
    names = combined.skeletons.class_names
    return {name: {"sequences": int(n), "classes": [c for c, ds in zip(names, combined.class_datasets) if name in ds]}
            for name, n in combined.counts().items()}
