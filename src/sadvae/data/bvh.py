"""BVH motion capture files into the shared skeleton space (`layouts.SHARED`, body-16), in metres.

A BVH file is a joint hierarchy (``HIERARCHY``: one ``ROOT`` and nested ``JOINT`` / ``End Site`` blocks in
braces, each with an ``OFFSET x y z`` and, for joints, ``CHANNELS n`` names) followed by ``MOTION``:
``Frames: N``, ``Frame Time: dt`` and N rows holding one value per channel, in hierarchy order.

Forward kinematics (`forward_kinematics`): a joint's local transform is a translation followed by its
rotation channels applied in the order listed (``Zrotation Xrotation Yrotation`` -> R = Rz @ Rx @ Ry,
degrees, column vectors), and global = parent_global @ local. The translation is the joint's OFFSET, but
where the joint has position channels the channel values REPLACE the offset, for the root and for every
other joint alike. Why: in the Bandai-Namco files every joint has 6 channels and a non-root joint's
position channels repeat its OFFSET (Hand_L: OFFSET 22.2916 0 0, channels 22.2916 -9.9e-07 4.6e-06, within
~1e-5 cm in every frame), so adding them would double every bone (a 44.6 cm forearm) while replacing gives
bone lengths equal to the offsets and constant over time. The ``Hips`` OFFSET there (0.85 93.98 -452.2,
the actor's place in the reference take) differs from its channels (-0.53 93.52 -9.02 in frame 1), which
are the pelvis's actual place relative to ``joint_Root``; adding would move the actor 4.5 m away. The
root ``joint_Root`` has OFFSET 0 and position channels 0 there, so the two rules agree for it; replacing is
also what exporters that write the rest position into the root's OFFSET (Blender) expect.

Units (`bvh_unit`): BVH records none. The standing height of the rig is estimated from its offsets as the
summed offset lengths along the bones from the pelvis to the head plus from the pelvis to the lower ankle
(the joints found by `rig_to_shared`; a rig it cannot map uses the tree's longest bone path instead, a
rougher guess). Rule: height < 4 -> metres, < 400 -> centimetres, else millimetres (a person is 1-2 m:
1-2, 100-200 or 1000-2000 in those units). The Bandai-Namco rig measures 134.5 (pelvis to head 47.6,
pelvis to ankle 86.9): centimetres. Positions are returned in metres. (Its ``Head`` joint is the skull's
base: in the 384 clips its highest point above the lower ankle is 1.1-1.3 m, median 1.28 m.)

Labels (`read_bvh`), first match wins per file:

- ``labels=``: a CSV with a ``file,class`` header; ``file`` is the file name, its stem, or its path
  relative to the folder read; rows for files not read are ignored.
- a Bandai-Namco sidecar: ``x.json`` beside ``x.bvh`` holding ``{"content": i, "style": j}``, 0-based
  indices into ``cfg/content_label.txt`` and ``cfg/style_label.txt`` of the nearest ancestor folder that
  has them (``set1/data/x.bvh`` -> ``set1/cfg/``). Names such as ``dataset-1_walk-back`` become
  ``walk back``, so that the same content of several sets is one class; the style goes to ``styles``.
- otherwise the file's stem is its class.

Classes are numbered in sorted name order (independent of which files are read), unless ``class_names``
fixes the list. Sequences whose frame rate differs from the first file's are resampled to it by linear
interpolation over time.
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

import numpy as np

from .layouts import BODY16, SHARED
from .preprocess import resample_rate
from .skeletons import SkeletonFormatError, SkeletonSet, first_non_number, labels_by_name, parse_floats, file_progress

__all__ = ["BvhMotion", "parse_bvh", "forward_kinematics", "bvh_unit", "rig_to_shared", "read_bvh_file",
           "read_bvh"]

# canonical channel names by their lower-case spelling
_CHANNELS = {f"{axis}{kind}".lower(): f"{axis}{kind}" for kind in ("position", "rotation") for axis in "XYZ"}
UNITS = {"m": 1.0, "cm": 0.01, "mm": 0.001}
METRES_BELOW = 4.0       # a rig shorter than this is in metres
CENTIMETRES_BELOW = 400.0  # ... than this in centimetres, else millimetres


@dataclass
class BvhMotion:
    joints: list[str]            # (J,) ROOT and JOINT names in file order; End Sites are not joints
    parents: list[int]           # (J,) index of the parent joint, -1 for the root
    offsets: np.ndarray          # (J, 3) float64 OFFSET of each joint, in the file's unit
    channels: list[list[str]]    # (J,) canonical channel names (Xposition ... Zrotation), in file order
    frame_time: float            # seconds per frame
    motion: np.ndarray           # (T, total channels) float64, one row per frame
    path: str = ""               # the file read, for messages

    @property
    def fps(self) -> float:
        return _fps(self.frame_time)


# ------------------------------------------------------------------------------------------------ reading text

def _read_text_file(path: Path, what: str = "BVH") -> str:
    """The file as text (UTF-8, so that joint names may be non-ASCII); binary data is a format error."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SkeletonFormatError(path, f"a readable {what} file", exc.strerror or str(exc)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SkeletonFormatError(path, f"{what} text", f"the non-text byte 0x{data[exc.start]:02x}", line) from None
    control = re.search(r"[\x00-\x08\x0e-\x1f\x7f]", text)
    if control:
        line = text.count("\n", 0, control.start()) + 1
        raise SkeletonFormatError(path, f"{what} text", f"the control byte 0x{ord(control.group()):02x}", line)
    return text


def _short(token: str, limit: int = 40) -> str:
    return repr(token if len(token) <= limit else token[:limit] + "...")


class _Tokens:
    """Cursor over the hierarchy's (token, line number) pairs; knows what follows them, for messages."""

    def __init__(self, path: Path, tokens: list[tuple[str, int]], end_what: str, end_line: int):
        self.path, self.tokens, self.end_what, self.end_line = path, tokens, end_what, end_line
        self.pos = 0

    def error(self, expected: str, found: str, line: int | None) -> SkeletonFormatError:
        return SkeletonFormatError(self.path, expected, found, line)

    def done(self) -> bool:
        return self.pos >= len(self.tokens)

    def take(self, expected: str) -> tuple[str, int]:
        if self.done():
            raise self.error(expected, self.end_what, self.end_line)
        self.pos += 1
        return self.tokens[self.pos - 1]

    def rest_of_line(self, line: int) -> list[str]:
        """The remaining tokens of `line` up to a brace (a keyword's arguments are on its own line)."""
        out = []
        while not self.done() and self.tokens[self.pos][1] == line and self.tokens[self.pos][0] not in "{}":
            out.append(self.tokens[self.pos][0])
            self.pos += 1
        return out


@dataclass
class _Block:
    name: str           # joint name, or "End Site"
    index: int          # joint index, -1 for an End Site
    line: int           # where it opened
    offset: bool = False
    channels: bool = False


class _HierarchyParser:
    def __init__(self, cursor: _Tokens):
        self.cur = cursor
        self.joints: list[str] = []
        self.parents: list[int] = []
        self.offsets: list[np.ndarray] = []
        self.channels: list[list[str]] = []
        self.stack: list[_Block] = []

    def parse(self) -> None:
        token, line = self.cur.take("HIERARCHY")
        if token.upper() != "HIERARCHY":
            raise self.cur.error("HIERARCHY at the start of a BVH file", _short(token), line)
        token, line = self.cur.take("ROOT after HIERARCHY")
        if token.upper() != "ROOT":
            raise self.cur.error("ROOT after HIERARCHY", _short(token), line)
        self.open_joint(line, parent=-1)
        while self.stack:
            self.step()
        if not self.cur.done():
            token, line = self.cur.take("MOTION")
            if token.upper() == "ROOT":
                raise self.cur.error("one ROOT (one skeleton per file) followed by MOTION", "a second ROOT", line)
            raise self.cur.error("MOTION after the ROOT block closed", _short(token), line)

    def step(self) -> None:
        block = self.stack[-1]
        token, line = self.cur.take(f"'}}' closing {block.name} (opened on line {block.line})")
        keyword = token.upper()
        if token == "}":
            self.close(self.stack.pop())
        elif keyword == "OFFSET":
            self.offset(block, line)
        elif keyword == "CHANNELS" and block.index >= 0:
            self.channel_line(block, line)
        elif keyword == "JOINT" and block.index >= 0:
            self.open_joint(line, parent=block.index)
        elif keyword == "END" and block.index >= 0:
            self.open_end_site(line)
        else:
            what = "OFFSET or '}'" if block.index < 0 else "OFFSET, CHANNELS, JOINT, End Site or '}'"
            raise self.cur.error(f"{what} inside {block.name} (opened on line {block.line})", _short(token), line)

    def _open(self, line: int, kind: str, name_required: bool) -> list[str]:
        """The name tokens after ROOT/JOINT/End, having consumed the opening brace (on that line or the next)."""
        words = self.cur.rest_of_line(line)
        if name_required and not words:
            raise self.cur.error(f"a joint name after {kind}", "nothing", line)
        expected = f"'{{' opening {kind} {' '.join(words)}".rstrip()
        token, brace_line = self.cur.take(expected)
        if token != "{":
            raise self.cur.error(expected, _short(token), brace_line)
        return words

    def open_joint(self, line: int, parent: int) -> None:
        kind = "ROOT" if parent < 0 else "JOINT"
        name = " ".join(self._open(line, kind, name_required=True))
        self.stack.append(_Block(name=f"joint {name}", index=len(self.joints), line=line))
        self.joints.append(name)
        self.parents.append(parent)
        self.offsets.append(np.zeros(3))
        self.channels.append([])

    def open_end_site(self, line: int) -> None:
        self._open(line, "End Site", name_required=False)
        self.stack.append(_Block(name="End Site", index=-1, line=line))

    def close(self, block: _Block) -> None:
        if not block.offset:
            raise self.cur.error(f"an OFFSET line in {block.name}", "none", block.line)

    def offset(self, block: _Block, line: int) -> None:
        values = self.cur.rest_of_line(line)
        if block.offset:
            raise self.cur.error(f"one OFFSET in {block.name}", "a second one", line)
        if len(values) != 3:
            raise self.cur.error("OFFSET x y z (3 numbers)", f"{len(values)} values", line)
        numbers = parse_floats(values)
        if numbers is None or not np.isfinite(numbers).all():
            raise self.cur.error("OFFSET x y z (3 finite numbers)", _short(" ".join(values)), line)
        block.offset = True
        if block.index >= 0:
            self.offsets[block.index] = numbers

    def channel_line(self, block: _Block, line: int) -> None:
        values = self.cur.rest_of_line(line)
        if block.channels:
            raise self.cur.error(f"one CHANNELS line in {block.name}", "a second one", line)
        block.channels = True
        self.channels[block.index] = _channel_names(self.cur, values, line)


def _channel_names(cursor: _Tokens, values: list[str], line: int) -> list[str]:
    """Canonical names of a CHANNELS line's arguments: a count of 3 or 6 and that many distinct names."""
    if not values or not (values[0].isascii() and values[0].isdigit()) or int(values[0]) not in (3, 6):
        raise cursor.error("a channel count of 3 or 6 after CHANNELS", _short(values[0]) if values else "nothing",
                           line)
    count, names = int(values[0]), values[1:]
    if len(names) != count:
        raise cursor.error(f"{count} channel names after 'CHANNELS {count}'", f"{len(names)}", line)
    canonical = []
    for name in names:
        if name.lower() not in _CHANNELS:
            raise cursor.error("a channel name among Xposition Yposition Zposition Xrotation Yrotation Zrotation",
                               _short(name), line)
        canonical.append(_CHANNELS[name.lower()])
    kinds = {name[1:] for name in canonical}
    if len(set(canonical)) != count or (count == 3 and len(kinds) != 1):
        raise cursor.error("distinct channels: 3 rotations, 3 positions, or all 6", " ".join(names), line)
    return canonical


# ------------------------------------------------------------------------------------------------ MOTION block

_FRAMES = re.compile(r"frames\s*:\s*(.*)", re.IGNORECASE)
_FRAME_TIME = re.compile(r"frame\s+time\s*:\s*(.*)", re.IGNORECASE)


def _next_line(lines: list[str], start: int) -> int:
    """Index of the first non-blank line at or after `start` (len(lines) when none)."""
    while start < len(lines) and not lines[start].strip():
        start += 1
    return start


def _header_value(path: Path, lines: list[str], start: int, pattern: re.Pattern, what: str) -> tuple[str, int]:
    """(value text, index of its line) of the 'Frames:' or 'Frame Time:' line expected at `start`."""
    index = _next_line(lines, start)
    if index >= len(lines):
        raise SkeletonFormatError(path, f"a '{what}' line", "end of file", len(lines) + 1)
    match = pattern.fullmatch(lines[index].strip())
    if match is None:
        raise SkeletonFormatError(path, f"a '{what}' line", _short(lines[index].strip()), index + 1)
    return match.group(1).strip(), index


def _motion_header(path: Path, lines: list[str], start: int) -> tuple[int, float, int, int]:
    """Frame count, frame time, the line number of 'Frames:' and the index of the first data line."""
    text, index = _header_value(path, lines, start, _FRAMES, "Frames: N")
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise SkeletonFormatError(path, "a frame count of at least 1 after 'Frames:'", _short(text), index + 1)
    n_frames, frames_line = int(text), index + 1
    text, index = _header_value(path, lines, index + 1, _FRAME_TIME, "Frame Time: seconds")
    value = parse_floats([text]) if text and len(text.split()) == 1 else None
    if value is None or not np.isfinite(value[0]) or value[0] <= 0:
        raise SkeletonFormatError(path, "a positive number of seconds after 'Frame Time:'", _short(text), index + 1)
    return n_frames, float(value[0]), frames_line, index + 1


def _motion_rows(path: Path, lines: list[str], start: int, n_frames: int, n_channels: int,
                 frames_line: int) -> np.ndarray:
    """(n_frames, n_channels) float64 of the data lines from index `start`: one row of numbers per frame."""
    rows, numbers = [], []
    for index in range(start, len(lines)):
        tokens = lines[index].split()
        if tokens:
            rows.append(tokens)
            numbers.append(index + 1)
    if len(rows) < n_frames:
        raise SkeletonFormatError(path, f"{n_frames} frame rows (Frames: on line {frames_line})",
                                  f"end of file after {len(rows)}", len(lines) + 1)
    if len(rows) > n_frames:
        raise SkeletonFormatError(path, f"end of file after {n_frames} frame rows (Frames: on line {frames_line})",
                                  f"{len(rows) - n_frames} more rows", numbers[n_frames])
    counts = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    wrong = np.flatnonzero(counts != n_channels)
    if len(wrong):
        row = int(wrong[0])
        raise SkeletonFormatError(path, f"{n_channels} values per frame row (one per channel)",
                                  f"{counts[row]} values", numbers[row])
    values = parse_floats(list(chain.from_iterable(rows)))
    if values is None:
        for row, tokens in enumerate(rows):
            bad = first_non_number(tokens)
            if bad is not None:
                raise SkeletonFormatError(path, "numbers in the frame rows", f"the non-numeric token {_short(bad)}",
                                          numbers[row])
    values = values.reshape(n_frames, n_channels)
    bad = np.argwhere(~np.isfinite(values))
    if len(bad):
        row, column = (int(v) for v in bad[0])
        raise SkeletonFormatError(path, "finite numbers within float32's range in the frame rows",
                                  _short(rows[row][column]), numbers[row])
    return values


def parse_bvh(path) -> BvhMotion:
    """The hierarchy and the motion of one BVH file, as written (no unit conversion).

    Every defect is one SkeletonFormatError naming the file and, where it makes sense, the line."""
    path = Path(path)
    text = _read_text_file(path)
    lines = text.splitlines()
    tokens: list[tuple[str, int]] = []
    motion_at = None
    for index, line in enumerate(lines):
        words = line.split()
        if words and words[0].upper() == "MOTION":
            motion_at = index
            break
        tokens.extend((word, index + 1) for word in words)
    if not tokens and motion_at is None:
        raise SkeletonFormatError(path, "a BVH file starting with HIERARCHY", "an empty file")
    end_what, end_line = ("MOTION", motion_at + 1) if motion_at is not None else ("end of file", len(lines) + 1)
    parser = _HierarchyParser(_Tokens(path, tokens, end_what, end_line))
    parser.parse()
    if motion_at is None:
        raise SkeletonFormatError(path, "MOTION after the hierarchy", "end of file", len(lines) + 1)
    if len(lines[motion_at].split()) != 1:
        raise SkeletonFormatError(path, "MOTION alone on its line", _short(lines[motion_at].strip()), motion_at + 1)
    n_channels = sum(len(c) for c in parser.channels)
    if n_channels == 0:
        raise SkeletonFormatError(path, "CHANNELS in at least one joint", "none", motion_at + 1)
    n_frames, frame_time, frames_line, start = _motion_header(path, lines, motion_at + 1)
    motion = _motion_rows(path, lines, start, n_frames, n_channels, frames_line)
    return BvhMotion(joints=parser.joints, parents=parser.parents, offsets=np.array(parser.offsets).reshape(-1, 3),
                     channels=parser.channels, frame_time=frame_time, motion=motion, path=str(path))


# ----------------------------------------------------------------------------------------- forward kinematics

def _axis_rotation(axis: int, degrees: np.ndarray) -> np.ndarray:
    """(T, 3, 3) rotations by `degrees` about axis 0/1/2 (x/y/z), acting on column vectors."""
    radians = np.deg2rad(degrees)
    c, s = np.cos(radians), np.sin(radians)
    out = np.zeros((len(radians), 3, 3))
    i, j = [(1, 2), (2, 0), (0, 1)][axis]   # the plane the rotation turns, in right-handed order
    out[:, axis, axis] = 1.0
    out[:, i, i] = c
    out[:, j, j] = c
    out[:, i, j] = -s
    out[:, j, i] = s
    return out


def _local_transform(offset: np.ndarray, channels: list[str], values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(T, 3) translation and (T, 3, 3) rotation of one joint from its channel columns (T, n)."""
    n_frames = len(values)
    translation = np.repeat(offset[None, :], n_frames, axis=0)
    rotation = None
    for k, name in enumerate(channels):
        axis = "XYZ".index(name[0])
        if name.endswith("position"):
            translation[:, axis] = values[:, k]  # position channels replace the offset (module docstring)
        else:
            step = _axis_rotation(axis, values[:, k])
            rotation = step if rotation is None else rotation @ step
    if rotation is None:
        rotation = np.broadcast_to(np.eye(3), (n_frames, 3, 3))
    return translation, rotation


def forward_kinematics(motion: BvhMotion) -> np.ndarray:
    """(T, J, 3) float64 global joint positions in the file's unit and frame, all frames at once.

    Parents come before their children in a BVH file, so one pass over the joints in order suffices."""
    n_frames, n_joints = len(motion.motion), len(motion.joints)
    positions = np.empty((n_frames, n_joints, 3))
    rotations = np.empty((n_frames, n_joints, 3, 3))
    column = 0
    for j in range(n_joints):
        width = len(motion.channels[j])
        values = motion.motion[:, column:column + width]
        column += width
        translation, rotation = _local_transform(np.asarray(motion.offsets[j], float), motion.channels[j], values)
        parent = motion.parents[j]
        if parent < 0:
            positions[:, j], rotations[:, j] = translation, rotation
        else:
            parent_rotation = rotations[:, parent]
            positions[:, j] = positions[:, parent] + np.einsum("tij,tj->ti", parent_rotation, translation)
            rotations[:, j] = parent_rotation @ rotation
    return positions


# -------------------------------------------------------------------------------------------- joint names

_NAMESPACE = re.compile(r".*[:|]")
_PREFIX = re.compile(r"^(?:[Mm]ixamorig\d*|[Bb]ip\d+|[Bb]iped|[Jj]oint|[Jj]nt|[Dd]ef)(?:[\s:_.\-]+|(?=[A-Z]))")
_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_SIDES = {"left": "left", "l": "left", "right": "right", "r": "right"}
_FILLER = {"joint", "jnt"}


def _name_parts(name: str) -> tuple[str | None, str]:
    """(side or None, core) of a rig joint name: 'mixamorig:LeftForeArm' -> ('left', 'forearm'),
    'LHipJoint' -> ('left', 'hip'), 'Hand_L' -> ('left', 'hand'), 'joint_Root' -> (None, 'root')."""
    name = _NAMESPACE.sub("", name.strip()) or name.strip()
    name = _PREFIX.sub("", name) or name
    words = [w for part in re.split(r"[^A-Za-z0-9]+", name) for w in _WORDS.findall(part)]
    sides = {_SIDES[w.lower()] for w in words if w.lower() in _SIDES}
    core_words = [w.lower() for w in words if w.lower() not in _SIDES and w.lower() not in _FILLER]
    core = "".join(core_words)
    if not sides:  # 'leftupleg', 'shoulderright' without separators or capitals
        for word, side in (("left", "left"), ("right", "right")):
            if core != word and (core.startswith(word) or core.endswith(word)):
                sides, core = {side}, core.removeprefix(word) if core.startswith(word) else core.removesuffix(word)
    return (sides.pop() if len(sides) == 1 else None), core


# candidate cores of each limb joint, most specific first. A rig's 'Shoulder'/'Clavicle'/'Collar' is the
# collarbone, so the shoulder joint itself is the upper arm when the rig has one; a joint named after the
# joint (elbow, wrist, knee, ankle) wins over one named after the bone that starts there.
_LIMBS = {
    "shoulder": ("upperarm", "uparm", "arm", "humerus", "shldr", "shoulder"),
    "elbow": ("elbow", "lowerarm", "lowarm", "forearm"),
    "wrist": ("wrist", "hand"),
    "hip": ("upperleg", "upleg", "thigh", "femur", "hip"),
    "knee": ("knee", "lowerleg", "lowleg", "shin", "calf", "leg"),
    "ankle": ("ankle", "foot"),
}
_PELVIS = ("hips", "pelvis", "hip", "hipcenter", "spinebase")
_SPINE = (("spine",), ("chest", "torso", "abdomen"))


def _first(parts: list[tuple[str | None, str]], side: str | None, cores: tuple[str, ...], *, contains: bool = False,
           after: int = -1) -> int | None:
    """Index of the first joint after `after` on `side` whose core is (or contains) one of `cores`, trying
    the cores in order."""
    for core in cores:
        for index, (joint_side, joint_core) in enumerate(parts):
            if index > after and joint_side == side and (core in joint_core if contains else core == joint_core):
                return index
    return None


def _shared_candidates(parts: list[tuple[str | None, str]]) -> dict[str, int | None]:
    found: dict[str, int | None] = {}
    pelvis = _first(parts, None, _PELVIS)
    if pelvis is None and parts:
        pelvis = 0  # a BVH file's first joint is its root
    found["pelvis"] = pelvis
    spines = (_first(parts, None, cores, contains=True, after=-1 if pelvis is None else pelvis) for cores in _SPINE)
    found["spine"] = next((index for index in spines if index is not None), None)
    found["neck"] = _first(parts, None, ("neck",), contains=True)
    found["head"] = _first(parts, None, ("head",))
    if found["head"] is None:
        heads = [i for i, (s, c) in enumerate(parts)
                 if s is None and "head" in c and not any(w in c for w in ("top", "end", "nub", "site"))]
        found["head"] = heads[0] if heads else None
    for side in ("left", "right"):
        for joint, cores in _LIMBS.items():
            found[f"{side}_{joint}"] = _first(parts, side, cores)
    return found


def rig_to_shared(joint_names: list[str], path) -> list[int]:
    """For each body-16 joint (`layouts.BODY16`), the index of the rig joint that places it, by name.

    Names are normalised (namespace such as 'mixamorig:' and prefixes such as 'joint_' or 'Bip01 ' dropped,
    lower case, no separators), the side comes from left/right words or a lone l/r ('Hand_L', 'l_elbow',
    'LHipJoint'), then synonyms are tried most specific first. One SkeletonFormatError names every shared
    joint that could not be placed, with the rig's joint names."""
    names = [str(n) for n in joint_names]
    found = _shared_candidates([_name_parts(n) for n in names])
    missing = [joint for joint in BODY16.joints if found.get(joint) is None]
    if missing:
        listed = ", ".join(names[:60]) + (" ..." if len(names) > 60 else "")
        raise SkeletonFormatError(path, f"rig joint names that place every {SHARED} joint",
                                  f"none for {', '.join(missing)} among the joints [{listed}]")
    return [int(found[joint]) for joint in BODY16.joints]


# -------------------------------------------------------------------------------------------------- units

def _bone_path_length(parents: list[int], lengths: np.ndarray, a: int, b: int) -> float:
    """Summed bone lengths on the tree path between joints a and b (a joint's length is its offset's)."""
    up: dict[int, float] = {}
    total, node = 0.0, a
    while node >= 0:
        up[node] = total
        total += lengths[node]
        node = parents[node]
    total, node = 0.0, b
    while node >= 0 and node not in up:
        total += lengths[node]
        node = parents[node]
    return total + up.get(node, 0.0)


def _longest_bone_path(parents: list[int], lengths: np.ndarray) -> float:
    """The tree's longest path of bone lengths, leaving out a root with a single child (a placement node
    such as Bandai-Namco's joint_Root, whose child's offset is where the actor stands, not a bone)."""
    children = [[c for c, p in enumerate(parents) if p == j] for j in range(len(parents))]
    skip = {j for j, p in enumerate(parents) if p < 0 and len(children[j]) == 1}
    best = 0.0
    down = np.zeros(len(parents))  # longest downward path from each joint
    for j in reversed(range(len(parents))):
        branches = sorted((down[c] + lengths[c] for c in children[j] if j not in skip), reverse=True)
        down[j] = branches[0] if branches else 0.0
        best = max(best, sum(branches[:2]))
    return best


def _rig_height(motion: BvhMotion) -> float:
    lengths = np.linalg.norm(np.asarray(motion.offsets, float).reshape(-1, 3), axis=1)
    try:
        index = dict(zip(BODY16.joints, rig_to_shared(motion.joints, motion.path)))
    except SkeletonFormatError:
        return _longest_bone_path(motion.parents, lengths)
    pelvis = index["pelvis"]
    legs = max(_bone_path_length(motion.parents, lengths, pelvis, index[f"{s}_ankle"]) for s in ("left", "right"))
    return _bone_path_length(motion.parents, lengths, pelvis, index["head"]) + legs


def bvh_unit(motion: BvhMotion) -> tuple[str, float]:
    """('m' | 'cm' | 'mm', scale to metres) from the rig's standing height (module docstring)."""
    height = _rig_height(motion)
    if height < METRES_BELOW:
        return "m", UNITS["m"]
    if height < CENTIMETRES_BELOW:
        return "cm", UNITS["cm"]
    return "mm", UNITS["mm"]


# ----------------------------------------------------------------------------------------- one file, a folder

def _fps(frame_time: float) -> float:
    """1 / frame time, snapped to an integer within 0.01 % (files print 0.0333333 for 1/30 s)."""
    fps = 1.0 / frame_time
    nearest = round(fps)
    return float(nearest) if nearest > 0 and abs(fps - nearest) <= 1e-4 * fps else fps


def read_bvh_file(path) -> tuple[np.ndarray, float, str]:
    """(T, 1, 16, 3) float32 body-16 positions in metres in the file's own frame (no centring or rotation),
    the frame rate, and the unit detected ('m', 'cm' or 'mm')."""
    motion = parse_bvh(path)
    index = rig_to_shared(motion.joints, path)
    unit, scale = bvh_unit(motion)
    positions = forward_kinematics(motion)[:, index] * scale
    if not np.isfinite(positions).all() or np.abs(positions).max() > np.finfo(np.float32).max:
        raise SkeletonFormatError(path, "joint positions within float32's range", "larger values")
    return positions[:, None].astype(np.float32), motion.fps, unit


def _bvh_files(path: Path) -> tuple[list[Path], Path]:
    """The .bvh files to read (sorted) and the folder relative to which a labels CSV names them."""
    if path.is_file():
        return [path], path.parent
    if not path.is_dir():
        raise SkeletonFormatError(path, "a .bvh file or a folder of them", "no such file or folder")
    files = sorted((p for p in path.rglob("*") if p.suffix.lower() == ".bvh" and p.is_file()),
                   key=lambda p: p.relative_to(path).as_posix())
    if not files:
        raise SkeletonFormatError(path, "a folder holding .bvh files (searched recursively)", "none")
    return files, path


def _clean_label(name: str) -> str:
    """'dataset-1_walk-back' -> 'walk back': the set prefix dropped, hyphens and underscores as spaces."""
    name = re.sub(r"^dataset-\d+_", "", name.strip())
    return " ".join(re.sub(r"[-_]", " ", name).split())


class FileLabels:
    """The class (and style) of each file: from a CSV, a Bandai-Namco sidecar, or the file's stem."""

    def __init__(self, csv_path, root: Path, sidecars: bool = True):
        self.root = root
        self.sidecars = sidecars  # Bandai-Namco .json sidecars (a video's .json beside it is not one)
        self.table = None if csv_path is None else _read_label_csv(Path(csv_path))
        self.csv_path = None if csv_path is None else Path(csv_path)
        self.cfg_cache: dict[Path, tuple[Path, list[str], list[str] | None]] = {}

    def __call__(self, file: Path) -> tuple[str, str]:
        if self.table is not None:
            return self.from_csv(file), ""
        sidecar = file.with_suffix(".json")
        if self.sidecars and sidecar.is_file():
            return self.from_sidecar(sidecar)
        return file.stem, ""

    def from_csv(self, file: Path) -> str:
        try:
            relative = file.relative_to(self.root).as_posix()
        except ValueError:
            relative = file.name
        for key in (relative, str(Path(relative).with_suffix("")), file.name, file.stem):
            if key in self.table:
                return self.table[key]
        raise SkeletonFormatError(self.csv_path, f"a row for {file} (file name, stem or relative path)", "none")

    def label_files(self, sidecar: Path) -> tuple[Path, list[str], list[str] | None]:
        folder = sidecar.parent
        if folder not in self.cfg_cache:
            for candidate in (folder, *folder.parents):
                cfg = candidate / "cfg"
                if (cfg / "content_label.txt").is_file():
                    styles = cfg / "style_label.txt"
                    self.cfg_cache[folder] = (cfg, _read_label_lines(cfg / "content_label.txt"),
                                              _read_label_lines(styles) if styles.is_file() else None)
                    break
            else:
                raise SkeletonFormatError(sidecar, "cfg/content_label.txt in its folder or a folder above", "none")
        return self.cfg_cache[folder]

    def from_sidecar(self, sidecar: Path) -> tuple[str, str]:
        content, style = _read_sidecar(sidecar)
        cfg, contents, styles = self.label_files(sidecar)
        if content >= len(contents):
            raise SkeletonFormatError(sidecar, f"a content index from 0 to {len(contents) - 1} (the lines of "
                                      f"{cfg / 'content_label.txt'})", str(content))
        if style is None:
            return _clean_label(contents[content]), ""
        if styles is None:
            raise SkeletonFormatError(sidecar, f"{cfg / 'style_label.txt'} for its style index", "no such file")
        if style >= len(styles):
            raise SkeletonFormatError(sidecar, f"a style index from 0 to {len(styles) - 1} (the lines of "
                                      f"{cfg / 'style_label.txt'})", str(style))
        return _clean_label(contents[content]), _clean_label(styles[style])


def _read_label_lines(path: Path) -> list[str]:
    """The names of a cfg label file, one per non-blank line."""
    names = [line.strip() for line in _read_text_file(path, "label").splitlines() if line.strip()]
    if not names:
        raise SkeletonFormatError(path, "one label name per line", "an empty file")
    return names


def _index_field(sidecar: Path, data: dict, key: str, required: bool) -> int | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        found = "no such key" if key not in data else _short(json.dumps(value))
        raise SkeletonFormatError(sidecar, f'a non-negative integer "{key}" (a label index)', found)
    return value


def _read_sidecar(sidecar: Path) -> tuple[int, int | None]:
    """(content, style or None) of a Bandai-Namco `.json` sidecar."""
    expected = 'a JSON object {"content": i, "style": j}'
    try:
        data = json.loads(_read_text_file(sidecar, "sidecar JSON"))
    except json.JSONDecodeError as exc:
        raise SkeletonFormatError(sidecar, expected, f"invalid JSON ({exc.msg})", exc.lineno) from None
    if not isinstance(data, dict):
        raise SkeletonFormatError(sidecar, expected, f"a JSON {type(data).__name__}")
    return _index_field(sidecar, data, "content", True), _index_field(sidecar, data, "style", False)


def _read_label_csv(path: Path) -> dict[str, str]:
    """{file key: class name} of a `file,class` CSV (keys with '\\' as '/', no leading './')."""
    reader = csv.reader(io.StringIO(_read_text_file(path, "labels CSV")))
    header = None
    table: dict[str, str] = {}
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        if header is None:
            header = [cell.strip().lower() for cell in row]
            if "file" not in header or "class" not in header:
                raise SkeletonFormatError(path, "a header row naming the columns file and class",
                                          _short(",".join(row)), reader.line_num)
            continue
        cells = dict(zip(header, (cell.strip() for cell in row)))
        key, name = cells.get("file", "").replace("\\", "/").removeprefix("./"), cells.get("class", "")
        if not key or not name:
            raise SkeletonFormatError(path, "a file and a class in every row", _short(",".join(row)),
                                      reader.line_num)
        if table.get(key, name) != name:
            raise SkeletonFormatError(path, f"one class for {key}", f"{table[key]!r} and {name!r}", reader.line_num)
        table[key] = name
    if header is None:
        raise SkeletonFormatError(path, "a header row naming the columns file and class", "an empty file")
    return table


def read_bvh(path, *, labels=None, class_names=None, progress: bool = False) -> SkeletonSet:
    """One .bvh file, or every .bvh file under a folder (recursively, sorted), in the shared space.

    Labels, class order and frame rates as the module docstring says; subjects are None (BVH files do not
    record the actor), sample ids are the file stems."""
    files, root = _bvh_files(Path(path))
    label_of = FileLabels(labels, root)
    sequences, names, styles, fps = [], [], [], None
    for file in file_progress(files, progress, "BVH"):
        sequence, file_fps, _ = read_bvh_file(file)
        name, style = label_of(file)
        fps = file_fps if fps is None else fps
        if abs(file_fps - fps) > 1e-6 * fps:
            sequence = resample_rate(sequence.astype(np.float64), file_fps, fps).astype(np.float32)
        sequences.append(sequence)
        names.append(name)
        styles.append(style)
    classes, labels = labels_by_name(files, names, class_names)
    return SkeletonSet(sequences=sequences, labels=labels,
                       class_names=classes, layout=SHARED, subjects=None, sample_ids=[f.stem for f in files],
                       fps=fps, styles=styles if any(styles) else [])
