"""The generated motions of data.synthetic: deterministic, in the shared space, and moving the limb they name."""
import json

import numpy as np
import pytest

from sadvae.data.layouts import SHARED, get_layout
from sadvae.data.preprocess import align_view, center
from sadvae.data.sources import combine
from sadvae.data.synthetic import MOVEMENTS, synthetic_skeletons, synthetic_source
from sadvae.errors import SadvaeError

LAYOUT = get_layout(SHARED)
J = {name: i for i, name in enumerate(LAYOUT.joints)}


@pytest.fixture(scope="module")
def generated():
    return synthetic_skeletons(per_class=3, performers=3, seed=7)


def _aligned(skeletons, name):
    """The first clip of a class, centred on its first frame and turned as align_view leaves real recordings."""
    i = int(np.flatnonzero(skeletons.labels == skeletons.class_names.index(name))[0])
    return align_view(center(skeletons.sequences[i].astype(np.float64), LAYOUT, "first"), LAYOUT)[:, 0]


def _reach(seq, joint, base):
    """The joint's position relative to `base` in the frame where it is farthest from where it began."""
    rel = seq[:, J[joint]] - seq[:, J[base]]
    return rel[np.argmax(np.linalg.norm(rel - rel[0], axis=1))]


def test_every_class_drawn_finite_and_labelled(generated):
    skeletons, texts = generated
    assert skeletons.layout == SHARED and skeletons.fps == 30.0
    assert len(skeletons.class_names) == len(MOVEMENTS) == len(set(skeletons.class_names)) == len(texts)
    assert np.bincount(skeletons.labels).tolist() == [3] * len(MOVEMENTS)
    assert set(skeletons.subjects.tolist()) == {1, 2, 3}
    for seq in skeletons.sequences:
        assert seq.ndim == 4 and seq.shape[1:] == (1, 16, 3) and 45 <= len(seq) <= 120
        assert np.isfinite(seq).all()
    assert all(t[0] == n and t[1].startswith("a person ") for n, t in zip(skeletons.class_names, texts))


def test_deterministic_in_seed(generated):
    again, _ = synthetic_skeletons(per_class=3, performers=3, seed=7)
    other, _ = synthetic_skeletons(per_class=3, performers=3, seed=8)
    np.testing.assert_allclose(again.sequences[5], generated[0].sequences[5], atol=1e-6)
    assert not np.allclose(other.sequences[5][:1], generated[0].sequences[5][:1], atol=1e-3)


def test_the_named_limb_moves_the_named_way(generated):
    skeletons, _ = generated
    # forward is -z, the body's right +x, up +y after align_view (as in UTD-MHAD and Bandai-Namco)
    arm = _reach(_aligned(skeletons, "raise the right arm forward"), "right_wrist", "right_shoulder")
    assert arm[2] < -0.35 and arm[1] > -0.2
    other = _reach(_aligned(skeletons, "raise the right arm forward"), "left_wrist", "left_shoulder")
    assert other[1] < -0.3  # the left arm stays down
    side = _reach(_aligned(skeletons, "raise the left arm to the side"), "left_wrist", "left_shoulder")
    assert side[0] < -0.35 and abs(side[2]) < 0.2
    kick = _reach(_aligned(skeletons, "kick forward with the left leg"), "left_ankle", "pelvis")
    assert kick[2] < -0.4
    walk = _aligned(skeletons, "walk forward")
    assert walk[-1, J["pelvis"], 2] - walk[0, J["pelvis"], 2] < -1.0
    back = _aligned(skeletons, "walk backward")
    assert back[-1, J["pelvis"], 2] - back[0, J["pelvis"], 2] > 0.3
    sit = _aligned(skeletons, "sit down")
    assert sit[-1, J["pelvis"], 1] - sit[0, J["pelvis"], 1] < -0.25


def _clips(skeletons, name):
    return [align_view(center(skeletons.sequences[i].astype(np.float64), LAYOUT, "first"), LAYOUT)[:, 0]
            for i in np.flatnonzero(skeletons.labels == skeletons.class_names.index(name))]


def _nearest(seq, joints, target):
    """The least distance, over frames and over `joints`, from a joint to the `target` joint."""
    return min(np.linalg.norm(seq[:, J[j]] - seq[:, J[target]], axis=1).min() for j in joints)


WRISTS = ("left_wrist", "right_wrist")


def test_the_hand_reaches_the_spot_it_names():
    from sadvae.data.synthetic import _NOMINAL, _SPOTS, Pose, _arm, _arm_angles

    for side, sign in (("left", -1.0), ("right", 1.0)):
        for spot, (wrist_at, _) in _SPOTS.items():
            pose = Pose(np.zeros(1))
            for field, value in zip(("elev", "azim", "elbow", "twist"), _arm_angles(side, spot)):
                pose.set(side, field, value)
            shoulder = np.array([[sign * _NOMINAL.lengths["shoulder"], -0.03, 0.0]])
            _, wrist = _arm(pose, side, shoulder, np.eye(3)[None], _NOMINAL)
            assert np.linalg.norm(wrist[0] - np.array(wrist_at) * (sign, 1, 1)) < 0.02, (side, spot)


def test_everyday_actions_move_as_named(generated):
    skeletons, _ = generated
    for name in ("drink from a cup", "talk on the phone", "salute", "put both hands on the head"):
        for seq in _clips(skeletons, name):
            assert _nearest(seq, WRISTS, "head") < 0.2, name
    for seq in _clips(skeletons, "put the hands on the hips"):
        assert _nearest(seq, ("left_wrist",), "left_hip") < 0.15 and _nearest(seq, ("right_wrist",), "right_hip") < 0.15
    for seq in _clips(skeletons, "point at something"):
        assert _nearest(seq, WRISTS, "head") > 0.35  # the hand stays away from the face
    for seq in _clips(skeletons, "pick something up from the floor"):
        floor = np.minimum(seq[:, J["left_ankle"], 1], seq[:, J["right_ankle"], 1])
        assert min((seq[:, J[w], 1] - floor).min() for w in WRISTS) < 0.4
    for seq in _clips(skeletons, "kneel down"):
        assert seq[-1, J["pelvis"], 1] - seq[0, J["pelvis"], 1] < -0.25  # down, and still down at the end
    for seq in _clips(skeletons, "walk up the stairs"):
        assert seq[-1, J["pelvis"], 1] - seq[0, J["pelvis"], 1] > 0.3
    for seq in _clips(skeletons, "swing a golf club"):
        shoulders = seq[:, J["right_shoulder"]] - seq[:, J["left_shoulder"]]
        hips = seq[:, J["right_hip"]] - seq[:, J["left_hip"]]
        # the signed angle from the hips' line to the shoulders' line about the vertical, in every frame
        turn = np.arctan2(shoulders[:, 0] * hips[:, 2] - shoulders[:, 2] * hips[:, 0],
                          shoulders[:, 0] * hips[:, 0] + shoulders[:, 2] * hips[:, 2])
        assert np.ptp(turn) > 0.8  # the upper body turns against the hips
    for seq in _clips(skeletons, "draw an X in the air"):
        hand = min(WRISTS, key=lambda w: -np.ptp(seq[:, J[w], 1]))
        assert np.ptp(seq[:, J[hand], 0]) > 0.3 and np.ptp(seq[:, J[hand], 1]) > 0.5


def test_bones_keep_their_lengths(generated):
    skeletons, _ = generated
    seq = skeletons.sequences[0][:, 0].astype(np.float64)
    for a, b in LAYOUT.edges:
        length = np.linalg.norm(seq[:, a] - seq[:, b], axis=1)
        assert length.std() < 0.03  # only the sensor noise moves them (0.012 m a coordinate)


def test_a_source_beside_real_datasets(generated):
    source = synthetic_source(per_class=2, seed=1)
    combined = combine([source])
    assert combined.names == ["synthetic"] and len(combined.skeletons) == 2 * len(MOVEMENTS)


def test_bad_counts():
    with pytest.raises(SadvaeError, match="at least one clip"):
        synthetic_skeletons(per_class=0)


def test_generated_motions_are_training_material_only():
    """Nothing generated is held out, and a class only the generator has is never a validation class
    (a real class of the same name, merged, may be)."""
    from sadvae.data.sources import Source
    from sadvae.deploy.fit import FitSettings, sources_training_data

    from .test_shared_space import small_set

    real = small_set(["sit down", "wave", "clap", "bow"], 4)
    data = sources_training_data([Source(real, "kinect"), synthetic_source(per_class=2, seed=1)], FitSettings())
    names = data.skeletons.class_names
    generated = np.arange(len(real), len(data.skeletons))
    assert not data.held[generated].any() and data.held[:len(real)].any()
    assert "synthetic: none held out" in data.how
    assert sorted(names[c] for c in data.drawable) == ["bow", "clap", "sit down", "wave"]
    alone = sources_training_data([Source(real, "kinect"), Source(real, "again")], FitSettings())
    assert alone.drawable is None  # no generated source: every class may be drawn


def test_fit_command_with_generated_motions(tmp_path, capsys):
    pytest.importorskip("sentence_transformers")
    from sadvae.cli.main import main
    from sadvae.data.skeletons import write_npz

    from .test_shared_space import small_set

    write_npz(small_set(["walk", "sit down", "clap", "wave", "bow"], 6), tmp_path / "kinect.npz")
    tiny = ["--epochs", "1", "--channels", "4", "--strides", "1", "--embed-dim", "8", "--calibration-draws", "2",
            "--quiet"]
    assert main(["fit", "--data", str(tmp_path / "kinect.npz"), "--format", "npz", "--synthetic", "1",
                 "--out", str(tmp_path / "m"), *tiny]) == 0
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    assert set(manifest["datasets"]) == {"kinect", "synthetic"} and manifest["layout"] == SHARED
    assert manifest["datasets"]["synthetic"]["sequences"] == len(MOVEMENTS)
    assert "synthetic: none held out" in manifest["holdout"] and manifest["scoring"] == "bridged"
    names = manifest["classes"]["names"]
    drawn = {names[c] for draw in manifest["calibration"] for c in draw["validation_classes"]}
    assert drawn and drawn <= {"walk", "sit down", "clap", "wave", "bow"}
    capsys.readouterr()
    assert main(["fit", "--data", str(tmp_path / "kinect.npz"), "--format", "npz", "--synthetic", "-1",
                 "--out", str(tmp_path / "bad"), *tiny]) == 2
    assert "--synthetic: expected" in capsys.readouterr().err and not (tmp_path / "bad").exists()
