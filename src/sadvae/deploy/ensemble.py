"""Several bundles as one model: each names the recordings among the given classes, and their
probabilities are averaged (the multi-stream or multi-seed ensemble of skeleton recognition).

An option, off by default: measured on UTD-MHAD's PURLS splits (benchmarks/bench_ensemble.py,
docs/results.md), two or three encoders fused did not beat one by more than the spread over seeds,
and every member costs its own training and its own prediction time. Only the plain question is
fused (the given classes alone): the seen/new gate, "none of these" and the transductive scorings
are each calibrated for one model, so they are refused here.
"""
from __future__ import annotations

import numpy as np

from ..errors import SadvaeError
from .bundle import _top, check_class_list, load


class EnsembleModel:
    """Bundles (loaded models) whose probabilities over the given classes are averaged."""

    def __init__(self, members: list, sources: list[str] | None = None):
        if len(members) < 2:
            raise SadvaeError(f"ensemble: expected at least two models, found {len(members)}")
        self.members = list(members)
        self.source = " + ".join(sources or [m.source for m in members])

    @property
    def layouts(self) -> list[str]:
        return [m.layout for m in self.members]

    def predict(self, sequences, classes: list[str], *, include_seen: bool = False, top_k: int = 5,
                sample_names: list[str] | None = None, seed: int = 0, device: str | None = None,
                layout: str | None = None, allow_none: bool = False, transductive: bool | str = False,
                scoring: str | None = None):
        """As a single model's predict, the given classes alone: the mean of the members' probabilities
        (each member scoring as `scoring` says, or as its own bundle does)."""
        refused = [flag for flag, on in (("--include-seen", include_seen), ("--allow-none", allow_none),
                                         ("--transductive", bool(transductive))) if on]
        if refused:
            raise SadvaeError(f"ensemble: expected the given classes alone, found {', '.join(refused)} (calibrated "
                              f"for one model; use one --model for it)")
        classes = check_class_list(classes)
        if top_k < 1:
            raise SadvaeError(f"--top-k: expected a positive number, found {top_k}")
        index = {c: j for j, c in enumerate(classes)}
        total, names = None, None
        for member in self.members:
            preds = member.predict(sequences, classes, top_k=len(classes), sample_names=sample_names, seed=seed,
                                   device=device, layout=layout, scoring=scoring)
            probs = np.zeros((len(preds), len(classes)))
            for i, p in enumerate(preds):
                probs[i, [index[label] for label in p.labels]] = p.probs
            total = probs if total is None else total + probs
            names = [p.sample for p in preds]
        return _top(names, classes, total / len(self.members), top_k)


def load_ensemble(paths: list[str], device: str = "cpu") -> EnsembleModel:
    """Load every bundle (or ready model) and fuse them."""
    return EnsembleModel([load(p, device) for p in paths], [str(p) for p in paths])
