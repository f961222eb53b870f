"""Calibrated confidence and "none of these" (deploy/confidence.py): beta, the threshold, their figures."""
import numpy as np
import pytest

from sadvae.deploy.confidence import (DrawCosines, calibrate, choose_threshold, expected_calibration_error,
                                      fit_beta, none_of_these)
from sadvae.errors import SadvaeError


def draw_from(beta: float, n: int, classes: int, seed: int) -> DrawCosines:
    """Recordings whose true class is drawn from softmax(beta * cosine): beta is then the right answer."""
    rng = np.random.default_rng(seed)
    cosines = rng.uniform(-0.2, 0.8, size=(n, classes))
    z = beta * cosines
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    truth = np.array([rng.choice(classes, p=row) for row in p])
    return DrawCosines(cosines, truth, logit_scale=40.0)


def test_beta_recovers_the_temperature_the_data_were_drawn_with():
    draws = [draw_from(12.0, 1500, 5, seed) for seed in range(2)]
    assert fit_beta(draws) == pytest.approx(12.0, rel=0.2)


def test_calibration_lowers_the_error_of_an_overconfident_scale():
    draws = [draw_from(8.0, 600, 5, seed) for seed in range(3)]  # drawn at 8, scored at 40: overconfident
    report = calibrate(draws)
    assert report["held_out"] == "leave one draw out" and report["draws"] == 3 and report["recordings"] == 1800
    assert report["ece_after"] < 0.1 and report["ece_after"] < 0.5 * report["ece_before"], report


def test_ece_is_zero_for_matching_confidence_and_large_for_overconfidence():
    truth = np.array([0, 0, 0, 1])  # 75% right at confidence 0.75
    probs = np.tile([0.75, 0.25], (4, 1))
    assert expected_calibration_error(probs, truth) == pytest.approx(0.0, abs=1e-12)
    sure = np.tile([0.99, 0.01], (4, 1))
    assert expected_calibration_error(sure, truth) == pytest.approx(0.24, abs=1e-9)


def test_the_threshold_separates_asked_from_left_out_classes():
    rng = np.random.default_rng(0)
    n, classes = 200, 4
    cosines = rng.uniform(0.0, 0.3, size=(n, classes))
    truth = rng.integers(0, classes, n)
    cosines[np.arange(n), truth] = rng.uniform(0.6, 0.9, n)  # the true class stands out
    report = calibrate([DrawCosines(cosines[:100], truth[:100], 30.0), DrawCosines(cosines[100:], truth[100:], 30.0)])
    assert 0.3 <= report["none_cosine"] <= 0.6
    assert report["none_when_asked"] == 0.0 and report["none_when_left_out"] == 1.0
    assert none_of_these(np.array([[0.7, 0.1], [0.2, 0.25]]), report["none_cosine"]).tolist() == [False, True]


def test_choose_threshold_balances_the_two_errors():
    asked, left_out = np.array([0.5, 0.6, 0.7, 0.8]), np.array([0.1, 0.2, 0.55, 0.3])
    t = choose_threshold(asked, left_out)
    assert 0.3 < t <= 0.5  # misses one left-out recording (0.55), refuses no asked one


def test_too_little_calibration_data_is_one_clear_error():
    with pytest.raises(SadvaeError, match="expected at least 20 recordings .* found 6"):
        calibrate([draw_from(5.0, 6, 3, 0)])
    one_class = DrawCosines(np.full((30, 1), 0.5), np.zeros(30, dtype=int), 30.0)
    with pytest.raises(SadvaeError, match="at least 2 validation classes"):
        calibrate([one_class])


def test_adapted_prototypes_move_towards_their_recordings():
    from sadvae.deploy.adapt import adapt_prototypes

    rng = np.random.default_rng(0)
    centres = np.eye(3, 8)  # where the recordings of three classes really lie
    text = centres + 0.6 * np.eye(3, 8, k=3)  # the texts point off to one side
    text /= np.linalg.norm(text, axis=1, keepdims=True)
    emb = np.repeat(centres, 20, axis=0) + 0.05 * rng.normal(size=(60, 8))
    adapted = adapt_prototypes(emb, text, beta=20.0)
    before = (text * centres).sum(1)
    after = (adapted * centres).sum(1)
    assert (after > before).all() and np.allclose(np.linalg.norm(adapted, axis=1), 1.0)
    with pytest.raises(SadvaeError, match="--transductive: expected at least 6 recordings"):
        adapt_prototypes(emb[:5], text, beta=20.0)


def test_centring_removes_a_shift_that_every_recording_shares():
    from sadvae.deploy.adapt import centre

    rng = np.random.default_rng(1)
    protos = np.eye(3, 8)
    truth = np.repeat(np.arange(3), 20)
    shift = 4.0 * np.eye(1, 8, k=5)  # a new sensor: every recording moved the same way
    emb = protos[truth] + shift + 0.1 * rng.normal(size=(60, 8))
    # the shift lifts every cosine and pulls all towards the prototype nearest to it, as a new sensor can
    tilted = protos + 0.5 * np.eye(3, 8, k=5) * np.array([[1.0], [0.0], [0.0]])
    unit = lambda a: a / np.linalg.norm(a, axis=1, keepdims=True)  # noqa: E731
    before = (unit(emb) @ unit(tilted).T).argmax(1)
    c_emb, c_proto = centre(emb, tilted)
    after = (c_emb @ c_proto.T).argmax(1)
    assert (before == truth).mean() < 0.5 and (after == truth).mean() > 0.9
    assert np.allclose(np.linalg.norm(c_emb, axis=1), 1.0) and np.allclose(np.linalg.norm(c_proto, axis=1), 1.0)
    with pytest.raises(SadvaeError, match="--transductive centre: expected at least two classes and 6 recordings"):
        centre(emb[:5], tilted)

