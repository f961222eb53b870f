"""sadvae fit (a model of every labelled class), anchor bundles, ready models in the package, layout mapping."""
import json
import shutil

import numpy as np
import pytest

from sadvae.deploy.bundle import AnchorModel, load
from sadvae.cli.main import main
from sadvae.errors import SadvaeError
from sadvae.data.layouts import get_layout, joint_map, map_layout
from sadvae.deploy.models import ready_models
from sadvae.data.skeletons import write_npz
from sadvae.pack.synthetic import synthetic_skeletons

from .conftest import shared_or_skip

TINY = ["--channels", "8,16", "--strides", "1,2", "--embed-dim", "16", "--frames", "16", "--epochs", "6",
        "--patience", "6", "--quiet"]


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("fit")
    data = synthetic_skeletons(n_classes=8, per_subject=4, subjects=4, frames=24, seed=5)
    write_npz(data, tmp / "motions.npz")
    assert main(["fit", "--data", str(tmp / "motions.npz"), "--format", "npz", "--out", str(tmp / "model"),
                 "--calibration-draws", "2", *TINY]) == 0
    return tmp, data


def test_fit_learns_every_class_and_writes_an_anchor_bundle(fitted):
    tmp, data = fitted
    manifest = json.loads((tmp / "model" / "manifest.json").read_text())
    assert manifest["kind"] == "anchor" and manifest["classes"]["seen"] == list(range(8))
    assert manifest["classes"]["names"] == data.class_names and manifest["trained_on"] == "all 8 labelled classes"
    assert len(manifest["calibration"]) == 2 and manifest["holdout"].startswith("performers [")
    for draw in manifest["calibration"]:
        assert len(draw["validation_classes"]) == 2 and draw["pseudo_unseen_samples"] > 0
    model = load(tmp / "model")
    assert isinstance(model, AnchorModel) and model.gate.rule == "stacking"
    preds = model.predict(data.sequences[:5], ["raise both arms", "kick a ball", "spin around"], top_k=2)
    assert len(preds) == 5 and all(len(p.labels) == 2 for p in preds)
    assert all(p.probs == sorted(p.probs, reverse=True) and 0 <= p.probs[1] and sum(p.probs) <= 1 + 1e-9
               for p in preds)  # the top 2 of a softmax over 3, best first
    again = load(tmp / "model").predict(data.sequences[:5], ["raise both arms", "kick a ball", "spin around"],
                                        top_k=2)
    assert [p.probs for p in again] == [p.probs for p in preds], "an anchor bundle predicts deterministically"
    gz = model.predict(data.sequences, ["raise both arms"], include_seen=True, top_k=1)
    seen = [p for p in gz if p.routed_seen]
    assert seen and all(p.labels[0] in data.class_names for p in seen)
    assert all(p.labels == ["raise both arms"] for p in gz if not p.routed_seen)
    with pytest.raises(SadvaeError, match="already a training class"):
        model.predict(data.sequences[:2], [data.class_names[0]], include_seen=True)


def test_fit_calibrates_confidence_and_none_of_these(fitted, capsys):
    tmp, data = fitted
    model = load(tmp / "model")
    c = model.confidence
    assert c is not None and c["beta"] > 0 and c["draws"] == 2 and c["held_out"] == "leave one draw out"
    assert 0 <= c["none_when_asked"] <= 1 and 0 <= c["none_when_left_out"] <= 1 and c["ece_after"] >= 0
    asked = ["raise both arms", "kick a ball", "spin around"]
    preds = model.predict(data.sequences[:6], asked, top_k=3, allow_none=True)
    assert all(isinstance(p.none, bool) for p in preds)
    assert all(sum(p.probs) == pytest.approx(1.0, abs=1e-6) for p in preds)  # calibrated, still a softmax
    assert all("none" in p.as_dict() for p in preds) and "none" not in model.predict(data.sequences[:1], asked)[0] \
        .as_dict()
    with pytest.raises(SadvaeError, match="--allow-none: expected the given classes alone"):
        model.predict(data.sequences[:2], asked, include_seen=True, allow_none=True)
    assert main(["predict", "--model", str(tmp / "model"), "--input", str(tmp / "motions.npz"), "--classes", *asked,
                 "--allow-none", "--json", "--quiet"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert len(records) == len(data) and all(isinstance(r["none"], bool) for r in records)
    adapted = model.predict(data.sequences, asked, top_k=3, transductive=True)
    assert all(p.transductive and p.as_dict()["transductive"] for p in adapted)
    assert {p.as_dict()["transductive_mode"] for p in adapted} == {"adapt"}
    assert not any(p.transductive for p in model.predict(data.sequences[:3], asked))
    # centring: the same as the cosines of both sides centred on their own means, by hand
    from sadvae.deploy.adapt import centre

    centred = model.predict(data.sequences, asked, top_k=3, transductive="centre")
    assert {p.as_dict()["transductive_mode"] for p in centred} == {"centre"}
    import torch

    feats = model._features(model._prepare(data.sequences, None)[0], None)[0]
    with torch.no_grad():
        proto = model.encoder.model.prototypes(torch.as_tensor(model.encode_classes(asked, ensemble=True))).numpy()
    c_emb, c_proto = centre(feats, proto)
    np.testing.assert_allclose(model.class_cosines(feats, asked, centre=True), c_emb @ c_proto.T, atol=1e-5)
    assert [p.labels[0] for p in centred] == [asked[i] for i in (c_emb @ c_proto.T).argmax(1)]
    for extra in ({"allow_none": True}, {"include_seen": True}):
        with pytest.raises(SadvaeError, match="--transductive centre: expected the given classes alone"):
            model.predict(data.sequences, asked, transductive="centre", **extra)
    with pytest.raises(SadvaeError, match="--transductive: expected one of adapt, centre"):
        model.predict(data.sequences, asked, transductive="shift")


def test_bridged_scoring_carries_the_training_classes_to_the_given_names(fitted, tmp_path, capsys):
    import torch

    from sadvae.deploy.bridge import bridged

    tmp, data = fitted
    model = load(tmp / "model")
    assert model.scoring == "direct"  # a bundle of one dataset ranks by the cosines
    asked = ["raise both arms", data.class_names[2], "spin around", data.class_names[5]]
    feats = model._features(model._prepare(data.sequences, None)[0], None)[0]
    # the bridge by hand: the encoder's softmax over its training classes times the text model's
    # cosines between their texts and the asked ones, each asked class's column centred
    net = model.encoder.model
    emb = feats / np.linalg.norm(feats, axis=1, keepdims=True)
    with torch.no_grad():
        train = net.prototypes(net.class_text).numpy()
    logits = float(net.log_scale.detach().exp()) * emb @ train.T
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    seen_text = net.class_text.numpy().mean(1)
    seen_text /= np.linalg.norm(seen_text, axis=1, keepdims=True)
    asked_text = model.encode_classes(asked)
    similar = seen_text @ (asked_text / np.linalg.norm(asked_text, axis=1, keepdims=True)).T
    bridge = p @ (similar - similar.mean(0))
    cosines, ranked = model.class_scores(feats, asked, scoring="bridged")
    np.testing.assert_allclose(cosines, model.class_cosines(feats, asked), atol=1e-9)
    z = [(s - s.mean(1, keepdims=True)) / s.std(1, keepdims=True) for s in (cosines, bridge)]
    mean, spread = cosines.mean(1, keepdims=True), cosines.std(1, keepdims=True)
    np.testing.assert_allclose(ranked, mean + spread * (z[0] + z[1]) / 2, atol=1e-6)
    np.testing.assert_allclose(ranked.mean(1), cosines.mean(1), atol=1e-9)  # on the cosines' own scale
    np.testing.assert_allclose(bridged(cosines[:, :1], bridge[:, :1]), cosines[:, :1])  # one class: nothing to rank
    preds = model.predict(data.sequences, asked, top_k=4, scoring="bridged")
    assert [pr.labels[0] for pr in preds] == [asked[j] for j in ranked.argmax(1)]
    assert all(sum(pr.probs) == pytest.approx(1.0, abs=1e-6) for pr in preds)
    # a bundle whose manifest says so ranks bridged by default; "direct" asks for the cosines again
    copy = tmp_path / "model"
    shutil.copytree(tmp / "model", copy)
    bridged_model = load(copy)
    bridged_model.manifest = {**bridged_model.manifest, "scoring": "bridged"}
    assert [pr.probs for pr in bridged_model.predict(data.sequences, asked, top_k=4)] == [pr.probs for pr in preds]
    preds_direct = model.predict(data.sequences, asked, top_k=4)
    assert [pr.probs for pr in bridged_model.predict(data.sequences, asked, top_k=4, scoring="direct")] == \
        [pr.probs for pr in preds_direct]
    with pytest.raises(SadvaeError, match="--scoring: expected one of direct, bridged"):
        model.predict(data.sequences[:2], asked, scoring="nearest")
    assert main(["predict", "--model", str(tmp / "model"), "--input", str(tmp / "motions.npz"), "--classes", *asked,
                 "--scoring", "bridged", "--top-k", "1", "--json", "--quiet"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["top"][0]["class"] for r in records] == [asked[j] for j in ranked.argmax(1)]
    assert {r["scoring"] for r in records} == {"bridged"} and "scoring" not in preds_direct[0].as_dict()


def test_allow_none_needs_a_calibrated_model(fitted, tmp_path):
    tmp, data = fitted
    copy = tmp_path / "model"
    shutil.copytree(tmp / "model", copy)
    model = load(copy)
    model.manifest = {**model.manifest, "confidence": {"unavailable": "too few recordings"}}
    with pytest.raises(SadvaeError, match="expected a model calibrated for 'none of these'.*too few recordings"):
        model.predict(data.sequences[:2], ["walk", "run"], allow_none=True)


def test_a_damaged_anchor_bundle_is_refused(fitted, tmp_path):
    tmp, _ = fitted
    copy = tmp_path / "model"
    shutil.copytree(tmp / "model", copy)
    gate = json.loads((copy / "gate.json").read_text())
    gate["threshold"] += 1.0
    (copy / "gate.json").write_text(json.dumps(gate))
    with pytest.raises(SadvaeError, match="gate.json: expected SHA-256"):
        load(copy)
    (copy / "encoder.safetensors").unlink()
    with pytest.raises(SadvaeError, match="expected encoder.safetensors"):
        load(copy)


def test_fit_refuses_an_existing_model_and_bad_settings(fitted, capsys):
    tmp, _ = fitted
    args = ["fit", "--data", str(tmp / "motions.npz"), "--format", "npz", "--out", str(tmp / "model"), *TINY]
    assert main(args) == 2
    assert "expected no earlier model here" in capsys.readouterr().err
    for flag, value in (("--calibration-draws", "0"), ("--holdout-performers", "1.5")):
        assert main([*args[:-len(TINY)], "--out", str(tmp / "other"), flag, value, *TINY]) == 2
        assert flag in capsys.readouterr().err
        assert not (tmp / "other").exists()


def test_ntu_input_maps_onto_a_kinect_v1_model_by_joint_name(fitted):
    tmp, data = fitted
    model = load(tmp / "model")
    assert model.layout == "kinect-v1-20"
    ntu, kinect = get_layout("ntu-25"), get_layout("kinect-v1-20")
    index = joint_map("ntu-25", "kinect-v1-20")
    assert [ntu.joints[i] for i in index][:4] == ["SpineBase", "SpineMid", "SpineShoulder", "Head"]
    assert [ntu.joints[i] for i in index][4:] == list(kinect.joints[4:])  # limbs share their names
    # a Kinect v1 sequence written in the NTU layout (extra joints anywhere) predicts as the original
    seq = data.sequences[0]
    as_ntu = np.zeros((seq.shape[0], 1, 25, 3), dtype=np.float32)
    as_ntu[..., index, :] = seq
    as_ntu[..., ntu.index(["Neck", "HandTipLeft", "ThumbLeft", "HandTipRight", "ThumbRight"]), :] = 9.0
    np.testing.assert_array_equal(map_layout(as_ntu, "ntu-25", "kinect-v1-20"), seq)
    names = ["wave", "jump"]
    mapped = model.predict([as_ntu], names, layout="ntu-25")[0]
    direct = model.predict([seq], names)[0]
    assert mapped.labels == direct.labels and mapped.probs == pytest.approx(direct.probs)
    with pytest.raises(SadvaeError, match="coco-17 that map onto every joint of kinect-v1-20"):
        model.predict([np.zeros((10, 1, 17, 3), dtype=np.float32)], names, layout="coco-17")


def test_unknown_model_names_list_the_ready_ones(capsys):
    with pytest.raises(SadvaeError, match="expected a model bundle .* or a ready model"):
        load("no-such-model")
    assert main(["models", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [m["name"] for m in listed] == sorted(ready_models())


def test_the_ready_utd_model_names_actions_after_install(capsys):
    if "utd-mhad" not in ready_models():
        pytest.skip("the utd-mhad ready model is not in this checkout (benchmarks/build_ready_model.py)")
    folder = ready_models()["utd-mhad"]
    size = sum(p.stat().st_size for p in folder.iterdir())
    assert size < 5_000_000, f"a ready model should stay small, found {size} bytes"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["kind"] == "anchor" and len(manifest["classes"]["seen"]) == 27
    assert main(["models"]) == 0
    assert "utd-mhad: 27 classes" in capsys.readouterr().out
    skeleton = shared_or_skip("utd_mhad", "Skeleton")
    assert main(["predict", "--model", "utd-mhad", "--input", str(skeleton / "a1_s1_t1_skeleton.mat"),
                 "--classes", "drink water", "kick something", "--top-k", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out[0]["sample"] == "a1_s1_t1_skeleton.mat" and len(out[0]["top"]) == 2
    assert load("utd-mhad").confidence is not None  # calibrated: --allow-none works with it
    assert main(["predict", "--model", "utd-mhad", "--input", str(skeleton / "a1_s1_t1_skeleton.mat"),
                 "--classes", "drink water", "kick something", "--allow-none", "--json"]) == 0
    assert isinstance(json.loads(capsys.readouterr().out)[0]["none"], bool)


def test_export_of_an_anchor_run_is_an_anchor_bundle(tmp_path, capsys):
    data = synthetic_skeletons(n_classes=8, per_subject=4, subjects=4, frames=24, seed=5)
    write_npz(data, tmp_path / "m.npz")
    res = tmp_path / "res"
    assert main(["features", "--data", str(tmp_path / "m.npz"), "--format", "npz", "--dataset", "m", "--unseen", "2",
                 "--split-seed", "1", "--holdout", "0.4", "--resources", str(res), *TINY]) == 0
    assert main(["run", "--resources", str(res), "--dataset", "m", "--unseen", "2", "--method", "anchor", "--gzsl",
                 "stacking", "--out", str(tmp_path / "run"), "--quiet"]) == 0
    assert main(["export", str(tmp_path / "run"), "--out", str(tmp_path / "b.zip")]) == 0
    model = load(tmp_path / "b.zip")
    assert isinstance(model, AnchorModel) and len(model.seen_names) == 6
    assert model.manifest["classes"]["unseen_in_training"] == json.loads(
        (tmp_path / "run" / "metrics.json").read_text())["pack"]["unseen_classes"]
    capsys.readouterr()
    assert main(["predict", "--model", str(tmp_path / "b.zip"), "--input", str(tmp_path / "m.npz"), "--classes",
                 *[data.class_names[c] for c in model.manifest["classes"]["unseen_in_training"]],
                 "--include-seen", "--json"]) == 0
    preds = json.loads(capsys.readouterr().out)
    assert len(preds) == len(data.labels) and {p["gate"] for p in preds} <= {"seen", "new"}


def test_the_ready_general_model_reads_every_sensor_after_install(capsys):
    """`general` (UTD-MHAD, NW-UCLA and Bandai-Namco in the shared space) names actions in a Kinect v1
    .mat file, an NW-UCLA .json file and a BVH motion capture file, each as it comes."""
    if "general" not in ready_models():
        pytest.skip("the general ready model is not in this checkout (benchmarks/build_ready_model.py --model general)")
    folder = ready_models()["general"]
    assert sum(p.stat().st_size for p in folder.iterdir()) < 5_000_000
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["layout"] == "body-16"
    assert set(manifest["datasets"]) == {"utd-mhad", "nw-ucla", "bandai-namco", "synthetic"}
    assert manifest["scoring"] == "bridged"  # several datasets: ranked through the training classes too
    assert main(["models"]) == 0
    listed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("general:")]
    assert "scoring bridged" in listed[0]
    inputs = [shared_or_skip("utd_mhad", "Skeleton", "a1_s1_t1_skeleton.mat"),
              shared_or_skip("nw_ucla", "all_sqe", "a01_s01_e00_v01.json"),
              shared_or_skip("bandai_namco", "set2", "data", "dataset-2_wave-left-hand_active_001.bvh")]
    for path in inputs:
        assert main(["predict", "--model", "general", "--input", str(path), "--classes", "drink water",
                     "kick something", "jump up", "--top-k", "2", "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert out[0]["sample"] == path.name and len(out[0]["top"]) == 2 and out[0]["scoring"] == "bridged"


def test_an_ensemble_averages_its_models_probabilities(fitted, capsys):
    from sadvae.deploy.ensemble import load_ensemble

    tmp, data = fitted
    asked = ["raise both arms", "kick a ball", "spin around", "sit down"]
    pair = load_ensemble([str(tmp / "model"), "general"])
    fused = pair.predict(data.subset(np.arange(6)), asked, top_k=2)

    def full(model):  # each recording's probabilities in the order of `asked`
        preds = model.predict(data.subset(np.arange(6)), asked, top_k=len(asked))
        return np.array([[dict(zip(p.labels, p.probs))[c] for c in asked] for p in preds])
    mean = (full(load(tmp / "model")) + full(load("general"))) / 2
    for p, row in zip(fused, mean):
        best = np.argsort(-row, kind="stable")[:2]
        assert p.labels == [asked[j] for j in best]
        np.testing.assert_allclose(p.probs, row[best], rtol=1e-9)
    bridged = pair.predict(data.subset(np.arange(6)), asked, top_k=1, scoring="bridged")
    member = [load(tmp / "model").predict(data.subset(np.arange(6)), asked, top_k=len(asked), scoring="bridged"),
              load("general").predict(data.subset(np.arange(6)), asked, top_k=len(asked), scoring="bridged")]
    both = sum(np.array([[dict(zip(p.labels, p.probs))[c] for c in asked] for p in preds]) for preds in member) / 2
    assert [p.labels[0] for p in bridged] == [asked[j] for j in both.argmax(1)]
    for flag in ({"include_seen": True}, {"allow_none": True}, {"transductive": "centre"}):
        with pytest.raises(SadvaeError, match="ensemble: expected the given classes alone"):
            pair.predict(data.sequences[:2], asked, **flag)
    assert main(["predict", "--model", str(tmp / "model"), "--model", "general", "--input", str(tmp / "motions.npz"),
                 "--classes", *asked, "--top-k", "2", "--json", "--quiet"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert len(records) == len(data) and [r["top"][0]["class"] for r in records[:6]] == [p.labels[0] for p in fused]
    assert main(["predict", "--model", str(tmp / "model"), "--model", "general", "--input", str(tmp / "motions.npz"),
                 "--classes", *asked, "--allow-none", "--quiet"]) == 2
    assert "ensemble: expected the given classes alone, found --allow-none" in capsys.readouterr().err
