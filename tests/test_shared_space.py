"""One skeleton space across sensors: the shared joint set, the NW-UCLA reader, several datasets in
one training set, balanced sampling, and a model fitted on two datasets."""
import json

import numpy as np
import pytest

from sadvae.data import classnames
from sadvae.data.layouts import BODY16, COCO17, KINECT_V1_20, NTU25, SHARED, joint_map, map_layout, to_shared
from sadvae.data.preprocess import Preprocessing, crop_seconds, preprocess_sequence, resample_rate
from sadvae.data.skeletons import SkeletonFormatError, SkeletonSet, read_npz, read_nwucla, write_npz
from sadvae.data.sources import Source, combine
from sadvae.errors import SadvaeError

from .conftest import shared_or_skip


def kinect_motion(seed=0, frames=20) -> np.ndarray:
    """(T, 1, 20, 3) a plausible standing body (metres, y up) with its right arm waving."""
    rng = np.random.default_rng(seed)
    j = {n: i for i, n in enumerate(KINECT_V1_20.joints)}
    pose = np.zeros((20, 3))
    spots = {"HipCenter": (0, 1.0, 0), "Spine": (0, 1.1, 0), "ShoulderCenter": (0, 1.45, 0), "Head": (0, 1.65, 0),
             "ShoulderLeft": (-0.2, 1.4, 0), "ElbowLeft": (-0.25, 1.15, 0), "WristLeft": (-0.27, 0.9, 0),
             "HandLeft": (-0.28, 0.82, 0), "ShoulderRight": (0.2, 1.4, 0), "ElbowRight": (0.25, 1.15, 0),
             "WristRight": (0.27, 0.9, 0), "HandRight": (0.28, 0.82, 0), "HipLeft": (-0.1, 0.95, 0),
             "KneeLeft": (-0.1, 0.5, 0), "AnkleLeft": (-0.1, 0.08, 0), "FootLeft": (-0.1, 0.02, 0.1),
             "HipRight": (0.1, 0.95, 0), "KneeRight": (0.1, 0.5, 0), "AnkleRight": (0.1, 0.08, 0),
             "FootRight": (0.1, 0.02, 0.1)}
    for name, xyz in spots.items():
        pose[j[name]] = xyz
    seq = np.repeat(pose[None], frames, 0) + 0.005 * rng.standard_normal((frames, 20, 3))
    angle = np.linspace(0, 2 * np.pi, frames)
    for name in ("ElbowRight", "WristRight", "HandRight"):
        seq[:, j[name], 0] += 0.2 * np.sin(angle)
        seq[:, j[name], 1] += 0.5
    return seq[:, None].astype(np.float32)


def rotation_y(degrees: float) -> np.ndarray:
    a = np.radians(degrees)
    return np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])


# ------------------------------------------------------------------------------------------ the joint set


def test_every_sensor_layout_maps_onto_the_shared_space():
    assert SHARED == "body-16" and BODY16.n_joints == 16
    for layout in (KINECT_V1_20, NTU25, COCO17):
        out = to_shared(np.zeros((3, 1, layout.n_joints, 3), np.float32), layout.name)
        assert out.shape == (3, 1, 16, 3)
    with pytest.raises(SadvaeError, match="body-16 that map onto every joint of kinect-v1-20, found none for"):
        map_layout(np.zeros((2, 16, 3)), "body-16", "kinect-v1-20")  # no hands, no feet in the shared space


def test_one_motion_through_two_layouts_matches_on_the_joints_they_share():
    """A Kinect v1 recording written as NTU's Kinect v2 joints and as COCO keypoints (its limbs; a face
    around the head) gives the same shared skeleton: limbs exactly, COCO's trunk as means."""
    seq = kinect_motion()
    as_ntu = np.full((len(seq), 1, 25, 3), 7.0, np.float32)  # joints Kinect v1 lacks: anything
    as_ntu[..., joint_map("ntu-25", "kinect-v1-20"), :] = seq
    np.testing.assert_array_equal(to_shared(as_ntu, "ntu-25"), to_shared(seq, "kinect-v1-20"))

    k = KINECT_V1_20.index
    coco = np.zeros((len(seq), 1, 17, 3), np.float32)
    for side, tag in (("left", "Left"), ("right", "Right")):
        for joint in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle"):
            coco[..., COCO17.index([f"{side}_{joint}"])[0], :] = seq[..., k([f"{joint.capitalize()}{tag}"])[0], :]
    head = seq[..., k(["Head"])[0], :]
    for name, dx in (("nose", 0.0), ("left_eye", -0.03), ("right_eye", 0.03), ("left_ear", -0.07),
                     ("right_ear", 0.07)):
        coco[..., COCO17.index([name])[0], :] = head + np.array([dx, 0, 0.05 if "ear" not in name else 0])
    a, b = to_shared(coco, "coco-17"), to_shared(seq, "kinect-v1-20")
    limbs = BODY16.index([j for j in BODY16.joints if j.startswith(("left_", "right_"))])
    np.testing.assert_array_equal(a[..., limbs, :], b[..., limbs, :])
    np.testing.assert_allclose(a[..., BODY16.index(["head"]), :], b[..., BODY16.index(["head"]), :], atol=1e-6)
    hips = seq[..., k(["HipLeft", "HipRight"]), :].mean(-2)
    np.testing.assert_allclose(a[..., 0, :], hips, atol=1e-6)  # COCO's pelvis: between its hips


def test_the_same_motion_from_two_sensors_looks_the_same_after_preprocessing():
    """Another sensor: centimetres, turned 70 degrees, elsewhere in the room, at 120 fps. After the
    shared preprocessing (centre, body size, facing direction, seconds) the inputs agree."""
    kinect = to_shared(kinect_motion(frames=31), "kinect-v1-20").astype(np.float64)
    t = np.linspace(0, 30, 121)  # the same 1 s at 120 fps: interpolate the Kinect frames
    lo = np.floor(t).astype(int).clip(0, 29)
    w = (t - lo)[:, None, None, None]
    fast = kinect[lo] * (1 - w) + kinect[lo + 1] * w
    other = (fast @ rotation_y(70).T + np.array([2.0, 0.1, -3.0])) * 100.0
    prep = Preprocessing(layout=SHARED, frames=16, bodies=1, align_view=True, fps=30.0)
    a = preprocess_sequence(kinect, prep, prep.steps(30.0))
    b = preprocess_sequence(other, prep, prep.steps(120.0))
    np.testing.assert_allclose(a, b, atol=1e-4)
    c = preprocess_sequence(other, Preprocessing(layout=SHARED, frames=16, bodies=1), None)
    assert np.abs(c - a).max() > 0.1  # without aligning the view they differ: the check can fail


def test_canonical_bones_make_two_rigs_agree():
    """A rig that places the shoulders closer together and the head lower along the same bones (as a
    motion capture rig does beside Kinect) and a performer of other proportions: with canonical bones
    both give the same input; bone directions and the pelvis are kept, every length is the layout's."""
    kinect = to_shared(kinect_motion(frames=24), "kinect-v1-20").astype(np.float64)
    j = BODY16.index
    rig = kinect.copy()
    neck = rig[..., j(["neck"]), :]
    for name, factor in (("left_shoulder", 0.6), ("right_shoulder", 0.6), ("head", 0.35)):
        rig[..., j([name]), :] = neck + factor * (kinect[..., j([name]), :] - neck)  # the same direction, shorter
    # the arms hang from the moved shoulders: move every arm joint with its shoulder
    for side in ("left", "right"):
        shift = rig[..., j([f"{side}_shoulder"]), :] - kinect[..., j([f"{side}_shoulder"]), :]
        for name in ("elbow", "wrist"):
            rig[..., j([f"{side}_{name}"]), :] += shift
    rig *= 1.15  # a taller performer (each frame centred: the path through the room is not the point here)
    prep = Preprocessing(layout=SHARED, frames=12, bodies=1, center="frame", canonical_bones=True)
    a, b = preprocess_sequence(kinect, prep), preprocess_sequence(rig, prep)
    np.testing.assert_allclose(a, b, atol=1e-5)
    plain = Preprocessing(layout=SHARED, frames=12, bodies=1, center="frame")
    assert np.abs(preprocess_sequence(kinect, plain) - preprocess_sequence(rig, plain)).max() > 0.05
    from sadvae.data.preprocess import canonical_bones

    out = canonical_bones(kinect, BODY16)
    lengths = np.linalg.norm(out[..., BODY16.edges[:, 1], :] - out[..., BODY16.edges[:, 0], :], axis=-1)
    np.testing.assert_allclose(lengths, np.broadcast_to(BODY16.bone_lengths, lengths.shape), atol=1e-9)
    np.testing.assert_array_equal(out[..., 0, :], kinect[..., 0, :])
    with pytest.raises(SadvaeError, match="canonical bone lengths .body-16., found kinect-v1-20"):
        Preprocessing(layout="kinect-v1-20", canonical_bones=True).check()


def test_frame_rate_and_seconds():
    seq = np.arange(121, dtype=np.float64).reshape(121, 1, 1, 1) * np.ones((1, 1, 16, 3))
    slow = resample_rate(seq, 120.0, 30.0)
    assert len(slow) == 31 and slow[1, 0, 0, 0] == pytest.approx(4.0)  # every fourth frame
    assert len(crop_seconds(slow, 0.5, 30.0)) == 15 and crop_seconds(slow, 0.5, 30.0)[0, 0, 0, 0] == pytest.approx(32)
    assert len(crop_seconds(slow, 5.0, 30.0)) == 31  # shorter than the window: all of it
    with pytest.raises(SadvaeError, match="expected a positive max_seconds"):
        Preprocessing(layout=SHARED, max_seconds=0.0).check()


# ----------------------------------------------------------------------------------------------- NW-UCLA


def write_nwucla(folder, name, frames, label=1, **extra):
    content = {"file_name": name, "skeletons": frames, "label": label, **extra}
    (folder / f"{name}.json").write_text(json.dumps(content))


def test_nwucla_reader_on_real_files():
    folder = shared_or_skip("nw_ucla", "all_sqe")
    data = read_nwucla(folder)
    assert len(data) == 1484 and data.class_names == list(classnames.NWUCLA10) and data.layout == "kinect-v1-20"
    assert sorted(np.unique(data.subjects).tolist()) == list(range(1, 11)) and data.fps == 30.0
    first = data.sequences[0]
    assert first.shape[1:] == (1, 20, 3)
    head, feet = first[:, 0, 3, 1], first[:, 0, [15, 19], 1]
    assert (head > feet.max(1)).mean() > 0.9  # y up: the head above the feet (the README's joint order)
    donning = data.sample_ids.index("a08_s01_e00_v01")
    assert data.labels[donning] == 6 and data.class_names[6] == "donning"  # a08 is label 7: ids skip a07


@pytest.mark.parametrize("frames, label, match", [
    ([], 1, "'skeletons' as a non-empty list of frames"),
    ([[[0, 0, 0]] * 19], 1, "frame 0 of 'skeletons' with 20 joints of 3 numbers, found 19 joints"),
    ([[[0, 0, 0]] * 20, [[0, 0]] * 20], 1, "frame 1 of 'skeletons' with 20 joints"),
    ([[[0, 0, "x"]] * 20], 1, "numbers in 'skeletons'"),
    ([[[0, 0, float("nan")]] * 20], 1, "finite coordinates in 'skeletons'"),
    ([[[0, 0, 1.0]] * 20], 11, "a label in 1..10"),
    ([[[0, 0, 1.0]] * 20], "one", "an integer 'label'"),
])
def test_nwucla_damaged_files_are_one_clear_error(tmp_path, frames, label, match):
    write_nwucla(tmp_path, "a01_s01_e00_v01", frames, label)
    with pytest.raises(SkeletonFormatError, match=match) as info:
        read_nwucla(tmp_path)
    assert "a01_s01_e00_v01.json" in str(info.value)


def test_nwucla_not_json_or_no_skeletons(tmp_path):
    (tmp_path / "a01_s01_e00_v01.json").write_text('{"skeletons": [')
    with pytest.raises(SkeletonFormatError, match="invalid JSON"):
        read_nwucla(tmp_path)
    (tmp_path / "a01_s01_e00_v01.json").write_text('{"frames": []}')
    with pytest.raises(SkeletonFormatError, match=r"the key 'skeletons'.*found keys \['frames'\]"):
        read_nwucla(tmp_path)
    (tmp_path / "a01_s01_e00_v01.json").unlink()
    with pytest.raises(SkeletonFormatError, match="NW-UCLA files named aAA_sSS_eEE_vVV.json, found none"):
        read_nwucla(tmp_path)


def test_convert_of_a_damaged_nwucla_folder_writes_nothing(tmp_path, capsys):
    from sadvae.cli.main import main

    write_nwucla(tmp_path, "a01_s01_e00_v01", [[[0, 0, 1.0]] * 20])
    write_nwucla(tmp_path, "a02_s01_e00_v01", [[[0, 0, 1.0]] * 21], label=2)
    out = tmp_path / "out.npz"
    assert main(["convert", "--data", str(tmp_path), "--format", "nwucla", "--out", str(out)]) == 2
    assert "a02_s01_e00_v01.json" in capsys.readouterr().err and not out.exists()
    (tmp_path / "a02_s01_e00_v01.json").unlink()
    assert main(["convert", "--data", str(tmp_path), "--format", "nwucla", "--out", str(out)]) == 0
    back = read_npz(out)
    assert back.fps == 30.0 and back.layout == "kinect-v1-20" and back.subjects.tolist() == [1]


# ------------------------------------------------------------------------------------ several datasets


def small_set(names, per_class, layout="kinect-v1-20", subjects=True, fps=30.0, seed=0):
    rng = np.random.default_rng(seed)
    n_joints = {"kinect-v1-20": 20, "body-16": 16}[layout]
    labels = np.repeat(np.arange(len(names)), per_class)
    seqs = [(rng.standard_normal((12, 1, n_joints, 3)) + 2).astype(np.float32) for _ in labels]
    return SkeletonSet(seqs, labels, list(names), layout, np.tile(np.arange(1, per_class + 1), len(names))
                       if subjects else None, [f"s{i}" for i in range(len(labels))], fps=fps)


def test_combine_merges_classes_by_name_and_keeps_performers_apart():
    a = small_set(["walk", "Sit Down", "clap"], 4)
    b = small_set(["sit down", "kick"], 3, layout="body-16", subjects=False, fps=120.0)
    b.styles = ["happy", "sad"] * 3
    both = combine([Source(a, "a", [["w1"], ["s1", "s2"], ["c1"]]), Source(b, "b", [["s2", "s3"], ["k1"]])])
    sk = both.skeletons
    assert sk.class_names == ["walk", "Sit Down", "clap", "kick"] and sk.layout == SHARED and sk.fps == 30.0
    assert both.texts[1] == ["s1", "s2", "s3"] and both.class_datasets[1] == ["a", "b"]
    assert sk.labels.tolist() == [0] * 4 + [1] * 4 + [2] * 4 + [1] * 3 + [3] * 3
    assert sk.subjects[:4].tolist() == [1, 2, 3, 4] and (sk.subjects[12:] == -1).all()
    assert len(sk.sequences[12]) == 4  # 12 frames at 120 fps span 11/120 s: 2.75 frame steps at 30 fps -> 4
    assert sk.styles == [""] * 12 + b.styles and both.counts() == {"a": 12, "b": 6}
    apart = combine([Source(a, "a"), Source(b, "b")], merge=False)
    assert apart.skeletons.class_names[1] == "Sit Down (a)" and len(apart.skeletons.class_names) == 5
    with pytest.raises(SadvaeError, match="distinct dataset names"):
        combine([Source(a, "a"), Source(b, "a")])
    with pytest.raises(SadvaeError, match="expected texts for all 3 classes"):
        combine([Source(a, "a", [["w"]])])


def test_combine_sources_can_add_each_class_name_to_its_descriptions():
    from sadvae.pack.sources import combine_sources

    a = small_set(["walk", "clap"], 3)
    b = small_set(["run", "kick"], 3, layout="body-16", subjects=False)
    sources = [Source(a, "a", [["w1", "w2"], ["c1", "clap"]], "our words"), Source(b, "b")]
    plain = combine_sources(sources)
    assert plain.texts.texts[:2] == [["w1", "w2"], ["c1", "clap"]]
    named = combine_sources(sources, names=True)
    # the name first and once; a dataset without descriptions keeps its names in the templates
    assert named.texts.texts[:2] == [["walk", "w1", "w2"], ["clap", "c1"]]
    assert named.texts.texts[2:] == plain.texts.texts[2:]
    assert "and the class names" in named.texts.source and named.text_mode == "desc"


def test_fit_of_one_dataset_can_add_the_class_names_to_its_descriptions():
    from sadvae.deploy.fit import FitSettings, training_data
    from sadvae.pack.text import ClassTexts

    sk = small_set(["walk", "clap"], 4)
    desc = ClassTexts([["w1", "w2"], ["c1"]], "our words", "2 classes")
    assert training_data(sk, FitSettings(descriptions=desc)).texts.texts == [["w1", "w2"], ["c1"]]
    named = training_data(sk, FitSettings(descriptions=desc, names_in_texts=True)).texts
    assert named.texts == [["walk", "w1", "w2"], ["clap", "c1"]] and named.source == "our words and the class names"


def test_balanced_sampling_draws_each_dataset_equally_often():
    import torch

    from sadvae.encoder.training import _batches

    weights = torch.tensor([1 / 90] * 90 + [1 / 10] * 10, dtype=torch.float64)
    drawn = torch.cat(list(_batches(100, 32, torch.Generator().manual_seed(0), weights)))
    share = float((drawn >= 90).double().mean())
    assert len(drawn) == 100 and 0.35 < share < 0.65  # a tenth of the data, half of the draws
    assert torch.equal(torch.cat(list(_batches(5, 2, None))), torch.arange(5))


def test_fit_of_two_datasets_writes_a_shared_space_model(tmp_path):
    pytest.importorskip("sentence_transformers")
    from sadvae import load
    from sadvae.deploy.fit import FitSettings, fit_sources
    from sadvae.encoder.training import default_training

    a = small_set(["walk", "sit down", "clap", "wave"], 8)
    b = small_set(["sit down", "kick", "bow"], 10, layout="body-16", subjects=False, fps=60.0, seed=1)
    b.styles = ["tired", "happy"] * 15  # the mocap recordings learn their texts with their style
    settings = FitSettings(align_view=True, calibration_draws=2, validation_share=0.35, style_texts=True,
                           rival_classes="dataset",
                           training=default_training(epochs=2))
    said = []
    report = fit_sources([Source(a, "kinect"), Source(b, "mocap")], tmp_path / "model", settings, progress=False,
                         log=said.append)
    assert report["classes"] == 6 and "[sadvae] style texts: 6 (class, style) pairs" in said
    manifest = json.loads((tmp_path / "model" / "manifest.json").read_text())
    assert manifest["datasets"]["mocap"]["classes"] == ["sit down", "kick", "bow"]
    assert manifest["balanced_batches"] and "kinect: performers" in manifest["holdout"]
    assert manifest["style_texts"] is True and manifest["rival_classes"] == "dataset"
    assert "mocap: 20% of each class held out at random" in manifest["holdout"]
    model = load(tmp_path / "model")
    assert model.layout == SHARED and model.encoder.preprocessing.align_view
    preds = model.predict(a.sequences[:2], ["walk", "kick"], layout="kinect-v1-20")
    assert len(preds) == 2 and all(len(p.labels) == 2 for p in preds)


def test_npz_keeps_frame_rate_and_styles(tmp_path):
    s = small_set(["a", "b"], 2, layout="body-16", subjects=False, fps=120.0)
    s.styles = ["x", "y", "x", "y"]
    write_npz(s, tmp_path / "s.npz")
    back = read_npz(tmp_path / "s.npz")
    assert back.fps == 120.0 and back.styles == s.styles and back.layout == "body-16"


def test_fit_command_with_a_sources_table_and_with_repeated_data(tmp_path, capsys):
    pytest.importorskip("sentence_transformers")
    from sadvae.cli.main import main

    write_npz(small_set(["walk", "sit down", "clap", "wave"], 8), tmp_path / "kinect.npz")
    mocap = small_set(["sit down", "kick", "bow"], 10, layout="body-16", subjects=False, fps=60.0, seed=1)
    write_npz(mocap, tmp_path / "mocap.npz")
    (tmp_path / "names.txt").write_text("sit down\nkick\nbow\n")
    (tmp_path / "sources.toml").write_text(
        f'[[source]]\ndata = "{tmp_path / "kinect.npz"}"\nformat = "npz"\nname = "kinect"\n\n'
        f'[[source]]\ndata = "{tmp_path / "mocap.npz"}"\nformat = "npz"\nclass_names = "{tmp_path / "names.txt"}"\n')
    tiny = ["--epochs", "1", "--channels", "4", "--strides", "1", "--embed-dim", "8", "--calibration-draws", "2",
            "--quiet"]
    assert main(["fit", "--sources", str(tmp_path / "sources.toml"), "--out", str(tmp_path / "a"), *tiny]) == 0
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert set(manifest["datasets"]) == {"kinect", "mocap"} and manifest["layout"] == "body-16"
    assert manifest["classes"]["names"] == ["walk", "sit down", "clap", "wave", "kick", "bow"]
    from sadvae import load

    prep = load(tmp_path / "a").encoder.preprocessing  # the recipe for several datasets
    assert (prep.align_view, prep.center, prep.max_seconds, prep.fps) == (True, "frame", 3.0, 30.0)
    assert manifest["scoring"] == "bridged" and load(tmp_path / "a").scoring == "bridged"
    assert tuple(load(tmp_path / "a").encoder.model.config.streams) == ("motion",)  # several sensors: motion alone
    assert manifest["confidence"].get("beta_on") == "bridged scores" or "unavailable" in manifest["confidence"]
    assert set(manifest["validation_top1"]) == {"direct", "bridged"}
    assert all(0 <= v <= 1 for v in manifest["validation_top1"].values())
    assert main(["fit", "--data", str(tmp_path / "kinect.npz"), "--data", str(tmp_path / "mocap.npz"), "--format",
                 "npz", "--separate-classes", "--no-balance", "--encoder-objective", "contrastive", "--scoring",
                 "direct", "--out", str(tmp_path / "b"), *tiny]) == 0
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["scoring"] == "direct" and "beta_on" not in manifest["confidence"]
    assert "sit down (mocap)" in manifest["classes"]["names"] and not manifest["balanced_batches"]
    assert manifest["encoder_history"]["objective"] == "contrastive"
    capsys.readouterr()
    assert main(["fit", "--sources", str(tmp_path / "sources.toml"), "--data", "x", "--out", str(tmp_path / "c"),
                 *tiny]) == 2
    assert "found both" in capsys.readouterr().err and not (tmp_path / "c").exists()
    assert main(["fit", "--data", str(tmp_path / "kinect.npz"), "--data", str(tmp_path / "mocap.npz"), "--format",
                 "npz", "--descriptions", "utd27-desc", "--out", str(tmp_path / "c"), *tiny]) == 2
    err = capsys.readouterr().err
    assert "found none for 'walk'" in err and f"[the descriptions of --data {tmp_path / 'kinect.npz'}]" in err
    assert not (tmp_path / "c").exists()


def test_features_of_two_datasets_write_one_pack_in_the_shared_space(tmp_path, capsys):
    pytest.importorskip("sentence_transformers")
    from sadvae.cli.main import main
    from sadvae.pack.format import load_pack

    write_npz(small_set(["walk", "sit down", "clap", "wave"], 16), tmp_path / "kinect.npz")
    write_npz(small_set(["sit down", "kick", "bow"], 16, layout="body-16", fps=60.0, seed=1), tmp_path / "mocap.npz")
    tiny = ["--epochs", "1", "--channels", "4", "--strides", "1", "--embed-dim", "8", "--holdout", "0.5", "--quiet"]
    res = tmp_path / "res"
    assert main(["features", "--data", str(tmp_path / "kinect.npz"), "--data", str(tmp_path / "mocap.npz"),
                 "--format", "npz", "--dataset", "two", "--resources", str(res), "--unseen-classes", "4,5",
                 "--val-classes", "0,2", *tiny]) == 0
    assert "6 classes, 2 unseen" in capsys.readouterr().out
    pack = load_pack(res, "two", 2)
    assert pack.n_classes == 6 and pack.unseen_classes.tolist() == [4, 5]
    assert sorted(np.unique(pack.main.labels["unseen"]).tolist()) == [4, 5]
    enc = json.loads(next((res / "sk_feats").glob("*_2_r/encoder.json")).read_text())
    assert enc["pack"]["datasets"]["mocap"]["classes"] == ["sit down", "kick", "bow"]
    assert enc["pack"]["balanced_batches"] and enc["pack"]["merged_classes"]
    assert enc["preprocessing"]["layout"] == SHARED and enc["preprocessing"]["align_view"]
    assert enc["preprocessing"]["center"] == "frame" and enc["preprocessing"]["max_seconds"] == 3.0
    assert enc["training"]["bone_jitter"] == pytest.approx(0.4)  # several sensors: bones drawn anew
    assert enc["config"]["streams"] == ["motion"] and enc["pack"]["rival_classes"] == "dataset"
    # a dataset without performer ids cannot be split by performer: one error, nothing written
    write_npz(small_set(["kick", "bow"], 8, layout="body-16", subjects=False), tmp_path / "anon.npz")
    assert main(["features", "--data", str(tmp_path / "kinect.npz"), "--data", str(tmp_path / "anon.npz"),
                 "--format", "npz", "--dataset", "three", "--resources", str(res), "--unseen", "2", *tiny]) == 2
    err = capsys.readouterr().err
    assert "performer ids in every dataset (the test split is by performer), found none in anon" in err
    assert not list(res.glob("*/*three*"))  # no label split, feature folder or text features of it
