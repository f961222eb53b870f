"""Layouts, preprocessing steps, the ST-GCN encoder, splits and the pack writers (features, prepare)."""
import json
import re

import numpy as np
import pytest
import torch

from sadvae.cli.main import main
from sadvae.encoder.training import NO_LOGIT, EncoderTraining, TrainedEncoder, extract, train_encoder
from sadvae.errors import SadvaeError
from sadvae.data.layouts import LAYOUTS, UTD_TO_KINECT_V1, get_layout
from sadvae.pack.format import load_pack
from sadvae.pack.build import choose_classes, partition_samples, prepare_pack
from sadvae.data.preprocess import (Preprocessing, align_view, center, drop_empty_frames, pad_bodies, preprocess,
                               preprocess_sequence, resample, scale)
from sadvae.data.skeletons import write_npz
from sadvae.encoder.stgcn import STGCN, EncoderConfig
from sadvae.pack.synthetic import synthetic_skeletons

TINY_ENCODER = ["--channels", "8,16", "--strides", "1,2", "--embed-dim", "16", "--frames", "16", "--epochs", "4",
                "--patience", "4"]


# --- layouts -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_layout_graph_is_connected_and_partitions_normalised(name):
    layout = get_layout(name)
    assert (layout.hops_to_center >= 0).all(), "every joint must reach the centre"
    a = layout.partitions()
    assert a.shape == (3, layout.n_joints, layout.n_joints)
    np.testing.assert_allclose(a.sum(axis=(0, 2)), 1.0, rtol=1e-6)  # each joint averages its neighbourhood
    assert (np.diag(a[0]) > 0).all(), "every joint feeds itself"
    assert a[1].sum() > 0 and a[2].sum() > 0


def test_utd_order_maps_into_kinect_sdk_order():
    # UTD-MHAD's joint order, as its Skeleton_joint_order.txt lists it
    utd = ["head", "shoulder_center", "spine", "hip_center", "left_shoulder", "left_elbow", "left_wrist", "left_hand",
           "right_shoulder", "right_elbow", "right_wrist", "right_hand", "left_hip", "left_knee", "left_ankle",
           "left_foot", "right_hip", "right_knee", "right_ankle", "right_foot"]

    def words(name: str) -> set[str]:
        return set(re.findall("[a-z]+", re.sub("([A-Z])", r"_\1", name).lower()))

    mapped = [words(utd[j]) for j in UTD_TO_KINECT_V1]
    assert mapped == [words(name) for name in get_layout("kinect-v1-20").joints]


def test_unknown_layout_is_one_error():
    with pytest.raises(SadvaeError, match="coco-17"):
        get_layout("openpose-18")


# --- preprocessing -------------------------------------------------------------------------------

def _sequence(rng, t=20, m=2, layout="kinect-v1-20"):
    seq = rng.standard_normal((t, m, get_layout(layout).n_joints, 3)) * 0.3 + np.array([0.5, 1.0, 3.0])
    return seq


def test_steps_do_what_they_say():
    rng = np.random.default_rng(0)
    layout = get_layout("kinect-v1-20")
    seq = _sequence(rng)
    seq[3] = 0  # an empty frame
    seq[5:, 1] = 0  # the second body leaves
    dropped = drop_empty_frames(seq)
    assert len(dropped) == len(seq) - 1
    padded = pad_bodies(dropped, 3)
    assert padded.shape[1] == 3 and not padded[:, 2].any()
    centred = center(dropped, layout)
    np.testing.assert_allclose(centred[0, 0, layout.index(layout.center)].mean(0), 0, atol=1e-12)
    assert not centred[6:, 1].any(), "absent bodies stay zero"
    per_frame = center(dropped, layout, mode="frame")
    np.testing.assert_allclose(per_frame[:, 0, layout.index(layout.center)].mean(1), 0, atol=1e-12)
    scaled = scale(centred, layout)
    lo, up = layout.size
    size = np.linalg.norm(scaled[:, 0, layout.index(up)].mean(1) - scaled[:, 0, layout.index(lo)].mean(1), axis=-1)
    assert np.median(size) == pytest.approx(1.0)
    out = resample(scaled, 50)
    assert out.shape[0] == 50
    np.testing.assert_allclose(out[0], scaled[0])
    np.testing.assert_allclose(out[-1], scaled[-1])


def test_view_alignment_removes_a_camera_rotation():
    rng = np.random.default_rng(1)
    layout = get_layout("ntu-25")
    seq = center(_sequence(rng, layout="ntu-25"), layout)
    q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    q *= np.sign(np.linalg.det(q))  # a proper rotation
    np.testing.assert_allclose(align_view(seq @ q.T, layout), align_view(seq, layout), atol=1e-9)


def test_preprocess_gives_fixed_shape_and_names_bad_sequences():
    data = synthetic_skeletons(n_classes=3, per_subject=1, subjects=2)
    settings = Preprocessing(layout=data.layout, frames=24, bodies=2)
    x = preprocess(data, settings)
    assert x.shape == (len(data), 2, 24, 20, 3) and x.dtype == np.float32
    assert not x[:, 1].any()
    bad = data.sequences[0].copy()
    bad[2, 0, 4, 1] = np.nan
    with pytest.raises(SadvaeError, match="c0_s1_k0: expected finite"):
        preprocess_sequence(bad, settings, name="c0_s1_k0")
    with pytest.raises(SadvaeError, match="expected a \\(frames, bodies, 20, 3\\)"):
        preprocess_sequence(bad[:, :, :17], settings)
    with pytest.raises(SadvaeError, match="at least one frame with a body"):
        preprocess_sequence(np.zeros((5, 1, 20, 3)), settings)
    with pytest.raises(SadvaeError, match="layout ntu-25"):
        preprocess(data, Preprocessing(layout="ntu-25"))


# --- the encoder ---------------------------------------------------------------------------------

def test_stgcn_shapes_body_order_and_absent_bodies():
    torch.manual_seed(0)
    model = STGCN(EncoderConfig("kinect-v1-20", n_classes=5, channels=(8, 16), strides=(1, 2), embed_dim=12)).eval()
    x = torch.randn(4, 2, 16, 20, 3)
    emb, logits = model(x)
    assert emb.shape == (4, 12) and logits.shape == (4, 5) and (emb >= 0).all()
    swapped, _ = model(x.flip(1))
    torch.testing.assert_close(swapped, emb)  # bodies are a set
    one, _ = model(x[:, :1])
    padded, _ = model(torch.cat([x[:, :1], torch.zeros_like(x[:, :1])], 1))
    torch.testing.assert_close(padded, one)  # an absent body does not dilute the embedding


def test_encoder_config_is_checked():
    with pytest.raises(SadvaeError, match="one stride per block"):
        EncoderConfig("ntu-25", 5, channels=(8, 16), strides=(1,))
    with pytest.raises(SadvaeError, match="odd temporal kernel"):
        EncoderConfig("ntu-25", 5, temporal_kernel=4)


@pytest.fixture(scope="module")
def motions():
    data = synthetic_skeletons(n_classes=4, per_subject=4, subjects=4, frames=24, seed=2)
    prep = Preprocessing(layout=data.layout, frames=16, bodies=1)
    return data, prep, preprocess(data, prep)


def test_encoder_learns_seen_classes_and_round_trips(motions, tmp_path):
    data, prep, x = motions
    train, held = data.subjects <= 3, data.subjects == 4
    classes = np.array([0, 1, 2, 3])
    cfg = EncoderConfig(data.layout, 4, channels=(8, 16), strides=(1, 2), embed_dim=16, bodies=1)
    enc = train_encoder(x[train], data.labels[train], x[held], data.labels[held], classes, cfg, prep,
                        EncoderTraining(epochs=50, batch_size=8, lr=0.05, patience=50, seed=1))
    best = enc.history[enc.best_epoch]["holdout_accuracy"]
    assert best >= 0.75, f"4 distinct motions should be learnt, held-out accuracy {best}"
    assert best == max(h["holdout_accuracy"] for h in enc.history)
    feats, logits = extract(enc, x[held], n_classes=6)
    assert feats.shape == (held.sum(), 16) and logits.shape == (held.sum(), 6)
    assert (logits[:, 4:] == NO_LOGIT).all(), "classes the encoder never learnt get no weight"
    enc.save(tmp_path / "enc.safetensors")
    again = TrainedEncoder.load(tmp_path / "enc.safetensors")
    assert again.preprocessing == prep and again.best_epoch == enc.best_epoch
    np.testing.assert_array_equal(extract(again, x[held], 6)[0], feats)


def test_encoder_refuses_labels_it_may_not_learn(motions):
    data, prep, x = motions
    cfg = EncoderConfig(data.layout, 3, channels=(8,), strides=(1,), embed_dim=8, bodies=1)
    with pytest.raises(SadvaeError, match="among its 3 classes"):
        train_encoder(x, data.labels, x[:4], data.labels[:4], np.array([0, 1, 2]), cfg, prep, EncoderTraining(epochs=1))
    keep = data.labels < 2
    with pytest.raises(SadvaeError, match="none for classes \\[2\\]"):
        train_encoder(x[keep], data.labels[keep], x[:1], data.labels[:1], np.array([0, 1, 2]), cfg, prep,
                      EncoderTraining(epochs=1))


# --- splits --------------------------------------------------------------------------------------

def test_class_split_is_seeded_and_checked():
    a, b = choose_classes(27, 5, seed=3), choose_classes(27, 5, seed=3)
    np.testing.assert_array_equal(a.unseen, b.unseen)
    assert len(a.val) == 5 and not np.intersect1d(a.val, a.unseen).size
    assert len(a.seen_minus_val) == 17
    assert not np.array_equal(choose_classes(27, 5, seed=4).unseen, a.unseen)
    given = choose_classes(10, unseen_classes=[7, 2], val_classes=[0, 1])
    assert given.unseen.tolist() == [2, 7] and given.val.tolist() == [0, 1]
    for kwargs, message in [(dict(n_unseen=5), "fewer than half"), (dict(unseen_classes=[1, 1]), "distinct"),
                            (dict(unseen_classes=[3, 10]), "0..9"), (dict(n_unseen=0), "positive"),
                            (dict(unseen_classes=[1, 2], val_classes=[2, 3]), "--val-classes")]:
        with pytest.raises(SadvaeError, match=message):
            choose_classes(10, **kwargs)


def test_partition_keeps_classes_and_performers_apart():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10), 12)
    subjects = np.tile(np.arange(1, 7), 20)
    split = choose_classes(10, 2, seed=1)
    part = partition_samples(labels, split, subjects, holdout=0.4, seed=1)
    train_pool = np.concatenate([part.main_train, part.val_unseen])
    assert set(subjects[train_pool]) == {1, 3, 5} and set(subjects[part.gzsl_test]) == {2, 4, 6}
    assert not np.isin(labels[part.main_train], split.unseen).any()
    assert not np.isin(labels[part.val_train], np.r_[split.val, split.unseen]).any()
    assert not np.intersect1d(part.val_train, part.val_holdout).size
    assert np.isin(part.holdout, part.main_train).all()
    assert set(labels[part.zsl_test]) == set(split.unseen.tolist())
    random_part = partition_samples(labels, split, None, test_fraction=0.25, holdout=0.4, seed=rng.integers(100))
    assert len(random_part.gzsl_test) == 30
    lonely = labels.copy()
    lonely[(labels == split.seen[0]) & (subjects % 2 == 1)] = split.unseen[0]  # a seen class with no training sample
    with pytest.raises(SadvaeError, match=f"none for class {split.seen[0]} \\(c{split.seen[0]}\\)"):
        partition_samples(lonely, split, subjects, class_names=[f"c{i}" for i in range(10)])
    with pytest.raises(SadvaeError, match="performers on both sides"):
        partition_samples(labels, split, subjects, train_subjects=list(range(1, 7)))


def test_holdout_by_performer_keeps_the_held_out_performers_out_of_training():
    labels = np.repeat(np.arange(10), 16)
    subjects = np.tile(np.arange(1, 9), 20)  # performers 1, 3, 5, 7 train
    split = choose_classes(10, 2, seed=1)
    part = partition_samples(labels, split, subjects, seed=3, holdout_performers=0.25)
    away = set(subjects[part.holdout].tolist())
    assert len(away) == 1 and away < {1, 3, 5, 7} and f"performers {sorted(away)} held out" in part.how
    assert np.array_equal(part.holdout, part.main_train[np.isin(subjects[part.main_train], list(away))])
    assert not np.isin(subjects[part.val_train], list(away)).any()
    assert set(subjects[part.val_holdout].tolist()) == away
    with pytest.raises(SadvaeError, match="performer ids in the data"):
        partition_samples(labels, split, None, holdout_performers=0.25)
    with pytest.raises(SadvaeError, match="share between 0 and 1"):
        partition_samples(labels, split, subjects, holdout_performers=1.5)


# --- pack writers --------------------------------------------------------------------------------

def _features_for(labels, dim=12, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((labels.max() + 1, dim)) * 2
    return (centres[labels] + rng.standard_normal((len(labels), dim))).astype(np.float32)


def test_prepare_writes_a_pack_that_loads(tmp_path):
    labels = np.repeat(np.arange(10), 16)
    subjects = np.tile(np.arange(1, 5), 40)
    feats = _features_for(labels)
    split, part, paths = prepare_pack(tmp_path / "res", "mine", feats, labels, [f"c{i}" for i in range(10)],
                                      subjects=subjects, n_unseen=2, split_seed=4)
    text_dir = tmp_path / "res" / "text_feats" / "mine" / "t"
    text_dir.mkdir(parents=True)
    np.save(text_dir / "lb_10.npy", np.random.default_rng(0).standard_normal((10, 8)).astype(np.float32))
    pack = load_pack(tmp_path / "res", "mine", 2)
    np.testing.assert_array_equal(pack.unseen_classes, split.unseen)
    assert len(pack.main.features["all"]) == len(part.gzsl_test) == 80
    seen_logits = pack.main.logits["all"][:, split.seen]
    test_seen = np.isin(pack.main.labels["all"], split.seen)
    acc = (split.seen[seen_logits.argmax(1)] == pack.main.labels["all"])[test_seen].mean()
    assert acc > 0.8, f"the seen-class classifier should separate well-separated classes, got {acc}"
    assert (pack.main.logits["all"][:, split.unseen] == NO_LOGIT).all()
    with pytest.raises(SadvaeError, match="expected no earlier pack here"):
        prepare_pack(tmp_path / "res", "mine", feats, labels, [f"c{i}" for i in range(10)], subjects=subjects,
                     n_unseen=2, split_seed=4)
    assert not list((tmp_path / "res").glob(".sadvae-staging-*")), "no staging folder left behind"


def test_prepare_command_then_run(tmp_path, capsys):
    labels = np.repeat(np.arange(8), 20)
    np.save(tmp_path / "x.npy", _features_for(labels, dim=16, seed=1))
    np.save(tmp_path / "y.npy", labels)
    (tmp_path / "names.txt").write_text("\n".join(["wave", "clap", "jump", "kick", "sit down", "stand up", "walk",
                                                   "run"]) + "\n")
    res = tmp_path / "res"
    assert main(["prepare", "--features", str(tmp_path / "x.npy"), "--labels", str(tmp_path / "y.npy"),
                 "--classes", str(tmp_path / "names.txt"), "--dataset", "toy", "--resources", str(res),
                 "--unseen", "2", "--test-fraction", "0.3", "--quiet"]) == 0
    assert "sadvae run --resources" in capsys.readouterr().out
    assert main(["run", "--resources", str(res), "--dataset", "toy", "--unseen", "2", "--passes", "2",
                 "--semantic-dim", "8", "--style-dim", "2", "--lr", "1e-3", "--out", str(tmp_path / "run"),
                 "--quiet"]) == 0
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["pack"]["encoder"] == "features"
    bad = tmp_path / "y_bad.npy"
    np.save(bad, labels + 1)
    assert main(["prepare", "--features", str(tmp_path / "x.npy"), "--labels", str(bad), "--classes",
                 str(tmp_path / "names.txt"), "--dataset", "toy2", "--resources", str(res), "--unseen", "2",
                 "--quiet", "--no-text"]) == 2
    assert "y_bad.npy: expected class ids in 0..7" in capsys.readouterr().err
    assert not (res / "label_splits" / "toy2").exists()


def test_features_command_end_to_end(tmp_path, capsys):
    data = synthetic_skeletons(n_classes=8, per_subject=4, subjects=4, frames=24, seed=5)
    write_npz(data, tmp_path / "motions.npz")
    res = tmp_path / "res"
    args = ["features", "--data", str(tmp_path / "motions.npz"), "--format", "npz", "--dataset", "motions",
            "--unseen", "2", "--split-seed", "1", "--holdout", "0.4", "--resources", str(res), "--quiet"] + TINY_ENCODER
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "sadvae run --resources" in out
    pack = load_pack(res, "motions", 2)
    assert pack.encoder == "stgcn" and pack.main.feature_dim == 16 and pack.text.shape == (8, 384)
    for folder in (pack.main.path, pack.val.path):
        info = json.loads((folder / "encoder.json").read_text())
        assert info["classes"] == (pack.seen_classes if folder == pack.main.path else pack.seen_minus_val).tolist()
        assert TrainedEncoder.load(folder / "encoder.safetensors").preprocessing.frames == 16
        assert info["training"]["bone_jitter"] == 0  # one dataset: no bone jitter unless asked
    # no unseen-class sample reached either encoder's classes
    assert not np.isin(pack.unseen_classes, json.loads((pack.main.path / "encoder.json").read_text())["classes"]).any()
    assert main(args) == 2
    assert "expected no earlier pack here" in capsys.readouterr().err
    assert main(["run", "--resources", str(res), "--dataset", "motions", "--unseen", "2", "--passes", "2",
                 "--semantic-dim", "8", "--style-dim", "2", "--lr", "1e-3", "--out", str(tmp_path / "run"),
                 "--quiet"]) == 0


def test_several_validation_draws_are_written_used_and_replaced(tmp_path, capsys):
    from types import SimpleNamespace

    from sadvae.experiment.pipeline import choose_passes

    data = synthetic_skeletons(n_classes=10, per_subject=4, subjects=4, frames=24, seed=5)
    write_npz(data, tmp_path / "motions.npz")
    res = tmp_path / "res"
    args = ["features", "--data", str(tmp_path / "motions.npz"), "--format", "npz", "--dataset", "motions",
            "--unseen", "2", "--holdout", "0.4", "--resources", str(res), "--quiet"] + TINY_ENCODER
    assert main(args + ["--val-draws", "3"]) == 0
    pack = load_pack(res, "motions", 2)
    draws = pack.val_draws()
    assert len(draws) == 3 and len({tuple(d.classes.tolist()) for d in draws}) == 3
    for d in draws:
        assert len(d.classes) == 2 and np.isin(d.classes, pack.seen_classes).all()
        info = json.loads((d.data.path / "encoder.json").read_text())
        assert info["classes"] == d.seen_minus_val.tolist()  # each draw's encoder never saw its classes
        assert set(np.unique(d.data.labels["unseen"])) == set(d.classes.tolist())
    # the pass is chosen by the mean over the draws: draw 0 alone would pick pass 0, the three pick pass 1
    def probs(draw, good_pass):  # (1 replica, 2 passes, n, 2 classes): right in one pass, wrong in the other
        truth = (draw.data.labels["unseen"][:, None] == np.sort(draw.classes)[None]).astype(float)
        return np.stack([truth, 1 - truth] if good_pass == 0 else [1 - truth, truth])[None]
    vals = [SimpleNamespace(probs={"unseen": probs(d, g)}) for d, g in zip(draws, (0, 1, 1))]
    assert choose_passes("val", vals[:1] + [SimpleNamespace(probs={"unseen": probs(d, 0)}) for d in draws[1:]],
                         pack)[0].tolist() == [0]
    assert choose_passes("val", vals, pack)[0].tolist() == [1]
    with pytest.raises(SadvaeError, match="3 validation draws"):
        choose_passes("val", vals[:2], pack)

    flags = ["--resources", str(res), "--dataset", "motions", "--unseen", "2", "--passes", "2", "--semantic-dim", "8",
             "--style-dim", "2", "--lr", "1e-3", "--quiet"]
    assert main(["run", *flags, "--out", str(tmp_path / "run")]) == 0
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["validation_draws"] == 3
    assert sorted(p.name for p in (tmp_path / "run").glob("seed*/val*.safetensors")) == \
        ["val.safetensors", "val1.safetensors", "val2.safetensors"]
    stage = tmp_path / "stages"
    for split in ("main", "val", "val1"):
        assert main(["train", *flags, "--split", split, "--out", str(stage)]) == 0
    capsys.readouterr()
    assert main(["gate", "--run", str(stage), "--quiet"]) == 2
    assert "sadvae train --split val2" in capsys.readouterr().err
    assert main(["train", *flags, "--split", "val2", "--out", str(stage)]) == 0
    assert main(["gate", "--run", str(stage), "--quiet"]) == 0
    assert main(["evaluate", "--run", str(stage), "--quiet"]) == 0
    assert json.loads((stage / "metrics.json").read_text())["per_seed"] == metrics["per_seed"]
    # a draw's folder without its class file is one error naming the file
    (res / "label_splits" / "motions" / "rv2_1.npy").unlink()
    with pytest.raises(SadvaeError, match=r"rv2_1.npy: expected the validation classes of stgcn_motions_val1_2_r"):
        load_pack(res, "motions", 2)
    # written again with one draw: the further draws of the earlier pack are gone
    assert main(args + ["--force", "--no-text"]) == 0
    assert load_pack(res, "motions", 2).more_vals == []
    assert not list(res.glob("sk_feats/*_val1_*")) and not list(res.glob("label_splits/motions/*_1.npy"))


def test_features_refuses_a_split_that_leaves_a_class_without_training_samples(tmp_path, capsys):
    data = synthetic_skeletons(n_classes=6, per_subject=2, subjects=2, frames=20, seed=6)
    data.subjects[(data.labels == 0)] = 2  # class 0 only performed by the test performer
    write_npz(data, tmp_path / "m.npz")
    code = main(["features", "--data", str(tmp_path / "m.npz"), "--format", "npz", "--dataset", "m",
                 "--unseen-classes", "5", "--val-classes", "4", "--resources", str(tmp_path / "res"), "--quiet",
                 "--no-text"] + TINY_ENCODER)
    assert code == 2
    err = capsys.readouterr().err
    assert "none for class 0 (motion 0)" in err and "Traceback" not in err
    assert not (tmp_path / "res" / "sk_feats").exists()


def test_convert_utd_files_to_an_archive(tmp_path, capsys):
    import shutil

    from sadvae.data.skeletons import read_npz, read_utd

    from .conftest import shared_or_skip

    source = shared_or_skip("utd_mhad", "Skeleton")
    subset = tmp_path / "utd"
    subset.mkdir()
    for path in sorted(source.glob("a1_*.mat"))[:6] + sorted(source.glob("a27_*.mat"))[:6]:
        shutil.copy(path, subset)
    out = tmp_path / "utd.npz"
    assert main(["convert", "--data", str(subset), "--format", "utd", "--out", str(out), "--quiet"]) == 0
    assert "12 sequences, 27 classes, layout kinect-v1-20" in capsys.readouterr().out
    archive, direct = read_npz(out), read_utd(subset)
    assert archive.class_names == direct.class_names and archive.sample_ids == direct.sample_ids
    for a, b in zip(archive.sequences, direct.sequences, strict=True):
        np.testing.assert_array_equal(a, b)
    assert main(["convert", "--data", str(subset), "--format", "utd", "--out", str(out), "--quiet"]) == 2
    assert "use --force" in capsys.readouterr().err
    assert main(["convert", "--data", str(tmp_path / "nowhere"), "--format", "utd", "--out",
                 str(tmp_path / "x.npz"), "--quiet"]) == 2
    assert "nowhere" in capsys.readouterr().err and not (tmp_path / "x.npz").exists()
