"""The BVH reader: parsing, forward kinematics by hand, units, rig name mapping, labels, damaged files."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from sadvae.data import bvh
from sadvae.data.layouts import BODY16, SHARED
from sadvae.data.skeletons import SkeletonFormatError

from .conftest import shared_or_skip

ROT = "Zrotation Xrotation Yrotation"
ROOT6 = f"Xposition Yposition Zposition {ROT}"

# a body-16 rig in centimetres: (name, parent, offset); the root has 6 channels, the others 3 rotations
RIG = [
    ("Hips", None, (0, 0, 0)), ("Spine", "Hips", (0, 20, 0)), ("Neck", "Spine", (0, 30, 0)),
    ("Head", "Neck", (0, 10, 0)),
    ("LeftArm", "Neck", (15, 0, 0)), ("LeftForeArm", "LeftArm", (25, 0, 0)), ("LeftHand", "LeftForeArm", (25, 0, 0)),
    ("RightArm", "Neck", (-15, 0, 0)), ("RightForeArm", "RightArm", (-25, 0, 0)),
    ("RightHand", "RightForeArm", (-25, 0, 0)),
    ("LeftUpLeg", "Hips", (10, -5, 0)), ("LeftLeg", "LeftUpLeg", (0, -45, 0)), ("LeftFoot", "LeftLeg", (0, -45, 0)),
    ("RightUpLeg", "Hips", (-10, -5, 0)), ("RightLeg", "RightUpLeg", (0, -45, 0)),
    ("RightFoot", "RightLeg", (0, -45, 0)),
]
N_CHANNELS = 6 + 3 * (len(RIG) - 1)


def _fmt(values) -> str:
    return " ".join(f"{v:g}" for v in values)


def hierarchy(joints, channels: dict[str, str] | None = None, scale: float = 1.0) -> str:
    """HIERARCHY text of (name, parent, offset) joints listed parents first; leaves get an End Site."""
    channels = channels or {}
    children: dict[str | None, list] = {}
    for joint in joints:
        children.setdefault(joint[1], []).append(joint)
    lines = ["HIERARCHY"]

    def write(joint, depth: int) -> None:
        name, parent, offset = joint
        pad = "\t" * depth
        default = ROOT6 if parent is None else ROT
        names = channels.get(name, default).split()
        lines.extend([f"{pad}{'ROOT' if parent is None else 'JOINT'} {name}", f"{pad}{{",
                      f"{pad}\tOFFSET {_fmt(np.asarray(offset) * scale)}",
                      f"{pad}\tCHANNELS {len(names)} {' '.join(names)}"])
        for child in children.get(name, []):
            write(child, depth + 1)
        if name not in children:
            lines.extend([f"{pad}\tEnd Site", f"{pad}\t{{", f"{pad}\t\tOFFSET 0 0 0", f"{pad}\t}}"])
        lines.append(f"{pad}}}")

    write(children[None][0], 0)
    return "\n".join(lines) + "\n"


def bvh_text(joints, rows, channels=None, frame_time: float = 1 / 30, scale: float = 1.0) -> str:
    motion = ["MOTION", f"Frames: {len(rows)}", f"Frame Time: {frame_time:.7f}"]
    return hierarchy(joints, channels, scale) + "\n".join(motion + [_fmt(row) for row in rows]) + "\n"


def rig_rows(n_frames: int = 2, scale: float = 1.0) -> np.ndarray:
    """Frames of RIG: the hips 100 units up and still, every joint unrotated."""
    rows = np.zeros((n_frames, N_CHANNELS))
    rows[:, 1] = 100 * scale
    return rows


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# ------------------------------------------------------------------------------------- forward kinematics

CHAIN = [("Root", None, (0, 0, 0)), ("A", "Root", (1, 0, 0)), ("B", "A", (1, 0, 0))]


def fk(tmp_path, joints, rows, channels=None) -> np.ndarray:
    return bvh.forward_kinematics(bvh.parse_bvh(write(tmp_path / "x.bvh", bvh_text(joints, rows, channels))))


def test_parse_hierarchy_and_motion(tmp_path):
    motion = bvh.parse_bvh(write(tmp_path / "x.bvh", bvh_text(RIG, rig_rows(3))))
    assert motion.joints == [name for name, _, _ in RIG]
    assert motion.parents[:5] == [-1, 0, 1, 2, 2]
    assert motion.offsets.shape == (16, 3) and motion.offsets[1].tolist() == [0, 20, 0]
    assert motion.channels[0] == ROOT6.split() and motion.channels[1] == ROT.split()
    assert motion.motion.shape == (3, N_CHANNELS) and motion.motion.dtype == np.float64
    assert motion.frame_time == pytest.approx(1 / 30, rel=1e-6) and motion.fps == 30.0


def test_root_rotation_turns_a_child_offset(tmp_path):
    rows = [[0] * 15, [0, 0, 0, 90, 0, 0] + [0] * 9, [10, 20, 30] + [0] * 12]
    pos = fk(tmp_path, CHAIN, rows, {"Root": ROOT6, "A": f"Xposition Yposition Zposition {ROT}", "B": ROT})
    # frame 1: rest; frame 2: Rz(90) turns (1,0,0) into (0,1,0); frame 3: the root moved to (10,20,30)
    np.testing.assert_allclose(pos[0], [[0, 0, 0], [0, 0, 0], [1, 0, 0]], atol=1e-12)
    np.testing.assert_allclose(pos[1], [[0, 0, 0], [0, 0, 0], [0, 1, 0]], atol=1e-12)
    np.testing.assert_allclose(pos[2], [[10, 20, 30], [10, 20, 30], [11, 20, 30]], atol=1e-12)


def test_position_channels_of_a_child_replace_its_offset(tmp_path):
    rows = [[0] * 6 + [0, 2, 0, 0, 0, 0] + [0] * 3]
    pos = fk(tmp_path, [("Root", None, (0, 0, 0)), ("A", "Root", (5, 5, 5)), ("B", "A", (1, 0, 0))], rows,
             {"A": f"Xposition Yposition Zposition {ROT}"})
    np.testing.assert_allclose(pos[0, 1], [0, 2, 0], atol=1e-12)
    np.testing.assert_allclose(pos[0, 2], [1, 2, 0], atol=1e-12)


def test_rotations_compose_down_the_chain(tmp_path):
    # the root and A each turn 90 degrees about z: A at (0,1,0), B at A + Rz(180) (1,0,0) = (-1,1,0)
    pos = fk(tmp_path, CHAIN, [[0, 0, 0, 90, 0, 0, 90, 0, 0, 0, 0, 0]])
    np.testing.assert_allclose(pos[0], [[0, 0, 0], [0, 1, 0], [-1, 1, 0]], atol=1e-12)


@pytest.mark.parametrize("order, angles, a_child_x, a_child_y", [
    # R = Rx(90) Ry(0) Rz(90): (1,0,0) -> Rz -> (0,1,0) -> Rx -> (0,0,1); (0,1,0) -> (-1,0,0) -> (-1,0,0)
    ("Xrotation Yrotation Zrotation", (90, 0, 90), (0, 0, 1), (-1, 0, 0)),
    # R = Rz(90) Rx(90) Ry(0): (1,0,0) -> Rx -> (1,0,0) -> Rz -> (0,1,0); (0,1,0) -> (0,0,1) -> (0,0,1)
    ("Zrotation Xrotation Yrotation", (90, 90, 0), (0, 1, 0), (0, 0, 1)),
])
def test_channel_order_is_the_rotation_order(tmp_path, order, angles, a_child_x, a_child_y):
    """The same angles (x = 90, z = 90), listed in two orders, turn the children differently."""
    joints = [("Root", None, (0, 0, 0)), ("X", "Root", (1, 0, 0)), ("Y", "Root", (0, 1, 0))]
    pos = fk(tmp_path, joints, [list(angles) + [0] * 6], {"Root": order})
    np.testing.assert_allclose(pos[0, 1], a_child_x, atol=1e-12)
    np.testing.assert_allclose(pos[0, 2], a_child_y, atol=1e-12)


def test_read_bvh_file_in_metres_with_hand_computed_joints(tmp_path):
    rows = rig_rows(3)
    rows[1, 3] = 90  # the hips turn 90 degrees about z
    forearm = 6 + 3 * 4  # LeftForeArm's Zrotation (the root's 6 channels, then 3 per joint)
    rows[2, forearm] = 90
    seq, fps, unit = bvh.read_bvh_file(write(tmp_path / "rig.bvh", bvh_text(RIG, rows)))
    assert seq.shape == (3, 1, 16, 3) and seq.dtype == np.float32 and fps == 30.0 and unit == "cm"
    joint = {name: i for i, name in enumerate(BODY16.joints)}
    np.testing.assert_allclose(seq[0, 0, joint["head"]], [0, 1.6, 0], atol=1e-6)
    np.testing.assert_allclose(seq[0, 0, joint["left_wrist"]], [0.65, 1.5, 0], atol=1e-6)
    np.testing.assert_allclose(seq[0, 0, joint["right_ankle"]], [-0.1, 0.05, 0], atol=1e-6)
    # turned: the head 0.6 m from the hips along -x, the left wrist (0.65, 0.5) -> (-0.5, 0.65) from the hips
    np.testing.assert_allclose(seq[1, 0, joint["head"]], [-0.6, 1.0, 0], atol=1e-6)
    np.testing.assert_allclose(seq[1, 0, joint["left_wrist"]], [-0.5, 1.65, 0], atol=1e-6)
    # the bent elbow lifts the wrist: elbow (0.4, 1.5), wrist 0.25 above it
    np.testing.assert_allclose(seq[2, 0, joint["left_wrist"]], [0.4, 1.75, 0], atol=1e-6)


@pytest.mark.parametrize("scale, unit", [(1.0, "cm"), (10.0, "mm"), (0.01, "m")])
def test_units_are_detected_and_converted_to_metres(tmp_path, scale, unit):
    path = write(tmp_path / "rig.bvh", bvh_text(RIG, rig_rows(2, scale), scale=scale))
    motion = bvh.parse_bvh(path)
    assert bvh.bvh_unit(motion) == (unit, bvh.UNITS[unit])
    seq, _, found = bvh.read_bvh_file(path)
    assert found == unit
    np.testing.assert_allclose(seq[0, 0, BODY16.joints.index("head")], [0, 1.6, 0], atol=1e-5)


# ------------------------------------------------------------------------------------------ name mapping

BANDAI = ["joint_Root", "Hips", "Spine", "Chest", "Neck", "Head", "Shoulder_L", "UpperArm_L", "LowerArm_L", "Hand_L",
          "Shoulder_R", "UpperArm_R", "LowerArm_R", "Hand_R", "UpperLeg_L", "LowerLeg_L", "Foot_L", "Toes_L",
          "UpperLeg_R", "LowerLeg_R", "Foot_R", "Toes_R"]
CMU = ["Hips", "LHipJoint", "LeftUpLeg", "LeftLeg", "LeftFoot", "LeftToeBase", "RHipJoint", "RightUpLeg", "RightLeg",
       "RightFoot", "RightToeBase", "LowerBack", "Spine", "Spine1", "Neck", "Neck1", "Head", "LeftShoulder", "LeftArm",
       "LeftForeArm", "LeftHand", "LeftFingerBase", "LeftHandIndex1", "LThumb", "RightShoulder", "RightArm",
       "RightForeArm", "RightHand", "RightFingerBase", "RightHandIndex1", "RThumb"]
MIXAMO = ["mixamorig:" + n for n in (
    "Hips", "Spine", "Spine1", "Spine2", "Neck", "Head", "HeadTop_End", "LeftShoulder", "LeftArm", "LeftForeArm",
    "LeftHand", "LeftHandThumb1", "LeftHandIndex1", "RightShoulder", "RightArm", "RightForeArm", "RightHand",
    "RightHandThumb1", "LeftUpLeg", "LeftLeg", "LeftFoot", "LeftToeBase", "RightUpLeg", "RightLeg", "RightFoot",
    "RightToeBase")]
KINECT = ["SpineBase", "SpineMid", "Neck", "Head", "ShoulderLeft", "ElbowLeft", "WristLeft", "HandLeft",
          "ShoulderRight", "ElbowRight", "WristRight", "HandRight", "HipLeft", "KneeLeft", "AnkleLeft", "FootLeft",
          "HipRight", "KneeRight", "AnkleRight", "FootRight", "SpineShoulder"]
UNREAL = ["root", "pelvis", "spine_01", "spine_02", "neck_01", "head", "clavicle_l", "upperarm_l", "lowerarm_l",
          "hand_l", "clavicle_r", "upperarm_r", "lowerarm_r", "hand_r", "thigh_l", "calf_l", "foot_l", "ball_l",
          "thigh_r", "calf_r", "foot_r", "ball_r"]


def _limbs(pattern: str, names: dict[str, str], sides=("L", "R")) -> list[str]:
    return [pattern.format(side=side, joint=names[j]) for side in sides for j in ("sh", "el", "wr")] + \
        [pattern.format(side=side, joint=names[j]) for side in sides for j in ("hi", "kn", "an")]


@pytest.mark.parametrize("rig, expected", [
    (BANDAI, ["Hips", "Spine", "Neck", "Head"] + _limbs("{joint}_{side}", dict(
        sh="UpperArm", el="LowerArm", wr="Hand", hi="UpperLeg", kn="LowerLeg", an="Foot"))),
    (CMU, ["Hips", "Spine", "Neck", "Head"] + _limbs("{side}{joint}", dict(
        sh="Arm", el="ForeArm", wr="Hand", hi="UpLeg", kn="Leg", an="Foot"), ("Left", "Right"))),
    (MIXAMO, [f"mixamorig:{n}" for n in ["Hips", "Spine", "Neck", "Head"] + _limbs("{side}{joint}", dict(
        sh="Arm", el="ForeArm", wr="Hand", hi="UpLeg", kn="Leg", an="Foot"), ("Left", "Right"))]),
    (KINECT, ["SpineBase", "SpineMid", "Neck", "Head"] + _limbs("{joint}{side}", dict(
        sh="Shoulder", el="Elbow", wr="Wrist", hi="Hip", kn="Knee", an="Ankle"), ("Left", "Right"))),
    (UNREAL, ["pelvis", "spine_01", "neck_01", "head"] + _limbs("{joint}_{side}", dict(
        sh="upperarm", el="lowerarm", wr="hand", hi="thigh", kn="calf", an="foot"), ("l", "r"))),
], ids=["bandai-namco", "cmu", "mixamo", "kinect-names", "unreal"])
def test_rig_to_shared_by_name(rig, expected):
    assert [rig[i] for i in bvh.rig_to_shared(rig, "rig.bvh")] == expected


def test_rig_without_arms_is_one_error_naming_every_missing_joint():
    rig = [n for n in BANDAI if not any(part in n for part in ("Shoulder", "Arm", "Hand"))]
    with pytest.raises(SkeletonFormatError) as info:
        bvh.rig_to_shared(rig, "armless.bvh")
    message = str(info.value)
    assert message.startswith("armless.bvh: expected rig joint names that place every body-16 joint")
    for joint in ("left_shoulder", "left_elbow", "left_wrist", "right_shoulder", "right_elbow", "right_wrist"):
        assert joint in message
    assert "left_hip" not in message and "Chest" in message and "Toes_R" in message


# ----------------------------------------------------------------------------------- folders and labels

def test_labels_from_a_csv_and_fixed_class_names(tmp_path):
    write(tmp_path / "data" / "a.bvh", bvh_text(RIG, rig_rows(2)))
    write(tmp_path / "data" / "sub" / "b.bvh", bvh_text(RIG, rig_rows(3)))
    labels = write(tmp_path / "labels.csv", "file,class\na.bvh,wave\nsub/b,kick\n")
    data = bvh.read_bvh(tmp_path / "data", labels=labels)
    assert data.class_names == ["kick", "wave"] and data.labels.tolist() == [1, 0]
    assert data.layout == SHARED and data.subjects is None and data.sample_ids == ["a", "b"] and data.fps == 30.0
    assert [s.shape for s in data.sequences] == [(2, 1, 16, 3), (3, 1, 16, 3)] and data.styles == []
    fixed = bvh.read_bvh(tmp_path / "data", labels=labels, class_names=["wave", "kick", "jump"])
    assert fixed.class_names == ["wave", "kick", "jump"] and fixed.labels.tolist() == [0, 1]


def test_file_stems_are_the_classes_without_labels(tmp_path):
    path = write(tmp_path / "jump.bvh", bvh_text(RIG, rig_rows(2)))
    data = bvh.read_bvh(path)
    assert data.class_names == ["jump"] and data.labels.tolist() == [0] and len(data) == 1


def test_other_frame_rates_are_resampled_to_the_first_files(tmp_path):
    write(tmp_path / "a.bvh", bvh_text(RIG, rig_rows(2), frame_time=1 / 30))
    rows = rig_rows(5)
    rows[:, 0] = [0, 1, 2, 3, 4]  # the hips move 1 cm along x per frame at 60 fps
    write(tmp_path / "b.bvh", bvh_text(RIG, rows, frame_time=1 / 60))
    data = bvh.read_bvh(tmp_path)
    assert data.fps == 30.0 and data.sequences[1].shape == (3, 1, 16, 3)
    np.testing.assert_allclose(data.sequences[1][:, 0, 0, 0], [0, 0.02, 0.04], atol=1e-7)


def bandai_like(tmp_path, sidecar: str | None = '{"content": 1, "style": 0}') -> Path:
    root = tmp_path / "set9"
    write(root / "cfg" / "content_label.txt", "dataset-9_walk\ndataset-9_walk-back")
    write(root / "cfg" / "style_label.txt", "dataset-9_not-confident\n")
    write(root / "data" / "clip.bvh", bvh_text(RIG, rig_rows(2)))
    if sidecar is not None:
        write(root / "data" / "clip.json", sidecar)
    return root


def test_sidecar_labels_and_styles(tmp_path):
    data = bvh.read_bvh(bandai_like(tmp_path))
    assert data.class_names == ["walk back"] and data.styles == ["not confident"]


# --------------------------------------------------------------------------------------------- real data

def real_file(*parts) -> Path:
    return shared_or_skip("bandai_namco", *parts)


def test_real_bone_lengths_are_constant_and_match_the_offsets():
    path = real_file("set1", "data", "dataset-1_walk_happy_001.bvh")
    motion = bvh.parse_bvh(path)
    pos = bvh.forward_kinematics(motion)
    for j, parent in enumerate(motion.parents):
        if parent <= 0:  # joint_Root and Hips, whose channels place the actor: not bones
            continue
        length = np.linalg.norm(pos[:, j] - pos[:, parent], axis=1)
        assert np.ptp(length) <= 1e-6 * length.mean(), motion.joints[j]
        assert length.mean() == pytest.approx(np.linalg.norm(motion.offsets[j]), rel=1e-5)
    hand = motion.joints.index("Hand_L")
    assert np.linalg.norm(pos[:, hand] - pos[:, motion.parents[hand]], axis=1).mean() == pytest.approx(22.29, abs=0.01)


def test_real_file_in_metres_head_above_pelvis():
    path = real_file("set2", "data", "dataset-2_walk_active_001.bvh")
    seq, fps, unit = bvh.read_bvh_file(path)
    assert unit == "cm" and fps == 30.0
    y = seq[:, 0, :, 1].astype(np.float64)  # y is up
    joint = {name: i for i, name in enumerate(BODY16.joints)}
    assert (y[:, joint["head"]] > y[:, joint["pelvis"]] + 0.3).all()
    # the rig's standing height from its offsets, and the head joint (the skull's base) over the lower ankle
    assert 1.3 <= bvh._rig_height(bvh.parse_bvh(path)) / 100 <= 2.1
    ankle = np.minimum(y[:, joint["left_ankle"]], y[:, joint["right_ankle"]])
    assert 1.1 <= (y[:, joint["head"]] - ankle).max() <= 2.1


SIX = [("set1", "dataset-1_walk_happy_001"), ("set1", "dataset-1_walk-back_happy_001"),
       ("set1", "dataset-1_bow_sad_001"), ("set2", "dataset-2_walk_active_001"),
       ("set2", "dataset-2_wave-both-hands_normal_001"), ("set2", "dataset-2_run_elderly_001")]


def test_real_files_with_sidecar_labels_merge_classes_across_sets(tmp_path):
    source = real_file()
    for part, stem in SIX:
        for name in ("cfg/content_label.txt", "cfg/style_label.txt", f"data/{stem}.bvh", f"data/{stem}.json"):
            target = tmp_path / part / name
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source / part / name, target)
    data = bvh.read_bvh(tmp_path)
    assert data.class_names == ["bow", "run", "walk", "walk back", "wave both hands"]
    names = [data.class_names[i] for i in data.labels]
    by_id = dict(zip(data.sample_ids, zip(names, data.styles)))
    assert by_id["dataset-1_walk_happy_001"] == ("walk", "happy")
    assert by_id["dataset-2_walk_active_001"] == ("walk", "active")
    assert by_id["dataset-1_walk-back_happy_001"] == ("walk back", "happy")
    assert by_id["dataset-2_wave-both-hands_normal_001"] == ("wave both hands", "normal")
    assert by_id["dataset-2_run_elderly_001"] == ("run", "elderly")
    assert data.fps == 30.0 and all(s.shape[1:] == (1, 16, 3) for s in data.sequences)


# ---------------------------------------------------------------------------------------------- damaged

GOOD = bvh_text(RIG, rig_rows(2))
FIRST_ROW = _fmt(rig_rows(1)[0])


def _swap(old: str, new: str, count: int = 1):
    def change(text: str) -> str:
        assert old in text
        return text.replace(old, new, count)
    return change


def _drop_line(prefix: str):
    def change(text: str) -> str:
        lines = text.split("\n")
        index = next(i for i, line in enumerate(lines) if line.strip().startswith(prefix))
        return "\n".join(lines[:index] + lines[index + 1:])
    return change


def _cut_before(marker: str):
    return lambda text: text[:text.index(marker)]


# (id, change of GOOD, a substring of the message, a text on the line the error names, or None for no line)
DAMAGED = [
    ("empty", lambda t: "", "an empty file", None),
    ("blank", lambda t: " \n\t\r\n", "an empty file", None),
    ("no-hierarchy", lambda t: t.replace("HIERARCHY\n", ""), "expected HIERARCHY at the start", "ROOT"),
    ("missing-brace", _drop_line("}"), "expected '}' closing joint Hips (opened on line 2), found MOTION", "MOTION"),
    ("extra-brace", _swap("MOTION", "}\nMOTION"), "expected MOTION after the ROOT block closed", "}"),
    ("channel-count", _swap("CHANNELS 3", "CHANNELS 4"), "a channel count of 3 or 6", "CHANNELS 4"),
    ("channel-count-word", _swap("CHANNELS 3", "CHANNELS three"), "a channel count of 3 or 6", "CHANNELS three"),
    ("channel-names-disagree", _swap("CHANNELS 3 Zrotation Xrotation Yrotation", "CHANNELS 3 Zrotation Xrotation"),
     "3 channel names after 'CHANNELS 3', found 2", "CHANNELS 3"),
    ("unknown-channel", _swap("Xrotation Yrotation\n", "Xrotation Wrotation\n"),
     "a channel name among Xposition", "Wrotation"),
    ("repeated-channel", _swap("Xrotation Yrotation\n", "Xrotation Xrotation\n"), "distinct channels", "CHANNELS"),
    ("offset-too-short", _swap("OFFSET 0 20 0", "OFFSET 0 20"), "OFFSET x y z (3 numbers), found 2 values",
     "OFFSET 0 20"),
    ("offset-not-number", _swap("OFFSET 0 20 0", "OFFSET 0 twenty 0"), "3 finite numbers", "twenty"),
    ("no-offset", _drop_line("OFFSET 0 20 0"), "an OFFSET line in joint Spine", "JOINT Spine"),
    ("second-root", lambda t: t.replace("MOTION", "ROOT Other\n{\n\tOFFSET 0 0 0\n}\nMOTION"),
     "one ROOT (one skeleton per file)", "ROOT Other"),
    ("stray-word", _swap("JOINT Spine", "JIONT Spine"), "OFFSET, CHANNELS, JOINT, End Site or '}' inside joint Hips",
     "JIONT"),
    ("no-motion", _cut_before("MOTION"), "expected MOTION after the hierarchy", None),
    ("no-frames", _drop_line("Frames:"), "expected a 'Frames: N' line", "Frame Time"),
    ("frames-not-integer", _swap("Frames: 2", "Frames: two"), "a frame count of at least 1 after 'Frames:'",
     "Frames"),
    ("frames-fraction", _swap("Frames: 2", "Frames: 2.5"), "a frame count of at least 1", "Frames"),
    ("frames-zero", _swap("Frames: 2", "Frames: 0"), "a frame count of at least 1 after 'Frames:', found '0'",
     "Frames"),
    ("no-frame-time", _drop_line("Frame Time"), "expected a 'Frame Time: seconds' line", FIRST_ROW),
    ("frame-time-zero", _swap("Frame Time: 0.0333333", "Frame Time: 0"), "a positive number of seconds",
     "Frame Time"),
    ("truncated", _swap("Frames: 2", "Frames: 5"), "expected 5 frame rows (Frames: on line", None),
    ("extra-rows", lambda t: t + FIRST_ROW + "\n", "end of file after 2 frame rows", FIRST_ROW),
    ("row-too-short", _swap(FIRST_ROW + "\n", FIRST_ROW[:-2] + "\n"),
     f"expected {N_CHANNELS} values per frame row (one per channel), found {N_CHANNELS - 1}", FIRST_ROW[:-2]),
    ("row-too-long", _swap(FIRST_ROW + "\n", FIRST_ROW + " 0\n"), f"found {N_CHANNELS + 1} values",
     FIRST_ROW + " 0"),
    ("non-number", _swap(FIRST_ROW + "\n", FIRST_ROW[:-1] + "x\n"), "the non-numeric token 'x'", "x"),
    ("nan", _swap(FIRST_ROW + "\n", FIRST_ROW[:-1] + "nan\n"),
     "finite numbers within float32's range in the frame rows, found 'nan'", "nan"),
    ("inf", _swap(FIRST_ROW + "\n", FIRST_ROW[:-1] + "-inf\n"), "found '-inf'", "-inf"),
    ("huge", _swap(FIRST_ROW + "\n", FIRST_ROW[:-1] + "1e300\n"), "finite numbers within float32's range", "1e300"),
]


@pytest.mark.parametrize("change, message, on_line", [case[1:] for case in DAMAGED], ids=[c[0] for c in DAMAGED])
def test_damaged_file_is_one_clear_error(tmp_path, change, message, on_line):
    text = change(GOOD)
    path = write(tmp_path / "bad.bvh", text)
    with pytest.raises(SkeletonFormatError) as info:
        bvh.read_bvh(path)
    error = info.value
    assert str(error).startswith(str(path)) and message in str(error), str(error)
    if on_line is None:
        return
    lines = text.splitlines()
    assert error.line is not None, str(error)
    assert on_line in lines[error.line - 1], (str(error), lines[error.line - 1])


def test_crlf_and_tabs_are_whitespace(tmp_path):
    path = tmp_path / "dos.bvh"
    path.write_bytes(GOOD.replace(" ", "\t ").replace("\n", "\r\n").encode())
    seq, _, _ = bvh.read_bvh_file(path)
    np.testing.assert_array_equal(seq, bvh.read_bvh_file(write(tmp_path / "unix.bvh", GOOD))[0])


def test_braces_on_the_keyword_lines(tmp_path):
    compact = re.sub(r"\{\n\t*(OFFSET 0 0 0)\n\t*\}", r"{ \1 }", re.sub(r"\n\t*\{", " {", GOOD))
    assert "End Site { OFFSET 0 0 0 }" in compact and "ROOT Hips {" in compact
    seq, _, _ = bvh.read_bvh_file(write(tmp_path / "compact.bvh", compact))
    np.testing.assert_array_equal(seq, bvh.read_bvh_file(write(tmp_path / "plain.bvh", GOOD))[0])


def test_missing_file_and_non_text_bytes(tmp_path):
    with pytest.raises(SkeletonFormatError, match="expected a readable BVH file, found No such file"):
        bvh.parse_bvh(tmp_path / "absent.bvh")
    with pytest.raises(SkeletonFormatError, match="expected a .bvh file or a folder of them, found no such file"):
        bvh.read_bvh(tmp_path / "absent.bvh")
    binary = tmp_path / "binary.bvh"
    binary.write_bytes(b"HIERARCHY\n\xff\xd8\x00\x10")
    with pytest.raises(SkeletonFormatError, match=r"binary.bvh:2: expected BVH text, found the non-text byte 0xff"):
        bvh.parse_bvh(binary)
    binary.write_bytes(b"HIERARCHY\nROOT \x00\x01\n")
    with pytest.raises(SkeletonFormatError, match=r"binary.bvh:2: expected BVH text, found the control byte 0x00"):
        bvh.parse_bvh(binary)


def test_folder_without_bvh_files(tmp_path):
    write(tmp_path / "notes.txt", "no motion here")
    with pytest.raises(SkeletonFormatError, match="a folder holding .bvh files"):
        bvh.read_bvh(tmp_path)


@pytest.mark.parametrize("sidecar, message", [
    ("{not json", "invalid JSON"),
    ('{"style": 0}', 'expected a non-negative integer "content" (a label index), found no such key'),
    ('{"content": "walk"}', 'a non-negative integer "content"'),
    ("[1, 2]", 'expected a JSON object {"content": i, "style": j}, found a JSON list'),
    ('{"content": 2}', "expected a content index from 0 to 1"),
    ('{"content": 0, "style": 3}', "expected a style index from 0 to 0"),
], ids=["not-json", "no-content", "content-not-index", "not-object", "content-out-of-range", "style-out-of-range"])
def test_bad_sidecar(tmp_path, sidecar, message):
    root = bandai_like(tmp_path, sidecar)
    with pytest.raises(SkeletonFormatError) as info:
        bvh.read_bvh(root)
    assert str(info.value).startswith(str(root / "data" / "clip.json")) and message in str(info.value)


def test_sidecar_without_label_files(tmp_path):
    root = bandai_like(tmp_path)
    shutil.rmtree(root / "cfg")
    with pytest.raises(SkeletonFormatError, match="cfg/content_label.txt in its folder or a folder above"):
        bvh.read_bvh(root)


def test_csv_problems(tmp_path):
    clip = write(tmp_path / "data" / "clip.bvh", GOOD)
    missing = write(tmp_path / "labels.csv", "file,class\nother.bvh,wave\n")
    with pytest.raises(SkeletonFormatError) as info:
        bvh.read_bvh(clip, labels=missing)
    assert str(info.value).startswith(str(missing)) and f"a row for {clip}" in str(info.value)
    no_header = write(tmp_path / "no_header.csv", "clip.bvh,wave\n")
    with pytest.raises(SkeletonFormatError, match="a header row naming the columns file and class"):
        bvh.read_bvh(clip, labels=no_header)
    with pytest.raises(SkeletonFormatError, match="expected a readable labels CSV file"):
        bvh.read_bvh(clip, labels=tmp_path / "absent.csv")
    labels = write(tmp_path / "ok.csv", "file,class\nclip,wave\n")
    with pytest.raises(SkeletonFormatError) as info:
        bvh.read_bvh(clip, labels=labels, class_names=["kick"])
    assert str(info.value) == f"{clip}: expected a class among the 1 given class names, found 'wave'"
