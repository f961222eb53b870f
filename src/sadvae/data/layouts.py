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

LAYOUTS = {layout.name: layout for layout in (NTU25, KINECT_V1_20, COCO17)}

# UTD-MHAD files list joints as head, shoulder_center, spine, hip_center, then arms and legs in the
# Kinect SDK order: position i of kinect-v1-20 is joint UTD_TO_KINECT_V1[i] of a UTD-MHAD file
UTD_TO_KINECT_V1 = (3, 2, 1, 0) + tuple(range(4, 20))


# Joints that two layouts name differently but place alike (Kinect v2 of NTU RGB+D vs Kinect v1); every
# other joint maps by its own name. (from layout, to layout) -> {joint of `to`: joint of `from`}
JOINT_ALIASES = {
    ("ntu-25", "kinect-v1-20"): {"HipCenter": "SpineBase", "Spine": "SpineMid", "ShoulderCenter": "SpineShoulder"},
}


def joint_map(source: str, target: str) -> list[int]:
    """For each joint of layout `target`, the index of the same joint in layout `source`; a clear error
    naming both layouts and the joints without a counterpart when some cannot be mapped."""
    src, dst = get_layout(source), get_layout(target)
    names = _counterparts(src, dst)
    missing = [j for j, n in zip(dst.joints, names) if n not in src.joints]
    if missing:
        raise SadvaeError(f"layout: expected joints of {source} that map onto every joint of {target}, found none "
                          f"for {', '.join(missing[:6])}" + (" ..." if len(missing) > 6 else "")
                          + f" (mappable: {', '.join(f'{a} -> {b}' for a, b in JOINT_MAPS) or 'none'})")
    return src.index(names)


def map_layout(seq: np.ndarray, source: str, target: str) -> np.ndarray:
    """A (T, M, V, 3) or (T, V, 3) sequence of layout `source` -> the same motion in layout `target`."""
    return np.ascontiguousarray(np.asarray(seq)[..., joint_map(source, target), :])


def get_layout(name: str) -> Layout:
    try:
        return LAYOUTS[name]
    except KeyError:
        raise SadvaeError(f"layout: expected one of {', '.join(LAYOUTS)}, found {name!r}") from None


def _counterparts(source: Layout, target: Layout) -> list[str]:
    """The name in `source` of each joint of `target` (by alias, else its own name; it may be absent)."""
    aliases = JOINT_ALIASES.get((source.name, target.name), {})
    return [aliases.get(j, j) for j in target.joints]


# (from, to) layout pairs that joint_map can translate
JOINT_MAPS = [(a, b) for a in LAYOUTS for b in LAYOUTS
              if a != b and set(_counterparts(LAYOUTS[a], LAYOUTS[b])) <= set(LAYOUTS[a].joints)]
