"""Readers of raw skeleton datasets into one in-memory form, `SkeletonSet`.

Every sequence becomes a float32 array (T, M, V, 3): frames x bodies x joints x xyz, in one of the
joint layouts of `layouts.py`. An absent body is all zeros in a frame.

Formats:

- ``ntu``: NTU RGB+D 60/120, a folder of ``SsssCcccPpppRrrrAaaa.skeleton`` text files. Line 1 is the
  frame count; each frame is a body-count line, and per body one line of 10 values (bodyID, clipedEdges,
  handLeftConfidence, handLeftState, handRightConfidence, handRightState, isRestricted, leanX, leanY,
  trackingState), a joint-count line (25) and 25 joint lines of 12 values (x y z depthX depthY colorX
  colorY orientationW orientationX orientationY orientationZ trackingState). Bodies are tracked across
  frames by bodyID; the most active ones are kept. Layout ``ntu-25``.
- ``pku``: PKU-MMD, a folder with a skeleton subfolder (``PKU_Skeleton_Renew``) of ``0002-L.txt`` files,
  one frame per line of 150 values (2 bodies x 25 joints x xyz, absent body = zeros), and a label
  subfolder (``Train_Label_PKU_final``) of files with the same names whose lines are
  ``label,start,end,confidence`` (1-based label and frames, end inclusive). Every labelled segment is
  one sample. Layout ``ntu-25``.
- ``utd``: UTD-MHAD, a folder of ``aA_sS_tT_skeleton.mat`` MATLAB files holding ``d_skel`` (20, 3, T).
  Joints are reordered into layout ``kinect-v1-20``.
- ``nwucla``: Northwestern-UCLA Multiview Action 3D, a folder of ``aAA_sSS_eEE_vVV.json`` files
  ``{"file_name", "skeletons", "label"}``: T frames of 20 joints x xyz in metres (Kinect v1 camera
  coordinates, already in the Kinect SDK order), label 1..10. Layout ``kinect-v1-20``.
- ``bvh``: motion capture, any BVH file or folder (`bvh.py`): forward kinematics to joint positions
  in metres, mapped by joint name onto the shared space ``body-16``; labels from a sidecar, a CSV or
  the file name.
- ``video``: .mp4/.avi/.mov/.mkv/.webm files through MediaPipe Pose (`video.py`, the ``video`` extra):
  33 world landmarks per frame in metres, one person, layout ``mediapipe-33``; labels from a CSV or the
  file name, as for BVH.
- ``npz``: this package's own archive (see `read_npz` / `write_npz`); never loads pickles.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..errors import SadvaeError
from ..io import atomic_write_bytes
from . import classnames
from .layouts import LAYOUTS, UTD_TO_KINECT_V1

FORMATS = ("ntu", "pku", "utd", "nwucla", "bvh", "video", "npz")

NTU_JOINTS = 25
NTU_BODY_VALUES = 10
NTU_JOINT_VALUES = 12
PKU_BODIES = 2
PKU_FRAME_VALUES = PKU_BODIES * NTU_JOINTS * 3
UTD_JOINTS = 20
KINECT_FPS = 30.0  # Kinect v1 and v2 skeleton streams (NTU, PKU-MMD, UTD-MHAD, NW-UCLA)


@dataclass
class SkeletonSet:
    sequences: list[np.ndarray]        # one float32 array (T, M, V, 3) per sample: frames x bodies x joints x xyz
    labels: np.ndarray                 # (N,) int64, 0-based class ids
    class_names: list[str]             # (K,)
    layout: str                        # a name in layouts.LAYOUTS
    subjects: np.ndarray | None = None  # (N,) int64 performer ids, or None when the format has none
    sample_ids: list[str] = field(default_factory=list)  # (N,) e.g. the file stem
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason) of files skipped with a report
    fps: float | None = None           # frames per second of every sequence, when the format records it
    styles: list[str] = field(default_factory=list)  # (N,) a second label (e.g. a motion-capture style), or empty

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, index) -> SkeletonSet:
        """The rows at an integer index array (a boolean mask also works); `skipped` is kept as provenance."""
        index = np.asarray(index)
        if index.dtype == bool:
            index = np.flatnonzero(index)
        index = index.astype(np.int64).reshape(-1)
        return SkeletonSet(
            sequences=[self.sequences[i] for i in index],
            labels=self.labels[index],
            class_names=list(self.class_names),
            layout=self.layout,
            subjects=None if self.subjects is None else self.subjects[index],
            sample_ids=[self.sample_ids[i] for i in index] if self.sample_ids else [],
            skipped=list(self.skipped),
            fps=self.fps,
            styles=[self.styles[i] for i in index] if self.styles else [],
        )


class SkeletonFormatError(SadvaeError):
    """A skeleton file that does not follow its format: names the file, the line, what was expected and found."""

    def __init__(self, path, expected: str, found: str, line: int | None = None):
        self.path = str(path)
        self.expected = expected
        self.found = found
        self.line = line
        where = self.path if line is None else f"{self.path}:{line}"
        super().__init__(f"{where}: expected {expected}, found {found}")


class NoBodyError(SkeletonFormatError):
    """An NTU file whose frames hold no body at all (NTU has 302 of them; `read_ntu` skips them)."""


# ---------------------------------------------------------------------------------------------- shared helpers

def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SkeletonFormatError(path, "a readable file", exc.strerror or str(exc)) from None
    try:
        return data.decode("ascii")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SkeletonFormatError(path, "ASCII text", f"the non-text byte 0x{data[exc.start]:02x}", line) from None


def _shorten(text: str, limit: int = 60) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "...")


def _is_count(token: str) -> bool:
    return token.isascii() and token.isdigit()


F32_MAX = float(np.finfo(np.float32).max)


def parse_floats(tokens: list[str]) -> np.ndarray | None:
    """float64 array of the tokens, or None when one is not a number (the caller then finds which).
    Values beyond float32's range (where sequences are kept) become Inf, so that finiteness checks
    refuse them."""
    try:
        values = np.array(tokens, dtype=np.float64)
    except ValueError:
        return None
    values[np.abs(values) > F32_MAX] = np.inf
    return values


def first_non_number(tokens: Sequence[str]) -> str | None:
    for token in tokens:
        try:
            float(token)
        except ValueError:
            return token
    return None


def class_name_list(class_names, default: Sequence[str]) -> list[str]:
    """A list of class names from a sequence, a built-in name such as 'ntu60', or the default when None."""
    if class_names is None:
        return list(default)
    if isinstance(class_names, str):
        if class_names not in classnames.BUILTIN:
            raise SadvaeError(f"class_names: expected a list of names or one of {', '.join(classnames.BUILTIN)}, "
                              f"found {class_names!r}")
        return list(classnames.BUILTIN[class_names])
    names = [str(name) for name in class_names]
    if not names:
        raise SadvaeError("class_names: expected at least one class name, found an empty list")
    return names


def _existing_folder(directory, what: str) -> Path:
    directory = Path(directory)
    if not directory.is_dir():
        found = "a file" if directory.exists() else "no such folder"
        raise SkeletonFormatError(directory, f"a folder of {what}", found)
    return directory


def labels_by_name(files, names: list[str], class_names=None) -> tuple[list[str], np.ndarray]:
    """The class list (`class_names`, else the names found, sorted) and each file's class id; a file
    whose class is not in a given list is one error naming it."""
    classes = class_name_list(class_names, sorted(set(names)))
    ids = {name: i for i, name in enumerate(classes)}
    for file, name in zip(files, names):
        if name not in ids:
            raise SkeletonFormatError(file, f"a class among the {len(classes)} given class names", repr(name))
    return classes, np.asarray([ids[n] for n in names], dtype=np.int64)


def file_progress(items, progress: bool, desc: str):
    return tqdm(items, desc=desc, unit="file", disable=not progress)


# ------------------------------------------------------------------------------------------------ NTU RGB+D

# whitespace other than single spaces between values and "\n" between lines
_ODD_WHITESPACE = ("\t", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f", "  ", " \n", "\n ")


def _single_spaced_lines(text: str) -> list[str]:
    """The file's lines with values separated by exactly one space, so a line holds line.count(" ") + 1 values.

    NTU files are written that way already; counting spaces is ~15x faster than splitting every line, which
    matters for 56,880 files. Other whitespace is normalised line by line (slower, same line numbers)."""
    text = text.replace("\r\n", "\n")
    if any(odd in text for odd in _ODD_WHITESPACE) or text.startswith(" ") or text.rstrip("\n").endswith(" "):
        return [" ".join(line.split()) for line in text.splitlines()]
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _n_values(line: str) -> int:
    return line.count(" ") + 1


class _NtuLines:
    """Cursor over the non-blank lines of an NTU file, keeping their 1-based line numbers for messages."""

    def __init__(self, path: Path, text: str):
        self.path = path
        lines = _single_spaced_lines(text)
        self.end_line = len(lines) + 1
        if "" in lines:
            self.numbers = [number for number, line in enumerate(lines, 1) if line]
            self.rows = [line for line in lines if line]
        else:
            self.numbers, self.rows = range(1, len(lines) + 1), lines
        self.pos = 0

    def error(self, expected: str, found: str, line: int) -> SkeletonFormatError:
        return SkeletonFormatError(self.path, expected, found, line)

    @property
    def next_line(self) -> int:
        """Line number of the next row (for messages about a count read from it)."""
        return self.numbers[self.pos] if self.pos < len(self.rows) else self.end_line

    def take(self, expected: str) -> tuple[int, str]:
        if self.pos >= len(self.rows):
            raise self.error(expected, "end of file", self.end_line)
        self.pos += 1
        return self.numbers[self.pos - 1], self.rows[self.pos - 1]

    def count(self, what: str) -> int:
        number, line = self.take(what)
        if not _is_count(line):
            raise self.error(what, _shorten(line), number)
        return int(line)

    def body_id(self) -> str:
        """The bodyID of a body-info line; the line's other 9 values must be numbers."""
        expected = f"a body line of {NTU_BODY_VALUES} numbers"
        number, line = self.take(expected)
        tokens = line.split(" ")
        if len(tokens) != NTU_BODY_VALUES:
            raise self.error(expected, f"{len(tokens)} values", number)
        if not _is_count(tokens[0]):
            raise self.error("a bodyID (a non-negative integer)", _shorten(tokens[0]), number)
        bad = first_non_number(tokens[1:])
        if bad is not None:
            raise self.error(expected, f"the non-numeric token {_shorten(bad)}", number)
        return tokens[0]

    def joint_block(self, out: list[str]) -> int:
        """Append the next 25 joint lines to `out`; return the index of the block's first row."""
        start = self.pos
        block = self.rows[start:start + NTU_JOINTS]
        if len(block) < NTU_JOINTS:
            raise self.error(f"{NTU_JOINTS} joint lines", f"end of file after {len(block)}", self.end_line)
        for offset, line in enumerate(block):
            if _n_values(line) != NTU_JOINT_VALUES:
                raise self.error(f"a joint line of {NTU_JOINT_VALUES} numbers", f"{_n_values(line)} values",
                                 self.numbers[start + offset])
        out.extend(block)
        self.pos += NTU_JOINTS
        return start

    def expect_end(self, n_frames: int) -> None:
        if self.pos < len(self.rows):
            raise self.error(f"end of file after {n_frames} frames", _shorten(self.rows[self.pos]), self.next_line)


@dataclass
class _NtuBody:
    first_seen: int  # order of first appearance, breaks activity ties
    frames: list[int] = field(default_factory=list)
    blocks: list[int] = field(default_factory=list)  # index of the body's joint block in that frame


def _parse_ntu_text(path: Path, text: str) -> tuple[int, dict[str, _NtuBody], np.ndarray]:
    """Frame count, bodies by bodyID, and the xyz of every joint block (n_blocks, 25, 3)."""
    cursor = _NtuLines(path, text)
    n_frames = cursor.count("a frame count (a non-negative integer)")
    bodies: dict[str, _NtuBody] = {}
    joint_lines: list[str] = []
    block_rows: list[int] = []
    for frame in range(n_frames):
        count_line = cursor.next_line
        seen: set[str] = set()
        for _ in range(cursor.count(f"the body count of frame {frame + 1} (a non-negative integer)")):
            body_line = cursor.next_line
            body_id = cursor.body_id()
            if body_id in seen:
                raise cursor.error(f"distinct bodyIDs in frame {frame + 1} (body count on line {count_line})",
                                   f"bodyID {body_id} twice", body_line)
            seen.add(body_id)
            joint_count_line = cursor.next_line
            n_joints = cursor.count(f"a joint count of {NTU_JOINTS}")
            if n_joints != NTU_JOINTS:
                raise cursor.error(f"a joint count of {NTU_JOINTS}", str(n_joints), joint_count_line)
            body = bodies.setdefault(body_id, _NtuBody(first_seen=len(bodies)))
            body.frames.append(frame)
            body.blocks.append(len(block_rows))
            block_rows.append(cursor.joint_block(joint_lines))
    cursor.expect_end(n_frames)
    return n_frames, bodies, _ntu_xyz(cursor, joint_lines, block_rows)


def _ntu_xyz(cursor: _NtuLines, joint_lines: list[str], block_rows: list[int]) -> np.ndarray:
    """(n_blocks, 25, 3) xyz of the joint lines; every one of their 12 values must be a number."""
    if not block_rows:
        return np.zeros((0, NTU_JOINTS, 3))
    values = parse_floats(" ".join(joint_lines).split(" "))
    if values is None:
        for start in block_rows:
            for row in range(start, start + NTU_JOINTS):
                bad = first_non_number(cursor.rows[row].split(" "))
                if bad is not None:
                    raise cursor.error(f"a joint line of {NTU_JOINT_VALUES} numbers",
                                       f"the non-numeric token {_shorten(bad)}", cursor.numbers[row])
    xyz = values.reshape(len(block_rows), NTU_JOINTS, NTU_JOINT_VALUES)[:, :, :3]
    bad = np.argwhere(~np.isfinite(xyz))
    if len(bad):
        block, joint, _ = bad[0]
        row = block_rows[block] + joint
        coordinates = " ".join(cursor.rows[row].split(" ")[:3])
        raise cursor.error("finite x y z coordinates within float32's range", coordinates, cursor.numbers[row])
    return xyz


def _most_active(bodies: dict[str, _NtuBody], xyz: np.ndarray, max_bodies: int) -> list[_NtuBody]:
    """The `max_bodies` bodies whose joints move most, most active first.

    Activity is the summed variance of the coordinates over the frames where the body is present, so a
    short-lived false detection or a static object that Kinect took for a person ranks last."""
    def activity(body: _NtuBody) -> float:
        coords = xyz[body.blocks]
        # relative to the first frame, so that a static body scores exactly 0 and ties stay ties
        return float((coords - coords[0]).var(axis=0).sum())

    ranked = sorted(bodies.values(), key=lambda body: (-activity(body), body.first_seen))
    return ranked[:max_bodies]


def _check_max_bodies(max_bodies) -> int:
    if isinstance(max_bodies, bool) or not isinstance(max_bodies, (int, np.integer)) or max_bodies < 1:
        raise SadvaeError(f"max_bodies: expected a positive integer, found {max_bodies!r}")
    return int(max_bodies)


def read_ntu_skeleton(path, max_bodies: int = 2) -> np.ndarray:
    """(T, max_bodies, 25, 3) float32 xyz of one NTU RGB+D `.skeleton` file; absent bodies are zeros."""
    max_bodies = _check_max_bodies(max_bodies)
    path = Path(path)
    n_frames, bodies, xyz = _parse_ntu_text(path, _read_text(path))
    if not bodies:
        raise NoBodyError(path, "at least one body in some frame", f"none in {n_frames} frames")
    out = np.zeros((n_frames, max_bodies, NTU_JOINTS, 3), dtype=np.float32)
    for slot, body in enumerate(_most_active(bodies, xyz, max_bodies)):
        out[body.frames, slot] = xyz[body.blocks]
    return out


_NTU_NAME = re.compile(r"S(\d{3})C(\d{3})P(\d{3})R(\d{3})A(\d{3})")


def parse_ntu_name(name) -> dict[str, int]:
    """setup, camera, performer, replication and action (1-based) of a name like S001C002P003R002A013."""
    stem = Path(str(name)).name
    stem = stem.removesuffix(".skeleton")
    match = _NTU_NAME.fullmatch(stem)
    if match is None or int(match.group(5)) < 1:
        raise SkeletonFormatError(name, "an NTU sample name like S001C002P003R002A013", repr(stem))
    keys = ("setup", "camera", "performer", "replication", "action")
    return {key: int(value) for key, value in zip(keys, match.groups())}


def read_ntu(directory, *, max_bodies: int = 2, class_names=None, skip_bad: bool = False,
             progress: bool = False) -> SkeletonSet:
    """Every `*.skeleton` file of an NTU RGB+D folder, sorted by name.

    Files without any body are skipped and listed in `skipped` (NTU has 302 of them); other malformed
    files raise SkeletonFormatError, or are skipped and listed as well when skip_bad=True."""
    max_bodies = _check_max_bodies(max_bodies)
    directory = _existing_folder(directory, "NTU RGB+D .skeleton files")
    files = sorted(directory.glob("*.skeleton"))
    if not files:
        raise SkeletonFormatError(directory, "a folder of NTU RGB+D .skeleton files", "no *.skeleton file")
    sequences, actions, performers, stems, skipped = [], [], [], [], []
    for path in file_progress(files, progress, "NTU"):
        try:
            name = parse_ntu_name(path.name)
            sequence = read_ntu_skeleton(path, max_bodies)
        except NoBodyError as exc:
            skipped.append((str(path), str(exc)))
            continue
        except SkeletonFormatError as exc:
            if not skip_bad:
                raise
            skipped.append((str(path), str(exc)))
            continue
        sequences.append(sequence)
        actions.append(name["action"])
        performers.append(name["performer"])
        stems.append(path.stem)
    if not sequences:
        raise SkeletonFormatError(directory, "at least one readable .skeleton file",
                                  f"all {len(files)} skipped (first: {skipped[0][1]})")
    default = classnames.NTU60 if max(actions) <= len(classnames.NTU60) else classnames.NTU120
    names = class_name_list(class_names, default)
    for stem, action in zip(stems, actions):
        if action > len(names):
            raise SkeletonFormatError(directory / f"{stem}.skeleton", f"an action id of at most {len(names)} "
                                      f"(the number of class names)", f"A{action:03d}")
    return SkeletonSet(sequences=sequences, labels=np.asarray(actions, dtype=np.int64) - 1, class_names=names,
                       layout="ntu-25", subjects=np.asarray(performers, dtype=np.int64), sample_ids=stems,
                       skipped=skipped, fps=KINECT_FPS)


# ------------------------------------------------------------------------------------------------- PKU-MMD

PKU_SKELETON_FOLDERS = ("pku_skeleton_renew", "skeleton", "skeletons")
PKU_LABEL_FOLDERS = ("train_label_pku_final", "label", "labels")


def _find_subfolder(directory: Path, names: tuple[str, ...], what: str) -> Path:
    found = {child.name.lower(): child for child in directory.iterdir() if child.is_dir()}
    for name in names:
        if name in found:
            return found[name]
    raise SkeletonFormatError(directory, f"a {what} subfolder named one of {', '.join(names)} (any case)",
                              f"subfolders {sorted(found) or 'none'}")


def _read_pku_frames(path: Path) -> np.ndarray:
    """(T, 150) float64 of a PKU-MMD skeleton file, one frame per line."""
    lines = _read_text(path).splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise SkeletonFormatError(path, f"frames of {PKU_FRAME_VALUES} numbers", "an empty file")
    tokens: list[str] = []
    for number, line in enumerate(lines, 1):
        row = line.split()
        if len(row) != PKU_FRAME_VALUES:
            raise SkeletonFormatError(path, f"a frame line of {PKU_FRAME_VALUES} numbers", f"{len(row)} values",
                                      number)
        tokens.extend(row)
    values = parse_floats(tokens)
    if values is None:
        for number, line in enumerate(lines, 1):
            bad = first_non_number(line.split())
            if bad is not None:
                raise SkeletonFormatError(path, f"a frame line of {PKU_FRAME_VALUES} numbers",
                                          f"the non-numeric token {_shorten(bad)}", number)
    frames = values.reshape(len(lines), PKU_FRAME_VALUES)
    bad_rows = np.flatnonzero(~np.isfinite(frames).all(axis=1))
    if len(bad_rows):
        raise SkeletonFormatError(path, "finite coordinates within float32's range", "NaN, Inf or a larger value",
                                  int(bad_rows[0]) + 1)
    return frames


def _read_pku_segments(path: Path, n_classes: int) -> list[tuple[int, int, int, int]]:
    """(0-based label, 1-based start, 1-based inclusive end, line number) of every segment of a label file."""
    segments = []
    for number, line in enumerate(_read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        values = [value.strip() for value in line.split(",")]
        expected = "a line label,start,end,confidence"
        if len(values) != 4:
            raise SkeletonFormatError(path, expected, f"{len(values)} values in {_shorten(line)}", number)
        if not all(_is_count(value) for value in values[:3]) or first_non_number(values[3:]) is not None:
            raise SkeletonFormatError(path, f"{expected} of integers (confidence a number)", _shorten(line), number)
        if not np.isfinite(float(values[3])):
            raise SkeletonFormatError(path, "a finite confidence", values[3], number)
        label, start, end = (int(value) for value in values[:3])
        if not 1 <= label <= n_classes:
            raise SkeletonFormatError(path, f"a label in 1..{n_classes}", str(label), number)
        segments.append((label - 1, start, end, number))
    return segments


def read_pku(directory, *, class_names=None, progress: bool = False) -> SkeletonSet:
    """Every labelled segment of a PKU-MMD folder as one (T, 2, 25, 3) sample, label files sorted by name."""
    directory = _existing_folder(directory, "PKU-MMD data")
    skeleton_dir = _find_subfolder(directory, PKU_SKELETON_FOLDERS, "skeleton")
    label_dir = _find_subfolder(directory, PKU_LABEL_FOLDERS, "label")
    names = class_name_list(class_names, classnames.PKU51)
    label_files = sorted(label_dir.glob("*.txt"))
    if not label_files:
        raise SkeletonFormatError(label_dir, "PKU-MMD label files (*.txt)", "none")
    sequences, labels, sample_ids = [], [], []
    for label_path in file_progress(label_files, progress, "PKU-MMD"):
        skeleton_path = skeleton_dir / label_path.name
        if not skeleton_path.is_file():
            raise SkeletonFormatError(label_path, f"its skeleton file {skeleton_path}", "no such file")
        segments = _read_pku_segments(label_path, len(names))
        frames = _read_pku_frames(skeleton_path) if segments else None
        for k, (label, start, end, number) in enumerate(segments):
            if not 1 <= start <= end <= len(frames):
                raise SkeletonFormatError(label_path, f"a segment 1 <= start <= end <= {len(frames)} "
                                          f"(the frames of {skeleton_path.name})", f"start {start}, end {end}",
                                          number)
            segment = frames[start - 1:end].reshape(-1, PKU_BODIES, NTU_JOINTS, 3)
            sequences.append(segment.astype(np.float32))
            labels.append(label)
            sample_ids.append(f"{label_path.stem}_{k}")
    if not sequences:
        raise SkeletonFormatError(label_dir, "at least one labelled segment", "only empty label files")
    return SkeletonSet(sequences=sequences, labels=np.asarray(labels, dtype=np.int64), class_names=names,
                       layout="ntu-25", subjects=None, sample_ids=sample_ids, fps=KINECT_FPS)


# ------------------------------------------------------------------------------------------------ UTD-MHAD

_UTD_NAME = re.compile(r"a(\d+)_s(\d+)_t(\d+)_skeleton\.mat")


def _read_class_csv(path: Path) -> list[str]:
    """Names of a classes.csv (columns id,name,...) in id order; ids must be 1..K."""
    try:
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise SkeletonFormatError(path, "a readable CSV file with columns id,name", str(exc)) from None
    if not rows or not {"id", "name"} <= set(rows[0]):
        raise SkeletonFormatError(path, "a header with columns id,name", "none" if not rows else
                                  ",".join(str(key) for key in rows[0]), 1)
    by_id = {}
    for number, row in enumerate(rows, 2):
        id_text, name = (row.get("id") or "").strip(), (row.get("name") or "").strip()
        if not _is_count(id_text) or not name:
            raise SkeletonFormatError(path, "an integer id and a non-empty name", _shorten(f"{id_text},{name}"),
                                      number)
        by_id[int(id_text)] = name
    if sorted(by_id) != list(range(1, len(rows) + 1)):
        raise SkeletonFormatError(path, f"ids 1..{len(rows)}, each once", f"ids {sorted(by_id)}")
    return [by_id[i] for i in range(1, len(rows) + 1)]


def _utd_class_names(directory: Path, class_names) -> list[str]:
    if class_names is not None:
        return class_name_list(class_names, classnames.UTD27)
    for folder in (directory, directory.parent):
        if (folder / "classes.csv").is_file():
            return _read_class_csv(folder / "classes.csv")
    return list(classnames.UTD27)


def _load_mat(path: Path) -> dict:
    try:
        from scipy.io import loadmat
    except ImportError:
        raise SadvaeError(f"{path}: expected SciPy to read UTD-MHAD .mat files, found it not installed "
                          "(pip install scipy)") from None
    try:
        return loadmat(str(path))
    except Exception as exc:  # noqa: BLE001 - scipy raises many types (ValueError, MatReadError...) on bad files
        raise SkeletonFormatError(path, "a MATLAB .mat file readable by scipy.io.loadmat",
                                  f"an unreadable file ({type(exc).__name__}: {exc})") from None


def read_utd_skeleton(path) -> np.ndarray:
    """(T, 1, 20, 3) float32 of one UTD-MHAD skeleton file, joints in the kinect-v1-20 order."""
    path = Path(path)
    content = _load_mat(path)
    if "d_skel" not in content:
        found = ", ".join(key for key in content if not key.startswith("__")) or "none"
        raise SkeletonFormatError(path, "the variable d_skel", f"variables {found}")
    skel = np.asarray(content["d_skel"])
    if skel.ndim != 3 or skel.shape[:2] != (UTD_JOINTS, 3) or skel.dtype.kind not in "iuf":
        raise SkeletonFormatError(path, f"d_skel of shape ({UTD_JOINTS}, 3, T) with numbers",
                                  f"shape {skel.shape} of {skel.dtype}")
    if skel.shape[2] == 0:
        raise SkeletonFormatError(path, "at least one frame in d_skel", "0 frames")
    with np.errstate(over="ignore"):  # a value beyond float32's range becomes Inf, refused below
        frames = np.ascontiguousarray(skel.transpose(2, 0, 1)[:, list(UTD_TO_KINECT_V1)][:, None], dtype=np.float32)
    if not np.isfinite(frames).all():
        raise SkeletonFormatError(path, "finite coordinates in d_skel (within float32's range)", "NaN or Inf")
    return frames


def read_utd(directory, *, class_names=None, progress: bool = False) -> SkeletonSet:
    """Every `aA_sS_tT_skeleton.mat` of a UTD-MHAD folder, ordered by action, subject, trial."""
    directory = _existing_folder(directory, "UTD-MHAD aA_sS_tT_skeleton.mat files")
    matches = [(_UTD_NAME.fullmatch(p.name), p) for p in directory.iterdir()]
    files = sorted((tuple(int(g) for g in m.groups()), p) for m, p in matches if m is not None)
    if not files:
        raise SkeletonFormatError(directory, "UTD-MHAD files named aA_sS_tT_skeleton.mat", "none")
    names = _utd_class_names(directory, class_names)
    sequences, labels, subjects, stems = [], [], [], []
    for (action, subject, _), path in file_progress(files, progress, "UTD-MHAD"):
        if not 1 <= action <= len(names):
            raise SkeletonFormatError(path, f"an action id in 1..{len(names)} (the number of class names)",
                                      f"a{action}")
        sequences.append(read_utd_skeleton(path))
        labels.append(action - 1)
        subjects.append(subject)
        stems.append(path.stem)
    return SkeletonSet(sequences=sequences, labels=np.asarray(labels, dtype=np.int64), class_names=names,
                       layout="kinect-v1-20", subjects=np.asarray(subjects, dtype=np.int64), sample_ids=stems,
                       fps=KINECT_FPS)


# ------------------------------------------------------------------------------------------------ NW-UCLA

_NWUCLA_NAME = re.compile(r"a(\d+)_s(\d+)_e(\d+)_v(\d+)\.json")
NWUCLA_JOINTS = 20
NWUCLA_ACTION_IDS = (1, 2, 3, 4, 5, 6, 8, 9, 11, 12)  # the file names' action ids, in label order 1..10


def read_nwucla_file(path) -> tuple[np.ndarray, int]:
    """(T, 1, 20, 3) float32 of one NW-UCLA JSON file (metres, Kinect v1 camera coordinates, the
    kinect-v1-20 joint order) and its 1-based label."""
    import json

    path = Path(path)
    try:
        content = json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise SkeletonFormatError(path, "a JSON object {file_name, skeletons, label}", f"invalid JSON ({exc.msg})",
                                  exc.lineno) from None
    if not isinstance(content, dict) or "skeletons" not in content:
        found = f"keys {sorted(content)}" if isinstance(content, dict) else f"a JSON {type(content).__name__}"
        raise SkeletonFormatError(path, "a JSON object with the key 'skeletons' (frames of 20 joints x xyz)", found)
    frames = content["skeletons"]
    if not isinstance(frames, list) or not frames:
        raise SkeletonFormatError(path, "'skeletons' as a non-empty list of frames", _shorten(str(frames)))
    for t, frame in enumerate(frames):
        if not isinstance(frame, list) or len(frame) != NWUCLA_JOINTS or any(
                not isinstance(j, list) or len(j) != 3 for j in frame):
            found = f"{len(frame)} joints" if isinstance(frame, list) else _shorten(str(frame))
            raise SkeletonFormatError(path, f"frame {t} of 'skeletons' with {NWUCLA_JOINTS} joints of 3 numbers", found)
    try:
        with np.errstate(over="ignore"):
            seq = np.asarray(frames, dtype=np.float64).astype(np.float32)
    except (TypeError, ValueError):
        raise SkeletonFormatError(path, "numbers in 'skeletons'", "a value that is not a number") from None
    if not np.isfinite(seq).all():
        raise SkeletonFormatError(path, "finite coordinates in 'skeletons' (within float32's range)", "NaN or Inf")
    label = content.get("label")
    if not isinstance(label, int) or isinstance(label, bool):
        raise SkeletonFormatError(path, "an integer 'label'", _shorten(str(label)))
    return seq[:, None], label


def read_nwucla(directory, *, class_names=None, progress: bool = False) -> SkeletonSet:
    """Every `aAA_sSS_eEE_vVV.json` of a Northwestern-UCLA folder (sorted by name): layout kinect-v1-20,
    the performer SS as subject, the README's action names by default; `label` (1..10) is the class."""
    directory = _existing_folder(directory, "NW-UCLA aAA_sSS_eEE_vVV.json files")
    files = sorted((p for p in directory.iterdir() if _NWUCLA_NAME.fullmatch(p.name)), key=lambda p: p.name)
    if not files:
        raise SkeletonFormatError(directory, "NW-UCLA files named aAA_sSS_eEE_vVV.json", "none")
    names = class_name_list(class_names, classnames.NWUCLA10)
    sequences, labels, subjects, stems = [], [], [], []
    for path in file_progress(files, progress, "NW-UCLA"):
        seq, label = read_nwucla_file(path)
        if not 1 <= label <= len(names):
            raise SkeletonFormatError(path, f"a label in 1..{len(names)} (the number of class names)", str(label))
        sequences.append(seq)
        labels.append(label - 1)
        subjects.append(int(_NWUCLA_NAME.fullmatch(path.name).group(2)))
        stems.append(path.stem)
    return SkeletonSet(sequences=sequences, labels=np.asarray(labels, dtype=np.int64), class_names=names,
                       layout="kinect-v1-20", subjects=np.asarray(subjects, dtype=np.int64), sample_ids=stems,
                       fps=KINECT_FPS)


def read_bvh(path, *, class_names=None, labels=None, progress: bool = False) -> SkeletonSet:
    """BVH motion capture (one file or a folder): see `bvh.read_bvh`."""
    from .bvh import read_bvh as read

    return read(path, labels=labels, class_names=class_names, progress=progress)


def read_video(path, *, class_names=None, labels=None, progress: bool = False, model_complexity: int = 1,
               log=None) -> SkeletonSet:
    """Videos (one file or a folder) through MediaPipe Pose: see `video.read_video` (needs the video extra)."""
    from .video import read_video as read

    return read(path, labels=labels, class_names=class_names, progress=progress, model_complexity=model_complexity,
                log=log)


# -------------------------------------------------------------------------------------------- npz archives

NPZ_REQUIRED = ("joints", "lengths", "labels", "class_names", "layout")
NPZ_OPTIONAL = ("subjects", "sample_ids", "fps", "styles")


def _load_npz_arrays(path: Path) -> dict[str, np.ndarray]:
    if not path.is_file():
        raise SkeletonFormatError(path, "an .npz skeleton archive", "a folder" if path.exists() else "no such file")
    if not zipfile.is_zipfile(path):
        raise SkeletonFormatError(path, "an .npz skeleton archive (a zip file)", "a file that is not a zip archive")
    arrays = {}
    try:
        with np.load(path, allow_pickle=False) as archive:
            for name in archive.files:
                arrays[name] = _load_npz_member(path, archive, name)
    except SkeletonFormatError:
        raise
    except Exception as exc:  # noqa: BLE001 - zipfile, zlib and numpy raise many types on a corrupt archive
        raise SkeletonFormatError(path, "a readable .npz archive", f"{type(exc).__name__}: {exc}") from None
    return arrays


def _load_npz_member(path: Path, archive, name: str) -> np.ndarray:
    try:
        array = archive[name]
    except ValueError as exc:
        if "allow_pickle" in str(exc):  # object arrays need pickles, which are never loaded
            raise SkeletonFormatError(path, f"array {name!r} of numbers or strings",
                                      "an object array (pickled data, refused)") from None
        raise SkeletonFormatError(path, f"a readable array {name!r}", f"{type(exc).__name__}: {exc}") from None
    if not isinstance(array, np.ndarray):  # NpzFile hands back raw bytes for a member that is not .npy
        raise SkeletonFormatError(path, f"array {name!r} stored as .npy", "a member of another kind")
    return array


def _npz_check(path: Path, ok: bool, name: str, expected: str, found: str) -> None:
    if not ok:
        raise SkeletonFormatError(path, f"array {name!r} {expected}", found)


def _npz_vector(path: Path, arrays: dict, name: str, kinds: str, kind_text: str, n: int | None) -> np.ndarray:
    array = arrays[name]
    _npz_check(path, array.dtype.kind in kinds, name, f"of {kind_text}", f"dtype {array.dtype}")
    _npz_check(path, array.ndim == 1, name, "of one dimension", f"shape {array.shape}")
    if n is not None:
        _npz_check(path, len(array) == n, name, f"of length {n} (one per sequence)", f"length {len(array)}")
    return array


def _npz_layout(path: Path, arrays: dict) -> str:
    layout = arrays["layout"]
    _npz_check(path, layout.dtype.kind == "U" and layout.ndim == 0, "layout", "a string scalar",
               f"dtype {layout.dtype}, shape {layout.shape}")
    name = str(layout)
    _npz_check(path, name in LAYOUTS, "layout", f"one of {', '.join(LAYOUTS)}", repr(name))
    return name


def _npz_joints(path: Path, arrays: dict, layout: str) -> np.ndarray:
    joints = arrays["joints"]
    n_joints = LAYOUTS[layout].n_joints
    _npz_check(path, joints.dtype.kind == "f", "joints", "of floats", f"dtype {joints.dtype}")
    _npz_check(path, joints.ndim == 4 and joints.shape[3] == 3 and joints.shape[1] >= 1, "joints",
               "of shape (frames, bodies, joints, 3)", f"shape {joints.shape}")
    _npz_check(path, joints.shape[2] == n_joints, "joints", f"with {n_joints} joints (layout {layout})",
               f"{joints.shape[2]} joints")
    _npz_check(path, bool(np.isfinite(joints).all() and (np.abs(joints) <= F32_MAX).all()), "joints",
               "of finite numbers within float32's range", "NaN, Inf or a larger value")
    return joints.astype(np.float32, copy=False)


def read_npz(path) -> SkeletonSet:
    """A skeleton archive written by `write_npz` (or by hand with the same arrays); pickles are refused.

    Arrays: joints float (sum of frames, M, V, 3) with all sequences back to back, lengths int (N,),
    labels int (N,) 0-based, class_names str (K,), layout str scalar, optional subjects int (N,),
    sample_ids str (N,), fps float scalar and styles str (N,)."""
    path = Path(path)
    arrays = _load_npz_arrays(path)
    missing = [name for name in NPZ_REQUIRED if name not in arrays]
    unknown = [name for name in arrays if name not in NPZ_REQUIRED + NPZ_OPTIONAL]
    if missing or unknown:
        raise SkeletonFormatError(path, f"arrays {', '.join(NPZ_REQUIRED)} (optional {', '.join(NPZ_OPTIONAL)})",
                                  f"missing {missing or 'none'}, unknown {unknown or 'none'}")
    layout = _npz_layout(path, arrays)
    joints = _npz_joints(path, arrays, layout)
    lengths = _npz_vector(path, arrays, "lengths", "iu", "integers", None)
    n = len(lengths)
    _npz_check(path, n >= 1, "lengths", "with at least one sequence", "length 0")
    _npz_check(path, bool((lengths >= 1).all()), "lengths", "of at least 1 frame each", f"min {lengths.min()}")
    _npz_check(path, int(lengths.sum()) == len(joints), "lengths", f"summing to {len(joints)} (the frames in "
               "joints)", f"sum {int(lengths.sum())}")
    names = _npz_vector(path, arrays, "class_names", "U", "strings", None)
    _npz_check(path, len(names) >= 1, "class_names", "with at least one name", "length 0")
    _npz_check(path, len(set(names.tolist())) == len(names), "class_names", "without duplicates",
               f"{len(names) - len(set(names.tolist()))} duplicated")
    labels = _npz_vector(path, arrays, "labels", "iu", "integers", n)
    _npz_check(path, bool(((labels >= 0) & (labels < len(names))).all()), "labels",
               f"in 0..{len(names) - 1} (the class ids)", f"range {labels.min()}..{labels.max()}")
    subjects = None
    if "subjects" in arrays:
        subjects = _npz_vector(path, arrays, "subjects", "iu", "integers", n).astype(np.int64)
    sample_ids = []
    if "sample_ids" in arrays:
        sample_ids = _npz_vector(path, arrays, "sample_ids", "U", "strings", n).tolist()
    fps = None
    if "fps" in arrays:
        value = arrays["fps"]
        _npz_check(path, value.dtype.kind in "iuf" and value.ndim == 0 and bool(np.isfinite(value)) and value > 0,
                   "fps", "a positive number (a scalar)", f"dtype {value.dtype}, shape {value.shape}")
        fps = float(value)
    styles = []
    if "styles" in arrays:
        styles = _npz_vector(path, arrays, "styles", "U", "strings", n).tolist()
    bounds = np.cumsum(lengths)[:-1]
    return SkeletonSet(sequences=np.split(joints, bounds), labels=labels.astype(np.int64),
                       class_names=names.tolist(), layout=layout, subjects=subjects, sample_ids=sample_ids,
                       fps=fps, styles=styles)


def _check_writable(skeletons: SkeletonSet, path: Path) -> tuple[int, int]:
    """(M, V) shared by all sequences; raises SadvaeError when the set cannot be archived as it is."""
    def fail(expected: str, found: str):
        raise SadvaeError(f"{path}: cannot write skeletons: expected {expected}, found {found}")

    n = len(skeletons.sequences)
    if n == 0:
        fail("at least one sequence", "none")
    if len(skeletons.labels) != n or (skeletons.subjects is not None and len(skeletons.subjects) != n):
        fail(f"labels and subjects for each of the {n} sequences", f"{len(skeletons.labels)} labels")
    if skeletons.sample_ids and len(skeletons.sample_ids) != n:
        fail(f"{n} sample ids", str(len(skeletons.sample_ids)))
    if skeletons.styles and len(skeletons.styles) != n:
        fail(f"{n} styles", str(len(skeletons.styles)))
    if skeletons.layout not in LAYOUTS:
        fail(f"a layout in {', '.join(LAYOUTS)}", repr(skeletons.layout))
    shapes = {tuple(np.shape(seq)[1:]) for seq in skeletons.sequences}
    if len(shapes) != 1:
        fail("sequences sharing bodies, joints and xyz", f"shapes {sorted(shapes)}")
    shape = shapes.pop()
    n_joints = LAYOUTS[skeletons.layout].n_joints
    if len(shape) != 3 or shape[0] < 1 or shape[1:] != (n_joints, 3):
        fail(f"sequences (T, M, {n_joints}, 3) for layout {skeletons.layout}", f"(T, {', '.join(map(str, shape))})")
    if any(len(seq) < 1 for seq in skeletons.sequences):
        fail("sequences of at least one frame", "an empty one")
    return shape[0], shape[1]


def write_npz(skeletons: SkeletonSet, path) -> None:
    """Write a SkeletonSet as an .npz archive (atomically); `read_npz` gives back identical arrays.

    `skipped` is not stored: it describes one reading of raw files, not the data."""
    path = Path(path)
    _check_writable(skeletons, path)
    arrays = {
        "joints": np.concatenate([np.asarray(seq, dtype=np.float32) for seq in skeletons.sequences]),
        "lengths": np.asarray([len(seq) for seq in skeletons.sequences], dtype=np.int64),
        "labels": np.asarray(skeletons.labels, dtype=np.int64),
        "class_names": np.asarray([str(name) for name in skeletons.class_names], dtype=str),
        "layout": np.asarray(skeletons.layout, dtype=str),
    }
    if skeletons.subjects is not None:
        arrays["subjects"] = np.asarray(skeletons.subjects, dtype=np.int64)
    if skeletons.sample_ids:
        arrays["sample_ids"] = np.asarray([str(s) for s in skeletons.sample_ids], dtype=str)
    if skeletons.fps is not None:
        arrays["fps"] = np.asarray(float(skeletons.fps))
    if skeletons.styles:
        arrays["styles"] = np.asarray([str(s) for s in skeletons.styles], dtype=str)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    try:
        atomic_write_bytes(path, buffer.getvalue())
    except OSError as exc:
        raise SadvaeError(f"{path}: expected a writable location, found {exc.strerror or exc}") from None


# ---------------------------------------------------------------------------------------------- dispatch

_READERS = {"ntu": read_ntu, "pku": read_pku, "utd": read_utd, "nwucla": read_nwucla, "bvh": read_bvh,
            "video": read_video, "npz": read_npz}


def read_skeletons(path, fmt: str, **kwargs) -> SkeletonSet:
    """Read a dataset in one of FORMATS: a folder for ntu/pku/utd/nwucla, a file or folder for bvh and video,
    a file for npz."""
    if fmt not in _READERS:
        raise SadvaeError(f"{path}: expected a skeleton format in {', '.join(FORMATS)}, found {fmt!r}")
    if not Path(path).exists():
        raise SadvaeError(f"{path}: expected a skeleton dataset in format {fmt!r}, found no such file or folder")
    return _READERS[fmt](path, **kwargs)
