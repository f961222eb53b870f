"""The GZSL gate: decides per sample whether it belongs to a seen or an unseen class.

Features of a sample = its top-U sorted ZSL probabilities (over the U unseen classes) next to its
top-U sorted seen-classifier probabilities (softmax of the `*_out` logits at temperature T). A
logistic regression learns seen-vs-unseen on the validation split (pseudo-unseen `unseen` samples
against held-out seen `seen_heldout` samples); T (1..9) and the decision threshold (0.25..0.74) are chosen
by accuracy on a held-out part, or taken as fixed values from the preset.

Calibrated stacking (`--gzsl stacking`, rule "stacking") is the other decision: it compares the two
classifiers' own confidences, the margin m = log max P_zsl - log max softmax(seen logits / T), and
sends a sample to the unseen classes when m > gamma. T and gamma are chosen on the validation split to
maximise its harmonic mean of seen and (pseudo-)unseen accuracy, with the classifiers' predictions
included (validation labels are training data). When both classifiers score in one space (the
anchor method: scaled cosines to seen and to new class prototypes), the margin is taken on those
scores, m = max ZSL logit - max seen logit (`scores = "logits"`, T = 1): it then does not depend on
how many new classes are asked about, which a softmax's top probability does.

The fitted gate is saved as plain numbers (JSON), never as a pickle.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..errors import SadvaeError
from ..io import atomic_write_text
from ..pack.format import MIN_GATE_SAMPLES

TEMPERATURES = tuple(range(1, 10))
THRESHOLDS = tuple(round(t / 100, 2) for t in range(25, 75))


@dataclass
class Gate:
    temperature: float
    threshold: float
    coef: list[float]  # logistic regression on [top-U ZSL probs, top-U seen probs]; positive class = seen
    intercept: float
    n_unseen: int
    holdout_accuracy: float
    rule: str  # "reference", "calibrated" or "stacking": see `route`
    scores: str = "probs"  # stacking on the ZSL "probs" or on "logits" (see the module doc)

    def p_unseen(self, zsl_probs: np.ndarray, seen_logits: np.ndarray) -> np.ndarray:
        """P(unseen) per sample; for stacking with scores "logits", `zsl_probs` holds the ZSL logits."""
        if self.rule == "stacking":  # a logistic function of the margin, 0.5 at the calibrated gamma
            margin = stacking_margin(zsl_probs, seen_logits, self.temperature, self.scores)
            return 1.0 / (1.0 + np.exp(np.clip(self.threshold - margin, -500, 500)))
        feats = gate_features(zsl_probs, seen_logits[None], np.array([self.temperature]), self.n_unseen)[0]
        return 1.0 / (1.0 + np.exp(feats @ np.asarray(self.coef) + self.intercept))

    def route(self, zsl_probs: np.ndarray, seen_logits: np.ndarray) -> np.ndarray:
        """True where a sample goes to the seen classifier.

        The threshold was calibrated as "unseen if P(unseen) > threshold". The reference's
        evaluation script applies it as "seen if P(seen) > threshold" instead (QUIRK_GATE_RULE),
        which is the same rule only at 0.5; `rule == "reference"` keeps that, "calibrated" uses the
        rule the threshold was chosen for.
        """
        return self.route_p(self.p_unseen(zsl_probs, seen_logits))

    def route_p(self, p_unseen: np.ndarray) -> np.ndarray:
        """`route` for given P(unseen) values."""
        if self.rule == "reference":
            return (1.0 - p_unseen) > self.threshold
        if self.rule == "stacking":
            return ~(p_unseen > 0.5)
        return ~(p_unseen > self.threshold)

    def save(self, path) -> None:
        atomic_write_text(path, json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, path) -> "Gate":
        path = Path(path)
        try:
            data = json.loads(path.read_text())
            return cls(**data)
        except FileNotFoundError:
            raise SadvaeError(f"{path}: expected a gate file written by `sadvae gate`, found no such file") from None
        except (json.JSONDecodeError, TypeError) as exc:
            raise SadvaeError(f"{path}: expected a gate JSON written by `sadvae gate`, found {exc}") from None


def softmax_t(logits: np.ndarray, temperatures: np.ndarray) -> np.ndarray:
    """Softmax of (n, C) logits at each temperature at once -> (len(T), n, C)."""
    scaled = logits[None] / np.asarray(temperatures, dtype=np.float64)[:, None, None]
    scaled = scaled - scaled.max(-1, keepdims=True)
    e = np.exp(scaled)
    return e / e.sum(-1, keepdims=True)


def top_sorted(probs: np.ndarray, k: int) -> np.ndarray:
    """The k largest values of each row, in decreasing order."""
    return -np.sort(-probs, axis=-1)[..., :k]


def gate_features(zsl_probs: np.ndarray, seen_logits: np.ndarray, temperatures: np.ndarray, n_unseen: int):
    """(n, U) ZSL probabilities and (n, N) logits -> (len(T), n, 2U) gate features, one block per temperature.

    `seen_logits` may carry a leading temperature axis of size 1 (broadcast)."""
    logits = seen_logits[0] if seen_logits.ndim == 3 else seen_logits
    seen = top_sorted(softmax_t(logits, temperatures), n_unseen)
    zsl = np.broadcast_to(top_sorted(zsl_probs, n_unseen), seen.shape)
    return np.concatenate([zsl, seen], axis=-1)


def fit_gate(unseen_zsl: np.ndarray, unseen_logits: np.ndarray, seen_zsl: np.ndarray, seen_logits: np.ndarray, *,
             seed: int = 5, temperature: float | None = None, threshold: float | None = None,
             rule: str = "reference") -> Gate:
    """Fit the gate on validation-split samples: pseudo-unseen (label 0) against seen (label 1)."""
    n_unseen = unseen_zsl.shape[1]
    rng = np.random.default_rng(seed)
    n = min(len(unseen_zsl), len(seen_zsl))
    if n < MIN_GATE_SAMPLES:
        raise SadvaeError(f"gate: expected at least {MIN_GATE_SAMPLES} validation samples of each kind "
                          f"(pseudo-unseen and seen), "
                          f"found {len(unseen_zsl)} and {len(seen_zsl)}")
    # balance the two groups, then hold out min(300, n/6) of each for choosing T and the threshold
    pick_u = rng.choice(len(unseen_zsl), n, replace=False)
    pick_s = rng.choice(len(seen_zsl), n, replace=False)
    n_hold = min(300, n // 6)
    hold = np.zeros(n, dtype=bool)
    hold[rng.choice(n, n_hold, replace=False)] = True
    temps = np.array([temperature] if temperature is not None else TEMPERATURES, dtype=np.float64)
    ths = np.array([threshold] if threshold is not None else THRESHOLDS)
    fu = gate_features(unseen_zsl[pick_u], unseen_logits[pick_u], temps, n_unseen)
    fs = gate_features(seen_zsl[pick_s], seen_logits[pick_s], temps, n_unseen)
    y_train = np.r_[np.zeros((~hold).sum()), np.ones((~hold).sum())]
    y_hold = np.r_[np.zeros(n_hold), np.ones(n_hold)]
    from sklearn.linear_model import LogisticRegression  # here: importing sklearn costs ~2 s of start-up

    best = None
    for i, T in enumerate(temps):
        model = LogisticRegression(C=1.0, solver="lbfgs", max_iter=50000)
        model.fit(np.concatenate([fu[i][~hold], fs[i][~hold]]), y_train)
        p_unseen = model.predict_proba(np.concatenate([fu[i][hold], fs[i][hold]]))[:, 0]
        # accuracy of "unseen if P(unseen) > th" for every threshold at once
        acc = ((p_unseen[None] > ths[:, None]) == (y_hold[None] == 0)).mean(1)
        j = int(np.argmax(acc))
        if best is None or acc[j] > best[0]:
            best = (float(acc[j]), float(T), float(ths[j]), model)
    acc, T, th, model = best
    return Gate(temperature=T, threshold=th, coef=model.coef_[0].tolist(), intercept=float(model.intercept_[0]),
                n_unseen=n_unseen, holdout_accuracy=acc, rule=rule)


def stacking_margin(zsl_probs: np.ndarray, seen_logits: np.ndarray, temperature: float,
                    scores: str = "probs") -> np.ndarray:
    """log of the ZSL classifier's top probability minus log of the seen classifier's (at temperature T);
    with scores "logits", the top ZSL logit (passed as `zsl_probs`) minus the top seen logit."""
    if scores == "logits":
        return np.asarray(zsl_probs, dtype=np.float64).max(-1) - np.asarray(seen_logits, dtype=np.float64).max(-1)
    seen = softmax_t(np.asarray(seen_logits, dtype=np.float64), np.array([temperature]))[0]
    return np.log(np.maximum(zsl_probs.max(-1), 1e-300)) - np.log(np.maximum(seen.max(-1), 1e-300))


def fit_stacking(unseen_zsl: np.ndarray, unseen_logits: np.ndarray, unseen_labels: np.ndarray,
                 seen_zsl: np.ndarray, seen_logits: np.ndarray, seen_labels: np.ndarray,
                 seen_classes: np.ndarray, unseen_classes: np.ndarray, *, temperature: float | None = None,
                 scores: str = "probs") -> Gate:
    """Calibrated stacking on validation-split samples: pseudo-unseen (`unseen_*`, labels among
    `unseen_classes`) and held-out seen (`seen_*`, labels among `seen_classes`). Chooses T and gamma by the
    harmonic mean of the two accuracies; ties go to the smaller |gamma|. With scores "logits", the `*_zsl`
    arrays are ZSL logits and T is 1."""
    return fit_stacking_pooled([StackingDraw(unseen_zsl, unseen_logits, unseen_labels, seen_zsl, seen_logits,
                                             seen_labels, seen_classes, unseen_classes)], temperature=temperature,
                               scores=scores)


@dataclass
class StackingDraw:
    """One validation draw's samples for calibrated stacking (see fit_stacking)."""

    unseen_zsl: np.ndarray
    unseen_logits: np.ndarray
    unseen_labels: np.ndarray
    seen_zsl: np.ndarray
    seen_logits: np.ndarray
    seen_labels: np.ndarray
    seen_classes: np.ndarray
    unseen_classes: np.ndarray


def fit_stacking_pooled(draws: list[StackingDraw], *, temperature: float | None = None,
                        scores: str = "probs") -> Gate:
    """Calibrated stacking on the samples of several validation draws at once (each draw with its own
    classes and classifiers), so that one lucky or unlucky draw does not decide T and gamma."""
    n_unseen = {d.unseen_zsl.shape[1] for d in draws}
    n_u, n_s = sum(len(d.unseen_zsl) for d in draws), sum(len(d.seen_zsl) for d in draws)
    if min(n_u, n_s) < MIN_GATE_SAMPLES:
        raise SadvaeError(f"gate: expected at least {MIN_GATE_SAMPLES} validation samples of each kind "
                          f"(pseudo-unseen and seen), found {n_u} and {n_s}")
    # right if routed there: the seen classifier on seen samples, the ZSL classifier on unseen ones
    seen_right = np.concatenate([
        np.asarray(d.seen_classes)[np.argmax(d.seen_logits[:, d.seen_classes], 1)] == d.seen_labels for d in draws])
    unseen_right = np.concatenate([
        np.sort(d.unseen_classes)[np.argmax(d.unseen_zsl, 1)] == d.unseen_labels for d in draws])
    best = None
    temps = [1.0] if scores == "logits" else [temperature] if temperature is not None else TEMPERATURES
    for T in temps:
        m_seen = np.concatenate([stacking_margin(d.seen_zsl, d.seen_logits, T, scores) for d in draws])
        m_unseen = np.concatenate([stacking_margin(d.unseen_zsl, d.unseen_logits, T, scores) for d in draws])
        cuts = np.unique(np.r_[m_seen, m_unseen])
        gammas = np.r_[cuts[0] - 1.0, (cuts[1:] + cuts[:-1]) / 2, cuts[-1] + 1.0]
        # right and routed there, for every gamma at once (sorted counts, not a gamma x sample table)
        s_acc = np.searchsorted(np.sort(m_seen[seen_right]), gammas, side="right") / len(m_seen)
        right_u = np.sort(m_unseen[unseen_right])
        u_acc = (len(right_u) - np.searchsorted(right_u, gammas, side="right")) / len(m_unseen)
        h = np.where(s_acc + u_acc > 0, 2 * s_acc * u_acc / np.maximum(s_acc + u_acc, 1e-12), 0.0)
        j = max(range(len(gammas)), key=lambda i: (round(float(h[i]), 12), -abs(gammas[i])))
        if best is None or h[j] > best[0]:
            best = (float(h[j]), float(T), float(gammas[j]))
    h, T, gamma = best
    return Gate(temperature=T, threshold=gamma, coef=[], intercept=0.0, n_unseen=max(n_unseen),
                holdout_accuracy=h, rule="stacking", scores=scores)


@dataclass
class GZSLResult:
    seen_accuracy: float
    unseen_accuracy: float
    harmonic_mean: float
    predictions: np.ndarray
    routed_seen: np.ndarray


def harmonic_mean(a: float, b: float) -> float:
    return 0.0 if a + b == 0 else 2 * a * b / (a + b)


def evaluate_gzsl(gate: Gate, zsl_probs: np.ndarray, logits: np.ndarray, labels: np.ndarray,
                  seen_classes: np.ndarray, unseen_classes: np.ndarray, zsl_logits: np.ndarray | None = None
                  ) -> GZSLResult:
    """Route each sample, predict with the chosen classifier, score seen and unseen accuracy and H.
    A gate that stacks on logits routes by `zsl_logits`."""
    seen_classes, unseen_classes = np.asarray(seen_classes), np.sort(np.asarray(unseen_classes))
    to_seen = gate.route(zsl_logits if gate.scores == "logits" else zsl_probs, logits)
    seen_pred = seen_classes[np.argmax(logits[:, seen_classes], axis=1)]
    unseen_pred = unseen_classes[np.argmax(zsl_probs, axis=1)]
    pred = np.where(to_seen, seen_pred, unseen_pred)
    is_seen = np.isin(labels, seen_classes)
    s = float((pred[is_seen] == labels[is_seen]).mean()) if is_seen.any() else 0.0
    u = float((pred[~is_seen] == labels[~is_seen]).mean()) if (~is_seen).any() else 0.0
    return GZSLResult(s, u, harmonic_mean(s, u), pred, to_seen)
