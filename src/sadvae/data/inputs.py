"""New recordings to name (`sadvae predict`): files or folders of one format, read without labels.

Unlike the dataset readers of `skeletons.py`, nothing here needs a dataset's file names or label
files: every file is one sequence (an .npz archive holds several), named by its file name. The format
comes from the suffix unless given. Sequences come back at one frame rate: Kinect's 30 fps, to which
motion capture and video of another rate are resampled (an .npz archive keeps the rate it records).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import SadvaeError
from .layouts import MEDIAPIPE33, SHARED
from .skeletons import KINECT_FPS, SkeletonSet, read_npz, read_ntu_skeleton, read_nwucla_file, read_utd_skeleton
from .video import DEFAULT_POSE_MODEL, VIDEO_SUFFIXES

__all__ = ["INPUT_SUFFIXES", "read_input_set"]

# format -> the suffixes of its files (PKU-MMD is absent: its files are untrimmed recordings)
INPUT_SUFFIXES = {"ntu": (".skeleton",), "utd": (".mat",), "nwucla": (".json",), "bvh": (".bvh",), "npz": (".npz",),
                  "video": VIDEO_SUFFIXES}


def _files(paths, fmt: str | None) -> list[Path]:
    suffixes = INPUT_SUFFIXES[fmt] if fmt in INPUT_SUFFIXES else tuple(s for v in INPUT_SUFFIXES.values() for s in v)
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(q for q in p.iterdir() if q.is_file() and q.suffix.lower() in suffixes)
            if not found:
                raise SadvaeError(f"{p}: expected skeleton files or videos ({', '.join(suffixes)}), found none")
            files += found
        elif p.is_file():
            files.append(p)
        else:
            raise SadvaeError(f"{p}: expected a skeleton file, a video or a folder of them, found no such file or "
                              "folder")
    return files


def _kind(files: list[Path], fmt: str | None) -> str:
    if fmt == "pku":
        raise SadvaeError("--format pku: PKU-MMD files are untrimmed recordings; cut them into actions with "
                          "sadvae convert --format pku (an .npz archive) and predict on that")
    if fmt is not None:
        if fmt not in INPUT_SUFFIXES:
            raise SadvaeError(f"input: expected a format in {', '.join(INPUT_SUFFIXES)}, found {fmt!r}")
        return fmt
    kinds = {next((k for k, s in INPUT_SUFFIXES.items() if f.suffix.lower() in s), None) for f in files}
    if None in kinds or len(kinds) != 1:
        every = ", ".join(s for v in INPUT_SUFFIXES.values() for s in v)
        raise SadvaeError(f"input: expected files of one format ({every}), found "
                          f"{', '.join(sorted({f.suffix or f.name for f in files}))}; name it with --format")
    return kinds.pop()


def _at_kinect_rate(seq: np.ndarray, rate: float) -> np.ndarray:
    from .preprocess import resample_rate

    if abs(rate - KINECT_FPS) <= 1e-6 * KINECT_FPS:
        return seq
    return resample_rate(seq.astype(np.float64), rate, KINECT_FPS).astype(np.float32)


def read_input_set(paths, fmt: str | None = None, *, pose_model: int = DEFAULT_POSE_MODEL, progress: bool = False,
                   log=None) -> SkeletonSet:
    """The sequences of files or folders of one format (from the suffix unless `fmt` names it) as an
    unlabelled SkeletonSet whose sample ids are the file names, at one frame rate.

    `pose_model` is MediaPipe Pose's model_complexity for videos; `log` receives one line per video
    (the frames with a pose; that one person is followed)."""
    files = _files([paths] if isinstance(paths, (str, Path)) else paths, fmt)
    kind = _kind(files, fmt)
    sequences, names, layouts = [], [], set()
    fps = KINECT_FPS
    for f in files:
        if kind == "ntu":
            sequences.append(read_ntu_skeleton(f))
            layouts.add("ntu-25")
        elif kind == "utd":
            sequences.append(read_utd_skeleton(f))
            layouts.add("kinect-v1-20")
        elif kind == "nwucla":
            sequences.append(read_nwucla_file(f)[0])
            layouts.add("kinect-v1-20")
        elif kind == "bvh":
            from .bvh import read_bvh_file

            seq, rate, _ = read_bvh_file(f)
            sequences.append(_at_kinect_rate(seq, rate))
            layouts.add(SHARED)
        elif kind == "video":
            from .video import describe, read_video_file

            video = read_video_file(f, model_complexity=pose_model, progress=progress)
            if log is not None:
                log(describe(video))
            sequences.append(_at_kinect_rate(video.joints, video.fps))
            layouts.add(MEDIAPIPE33.name)
        else:
            s = read_npz(f)
            sequences += s.sequences
            names += [f"{f.name}:{i}" for i in (s.sample_ids or range(len(s.sequences)))]
            layouts.add(s.layout)
            if s.fps is not None:
                fps = s.fps
            continue
        names.append(f.name)
    if len(layouts) != 1:
        raise SadvaeError(f"input: expected one joint layout, found {', '.join(sorted(layouts))}")
    return SkeletonSet(sequences=sequences, labels=np.zeros(len(sequences), dtype=np.int64), class_names=[],
                       layout=layouts.pop(), sample_ids=names, fps=fps)
