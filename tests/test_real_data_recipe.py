"""The recipe for real recordings: input streams, augmentation, the text-anchored encoder head, class
descriptions, the anchor method, calibrated stacking, and settings derived from the pack."""
import json
import math

import numpy as np
import pytest
import torch

from sadvae.cli.main import main
from sadvae.data.classnames import BUILTIN_DESCRIPTIONS, UTD27
from sadvae.encoder.training import (EncoderTraining, TrainedEncoder, _augment, _jitter_bones, _tree,
                                    contrastive_loss, extract, smoothed_loss, text_neighbours,
                                    train_encoder)
from sadvae.errors import SadvaeError
from sadvae.experiment.gate import Gate, evaluate_gzsl, fit_stacking
from sadvae.data.layouts import get_layout
from sadvae.data.preprocess import Preprocessing, preprocess
from sadvae.experiment.config import derive_from_pack, resolve_config
from sadvae.data.skeletons import write_npz
from sadvae.encoder.stgcn import STGCN, EncoderConfig, input_streams, joint_parents
from sadvae.pack.synthetic import synthetic_skeletons
from sadvae.pack.text import read_class_texts

TINY_ENCODER = ["--channels", "8,16", "--strides", "1,2", "--embed-dim", "16", "--frames", "16", "--epochs", "4",
                "--patience", "4"]


# --- streams and augmentation -------------------------------------------------------------------

def test_streams_are_joints_bones_towards_the_centre_and_motion():
    layout = get_layout("kinect-v1-20")
    parents = joint_parents(layout)
    centre = layout.index(layout.center)[0]
    assert parents[centre] == centre
    hand, wrist = layout.index(["HandRight", "WristRight"])
    assert parents[hand] == wrist
    x = torch.randn(2, 1, 5, 20, 3)
    s = input_streams(x, ("joint", "bone", "motion"), parents)
    assert s.shape == (2, 1, 5, 20, 9)
    torch.testing.assert_close(s[..., :3], x)
    torch.testing.assert_close(s[..., hand, 3:6], x[..., hand, :] - x[..., wrist, :])
    assert (s[..., centre, 3:6] == 0).all()
    torch.testing.assert_close(s[:, :, :-1, :, 6:], x[:, :, 1:] - x[:, :, :-1])
    assert (s[:, :, -1, :, 6:] == 0).all()
    with pytest.raises(SadvaeError, match="distinct streams"):
        EncoderConfig("kinect-v1-20", 3, streams=("joint", "velocity"))


def test_augmentation_keeps_absent_bodies_absent_and_is_seeded():
    x = torch.randn(4, 2, 16, 20, 3)
    x[:, 1] = 0  # a second body that is never there
    x[0, 0, 10:] = 0  # a body that leaves
    cfg = EncoderTraining(max_tilt_degrees=9, max_shear=0.2, min_crop=0.7)
    a = _augment(x, cfg, torch.Generator().manual_seed(1))
    b = _augment(x, cfg, torch.Generator().manual_seed(1))
    torch.testing.assert_close(a, b)
    assert (a[:, 1] == 0).all()
    assert not torch.allclose(a[1:, 0], x[1:, 0])
    # a window of at least 70% of the frames is stretched: the 6 frames without the body become at most 6 / 0.7 + 1
    present = a[0, 0].abs().sum((-1, -2)) > 0
    gone = int((~present).sum())
    assert gone <= 10 and present[:16 - gone].all()  # absent frames only at the end, as in the input
    # turn and scale only (the defaults of earlier versions): heights are only scaled, one factor per sample
    plain = _augment(x[1:, :1], EncoderTraining(), torch.Generator().manual_seed(1))
    heights = plain[..., 1] / x[1:, :1, ..., 1]
    torch.testing.assert_close(heights, heights[:, :, :1, :1].expand_as(heights))
    assert not torch.allclose(plain[..., 0], x[1:, :1, ..., 0])


def test_bone_jitter_scales_each_bone_alone_and_keeps_its_direction():
    layout = get_layout("body-16")
    tree = _tree(layout.name)
    assert sorted(map(tuple, tree.tolist())) == sorted(map(tuple, layout.edges.tolist()))  # every bone once
    x = torch.randn(3, 2, 8, 16, 3)
    x[2, 1] = 0  # an absent body
    y = _jitter_bones(x, tree, 0.3, torch.Generator().manual_seed(0))
    assert (y[2, 1] == 0).all()
    torch.testing.assert_close(y[..., 0, :], x[..., 0, :])  # the centre (pelvis) stays
    before = x[..., tree[:, 1], :] - x[..., tree[:, 0], :]
    after = y[..., tree[:, 1], :] - y[..., tree[:, 0], :]
    ratio = after.norm(dim=-1) / before.norm(dim=-1).clamp(min=1e-9)  # (3, 2, 8, bones)
    ratio[2, 1] = 1.0  # the absent body's (0 / 0)
    assert float(ratio.min()) >= math.exp(-0.3) - 1e-5 and float(ratio.max()) <= math.exp(0.3) + 1e-5
    torch.testing.assert_close(ratio[:2], ratio[:2, :1, :1].expand_as(ratio[:2]))  # one factor per bone and sample
    assert float(ratio[0, 0, 0].std()) > 0.01  # bones differ
    torch.testing.assert_close(after, ratio[..., None] * before)  # each bone keeps its direction
    with pytest.raises(SadvaeError, match="bone jitter in"):
        EncoderTraining(bone_jitter=2).check()


# --- the text-anchored head -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def motions():
    data = synthetic_skeletons(n_classes=6, per_subject=4, subjects=4, frames=24, seed=2)
    prep = Preprocessing(layout=data.layout, frames=16, bodies=1)
    return data, prep, preprocess(data, prep)


def _class_text(n_classes: int, members: int = 2, dim: int = 12, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((n_classes, 1, dim))
    text = base + 0.3 * rng.standard_normal((n_classes, members, dim))
    return (text / np.linalg.norm(text, axis=-1, keepdims=True)).astype(np.float32)


def test_text_head_learns_its_classes_and_round_trips(motions, tmp_path):
    data, prep, x = motions
    known = data.labels < 4  # classes 4 and 5 stay unknown to the encoder
    train, held = known & (data.subjects <= 3), known & (data.subjects == 4)
    classes = np.array([0, 1, 2, 3])
    text = _class_text(6)
    cfg = EncoderConfig(data.layout, 4, channels=(8, 16), strides=(1, 2), embed_dim=16, bodies=1, head="text",
                        streams=("joint", "bone", "motion"), text_dim=12, text_members=2)
    enc = train_encoder(x[train], data.labels[train], x[held], data.labels[held], classes, cfg, prep,
                        EncoderTraining(epochs=40, batch_size=8, lr=0.05, patience=40, seed=1), class_text=text)
    best = enc.history[enc.best_epoch]["holdout_accuracy"]
    assert best >= 0.75, f"4 distinct motions should be learnt against their texts, held-out accuracy {best}"
    torch.testing.assert_close(enc.model.class_text, torch.from_numpy(text[classes]))
    feats, logits = extract(enc, x[held], n_classes=6)
    # the cosine space, scaled to unit variance per dimension on average (16 dimensions: length 4)
    np.testing.assert_allclose(np.linalg.norm(feats, axis=1), 4.0, rtol=1e-5)
    with torch.no_grad():  # the logits are scaled cosines to the projected class texts
        expected = enc.model.text_logits(torch.from_numpy(feats), torch.from_numpy(text[classes])).numpy()
    np.testing.assert_allclose(logits[:, classes], expected, rtol=1e-4, atol=1e-4)
    enc.save(tmp_path / "enc.safetensors")
    again = TrainedEncoder.load(tmp_path / "enc.safetensors")
    assert again.model.config.head == "text" and again.model.config.streams == ("joint", "bone", "motion")
    np.testing.assert_array_equal(extract(again, x[held], 6)[1], logits)


def test_contrastive_loss_is_symmetric_infonce_with_every_description_a_positive():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((5, 3, 2))  # 5 samples, 3 classes, 2 descriptions each
    labels = np.array([0, 2, 2, 0, 0])  # class 1 absent from the batch

    def neg_log_share(values, positive):
        return -np.log(np.exp(values[positive]).sum() / np.exp(values).sum())

    to_text = np.mean([neg_log_share(logits[i].ravel(), np.arange(6) // 2 == labels[i]) for i in range(5)])
    to_samples = np.mean([neg_log_share(logits[:, c, m], labels == c) for c in (0, 2) for m in range(2)])
    got = contrastive_loss(torch.from_numpy(logits), torch.from_numpy(labels))
    assert got.item() == pytest.approx((to_text + to_samples) / 2, rel=1e-9)


def _four_motions(motions, **training):
    """A tiny text-head encoder of the first 4 motions (performers 1-3; 4 held out) and what it trained on."""
    data, prep, x = motions
    known = data.labels < 4
    train, held = known & (data.subjects <= 3), known & (data.subjects == 4)
    cfg = EncoderConfig(data.layout, 4, channels=(8, 16), strides=(1, 2), embed_dim=16, bodies=1, head="text",
                        text_dim=12, text_members=2)
    enc = train_encoder(x[train], data.labels[train], x[held], data.labels[held], np.arange(4), cfg, prep,
                        EncoderTraining(epochs=40, batch_size=8, lr=0.05, patience=40, seed=1, **training),
                        class_text=_class_text(6))
    return enc, (data, prep, x, train, held, cfg)


def test_contrastive_objective_learns_and_is_checked(motions):
    enc, (data, prep, x, train, held, cfg) = _four_motions(motions, objective="contrastive")
    best = enc.history[enc.best_epoch]["holdout_accuracy"]
    assert best >= 0.75, f"4 distinct motions should be learnt contrastively, held-out accuracy {best}"
    plain = EncoderConfig(data.layout, 4, channels=(8,), strides=(1,), embed_dim=8, bodies=1)
    with pytest.raises(SadvaeError, match="contrastive objective expects the text head"):
        train_encoder(x[train], data.labels[train], x[held], data.labels[held], np.arange(4), plain, prep,
                      EncoderTraining(epochs=1, objective="contrastive"))
    with pytest.raises(SadvaeError, match="objective among prototypes, contrastive"):
        EncoderTraining(objective="triplet").check()


def test_text_smoothing_spreads_the_target_over_the_nearest_texts_among_the_rivals():
    texts = torch.nn.functional.normalize(torch.tensor([[[1.0, 0.0, 0.0]], [[0.9, 0.1, 0.0]], [[0.0, 1.0, 0.0]],
                                                        [[0.0, 0.0, 1.0]]]), dim=-1)
    near = text_neighbours(texts)
    torch.testing.assert_close(near.sum(1), torch.ones(4))
    assert (near.diagonal() == 0).all() and near[0].argmax() == 1 and near[1].argmax() == 0
    logits = torch.randn(3, 4, generator=torch.Generator().manual_seed(0))
    labels = torch.tensor([0, 2, 3])
    torch.testing.assert_close(smoothed_loss(logits, labels, near, 0.0),
                               torch.nn.functional.cross_entropy(logits, labels))
    rival = torch.tensor([[True, True, False, False], [False, False, True, True], [False, False, False, True]])
    masked = logits.masked_fill(~rival, -math.inf)
    # sample 0: 0.8 on its class, 0.2 on its only rival; 1: 0.2 on class 3; 2: no rival, the one-hot target
    logp = torch.log_softmax(masked, 1)
    expected = -(0.8 * logp[0, 0] + 0.2 * logp[0, 1] + 0.8 * logp[1, 2] + 0.2 * logp[1, 3] + logp[2, 3]) / 3
    got = smoothed_loss(masked, labels, near, 0.2, rival)
    assert torch.isfinite(got) and got.item() == pytest.approx(expected.item(), rel=1e-6)


def test_text_smoothing_still_learns_and_is_checked(motions):
    enc, (data, prep, x, train, held, cfg) = _four_motions(motions, text_smoothing=0.2)
    best = enc.history[enc.best_epoch]["holdout_accuracy"]
    assert best >= 0.75, f"4 distinct motions should be learnt with a smoothed target, held-out accuracy {best}"
    with pytest.raises(SadvaeError, match="text smoothing expects the text head and the prototypes objective"):
        train_encoder(x[train], data.labels[train], x[held], data.labels[held], np.arange(4), cfg, prep,
                      EncoderTraining(epochs=1, objective="contrastive", text_smoothing=0.2),
                      class_text=_class_text(6))
    with pytest.raises(SadvaeError, match="text smoothing in \\[0, 1\\)"):
        EncoderTraining(text_smoothing=1.0).check()


def test_text_head_refuses_missing_or_misshapen_texts(motions):
    data, prep, x = motions
    cfg = EncoderConfig(data.layout, 2, channels=(8,), strides=(1,), embed_dim=8, bodies=1, head="text",
                        text_dim=12, text_members=2)
    keep = data.labels < 2
    for text, message in [(None, "found none"), (_class_text(6, members=3), "shape \\(classes, 2, 12\\)"),
                          (_class_text(6) * np.nan, "NaN")]:
        with pytest.raises(SadvaeError, match=message):
            train_encoder(x[keep], data.labels[keep], x[keep][:2], data.labels[keep][:2], np.array([0, 1]), cfg,
                          prep, EncoderTraining(epochs=1), class_text=text)
    with pytest.raises(SadvaeError, match="text embeddings' width"):
        EncoderConfig(data.layout, 2, head="text")
    with pytest.raises(SadvaeError, match="head among"):
        EncoderConfig(data.layout, 2, head="mlp")


def test_older_encoder_configs_still_load():
    old = {"layout": "kinect-v1-20", "n_classes": 3, "channels": [8], "strides": [1], "temporal_kernel": 9,
           "embed_dim": 8, "dropout": 0.2, "in_channels": 3, "bodies": 1}
    model = STGCN(EncoderConfig(**old))
    assert model.config.head == "classifier" and model.config.streams == ("joint",)


# --- class descriptions ---------------------------------------------------------------------------

def test_builtin_descriptions_cover_every_utd_class_several_times():
    texts = BUILTIN_DESCRIPTIONS["utd27-desc"]
    assert len(texts) == len(UTD27) and all(len(t) == 3 for t in texts)
    assert len({d for t in texts for d in t}) == 3 * len(UTD27), "no description is shared by two classes"
    listing = read_class_texts("utd27-desc", several="ensemble")
    assert listing.texts[0] == list(texts[0]) and listing.source == "builtin:utd27-desc"
    with pytest.raises(SadvaeError, match="--several"):
        read_class_texts("utd27-desc")
    with pytest.raises(SadvaeError, match="utd27-desc"):
        read_class_texts("utd28-desc")


@pytest.fixture(scope="module")
def motion_archive(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("motions")
    data = synthetic_skeletons(n_classes=8, per_subject=4, subjects=4, frames=24, seed=5)
    write_npz(data, tmp / "motions.npz")
    rows = ["idx,description"] + [f"{c},motion number {c} {how}" for c in range(8) for how in ("fast", "slowly")]
    (tmp / "desc.csv").write_text("\n".join(rows) + "\n")
    return tmp


def _features(archive, res, *extra):
    return ["features", "--data", str(archive / "motions.npz"), "--format", "npz", "--dataset", "motions",
            "--unseen", "2", "--split-seed", "1", "--holdout", "0.4", "--resources", str(res), "--quiet",
            *TINY_ENCODER, *extra]


def test_features_with_descriptions_then_anchor_and_stacking(motion_archive, tmp_path, capsys):
    res = tmp_path / "res"
    assert main(_features(motion_archive, res, "--descriptions", str(motion_archive / "desc.csv"))) == 0
    text_dir = res / "text_feats" / "motions" / "all-minilm-l6-v2"
    assert np.load(text_dir / "lb_8.npy").shape == (8, 384)
    assert np.load(text_dir / "desc_8.npy").shape == (8, 2, 384)
    folder = res / "sk_feats" / "stgcn_motions_2_r"
    info = json.loads((folder / "encoder.json").read_text())
    assert info["config"]["head"] == "text" and info["config"]["text_members"] == 2
    assert info["pack"]["encoder_text"] == str(motion_archive / "desc.csv")
    capsys.readouterr()
    out = tmp_path / "run"
    assert main(["run", "--resources", str(res), "--dataset", "motions", "--unseen", "2", "--seeds", "2", "--out",
                 str(out)]) == 0
    err = capsys.readouterr().err
    assert "text_mode = desc: the pack has class descriptions" in err and "method = anchor" in err
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["config"]["text_mode"] == "desc" and metrics["config"]["preset"] == "derived from the pack"
    assert metrics["method"] == "anchor" and metrics["config"]["gzsl"] == "stacking"
    gate = json.loads((out / "seed5" / "gate.json").read_text())
    assert gate["rule"] == "stacking" and gate["temperature"] in range(1, 10)
    rows = metrics["per_seed"]
    assert rows[0]["zsl_top1"] == rows[1]["zsl_top1"], "anchor is deterministic"
    # a method that needs the text head refuses a plain encoder's pack
    plain = tmp_path / "plain"
    assert main(_features(motion_archive, plain, "--head", "classifier", "--streams", "joint", "--no-text")) == 0
    assert main(["text", "--classes", str(motion_archive / "desc.csv"), "--several", "mean", "--dataset", "motions",
                 "--resources", str(plain)]) == 0
    capsys.readouterr()
    assert main(["run", "--resources", str(plain), "--dataset", "motions", "--unseen", "2", "--method", "anchor",
                 "--out", str(tmp_path / "run2")]) == 2
    assert "expects an encoder with the text head" in capsys.readouterr().err
    assert not (tmp_path / "run2").exists()


@pytest.mark.parametrize("content, message", [
    ("idx,description\n" + "".join(f"{c},motion {c}\n" for c in range(7)), "descriptions of all 8 classes"),
    ("idx,description\n0,a\n1,\n" + "".join(f"{c},motion {c}\n" for c in range(2, 8)), "empty field"),
    ("idx,description\n" + "".join(f"{c},motion {c}\n" for c in range(8) if c != 3), "missing \\[3\\]"),
])
def test_features_refuses_bad_descriptions_and_writes_nothing(motion_archive, tmp_path, capsys, content, message):
    bad = tmp_path / "bad.csv"
    bad.write_text(content)
    res = tmp_path / "res"
    assert main(_features(motion_archive, res, "--descriptions", str(bad))) == 2
    err = capsys.readouterr().err
    assert "bad.csv" in err and re_search(message, err)
    assert not res.exists() or not any(res.rglob("*.npy"))


def re_search(pattern, text):
    import re
    return re.search(pattern, text) is not None


# --- calibrated stacking ----------------------------------------------------------------------------

def _scores(n, n_classes, right, confident, rng):
    """Probabilities over n_classes with the top one on the true class for `right` of the rows."""
    labels = rng.integers(n_classes, size=n)
    top = np.where(rng.random(n) < right, labels, (labels + 1) % n_classes)
    logits = rng.standard_normal((n, n_classes)) * 0.1
    logits[np.arange(n), top] += confident
    return labels, logits


def test_stacking_routes_by_the_calibrated_margin_and_round_trips(tmp_path):
    rng = np.random.default_rng(0)
    seen_classes, unseen_classes = np.array([0, 1, 2, 3]), np.array([4, 5])
    # seen samples: the seen classifier is confident; pseudo-unseen: it is not, the ZSL one is
    ys, seen_logits_s = _scores(200, 4, 0.9, 4.0, rng)
    _, zsl_s = _scores(200, 2, 0.5, 0.5, rng)
    yu, seen_logits_u = _scores(200, 4, 0.0, 0.5, rng)
    yu_idx, zsl_u = _scores(200, 2, 0.9, 4.0, rng)

    def full(seen_logits):
        out = np.full((len(seen_logits), 6), -1e4)
        out[:, :4] = seen_logits
        return out

    soft = lambda z: np.exp(z) / np.exp(z).sum(1, keepdims=True)  # noqa: E731
    gate = fit_stacking(soft(zsl_u), full(seen_logits_u), unseen_classes[yu_idx], soft(zsl_s), full(seen_logits_s),
                        seen_classes[ys], seen_classes, unseen_classes)
    assert gate.rule == "stacking" and gate.holdout_accuracy > 0.8
    probs = np.r_[soft(zsl_s), soft(zsl_u)]
    logits = np.r_[full(seen_logits_s), full(seen_logits_u)]
    labels = np.r_[seen_classes[ys], unseen_classes[yu_idx]]
    result = evaluate_gzsl(gate, probs, logits, labels, seen_classes, unseen_classes)
    assert result.seen_accuracy > 0.8 and result.unseen_accuracy > 0.8
    p = gate.p_unseen(probs, logits)
    np.testing.assert_array_equal(gate.route_p(p), ~(p > 0.5))
    gate.save(tmp_path / "gate.json")
    again = Gate.load(tmp_path / "gate.json")
    np.testing.assert_array_equal(again.route(probs, logits), gate.route(probs, logits))
    with pytest.raises(SadvaeError, match="at least 12"):
        fit_stacking(probs[:5], logits[:5], labels[:5], probs, logits, labels, seen_classes, unseen_classes)


# --- settings derived from the pack ---------------------------------------------------------------

def test_settings_without_a_preset_are_derived_from_the_pack_unless_given():
    cfg = resolve_config(dict(dataset="mine", unseen=5))
    assert cfg.to_derive == ["semantic_dim", "lr", "text_mode", "zsl_fits", "method", "gzsl"]
    derive_from_pack(cfg, n_train=350, n_classes=27, text_modes=["desc", "lb"])
    assert cfg.lr == pytest.approx(1.02e-3) and cfg.semantic_dim == 32 and cfg.text_mode == "desc"
    assert cfg.zsl_fits == 5 and "11 batches per pass" in cfg.derived["lr"]
    assert set(cfg.derived) == {"lr", "semantic_dim", "text_mode", "zsl_fits"}
    assert cfg.method == "sadvae" and cfg.gzsl == "gate"  # a pack without a text-head encoder
    anchored = resolve_config(dict(dataset="mine", unseen=5, gzsl="gate"))
    derive_from_pack(anchored, n_train=350, n_classes=27, text_modes=["lb"], text_head=True)
    assert anchored.method == "anchor" and anchored.gzsl == "gate"  # given, so kept
    assert "text-anchored head" in anchored.derived["method"] and "gzsl" not in anchored.derived
    big = resolve_config(dict(dataset="mine", unseen=5, lr=2e-4))
    derive_from_pack(big, n_train=40_000, n_classes=200, text_modes=["lb"])
    assert big.lr == 2e-4 and big.semantic_dim == 160 and big.text_mode == "lb"  # a given setting stays
    assert big.zsl_fits == 1  # 1,250 batches per pass: one fit
    preset = resolve_config(dict(dataset="ntu60", unseen=5))
    assert preset.to_derive == [] and preset.preset == "synse/ntu60/5"


def test_a_sweep_on_a_text_head_pack_searches_sadvae(motion_archive, tmp_path, capsys):
    pytest.importorskip("optuna")
    res = tmp_path / "res"
    assert main(_features(motion_archive, res)) == 0
    out = tmp_path / "sweep"
    assert main(["sweep", "--resources", str(res), "--dataset", "motions", "--unseen", "2", "--trials", "1",
                 "--passes", "1", "--out", str(out), "--quiet"]) == 0
    assert 'method = "sadvae"' in (out / "best.toml").read_text()
    assert main(["sweep", "--resources", str(res), "--dataset", "motions", "--unseen", "2", "--trials", "1",
                 "--method", "anchor", "--out", str(tmp_path / "none"), "--quiet"]) == 2
    assert "without any" in capsys.readouterr().err and not (tmp_path / "none").exists()


def test_styled_texts_pair_each_class_with_its_styles():
    from sadvae.pack.text import styled_texts

    index, groups = styled_texts([["A person walks.", "walking"], ["clap"]], [0, 0, 1, 0, 1],
                                 ["tired", "", "happy", "tired", "happy"])
    assert index.tolist() == [0, -1, 1, 0, 1]
    # member m of a pair is member m of its class (a class of fewer texts repeats them in turn)
    assert groups == [["A person walks, tired", "walking, tired"], ["clap, happy", "clap, happy"]]
    assert styled_texts([["a"]], [0, 0], [])[1] == []
    with pytest.raises(SadvaeError, match="a style per sample"):
        styled_texts([["a"]], [0, 0], ["x"])


def test_styled_logits_replace_only_the_own_class_entry_of_styled_samples():
    from sadvae.encoder.training import _styled_logits

    torch.manual_seed(0)
    cfg = EncoderConfig("kinect-v1-20", 3, channels=(8,), strides=(1,), embed_dim=8, bodies=1, head="text",
                        text_dim=12, text_members=2)
    model = STGCN(cfg)
    emb = torch.nn.functional.normalize(torch.randn(4, 8), dim=-1)
    logits = torch.randn(4, 3)
    labels = torch.tensor([0, 2, 1, 2])
    text = torch.randn(2, 2, 12)  # two (class, style) pairs
    index = torch.tensor([-1, 1, -1, 0, 1])  # rows 1 and 3 of this batch are styled
    rows = torch.tensor([0, 1, 2, 3])
    pick = torch.tensor([1, 0, 1])  # the member drawn for each class this batch
    got = _styled_logits(model, emb, logits, labels, (index, text), rows, pick)
    with torch.no_grad():
        for r, pair in ((1, 1), (3, 0)):
            want = model.log_scale.exp() * emb[r] @ model.prototypes(text[pair, pick[2]][None])[0]
            assert got[r, 2].item() == pytest.approx(want.item(), rel=1e-5)
    keep = torch.ones(4, 3, dtype=torch.bool)
    keep[1, 2] = keep[3, 2] = False
    torch.testing.assert_close(got[keep], logits[keep])
    # a row drawn plain this batch (-1) keeps its plain entry
    plain = _styled_logits(model, emb, logits, labels, (index, text), torch.tensor([0, 1, 2, -1]), pick)
    torch.testing.assert_close(plain[3], logits[3])
    assert plain[1, 2].item() == pytest.approx(got[1, 2].item())


def test_style_texts_are_what_styled_recordings_learn_and_are_checked(motions):
    """Each recording of a style learns its class's texts with the style (random here, unrelated to the
    plain ones): its own class scored by its styled texts then beats the other classes' plain texts,
    which an encoder that never saw the styled texts cannot do."""
    from sadvae.encoder.training import predict_features

    data, prep, x = motions
    known = data.labels < 4
    labels = data.labels
    pair = 2 * labels + np.arange(len(labels)) % 2  # two styles per class, by turns: (class, style) rows 0..7
    train, held = known & (data.subjects <= 3), known & (data.subjects == 4)
    cfg = EncoderConfig(data.layout, 4, channels=(8, 16), strides=(1, 2), embed_dim=16, bodies=1, head="text",
                        text_dim=12, text_members=2)
    plain_text, styled = _class_text(6), _class_text(8, seed=3)

    def own_styled_wins(sample_text) -> float:
        enc = train_encoder(x[train], labels[train], x[held], labels[held], np.arange(4), cfg, prep,
                            EncoderTraining(epochs=40, batch_size=8, lr=0.05, patience=40, seed=1),
                            class_text=plain_text, sample_text=sample_text)
        feats, _ = predict_features(enc.model, x[held], torch.device("cpu"))
        with torch.no_grad():
            logits = enc.model.text_logits(torch.from_numpy(feats), torch.from_numpy(plain_text[:4])).numpy()
            own = enc.model.text_logits(torch.from_numpy(feats), torch.from_numpy(styled)).numpy()
        rows = np.arange(len(feats))
        logits[rows, labels[held]] = own[rows, pair[held]]
        return float((logits.argmax(1) == labels[held]).mean())

    learnt, unstyled = own_styled_wins((pair[train], styled)), own_styled_wins(None)
    assert learnt >= 0.8 and unstyled <= 0.6, f"styled recordings should learn their styled texts: {learnt} " \
        f"(an encoder without them: {unstyled})"
    for bad, message in [((pair[train][:3], styled), "a style text row for each"),
                         ((pair[train], styled[:, :1]), "shape \\(pairs, 2, 12\\)"),
                         ((pair[train] + 8, styled), "rows from -1 to 7")]:
        with pytest.raises(SadvaeError, match=message):
            train_encoder(x[train], labels[train], x[held], labels[held], np.arange(4), cfg, prep,
                          EncoderTraining(epochs=1), class_text=plain_text, sample_text=bad)
    with pytest.raises(SadvaeError, match="prototypes objective"):
        train_encoder(x[train], labels[train], x[held], labels[held], np.arange(4), cfg, prep,
                      EncoderTraining(epochs=1, objective="contrastive"), class_text=plain_text,
                      sample_text=(pair[train], styled))


def test_rival_classes_of_one_dataset_only_compete_within_it(motions):
    """Two datasets recorded the same two motions under other names: competing with every class, no
    encoder can tell a motion's two names apart; competing within its own dataset, it need not."""
    data, prep, x = motions
    keep = data.labels < 2
    xs, labels = np.concatenate([x[keep]] * 2), np.r_[data.labels[keep], data.labels[keep] + 2]
    subjects = np.r_[data.subjects[keep], data.subjects[keep]]
    groups = np.repeat([0, 1], keep.sum())
    mask = np.array([[True, True, False, False], [False, False, True, True]])
    train, held = subjects <= 3, subjects == 4
    cfg = EncoderConfig(data.layout, 4, channels=(8, 16), strides=(1, 2), embed_dim=16, bodies=1, head="text",
                        text_dim=12, text_members=2)

    def best(sample_groups) -> float:
        enc = train_encoder(xs[train], labels[train], xs[held], labels[held], np.arange(4), cfg, prep,
                            EncoderTraining(epochs=30, batch_size=8, lr=0.05, patience=30, seed=1),
                            class_text=_class_text(4), sample_groups=sample_groups)
        return enc.history[enc.best_epoch]["holdout_accuracy"]

    within, across = best((groups[train], groups[held], mask)), best(None)
    assert within >= 0.9 and across <= 0.75, f"within each dataset {within}, across them {across}"
    for bad, message in [((groups[train][:3], groups[held], mask), "a group from 0 to 1 for each"),
                         ((groups[train], groups[held], mask[:, :3]), "boolean mask"),
                         ((1 - groups[train], groups[held], mask), "among its group's classes")]:
        with pytest.raises(SadvaeError, match=message):
            train_encoder(xs[train], labels[train], xs[held], labels[held], np.arange(4), cfg, prep,
                          EncoderTraining(epochs=1), class_text=_class_text(4), sample_groups=bad)
    contrastive = train_encoder(xs[train], labels[train], xs[held], labels[held], np.arange(4), cfg, prep,
                                EncoderTraining(epochs=30, batch_size=8, lr=0.05, patience=30, seed=1,
                                                objective="contrastive"), class_text=_class_text(4),
                                sample_groups=(groups[train], groups[held], mask))
    assert contrastive.history[contrastive.best_epoch]["holdout_accuracy"] >= 0.9  # the contrastive objective too
