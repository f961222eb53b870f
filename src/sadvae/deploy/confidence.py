"""Calibrated confidence and "none of these" for anchor models, chosen on held-out data only.

`sadvae fit` trains, beside the main encoder, encoders that never see a draw of validation classes
(the calibration draws). Their cosines between those classes' recordings and the classes' texts are
what a new class looks like to a model, so they calibrate two things:

- **Probabilities.** Zero-shot probabilities are softmax(beta * cosine) over the asked classes; beta
  (an inverse temperature on the cosine scale, so that it carries from the draws' encoders to the
  main one) minimises the negative log-likelihood of the true class over every draw's recordings.
- **"None of these".** A recording's best cosine to the asked classes is compared with a threshold;
  below it the answer is "none of these". The threshold is chosen from two kinds of question asked
  of every calibration recording: its draw's classes with its own class among them (it should be
  answered) and with its own class left out (it should be "none"), maximising the mean of the two
  rates of right decisions (balanced accuracy).

What is reported is measured the honest way: with two or more draws, every draw is scored with beta
and the threshold chosen on the other draws (leave one draw out), so the expected calibration error
(ECE, 15 equal-width bins of the top probability) and the two "none" rates are of data the choice
never saw. The figures go into the bundle's manifest (`confidence`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import SadvaeError

ECE_BINS = 15
MIN_RECORDINGS = 20  # calibration recordings needed to choose beta and the threshold
BETAS = np.exp(np.linspace(np.log(0.5), np.log(200.0), 241))  # the inverse temperatures searched


@dataclass
class DrawCosines:
    """One calibration draw: cosines (n, C) of recordings of its C validation classes to their texts,
    and each recording's true class as a column index."""

    cosines: np.ndarray
    truth: np.ndarray
    logit_scale: float  # the draw encoder's own scale (its uncalibrated probabilities)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _nll(cosines: np.ndarray, truth: np.ndarray, beta: float) -> float:
    z = beta * cosines
    z = z - z.max(axis=1, keepdims=True)
    return float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(truth)), truth]))


def expected_calibration_error(probs: np.ndarray, truth: np.ndarray, bins: int = ECE_BINS) -> float:
    """ECE of the top probability: the mean over equal-width confidence bins of |accuracy - confidence|,
    weighted by the bin's share of recordings."""
    return top_calibration_error(probs.max(axis=1), probs.argmax(axis=1) == truth, bins)


def top_calibration_error(top: np.ndarray, right: np.ndarray, bins: int = ECE_BINS) -> float:
    """ECE from each recording's top probability and whether its top class was right."""
    top, right = np.asarray(top, dtype=np.float64), np.asarray(right, dtype=bool)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(top, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            total += inside.mean() * abs(right[inside].mean() - top[inside].mean())
    return float(total)


def fit_beta(draws: list[DrawCosines]) -> float:
    """The inverse temperature on the cosine scale with the least pooled negative log-likelihood."""
    losses = [sum(_nll(d.cosines, d.truth, b) * len(d.truth) for d in draws) for b in BETAS]
    return float(BETAS[int(np.argmin(losses))])


def _open_set_scores(draws: list[DrawCosines]) -> tuple[np.ndarray, np.ndarray]:
    """Best cosines when the true class is asked (answer) and when it is left out (none)."""
    asked, left_out = [], []
    for d in draws:
        if d.cosines.shape[1] < 2:  # leaving the true class out would ask about nothing
            continue
        asked.append(d.cosines.max(axis=1))
        others = d.cosines.copy()
        others[np.arange(len(d.truth)), d.truth] = -np.inf
        left_out.append(others.max(axis=1))
    if not asked:
        return np.zeros(0), np.zeros(0)
    return np.concatenate(asked), np.concatenate(left_out)


def choose_threshold(asked: np.ndarray, left_out: np.ndarray) -> float:
    """The cosine threshold with the best balanced accuracy of answer-vs-none (midpoints between scores)."""
    values = np.unique(np.concatenate([asked, left_out]))
    candidates = np.concatenate([[values[0] - 1e-6], (values[:-1] + values[1:]) / 2, [values[-1] + 1e-6]])
    answered = (asked[None, :] >= candidates[:, None]).mean(axis=1)
    refused = (left_out[None, :] < candidates[:, None]).mean(axis=1)
    return float(candidates[int(np.argmax(answered + refused))])


def _rates(draws: list[DrawCosines], threshold: float) -> tuple[float, float]:
    asked, left_out = _open_set_scores(draws)
    return float((asked < threshold).mean()), float((left_out < threshold).mean())


def calibrate(draws: list[DrawCosines]) -> dict:
    """beta, the "none" threshold, and their held-out figures (see the module docstring); a clear error
    when the draws hold too few recordings to choose them."""
    n = sum(len(d.truth) for d in draws)
    if n < MIN_RECORDINGS:
        raise SadvaeError(f"confidence calibration: expected at least {MIN_RECORDINGS} recordings of validation "
                          f"classes over the calibration draws, found {n} (more recordings, more "
                          "--calibration-draws, or a larger validation share)")
    asked, left_out = _open_set_scores(draws)
    if not len(asked):
        raise SadvaeError("confidence calibration: expected calibration draws of at least 2 validation classes "
                          "(to ask with the true class left out), found 1 per draw")
    beta = fit_beta(draws)
    threshold = choose_threshold(asked, left_out)
    report = {"beta": beta, "none_cosine": threshold, "recordings": int(n), "draws": len(draws)}
    # held-out figures: each draw scored with what the other draws chose (one draw: in-sample, said so)
    held = []
    for i, d in enumerate(draws):
        rest = [e for j, e in enumerate(draws) if j != i] or [d]
        b = fit_beta(rest)
        a, lo = _open_set_scores(rest)
        t = choose_threshold(a, lo) if len(a) else threshold
        none_asked, none_left_out = _rates([d], t) if d.cosines.shape[1] >= 2 else (np.nan, np.nan)
        held.append({"n": len(d.truth),
                     "ece_before": expected_calibration_error(_softmax(d.logit_scale * d.cosines), d.truth),
                     "ece_after": expected_calibration_error(_softmax(b * d.cosines), d.truth),
                     "none_when_asked": none_asked, "none_when_left_out": none_left_out})
    weights = np.array([h["n"] for h in held], dtype=np.float64)
    for key in ("ece_before", "ece_after", "none_when_asked", "none_when_left_out"):
        values = np.array([h[key] for h in held], dtype=np.float64)
        ok = np.isfinite(values)
        report[key] = float(np.average(values[ok], weights=weights[ok])) if ok.any() else None
    report["held_out"] = "leave one draw out" if len(draws) > 1 else "in-sample (one calibration draw)"
    return report


def none_of_these(cosines: np.ndarray, threshold: float) -> np.ndarray:
    """(n,) bool: recordings whose best cosine to the asked classes is below the threshold."""
    return cosines.max(axis=1) < threshold
