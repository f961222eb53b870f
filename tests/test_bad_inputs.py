"""The bad-input catalogue (docs/bad-inputs.md): every case ends with one clear message naming what
was wrong, exit status 2, no traceback (unless --debug), and no output left behind."""
import errno
import re
from pathlib import Path

import numpy as np
import pytest

from sadvae.cli.main import main

from .conftest import TINY, fill_disk
from .test_readers import npz_arrays, one_body_lines, write_ntu

DOC = Path(__file__).resolve().parents[1] / "docs" / "bad-inputs.md"
MAIN = Path("sk_feats") / "synthetic_tiny_3_r"
VAL = Path("sk_feats") / "synthetic_tiny_val_3_r"
LABELS = Path("label_splits") / "tiny"
TEXT = Path("text_feats") / "tiny" / "synthetic-text" / "lb_12.npy"
FAST = ["--passes", "1", "--semantic-dim", "8", "--style-dim", "2", "--quiet"]


def run_args(res, out, *extra):
    return ["run", "--resources", str(res), "--dataset", TINY.dataset, "--unseen", str(TINY.n_unseen), "--out",
            str(out), *FAST, *extra]


def edit(path: Path, change) -> Path:
    arr = np.load(path)
    np.save(path, change(arr))
    return path


def nan_at_0(a):
    a = a.astype(np.float32)
    a.flat[0] = np.nan
    return a


def inf_at_0(a):
    a = a.astype(np.float32)
    a.flat[0] = np.inf
    return a


# Each case: (id, set-up(tmp, res) -> (argv, the file the message must name or None), message fragment).
# `res` is a private copy of the tiny synthetic pack; outputs go to tmp/out, which must not exist afterwards.


def c_missing_resources(tmp, res):
    return run_args(tmp / "nothing", tmp / "out"), tmp / "nothing", "expected a resources folder"


def c_missing_file(tmp, res):
    (res / MAIN / "train.npy").unlink()
    return run_args(res, tmp / "out"), res / MAIN / "train.npy", "found missing"


def c_wrong_shape(tmp, res):
    edit(res / MAIN / "train.npy", lambda a: a[:, :, None])
    return run_args(res, tmp / "out"), res / MAIN / "train.npy", "expected"


def c_nan_features(tmp, res):
    edit(res / MAIN / "gtest.npy", nan_at_0)
    return run_args(res, tmp / "out"), res / MAIN / "gtest.npy", "NaN"


def c_inf_logits(tmp, res):
    edit(res / VAL / "val_out.npy", inf_at_0)
    return run_args(res, tmp / "out"), res / VAL / "val_out.npy", "Inf"


def c_label_outside_split(tmp, res):
    unseen = int(np.load(res / LABELS / "ru3.npy")[0])
    edit(res / MAIN / "train_label.npy", lambda a: np.r_[unseen, a[1:]])
    return run_args(res, tmp / "out"), res / MAIN / "train_label.npy", "expected"


def c_overlapping_splits(tmp, res):
    seen = np.load(res / LABELS / "rs9.npy")
    edit(res / LABELS / "ru3.npy", lambda a: np.r_[a[:-1], seen[0]])
    return run_args(res, tmp / "out"), res / LABELS, "expected"


def c_text_rows(tmp, res):
    edit(res / TEXT, lambda a: a[:-1])
    return run_args(res, tmp / "out"), res / TEXT, "12"


def c_text_nan(tmp, res):
    edit(res / TEXT, nan_at_0)
    return run_args(res, tmp / "out"), res / TEXT, "NaN"


def c_unknown_text_model(tmp, res):
    return run_args(res, tmp / "out", "--text-model", "nope"), None, "nope"


def c_text_ensembles_differ(tmp, res):
    """Two ensemble text modes fused (msf, --text-mode desc_chat) need as many descriptions per class."""
    folder = (res / TEXT).parent
    rng = np.random.default_rng(0)
    np.save(folder / "desc_12.npy", rng.standard_normal((12, 3, 32)).astype(np.float32))
    np.save(folder / "chat_12.npy", rng.standard_normal((12, 2, 32)).astype(np.float32))
    return run_args(res, tmp / "out", "--text-mode", "desc_chat", "--method", "msf"), folder / "chat_12.npy", \
        "descriptions per class"


def c_unknown_encoder(tmp, res):
    return run_args(res, tmp / "out", "--encoder", "nope"), None, "nope"


def c_bad_toml(tmp, res):
    (tmp / "c.toml").write_text("lr = = 3\n")
    return run_args(res, tmp / "out", "--config", str(tmp / "c.toml")), tmp / "c.toml", "expected valid TOML"


def c_unknown_config_key(tmp, res):
    (tmp / "c.toml").write_text("latent = 3\n")
    return run_args(res, tmp / "out", "--config", str(tmp / "c.toml")), tmp / "c.toml", "unknown latent"


def c_wrong_config_type(tmp, res):
    (tmp / "c.toml").write_text('passes = "ten"\n')
    return run_args(res, tmp / "out", "--config", str(tmp / "c.toml")), tmp / "c.toml", "integer"


def c_bad_passes(tmp, res):
    return run_args(res, tmp / "out", "--passes", "0"), None, "positive integer"


def c_too_many_unseen(tmp, res):
    argv = run_args(res, tmp / "out")
    argv[argv.index("--unseen") + 1] = "7"
    return argv, None, "unseen"


def c_output_exists(tmp, res):
    (tmp / "out").mkdir()
    (tmp / "out" / "earlier.txt").write_text("an earlier run")
    return run_args(res, tmp / "out"), tmp / "out", "--force"


def c_output_is_file(tmp, res):
    (tmp / "out").write_text("a file")
    return run_args(res, tmp / "out"), tmp / "out", "found a file"


def c_interrupted_run(tmp, res):
    partial = tmp / ".out.partial" / "checkpoints"
    partial.mkdir(parents=True)
    (partial / "main.safetensors").write_bytes(b"x")
    return run_args(res, tmp / "out"), tmp / ".out.partial", "--resume"


def c_read_only_output(tmp, res, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(self))
    monkeypatch.setattr(Path, "mkdir", refuse)  # as a read-only folder does, whatever the user's rights
    return run_args(res, tmp / "ro" / "out"), tmp / "ro", "Permission denied"


def c_disk_full_on_checkpoint(tmp, res, monkeypatch):
    import sadvae.io as sio

    fill_disk(monkeypatch, sio, "atomic_write_bytes", ".safetensors")
    return run_args(res, tmp / "out"), tmp / ".out.partial", "No space left on device"


def c_protocol_unknown_dataset(tmp, res):
    return ["protocol", "synse", "--resources", str(res), "--dataset", "pku51", "--out", str(tmp / "out"),
            *FAST], None, "expects one of ntu60, ntu120"


def c_text_empty_class_list(tmp, res):
    (tmp / "names.txt").write_text("")
    return ["text", "--classes", str(tmp / "names.txt"), "--dataset", "x", "--resources", str(tmp / "out")], \
        tmp / "names.txt", "empty file"


def c_text_unknown_model(tmp, res):
    (tmp / "names.txt").write_text("wave\njump\n")
    return ["text", "--classes", str(tmp / "names.txt"), "--dataset", "x", "--resources", str(tmp / "out"),
            "--text-model", "no-such-model-here"], None, "no-such-model-here"


def _ntu_folder(tmp, lines):
    folder = tmp / "ntu"
    folder.mkdir()
    write_ntu(folder / "S001C001P001R001A001.skeleton", lines)
    return folder


def c_ntu_truncated(tmp, res):
    folder = _ntu_folder(tmp, one_body_lines(np.random.default_rng(0), 3)[:20])
    return ["convert", "--data", str(folder), "--format", "ntu", "--out", str(tmp / "out.npz"), "--quiet"], \
        folder / "S001C001P001R001A001.skeleton", "expected"


def c_ntu_non_numeric(tmp, res):
    lines = one_body_lines(np.random.default_rng(0), 3)
    lines[5] = lines[5].replace("250.1", "abc", 1)
    folder = _ntu_folder(tmp, lines)
    return ["convert", "--data", str(folder), "--format", "ntu", "--out", str(tmp / "out.npz"), "--quiet"], \
        folder / "S001C001P001R001A001.skeleton", "abc"


def c_ntu_no_bodies(tmp, res):
    folder = _ntu_folder(tmp, ["2", "0", "0"])
    return ["convert", "--data", str(folder), "--format", "ntu", "--out", str(tmp / "out.npz"), "--quiet"], folder, \
        "at least one body"


def c_ntu_wrong_joint_count(tmp, res):
    lines = one_body_lines(np.random.default_rng(0), 2)
    lines[3] = "24"
    folder = _ntu_folder(tmp, lines)
    return ["convert", "--data", str(folder), "--format", "ntu", "--out", str(tmp / "out.npz"), "--quiet"], \
        folder / "S001C001P001R001A001.skeleton", "25"


def c_npz_missing_array(tmp, res):
    arrays = npz_arrays(np.random.default_rng(0))
    del arrays["labels"]
    np.savez(tmp / "in.npz", **arrays)
    return ["convert", "--data", str(tmp / "in.npz"), "--format", "npz", "--out", str(tmp / "out.npz"), "--quiet"], \
        tmp / "in.npz", "labels"


def c_utd_wrong_shape(tmp, res):
    scipy_io = pytest.importorskip("scipy.io")
    folder = tmp / "utd"
    folder.mkdir()
    scipy_io.savemat(folder / "a1_s1_t1_skeleton.mat", {"d_skel": np.zeros((25, 3, 4))})
    return ["convert", "--data", str(folder), "--format", "utd", "--out", str(tmp / "out.npz"), "--quiet"], \
        folder / "a1_s1_t1_skeleton.mat", "d_skel of shape (20, 3, T)"


def c_features_unknown_layout(tmp, res):
    arrays = npz_arrays(np.random.default_rng(0))
    arrays["layout"] = np.array("kinect-v9")
    np.savez(tmp / "in.npz", **arrays)
    return ["features", "--data", str(tmp / "in.npz"), "--format", "npz", "--dataset", "x", "--unseen", "1",
            "--resources", str(tmp / "out"), "--no-text", "--quiet"], tmp / "in.npz", "kinect-v9"


def _features_with_descriptions(tmp, content: str | None, spec: str | None = None):
    """`sadvae features` on a small archive of 8 classes with a descriptions file of `content`."""
    from sadvae.data.skeletons import write_npz
    from sadvae.pack.synthetic import synthetic_skeletons

    write_npz(synthetic_skeletons(n_classes=8, per_subject=2, subjects=2, frames=12, seed=1), tmp / "in.npz")
    if content is not None:
        (tmp / "desc.csv").write_text(content)
    return ["features", "--data", str(tmp / "in.npz"), "--format", "npz", "--dataset", "x", "--unseen", "2",
            "--resources", str(tmp / "out"), "--descriptions", spec or str(tmp / "desc.csv"), "--epochs", "1",
            "--channels", "4", "--strides", "1", "--quiet"]


def c_descriptions_missing_class(tmp, res):
    rows = "".join(f"{c},motion {c} done slowly\n" for c in range(7))
    return _features_with_descriptions(tmp, "idx,description\n" + rows), tmp / "desc.csv", "all 8 classes"


def c_descriptions_empty_row(tmp, res):
    rows = "".join(f"{c},{'' if c == 4 else f'motion {c}'}\n" for c in range(8))
    return _features_with_descriptions(tmp, "idx,description\n" + rows), tmp / "desc.csv", "empty field"


def c_descriptions_unknown_builtin(tmp, res):
    return _features_with_descriptions(tmp, None, "ntu60-desc"), None, "ntu60-desc"


def c_anchor_without_text_head(tmp, res):
    return run_args(res, tmp / "out", "--method", "anchor"), res / MAIN / "encoder.safetensors", "no such file"


def _prepare_argv(tmp, x, y):
    """`sadvae prepare` on features x and labels y of 8 named classes."""
    np.save(tmp / "x.npy", x)
    np.save(tmp / "y.npy", y)
    (tmp / "names.txt").write_text("\n".join(f"c{i}" for i in range(8)) + "\n")
    return ["prepare", "--features", str(tmp / "x.npy"), "--labels", str(tmp / "y.npy"), "--classes",
            str(tmp / "names.txt"), "--dataset", "x", "--unseen", "2", "--resources", str(tmp / "out"), "--no-text",
            "--quiet"]


def c_prepare_labels_out_of_range(tmp, res):
    return _prepare_argv(tmp, np.ones((40, 4), dtype=np.float32), np.arange(40) % 9), tmp / "y.npy", "0..7"


def c_prepare_nan_features(tmp, res):
    x = np.ones((40, 4), dtype=np.float32)
    x[3, 1] = np.nan
    return _prepare_argv(tmp, x, np.arange(40) % 8), tmp / "x.npy", "NaN"


def c_gate_without_run(tmp, res):
    (tmp / "run").mkdir()
    return ["gate", "--run", str(tmp / "run")], tmp / "run" / "config.json", "no such file"


def c_report_not_a_run(tmp, res):
    (tmp / "run").mkdir()
    return ["report", str(tmp / "run"), "--out", str(tmp / "out")], tmp / "run", "neither"


def c_export_without_run(tmp, res):
    return ["export", str(tmp / "run"), "--out", str(tmp / "out")], tmp / "run" / "metrics.json", "no such file"


def c_sweep_bad_storage(tmp, res):
    pytest.importorskip("optuna")
    return ["sweep", "--resources", str(res), "--dataset", TINY.dataset, "--unseen", str(TINY.n_unseen),
            "--trials", "1", "--storage", "nonsense://x", "--out", str(tmp / "out"), *FAST], None, "--storage"


BVH = """HIERARCHY
ROOT Hips
{
  OFFSET 0 0 0
  CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation
  End Site
  {
    OFFSET 0 10 0
  }
}
MOTION
Frames: 2
Frame Time: 0.0333333
0 90 0 0 0 0
0 90 0 0 0 0
"""


def _bvh(tmp, text: str):
    folder = tmp / "mocap"
    folder.mkdir()
    (folder / "walk.bvh").write_text(text)
    return ["convert", "--data", str(folder), "--format", "bvh", "--out", str(tmp / "out.npz"), "--quiet"], \
        folder / "walk.bvh"


def c_bvh_truncated_motion(tmp, res):
    return (*_bvh(tmp, BVH.rsplit("0 90", 1)[0]), "Frames")


def c_bvh_unknown_channel(tmp, res):
    return (*_bvh(tmp, BVH.replace("Yrotation", "Wrotation")), "Wrotation")


def c_bvh_unbalanced_braces(tmp, res):
    return (*_bvh(tmp, BVH.replace("}\nMOTION", "MOTION")), "expected")


def c_bvh_nan(tmp, res):
    return (*_bvh(tmp, BVH.replace("0 90 0 0 0 0\n", "0 nan 0 0 0 0\n", 1)), "finite")


def c_bvh_short_row(tmp, res):
    return (*_bvh(tmp, BVH.replace("0 90 0 0 0 0\n", "0 90 0 0 0\n", 1)), "6 values")


def c_bvh_rig_without_arms(tmp, res):
    return (*_bvh(tmp, BVH), "left_shoulder")  # one joint: nothing of the shared space but the pelvis


def _nwucla(tmp, content):
    import json

    folder = tmp / "ucla"
    folder.mkdir()
    (folder / "a01_s01_e00_v01.json").write_text(json.dumps(content))
    return ["convert", "--data", str(folder), "--format", "nwucla", "--out", str(tmp / "out.npz"), "--quiet"], \
        folder / "a01_s01_e00_v01.json"


def c_nwucla_without_skeletons(tmp, res):
    return (*_nwucla(tmp, {"file_name": "x", "label": 1}), "the key 'skeletons'")


def c_nwucla_wrong_joint_count(tmp, res):
    return (*_nwucla(tmp, {"skeletons": [[[0, 0, 1]] * 18], "label": 1}), "20 joints")


def c_nwucla_empty(tmp, res):
    return (*_nwucla(tmp, {"skeletons": [], "label": 1}), "non-empty list of frames")


def c_fit_sources_bad_table(tmp, res):
    (tmp / "sources.toml").write_text('[[source]]\ndata = "x"\n')
    return ["fit", "--sources", str(tmp / "sources.toml"), "--out", str(tmp / "model"), "--quiet"], \
        tmp / "sources.toml", "with data and format"


def c_fit_formats_per_data(tmp, res):
    return ["fit", "--data", "a", "--data", "b", "--data", "c", "--format", "utd", "--format", "bvh", "--out",
            str(tmp / "model"), "--quiet"], None, "--format: expected one for all 3 --data or one per --data"


def full_rig_bvh() -> str:
    """A BVH rig with every joint of the shared space (a spine, a head, two arms, two legs), two frames."""
    chains = {"Spine": ["Neck", "Head"], "LeftArm": ["LeftForeArm", "LeftHand"],
              "RightArm": ["RightForeArm", "RightHand"], "LeftUpLeg": ["LeftLeg", "LeftFoot"],
              "RightUpLeg": ["RightLeg", "RightFoot"]}
    offsets = {"Spine": "0 10 0", "Neck": "0 40 0", "Head": "0 10 0", "LeftArm": "-20 45 0", "RightArm": "20 45 0",
               "LeftUpLeg": "-10 -5 0", "RightUpLeg": "10 -5 0"}
    lines, joints = ["HIERARCHY", "ROOT Hips", "{", "OFFSET 0 0 0",
                     "CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation"], 1
    for first, rest in chains.items():
        for depth, name in enumerate([first, *rest]):
            lines += [f"JOINT {name}", "{", f"OFFSET {offsets.get(name, '0 -25 0')}", "CHANNELS 3 Zrotation Xrotation "
                      "Yrotation"]
            joints += 1
        lines += ["End Site", "{", "OFFSET 0 5 0", "}"] + ["}"] * (len(rest) + 1)
    lines += ["}", "MOTION", "Frames: 2", "Frame Time: 0.0333333"]
    lines += [" ".join(["0", "90", "0"] + ["0"] * (3 + 3 * (joints - 1)))] * 2
    return "\n".join(lines) + "\n"


def c_predict_unmappable_layout(tmp, res):
    argv, path = _bvh(tmp, full_rig_bvh())
    return ["predict", "--model", "utd-mhad", "--input", str(path), "--classes", "walk", "run"], path, \
        "found body-16, which maps onto no other layout; the ready model general"


def c_video_not_a_video(tmp, res):
    pytest.importorskip("mediapipe", reason='the video extra is not installed (pip install "sadvae[video]")')
    video = tmp / "notes.mp4"
    video.write_text("a text file with a video's name")
    return ["convert", "--data", str(video), "--format", "video", "--out", str(tmp / "out.npz"), "--quiet"], \
        video, "expected a video OpenCV can open"


def c_video_no_person(tmp, res):
    pytest.importorskip("mediapipe", reason='the video extra is not installed (pip install "sadvae[video]")')
    import cv2

    video = tmp / "empty_room.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 30, (64, 48))
    for _ in range(3):
        writer.write(np.zeros((48, 64, 3), np.uint8))
    writer.release()
    return ["predict", "--model", "general", "--input", str(video), "--classes", "walk", "run", "--quiet"], video, \
        "expected a person in at least one frame"


def c_video_without_extra(tmp, res, monkeypatch):
    import sys

    video = tmp / "walk.mp4"
    video.write_bytes(b"never decoded")
    for name in ("mediapipe", "mediapipe.python", "mediapipe.python.solutions"):
        monkeypatch.setitem(sys.modules, name, None)
    return ["convert", "--data", str(video), "--format", "video", "--out", str(tmp / "out.npz")], video, \
        'pip install "sadvae[video]"'


CASES = [c_missing_resources, c_missing_file, c_wrong_shape, c_nan_features, c_inf_logits, c_label_outside_split,
         c_overlapping_splits, c_text_rows, c_text_nan, c_unknown_text_model, c_unknown_encoder, c_bad_toml,
         c_unknown_config_key, c_wrong_config_type, c_bad_passes, c_too_many_unseen, c_output_exists,
         c_output_is_file, c_interrupted_run, c_read_only_output, c_disk_full_on_checkpoint,
         c_protocol_unknown_dataset, c_text_empty_class_list, c_text_unknown_model, c_ntu_truncated,
         c_ntu_non_numeric, c_ntu_no_bodies, c_ntu_wrong_joint_count, c_npz_missing_array, c_utd_wrong_shape,
         c_features_unknown_layout, c_prepare_labels_out_of_range, c_prepare_nan_features, c_gate_without_run,
         c_report_not_a_run, c_export_without_run, c_sweep_bad_storage, c_descriptions_missing_class,
         c_descriptions_empty_row, c_descriptions_unknown_builtin, c_anchor_without_text_head,
         c_text_ensembles_differ, c_bvh_truncated_motion, c_bvh_unknown_channel, c_bvh_unbalanced_braces,
         c_bvh_nan, c_bvh_short_row, c_bvh_rig_without_arms, c_nwucla_without_skeletons, c_nwucla_wrong_joint_count,
         c_nwucla_empty, c_fit_sources_bad_table, c_fit_formats_per_data, c_predict_unmappable_layout,
         c_video_not_a_video, c_video_no_person, c_video_without_extra]


def case_id(case) -> str:
    return case.__name__[2:].replace("_", "-")


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input(case, tiny_pack, tmp_path, capsys, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    before = {p.name for p in work.iterdir()}
    takes_patch = "monkeypatch" in case.__code__.co_varnames[:case.__code__.co_argcount]
    argv, named, fragment = case(work, tiny_pack, monkeypatch) if takes_patch else case(work, tiny_pack)
    made = {p.name for p in work.iterdir()} - before
    code = main(argv)
    monkeypatch.undo()
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2, err
    assert "Traceback" not in err
    assert len(lines) == 1 and lines[0].startswith(f"sadvae {argv[0]}: error: "), err
    assert fragment in lines[0], lines[0]
    if named is not None:
        assert str(named) in lines[0] or named.name in lines[0], lines[0]
    if case is c_output_exists:
        assert (work / "out" / "earlier.txt").read_text() == "an earlier run"  # untouched
    elif case is c_interrupted_run:
        assert (work / ".out.partial" / "checkpoints" / "main.safetensors").is_file()  # kept for --resume
    else:
        left = {p.name for p in work.iterdir()} - before - made
        assert not left, f"output left behind: {left}"
        assert not any(".partial" in p.name or p.name.startswith(".") for p in work.iterdir()), list(work.iterdir())


def test_catalogue_is_documented():
    doc = DOC.read_text()
    missing = [case_id(c) for c in CASES if f"`{case_id(c)}`" not in doc]
    assert not missing, f"docs/bad-inputs.md lacks {missing}"
    assert len(CASES) >= 25


def test_debug_shows_the_traceback(tiny_pack, tmp_path):
    from sadvae.errors import SadvaeError
    with pytest.raises(SadvaeError):
        main(run_args(tmp_path / "nothing", tmp_path / "out", "--debug"))


def test_oserror_is_one_message(tiny_pack, tmp_path, capsys, monkeypatch):
    """An operating-system error the commands do not anticipate still ends as one line, exit 2."""
    import sadvae.experiment.rundir as rundir

    def broken(*args, **kwargs):
        raise OSError(errno.EIO, "Input/output error", str(tmp_path / "disk"))
    monkeypatch.setattr(rundir, "run_all", broken)
    assert main(run_args(tiny_pack, tmp_path / "out")) == 2
    err = capsys.readouterr().err
    assert re.fullmatch(r"sadvae run: error: .*disk.*Input/output error\n", err), err
    assert not (tmp_path / "out").exists()


def test_a_closed_output_pipe_is_not_an_error(monkeypatch, capsys):
    """`sadvae predict ... | head`: the reader stops early; the command ends quietly with status 0."""
    import importlib

    cli = importlib.import_module("sadvae.cli.main")  # the module (the package exports the function `main`)

    def closed(args):
        raise BrokenPipeError(32, "Broken pipe")
    monkeypatch.setitem(cli.COMMANDS, "models", closed)
    assert main(["models"]) == 0
    assert capsys.readouterr().err == ""
