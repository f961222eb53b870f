"""Skeleton joint layouts as data: joint names, bones, centre joints; the graph ST-GCN convolves over.

Every layout is defined once here. Readers map a dataset's own joint order into one of these,
preprocessing finds the centre, body size and orientation by joint name, and the encoder builds its
adjacency partitions from the bones.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..errors import SadvaeError


@dataclass(frozen=True)
class Layout:
    name: str
    joints: tuple[str, ...]
    bones: tuple[tuple[str, str], ...]
    center: tuple[str, ...]  # the body centre is the mean of these joints
    size: tuple[tuple[str, ...], tuple[str, ...]]  # body size: distance between the means of two joint groups
    up: tuple[tuple[str, ...], tuple[str, ...]]  # lower -> upper group: the body's vertical axis
    side: tuple[str, str]  # left -> right joint: the body's lateral axis
    # canonical bone lengths in metres, one per bone (parent first): for preprocessing's canonical_bones
    bone_lengths: tuple[float, ...] | None = None

    @property
    def n_joints(self) -> int:
        return len(self.joints)

    def index(self, names) -> list[int]:
        return [self.joints.index(n) for n in names]

    @cached_property
    def edges(self) -> np.ndarray:
        return np.array([self.index(b) for b in self.bones], dtype=np.int64)

    @cached_property
    def hops_to_center(self) -> np.ndarray:
        """Graph distance of every joint to the nearest centre joint (breadth-first over the bones)."""
        n = self.n_joints
        neighbours = [[] for _ in range(n)]
        for a, b in self.edges:
            neighbours[a].append(b)
            neighbours[b].append(a)
        dist = np.full(n, -1, dtype=np.int64)
        frontier = self.index(self.center)
        dist[frontier] = 0
        while frontier:
            nxt = []
            for j in frontier:
                for k in neighbours[j]:
                    if dist[k] < 0:
                        dist[k] = dist[j] + 1
                        nxt.append(k)
            frontier = nxt
        return dist

    def partitions(self) -> np.ndarray:
        """(3, V, V) adjacency of the spatial partition strategy of ST-GCN (Yan et al. 2018).

        A[k, i, j] > 0 when joint j feeds joint i through partition k: 0 = the joint itself,
        1 = neighbours closer to the body centre (centripetal), 2 = neighbours farther away
        (centrifugal); neighbours at the same distance count as the joint's own group. Each
        joint's incoming weights are normalised by its degree (including itself)."""
        n, hops = self.n_joints, self.hops_to_center
        adj = np.eye(n)
        adj[self.edges[:, 0], self.edges[:, 1]] = 1
        adj[self.edges[:, 1], self.edges[:, 0]] = 1
        a = np.zeros((3, n, n))
        for i in range(n):
            for j in np.flatnonzero(adj[i]):
                k = 0 if hops[j] == hops[i] else (1 if hops[j] < hops[i] else 2)
                a[k, i, j] = 1.0
        degree = adj.sum(1)
        return (a / degree[None, :, None]).astype(np.float32)


def _chain(*names: str) -> tuple[tuple[str, str], ...]:
    return tuple(zip(names[:-1], names[1:]))


NTU25 = Layout(
    name="ntu-25",  # Kinect v2 order, as in NTU RGB+D and PKU-MMD
    joints=("SpineBase", "SpineMid", "Neck", "Head", "ShoulderLeft", "ElbowLeft", "WristLeft", "HandLeft",
            "ShoulderRight", "ElbowRight", "WristRight", "HandRight", "HipLeft", "KneeLeft", "AnkleLeft", "FootLeft",
            "HipRight", "KneeRight", "AnkleRight", "FootRight", "SpineShoulder", "HandTipLeft", "ThumbLeft",
            "HandTipRight", "ThumbRight"),
    bones=_chain("SpineBase", "SpineMid", "SpineShoulder", "Neck", "Head")
    + _chain("SpineShoulder", "ShoulderLeft", "ElbowLeft", "WristLeft", "HandLeft", "HandTipLeft")
    + (("WristLeft", "ThumbLeft"),)
    + _chain("SpineShoulder", "ShoulderRight", "ElbowRight", "WristRight", "HandRight", "HandTipRight")
    + (("WristRight", "ThumbRight"),)
    + _chain("SpineBase", "HipLeft", "KneeLeft", "AnkleLeft", "FootLeft")
    + _chain("SpineBase", "HipRight", "KneeRight", "AnkleRight", "FootRight"),
    center=("SpineMid",),
    size=(("SpineBase",), ("SpineShoulder",)),
    up=(("SpineBase",), ("SpineShoulder",)),
    side=("ShoulderLeft", "ShoulderRight"),
)

KINECT_V1_20 = Layout(
    name="kinect-v1-20",  # Kinect SDK v1 order (UTD-MHAD's own order is mapped into it by its reader)
    joints=("HipCenter", "Spine", "ShoulderCenter", "Head", "ShoulderLeft", "ElbowLeft", "WristLeft", "HandLeft",
            "ShoulderRight", "ElbowRight", "WristRight", "HandRight", "HipLeft", "KneeLeft", "AnkleLeft", "FootLeft",
            "HipRight", "KneeRight", "AnkleRight", "FootRight"),
    bones=_chain("HipCenter", "Spine", "ShoulderCenter", "Head")
    + _chain("ShoulderCenter", "ShoulderLeft", "ElbowLeft", "WristLeft", "HandLeft")
    + _chain("ShoulderCenter", "ShoulderRight", "ElbowRight", "WristRight", "HandRight")
    + _chain("HipCenter", "HipLeft", "KneeLeft", "AnkleLeft", "FootLeft")
    + _chain("HipCenter", "HipRight", "KneeRight", "AnkleRight", "FootRight"),
    center=("Spine",),
    size=(("HipCenter",), ("ShoulderCenter",)),
    up=(("HipCenter",), ("ShoulderCenter",)),
    side=("ShoulderLeft", "ShoulderRight"),
)

COCO17 = Layout(
    name="coco-17",  # COCO keypoints (2-D pose estimators; z may be 0)
    joints=("nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
            "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip", "left_knee",
            "right_knee", "left_ankle", "right_ankle"),
    bones=_chain("left_ear", "left_eye", "nose", "right_eye", "right_ear")
    + (("nose", "left_shoulder"), ("nose", "right_shoulder"))
    + _chain("left_wrist", "left_elbow", "left_shoulder", "right_shoulder", "right_elbow", "right_wrist")
    + _chain("left_ankle", "left_knee", "left_hip", "right_hip", "right_knee", "right_ankle")
    + (("left_shoulder", "left_hip"), ("right_shoulder", "right_hip")),
    center=("left_hip", "right_hip"),
    size=(("left_hip", "right_hip"), ("left_shoulder", "right_shoulder")),
    up=(("left_hip", "right_hip"), ("left_shoulder", "right_shoulder")),
    side=("left_shoulder", "right_shoulder"),
)

# MediaPipe Pose's 33 landmarks (BlazePose), in its order; "left" is the person's left. Video is read
# into this layout (`video.py`) and mapped onto the shared space by name like every other layout.
MEDIAPIPE33 = Layout(
    name="mediapipe-33",
    joints=("nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
            "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
            "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky", "right_pinky",
            "left_index", "right_index", "left_thumb", "right_thumb", "left_hip", "right_hip", "left_knee",
            "right_knee", "left_ankle", "right_ankle", "left_heel", "right_heel", "left_foot_index",
            "right_foot_index"),
    bones=_chain("left_ear", "left_eye_outer", "left_eye", "left_eye_inner", "nose", "right_eye_inner", "right_eye",
                 "right_eye_outer", "right_ear")
    + (("nose", "mouth_left"), ("nose", "mouth_right"), ("nose", "left_shoulder"), ("nose", "right_shoulder"))
    + _chain("left_wrist", "left_elbow", "left_shoulder", "right_shoulder", "right_elbow", "right_wrist")
    + (("left_wrist", "left_pinky"), ("left_wrist", "left_index"), ("left_wrist", "left_thumb"),
       ("left_pinky", "left_index"), ("right_wrist", "right_pinky"), ("right_wrist", "right_index"),
       ("right_wrist", "right_thumb"), ("right_pinky", "right_index"))
    + _chain("left_foot_index", "left_ankle", "left_knee", "left_hip", "right_hip", "right_knee", "right_ankle",
             "right_foot_index")
    + (("left_ankle", "left_heel"), ("left_heel", "left_foot_index"), ("right_ankle", "right_heel"),
       ("right_heel", "right_foot_index"), ("left_shoulder", "left_hip"), ("right_shoulder", "right_hip")),
    center=("left_hip", "right_hip"),
    size=(("left_hip", "right_hip"), ("left_shoulder", "right_shoulder")),
    up=(("left_hip", "right_hip"), ("left_shoulder", "right_shoulder")),
    side=("left_shoulder", "right_shoulder"),
)

# The shared skeleton space: the sixteen joints that every sensor here places (Kinect v1 and v2,
# optical motion capture rigs, 2-D/3-D pose estimators), so that one encoder learns from all of them.
# What it leaves out: hands beyond the wrist (Kinect's hand, hand tips and thumbs), feet beyond the
# ankle (Kinect's foot, a rig's toes) and the face (COCO's eyes and ears); a rig's clavicles and extra
# spine joints.
BODY16 = Layout(
    name="body-16",
    joints=("pelvis", "spine", "neck", "head", "left_shoulder", "left_elbow", "left_wrist", "right_shoulder",
            "right_elbow", "right_wrist", "left_hip", "left_knee", "left_ankle", "right_hip", "right_knee",
            "right_ankle"),
    bones=_chain("pelvis", "spine", "neck", "head")
    + _chain("neck", "left_shoulder", "left_elbow", "left_wrist")
    + _chain("neck", "right_shoulder", "right_elbow", "right_wrist")
    + _chain("pelvis", "left_hip", "left_knee", "left_ankle")
    + _chain("pelvis", "right_hip", "right_knee", "right_ankle"),
    center=("pelvis",),
    size=(("pelvis",), ("neck",)),
    up=(("pelvis",), ("neck",)),
    side=("left_shoulder", "right_shoulder"),
    # an adult's proportions (our round figures): the sensors place the torso's joints differently (a
    # motion capture rig's shoulders 0.20 m apart where Kinect's are 0.32 m; its head joint at the skull's
    # base, 0.07 m above the neck, where Kinect's is 0.19 m), so canonical_bones keeps every bone's
    # direction and gives it this length
    bone_lengths=(0.10, 0.32, 0.17,  # pelvis-spine, spine-neck, neck-head
                  0.17, 0.28, 0.25,  # neck-shoulder, upper arm, forearm (left)
                  0.17, 0.28, 0.25,  # (right)
                  0.09, 0.43, 0.41,  # pelvis-hip, thigh, shank (left)
                  0.09, 0.43, 0.41),  # (right)
)
SHARED = BODY16.name

LAYOUTS = {layout.name: layout for layout in (NTU25, KINECT_V1_20, COCO17, MEDIAPIPE33, BODY16)}

# UTD-MHAD files list joints as head, shoulder_center, spine, hip_center, then arms and legs in the
# Kinect SDK order: position i of kinect-v1-20 is joint UTD_TO_KINECT_V1[i] of a UTD-MHAD file
UTD_TO_KINECT_V1 = (3, 2, 1, 0) + tuple(range(4, 20))


# Joints that two layouts name differently but place alike (Kinect v2 of NTU RGB+D vs Kinect v1); every
# other joint maps by its own name. (from layout, to layout) -> {joint of `to`: joint of `from`}
JOINT_ALIASES = {
    ("ntu-25", "kinect-v1-20"): {"HipCenter": "SpineBase", "Spine": "SpineMid", "ShoulderCenter": "SpineShoulder"},
}


def _limbs(left: str, right: str, names: dict[str, str]) -> dict[str, tuple[str, ...]]:
    """The shared limb joints from a layout's names: {"shoulder": "Shoulder{side}"} and so on."""
    out = {}
    for side, tag in (("left", left), ("right", right)):
        for joint, pattern in names.items():
            out[f"{side}_{joint}"] = (pattern.format(side=tag),)
    return out


_KINECT_LIMBS = {"shoulder": "Shoulder{side}", "elbow": "Elbow{side}", "wrist": "Wrist{side}", "hip": "Hip{side}",
                 "knee": "Knee{side}", "ankle": "Ankle{side}"}
_COCO_LIMBS = {j: "{side}_" + j for j in ("shoulder", "elbow", "wrist", "hip", "knee", "ankle")}

# How each layout places the shared space's joints: each one is the mean of these joints of the layout
# (one joint where the layout has it; COCO's trunk, which it lacks, from the hips and shoulders).
TO_SHARED = {
    "kinect-v1-20": {"pelvis": ("HipCenter",), "spine": ("Spine",), "neck": ("ShoulderCenter",), "head": ("Head",),
                     **_limbs("Left", "Right", _KINECT_LIMBS)},
    "ntu-25": {"pelvis": ("SpineBase",), "spine": ("SpineMid",), "neck": ("SpineShoulder",), "head": ("Head",),
               **_limbs("Left", "Right", _KINECT_LIMBS)},
    "coco-17": {"pelvis": ("left_hip", "right_hip"),
                "spine": ("left_hip", "right_hip", "left_shoulder", "right_shoulder"),
                "neck": ("left_shoulder", "right_shoulder"), "head": ("left_ear", "right_ear"),
                **_limbs("left", "right", _COCO_LIMBS)},
    "mediapipe-33": {"pelvis": ("left_hip", "right_hip"),
                     "spine": ("left_hip", "right_hip", "left_shoulder", "right_shoulder"),
                     "neck": ("left_shoulder", "right_shoulder"), "head": ("left_ear", "right_ear"),
                     **_limbs("left", "right", _COCO_LIMBS)},
}


def _recipe(source: Layout, target: Layout) -> list[tuple[str, ...]]:
    """For each joint of `target`, the joints of `source` whose mean places it (some may be absent)."""
    if target.name == SHARED and source.name in TO_SHARED:
        return [TO_SHARED[source.name][j] for j in target.joints]
    if source.name == SHARED and target.name in TO_SHARED:  # back: the joints the shared space keeps by name
        back = {names[0]: shared for shared, names in TO_SHARED[target.name].items() if len(names) == 1}
        return [(back.get(j, j),) for j in target.joints]
    aliases = JOINT_ALIASES.get((source.name, target.name), {})
    return [(aliases.get(j, j),) for j in target.joints]


def joint_recipe(source: str, target: str) -> list[list[int]]:
    """For each joint of layout `target`, the indices of the joints of layout `source` whose mean places it
    (one index where the two name the same joint); a clear error naming both layouts and the joints
    without a counterpart when some cannot be placed."""
    src, dst = get_layout(source), get_layout(target)
    recipe = _recipe(src, dst)
    missing = [j for j, names in zip(dst.joints, recipe) if not set(names) <= set(src.joints)]
    if missing:
        raise SadvaeError(f"layout: expected joints of {source} that map onto every joint of {target}, found none "
                          f"for {', '.join(missing[:6])}" + (" ..." if len(missing) > 6 else "")
                          + f" (mappable: {', '.join(f'{a} -> {b}' for a, b in JOINT_MAPS) or 'none'})")
    return [src.index(names) for names in recipe]


def joint_map(source: str, target: str) -> list[int]:
    """For each joint of layout `target`, the index of the same joint in layout `source` (layouts that
    place every joint by name); `joint_recipe` also covers joints placed as a mean of several."""
    recipe = joint_recipe(source, target)
    if any(len(r) != 1 for r in recipe):
        raise SadvaeError(f"layout: {target} places some joints of {source} as a mean of several; use map_layout")
    return [r[0] for r in recipe]


def map_layout(seq: np.ndarray, source: str, target: str) -> np.ndarray:
    """A (T, M, V, 3) or (T, V, 3) sequence of layout `source` -> the same motion in layout `target`.
    An absent body (all zeros) stays absent."""
    seq = np.asarray(seq)
    if source == target:
        return np.ascontiguousarray(seq)
    recipe = joint_recipe(source, target)
    if all(len(r) == 1 for r in recipe):
        return np.ascontiguousarray(seq[..., [r[0] for r in recipe], :])
    return np.ascontiguousarray(np.stack([seq[..., r, :].mean(axis=-2) for r in recipe], axis=-2), dtype=seq.dtype)


def to_shared(seq: np.ndarray, source: str) -> np.ndarray:
    """A sequence of any layout in the shared skeleton space (`SHARED`)."""
    return map_layout(seq, source, SHARED)


def get_layout(name: str) -> Layout:
    try:
        return LAYOUTS[name]
    except KeyError:
        raise SadvaeError(f"layout: expected one of {', '.join(LAYOUTS)}, found {name!r}") from None


# (from, to) layout pairs that joint_recipe can translate
JOINT_MAPS = [(a, b) for a in LAYOUTS for b in LAYOUTS
              if a != b and all(set(names) <= set(LAYOUTS[a].joints) for names in _recipe(LAYOUTS[a], LAYOUTS[b]))]
