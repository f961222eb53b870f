"""Video input through MediaPipe Pose (`--format video`): the real clip gives a plausible skeleton,
bad videos give one clear error, and without the extra the message says what to install."""
import json
import sys

import numpy as np
import pytest

from sadvae.cli.main import main
from sadvae.data.inputs import read_input_set
from sadvae.data.layouts import MEDIAPIPE33, joint_recipe, to_shared
from sadvae.data.skeletons import SkeletonFormatError, read_npz
from sadvae.data.video import _fill_missing, read_video, read_video_file, video_available
from sadvae.errors import SadvaeError

from .conftest import shared_or_skip

needs_video = pytest.mark.skipif(not video_available(), reason='the video extra is not installed '
                                                                '(pip install "sadvae[video]")')


def clip():
    return shared_or_skip("video", "ntu_hugging.avi")


def joint(seq, *names):
    return seq[:, MEDIAPIPE33.index(names)].mean(axis=1)


def test_the_layout_maps_onto_the_shared_space_by_name():
    recipe = joint_recipe("mediapipe-33", "body-16")
    assert len(recipe) == 16
    points = np.random.default_rng(0).normal(size=(4, 1, 33, 3))
    shared = to_shared(points, "mediapipe-33")
    assert shared.shape == (4, 1, 16, 3)
    np.testing.assert_allclose(shared[:, 0, 0], joint(points[:, 0], "left_hip", "right_hip"))  # the pelvis
    np.testing.assert_allclose(shared[:, 0, 6], points[:, 0, MEDIAPIPE33.index(["left_wrist"])[0]])
    assert (MEDIAPIPE33.hops_to_center >= 0).all()  # one connected graph for ST-GCN


def test_frames_without_a_pose_are_interpolated_in_time():
    points = np.arange(5 * 2 * 3, dtype=float).reshape(5, 2, 3)
    found = np.array([False, True, False, True, False])
    gap = points.copy()
    gap[~found] = np.nan
    filled = _fill_missing(gap, found)
    np.testing.assert_allclose(filled[2], (points[1] + points[3]) / 2)
    np.testing.assert_allclose(filled[0], points[1])  # held at the ends
    np.testing.assert_allclose(filled[4], points[3])


def test_without_the_extra_the_error_names_it(tmp_path, monkeypatch):
    video = tmp_path / "walk.mp4"
    video.write_bytes(b"not decoded")
    monkeypatch.setitem(sys.modules, "mediapipe", None)  # import mediapipe now raises ImportError
    monkeypatch.setitem(sys.modules, "mediapipe.python", None)
    monkeypatch.setitem(sys.modules, "mediapipe.python.solutions", None)
    with pytest.raises(SadvaeError, match=r'walk\.mp4: reading video needs .*pip install "sadvae\[video\]"'):
        read_video_file(video)


def test_a_bad_pose_model_is_one_error(tmp_path):
    with pytest.raises(SadvaeError, match="--pose-model: expected one of 0, 1, 2"):
        read_video_file(tmp_path / "x.mp4", model_complexity=3)


@needs_video
def test_a_pose_model_the_wheel_lacks_is_refused_not_downloaded():
    with pytest.raises(SadvaeError, match=r"--pose-model 2: expected MediaPipe's pose_landmark_heavy\.tflite .*"
                                          "nothing is downloaded"):
        read_video_file(clip(), model_complexity=2)


@needs_video
def test_the_real_clip_gives_a_plausible_skeleton():
    video = read_video_file(clip(), max_frames=24)
    assert video.joints.shape == (24, 1, 33, 3) and video.joints.dtype == np.float32
    assert video.fps == pytest.approx(30.0) and video.frames == 24 and video.found == 24
    seq = video.joints[:, 0].astype(np.float64)
    head, hips = joint(seq, "left_ear", "right_ear"), joint(seq, "left_hip", "right_hip")
    assert (head[:, 1] - hips[:, 1] > 0.3).all()  # y up: the head is well above the hips in every frame
    for a, b in (("left_shoulder", "left_elbow"), ("right_shoulder", "right_elbow"), ("left_hip", "left_knee"),
                 ("right_hip", "right_knee"), ("left_knee", "left_ankle"), ("right_knee", "right_ankle")):
        length = np.linalg.norm(joint(seq, a) - joint(seq, b), axis=1)
        assert 0.15 < length.mean() < 0.6, (a, b, length.mean())  # metres, a grown person's bones
        assert length.std() < 0.15 * length.mean(), (a, b)  # steady through time
    # right-handed, as the depth sensors: the toes point along up x right (the person's own axes)
    up = joint(seq, "left_shoulder", "right_shoulder") - hips
    right = joint(seq, "right_shoulder") - joint(seq, "left_shoulder")
    toes = joint(seq, "left_foot_index", "right_foot_index") - joint(seq, "left_heel", "right_heel")
    assert ((toes * np.cross(up, right)).sum(axis=1) > 0).mean() > 0.9


@needs_video
def test_predict_input_set_guesses_the_video_format():
    lines = []
    found = read_input_set([str(clip())], None, log=lines.append)
    assert found.layout == "mediapipe-33" and found.sample_ids == ["ntu_hugging.avi"] and found.fps == 30.0
    assert len(found.sequences[0]) == 72
    assert len(lines) == 1 and "72 of 72 frames" in lines[0] and "follows one person" in lines[0]


@needs_video
@pytest.mark.slow
def test_convert_with_a_plot_and_predict_end_to_end(tmp_path, capsys):
    out, png = tmp_path / "hug.npz", tmp_path / "hug.png"
    assert main(["convert", "--data", str(clip()), "--format", "video", "--out", str(out), "--plot", str(png),
                 "--quiet"]) == 0
    archive = read_npz(out)
    assert archive.layout == "mediapipe-33" and archive.class_names == ["ntu_hugging"] and len(archive) == 1
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    capsys.readouterr()
    classes = ["hugging other person", "shaking hands", "walking", "drink water", "sit down"]
    assert main(["predict", "--model", "general", "--input", str(clip()), "--classes", *classes, "--json",
                 "--quiet"]) == 0
    record = json.loads(capsys.readouterr().out)[0]
    assert record["sample"] == "ntu_hugging.avi" and {t["class"] for t in record["top"]} <= set(classes)
    assert sum(t["prob"] for t in record["top"]) == pytest.approx(1.0, abs=1e-4)  # top 5 of 5 classes


@needs_video
def test_bad_videos_are_one_error(tmp_path):
    import cv2

    text = tmp_path / "notes.mp4"
    text.write_text("not a video")
    with pytest.raises(SkeletonFormatError, match=r"notes\.mp4: expected a video OpenCV can open"):
        read_video_file(text)
    black = tmp_path / "empty_room.avi"
    writer = cv2.VideoWriter(str(black), cv2.VideoWriter_fourcc(*"MJPG"), 30, (64, 48))
    for _ in range(4):
        writer.write(np.zeros((48, 64, 3), np.uint8))
    writer.release()
    with pytest.raises(SkeletonFormatError, match=r"empty_room\.avi: expected a person in at least one frame.*"
                                                  "none in 4 frames"):
        read_video_file(black)
    with pytest.raises(SkeletonFormatError, match="a video file or a folder of them"):
        read_video(tmp_path / "missing")
    folder = tmp_path / "notes_only"
    folder.mkdir()
    (folder / "readme.txt").write_text("no videos here")
    with pytest.raises(SkeletonFormatError, match="a folder holding videos"):
        read_video(folder)


@needs_video
@pytest.mark.slow
def test_a_folder_of_videos_is_labelled_by_a_csv(tmp_path):
    from sadvae.data.skeletons import read_skeletons

    folder = tmp_path / "clips"
    (folder / "day2").mkdir(parents=True)
    for target in (folder / "first.avi", folder / "day2" / "second.avi"):
        target.symlink_to(clip())
    labels = tmp_path / "labels.csv"
    labels.write_text("file,class\nfirst.avi,hug\nday2/second.avi,embrace\n")
    lines = []
    found = read_skeletons(folder, "video", labels=str(labels), log=lines.append)
    assert found.class_names == ["embrace", "hug"] and found.labels.tolist() == [0, 1]  # day2/second first
    assert found.layout == "mediapipe-33" and found.sample_ids == ["second", "first"] and len(lines) == 2
    np.testing.assert_allclose(found.sequences[0], found.sequences[1], atol=1e-3)  # the same clip twice (1 mm)
