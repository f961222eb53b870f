import numpy as np
import pytest

from sadvae.experiment.gate import Gate, evaluate_gzsl, fit_gate, gate_features, harmonic_mean, softmax_t
from sadvae.methods.schedule import loss_weights


def test_schedule_at_chosen_batches():
    L = 1700  # the reference's own pass length: its constants read directly
    assert loss_weights(0, 1000, L).skeleton_kl == 0.0
    assert loss_weights(0, 2500, L).skeleton_kl == pytest.approx(0.05)
    assert loss_weights(5, 1699, L).skeleton_kl == pytest.approx(0.1 * 699 / 3000)
    # text KL / TC: zero in passes 0 and 1, then rising after int(0.8 L) = 1360
    assert loss_weights(1, 1699, L).text_kl == 0.0
    assert loss_weights(2, 1360, L).text_kl == 0.0
    assert loss_weights(2, 1660, L).text_kl == pytest.approx(0.01)
    assert loss_weights(2, 1660, L).tc == loss_weights(2, 1660, L).text_kl
    assert loss_weights(0, 1360, L).cross == 0.0 and loss_weights(0, 1361, L).cross == 1.0
    # scaled to other pass lengths: L = 170 behaves like L = 1700 at a tenth of the index
    assert loss_weights(3, 166, 170).text_kl == pytest.approx(0.1 * (166 - 136) / 300)
    assert loss_weights(3, 166, 170).skeleton_kl == pytest.approx(0.1 * (166 - 100) / 300)


def test_gate_features_are_sorted_top_u_per_temperature():
    zsl = np.array([[0.1, 0.7, 0.2]])
    logits = np.array([[2.0, 0.0, 1.0, -1.0]])
    f = gate_features(zsl, logits, np.array([1.0, 2.0]), n_unseen=3)
    assert f.shape == (2, 1, 6)
    np.testing.assert_allclose(f[0, 0, :3], [0.7, 0.2, 0.1])
    for i, T in enumerate([1.0, 2.0]):
        e = np.exp(logits[0] / T)
        np.testing.assert_allclose(f[i, 0, 3:], np.sort(e / e.sum())[::-1][:3])
    np.testing.assert_allclose(softmax_t(logits, np.array([1.0]))[0].sum(), 1.0)


def test_harmonic_mean():
    assert harmonic_mean(0.5, 0.5) == 0.5
    assert harmonic_mean(0.8, 0.4) == pytest.approx(2 * 0.32 / 1.2)
    assert harmonic_mean(0.0, 0.0) == 0.0


def test_gate_learns_to_separate_and_routes():
    rng = np.random.default_rng(0)
    n, N = 200, 8
    # unseen samples: confident ZSL, flat seen logits; seen samples: the opposite
    unseen_zsl = rng.dirichlet([8, 1, 1], n)
    seen_zsl = rng.dirichlet([1, 1, 1], n)
    unseen_logits = rng.normal(0, 0.3, (n, N))
    seen_logits = rng.normal(0, 0.3, (n, N))
    seen_logits[np.arange(n), rng.integers(0, 5, n)] += 5
    gate = fit_gate(unseen_zsl, unseen_logits, seen_zsl, seen_logits, seed=1, rule="calibrated")
    assert 1 <= gate.temperature <= 9 and 0.25 <= gate.threshold <= 0.74
    assert gate.holdout_accuracy > 0.9
    assert gate.route(seen_zsl, seen_logits).mean() > 0.9
    assert gate.route(unseen_zsl, unseen_logits).mean() < 0.1
    fixed = fit_gate(unseen_zsl, unseen_logits, seen_zsl, seen_logits, temperature=2, threshold=0.5)
    assert (fixed.temperature, fixed.threshold) == (2.0, 0.5)


def test_gzsl_scoring_by_hand():
    gate = Gate(temperature=1, threshold=0.5, coef=[0, 0, 0, 0], intercept=0.0, n_unseen=2, holdout_accuracy=1,
                rule="calibrated")
    # intercept 0 and zero coefficients: P(unseen) = 0.5, not > 0.5 -> everything routed to seen
    logits = np.array([[5.0, 0, 0, 0], [0, 5.0, 0, 0], [0, 0, 5.0, 0]])
    zsl = np.array([[0.9, 0.1], [0.9, 0.1], [0.9, 0.1]])
    res = evaluate_gzsl(gate, zsl, logits, labels=np.array([0, 0, 2]), seen_classes=np.array([0, 1]),
                        unseen_classes=np.array([3, 2]))
    assert res.routed_seen.all()
    assert res.predictions.tolist() == [0, 1, 0]
    assert res.seen_accuracy == 0.5 and res.unseen_accuracy == 0.0 and res.harmonic_mean == 0.0
    gate.intercept = -10.0  # P(unseen) ~ 1 -> unseen classifier, classes sorted: [2, 3]
    res = evaluate_gzsl(gate, zsl, logits, np.array([0, 0, 2]), np.array([0, 1]), np.array([3, 2]))
    assert res.predictions.tolist() == [2, 2, 2] and res.unseen_accuracy == 1.0
