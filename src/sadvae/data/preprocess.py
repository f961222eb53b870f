"""Preprocessing of skeleton sequences as small named steps, applied in order.

Each step takes one sequence (T, M, V, 3) and returns a new one. `Preprocessing` holds the settings
(saved with every encoder, so that prediction prepares new files exactly like the training data) and
`preprocess` turns a whole `SkeletonSet` into the encoder's input, an (N, M, T, V, 3) float32 array.

An absent body is all zeros in a frame; steps leave absent bodies at zero.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import partial
from typing import Callable

import numpy as np

from ..errors import SadvaeError
from .layouts import Layout, get_layout

Step = Callable[[np.ndarray], np.ndarray]


def _present(seq: np.ndarray) -> np.ndarray:
    """(T, M) True where a body has any non-zero coordinate in that frame."""
    return np.abs(seq).sum(axis=(2, 3)) > 0


def drop_empty_frames(seq: np.ndarray) -> np.ndarray:
    keep = _present(seq).any(axis=1)
    return seq[keep]


def pad_bodies(seq: np.ndarray, bodies: int) -> np.ndarray:
    """Keep the first `bodies` bodies (readers order them by activity), pad with absent ones."""
    t, m, v, c = seq.shape
    if m >= bodies:
        return seq[:, :bodies]
    return np.concatenate([seq, np.zeros((t, bodies - m, v, c), dtype=seq.dtype)], axis=1)


def _group_mean(seq: np.ndarray, layout: Layout, names) -> np.ndarray:
    return seq[..., layout.index(names), :].mean(axis=-2)


def _main_body_frames(seq: np.ndarray) -> np.ndarray:
    """Frames in which the first body is present (at least one, after drop_empty_frames)."""
    frames = np.flatnonzero(_present(seq)[:, 0])
    return frames if len(frames) else np.flatnonzero(_present(seq).any(1))


def center(seq: np.ndarray, layout: Layout, mode: str = "first") -> np.ndarray:
    """Subtract the first body's centre: of its first frame (keeps the motion through space), or of
    every frame (mode "frame": position-free)."""
    frames = _main_body_frames(seq)
    body = 0 if _present(seq)[frames[0], 0] else int(np.argmax(_present(seq)[frames[0]]))
    centres = _group_mean(seq[:, body], layout, layout.center)  # (T, 3)
    if mode == "first":
        offset = np.broadcast_to(centres[frames[0]], centres.shape)
    elif mode == "frame":
        # frames without the main body keep the last centre seen
        idx = np.maximum.accumulate(np.where(_present(seq)[:, body], np.arange(len(seq)), 0))
        offset = centres[idx]
    else:
        raise SadvaeError(f"preprocessing: expected centre mode 'first' or 'frame', found {mode!r}")
    out = seq - offset[:, None, None, :]
    return out * _present(seq)[:, :, None, None]


def scale(seq: np.ndarray, layout: Layout) -> np.ndarray:
    """Divide by the body size (median over frames of the layout's size segment, e.g. hip to neck)."""
    frames = _main_body_frames(seq)
    lower, upper = layout.size
    main = seq[frames, 0]
    size = np.median(np.linalg.norm(_group_mean(main, layout, upper) - _group_mean(main, layout, lower), axis=-1))
    return seq / size if size > 1e-6 else seq


def canonical_bones(seq: np.ndarray, layout: Layout) -> np.ndarray:
    """Every bone its canonical length (the layout's `bone_lengths`), in its own direction: from the
    centre joint outwards, each child is placed at its parent plus the canonical length along the
    recorded parent-to-child direction. What differs between sensors in where they put a joint along a
    bone (a rig's narrow shoulders, a head joint at the skull's base) and between performers in their
    proportions is gone; the pose, its motion and the path through space stay."""
    if layout.bone_lengths is None or len(layout.bone_lengths) != len(layout.bones):
        raise SadvaeError(f"preprocessing: canonical bones need a layout with canonical bone lengths (body-16), "
                          f"found {layout.name} (a model of several datasets reads the shared space body-16)")
    out = seq.copy()
    for (parent, child), length in zip(layout.edges, layout.bone_lengths):
        direction = seq[:, :, child] - seq[:, :, parent]
        norm = np.linalg.norm(direction, axis=-1, keepdims=True)
        unit = np.divide(direction, norm, out=np.zeros_like(direction), where=norm > 1e-9)
        out[:, :, child] = out[:, :, parent] + length * unit
    return out * _present(seq)[:, :, None, None]


def align_view(seq: np.ndarray, layout: Layout) -> np.ndarray:
    """Rotate so that the first body, in its first frame, stands along +y and faces along z with
    its left-to-right axis along +x (removes the camera's viewpoint)."""
    first = seq[_main_body_frames(seq)[0], 0]
    up = _group_mean(first, layout, layout.up[1]) - _group_mean(first, layout, layout.up[0])
    side = first[layout.index([layout.side[1]])[0]] - first[layout.index([layout.side[0]])[0]]
    if np.linalg.norm(up) < 1e-6:
        return seq
    y = up / np.linalg.norm(up)
    x = side - (side @ y) * y
    if np.linalg.norm(x) < 1e-6:
        return seq
    x = x / np.linalg.norm(x)
    rotation = np.stack([x, y, np.cross(x, y)])  # rows: new axes in old coordinates
    return (seq @ rotation.T) * _present(seq)[:, :, None, None]


def resample_rate(seq: np.ndarray, fps: float, target_fps: float) -> np.ndarray:
    """The same motion at another frame rate (linear interpolation over time), so that a window in
    seconds holds the same motion from a 30 fps Kinect and a 120 fps motion capture file."""
    t = len(seq)
    if abs(fps - target_fps) < 1e-6 or t < 2:
        return seq
    frames = max(1, int(round((t - 1) * target_fps / fps)) + 1)
    return resample(seq, frames)


def crop_seconds(seq: np.ndarray, seconds: float, fps: float) -> np.ndarray:
    """At most `seconds` of the sequence, the window centred in it (long recordings, e.g. a minute of
    dance, then look like the few seconds of action the model learnt from)."""
    keep = max(2, int(round(seconds * fps)))
    if len(seq) <= keep:
        return seq
    start = (len(seq) - keep) // 2
    return seq[start:start + keep]


def resample(seq: np.ndarray, frames: int) -> np.ndarray:
    """Linear interpolation to a fixed number of frames, evenly spread over the sequence."""
    t = len(seq)
    if t == frames:
        return seq
    pos = np.linspace(0, t - 1, frames)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, t - 1)
    w = (pos - lo)[:, None, None, None]
    return seq[lo] * (1 - w) + seq[hi] * w


@dataclass(frozen=True)
class Preprocessing:
    """Settings of the preprocessing steps (stored with each encoder as plain JSON values)."""

    layout: str
    frames: int = 32
    bodies: int = 2
    center: str = "first"  # "first": the first frame's body centre; "frame": every frame's; "none"
    scale: bool = True
    align_view: bool = False
    canonical_bones: bool = False  # every bone its canonical length (body-16), in its own direction
    fps: float | None = None  # the frame rate the encoder learnt at: inputs of a known other rate are resampled
    max_seconds: float | None = None  # longer sequences: the centred window of this many seconds (needs fps)

    def steps(self, fps: float | None = None) -> list[tuple[str, Step]]:
        """The steps for sequences recorded at `fps` (None: unknown, taken to be the encoder's rate)."""
        layout = get_layout(self.layout)
        steps: list[tuple[str, Step]] = [("drop_empty_frames", drop_empty_frames),
                                         ("pad_bodies", partial(pad_bodies, bodies=self.bodies))]
        if self.fps is not None and fps is not None:
            steps.append(("resample_rate", partial(resample_rate, fps=fps, target_fps=self.fps)))
        if self.max_seconds is not None and (self.fps or fps):
            steps.append(("crop_seconds", partial(crop_seconds, seconds=self.max_seconds, fps=self.fps or fps)))
        if self.canonical_bones:
            steps.append(("canonical_bones", partial(canonical_bones, layout=layout)))
        if self.center != "none":
            steps.append(("center", partial(center, layout=layout, mode=self.center)))
        if self.scale:
            steps.append(("scale", partial(scale, layout=layout)))
        if self.align_view:
            steps.append(("align_view", partial(align_view, layout=layout)))
        steps.append(("resample", partial(resample, frames=self.frames)))
        return steps

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Preprocessing":
        return cls(**data)  # settings added later have defaults: older encoders load unchanged

    def check(self) -> None:
        layout = get_layout(self.layout)
        if self.canonical_bones and layout.bone_lengths is None:
            raise SadvaeError(f"preprocessing: canonical bones need a layout with canonical bone lengths (body-16), "
                              f"found {layout.name} (a model of several datasets reads the shared space body-16)")
        if self.frames < 1 or self.bodies < 1:
            raise SadvaeError(f"preprocessing: expected frames and bodies >= 1, found {self.frames} and {self.bodies}")
        if self.center not in ("first", "frame", "none"):
            raise SadvaeError(f"preprocessing: expected centre first, frame or none, found {self.center!r}")
        for name in ("fps", "max_seconds"):
            value = getattr(self, name)
            if value is not None and not (np.isfinite(value) and value > 0):
                raise SadvaeError(f"preprocessing: expected a positive {name}, found {value}")


def preprocess_sequence(seq: np.ndarray, settings: Preprocessing, steps=None, name: str = "sequence") -> np.ndarray:
    """One (T, M, V, 3) sequence -> (M, T', V, 3) float32 encoder input."""
    layout = get_layout(settings.layout)
    seq = np.asarray(seq, dtype=np.float64)
    if seq.ndim != 4 or seq.shape[2] != layout.n_joints or seq.shape[3] != 3:
        raise SadvaeError(f"{name}: expected a (frames, bodies, {layout.n_joints}, 3) sequence for layout "
                          f"{layout.name}, found shape {seq.shape}")
    if not np.isfinite(seq).all():
        raise SadvaeError(f"{name}: expected finite coordinates, found NaN/Inf")
    if not _present(seq).any():
        raise SadvaeError(f"{name}: expected at least one frame with a body, found none")
    for _, step in steps or settings.steps():
        seq = step(seq)
    return np.ascontiguousarray(seq.transpose(1, 0, 2, 3), dtype=np.float32)


def preprocess(skeletons, settings: Preprocessing, progress: bool = False) -> np.ndarray:
    """A SkeletonSet -> (N, M, T, V, 3) float32, every sequence prepared by the same steps."""
    from tqdm.auto import tqdm

    settings.check()
    if skeletons.layout != settings.layout:
        raise SadvaeError(f"preprocessing: expected skeletons of layout {settings.layout}, found {skeletons.layout}")
    steps = settings.steps(getattr(skeletons, "fps", None))
    ids = skeletons.sample_ids or [f"sample {i}" for i in range(len(skeletons.sequences))]
    out = np.empty((len(skeletons.sequences), settings.bodies, settings.frames, get_layout(settings.layout).n_joints,
                    3), dtype=np.float32)
    for i, seq in enumerate(tqdm(skeletons.sequences, desc="preprocess", disable=not progress, leave=False)):
        out[i] = preprocess_sequence(seq, settings, steps, name=ids[i])
    return out
