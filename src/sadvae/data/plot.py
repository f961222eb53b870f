"""A picture of a skeleton sequence, to check a reader's output by eye (`sadvae convert --plot`).

A few frames spread over the sequence, each from the front (the camera's view: x mirrored so the
person's left is on the image's right, as a camera sees someone facing it; y up) and from the side
(z horizontal, y up). The person's left limbs are drawn in one colour and the right in another, so a
mirrored skeleton shows at once; every panel shares one scale in metres.
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from ..errors import SadvaeError
from ..io import atomic_write_bytes
from .layouts import get_layout

LEFT, RIGHT, MIDDLE = "tab:blue", "tab:red", "0.3"


def _bone_colour(a: str, b: str) -> str:
    names = (a.lower(), b.lower())
    if any("left" in n for n in names):
        return LEFT
    if any("right" in n for n in names):
        return RIGHT
    return MIDDLE


def render_skeleton_frames(sequence: np.ndarray, layout: str, *, frames: int = 5, title: str = "") -> bytes:
    """PNG bytes of `frames` frames of a (T, M, V, 3) or (T, V, 3) sequence of `layout`."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    spec = get_layout(layout)
    seq = np.asarray(sequence, dtype=np.float64)
    if seq.ndim == 3:
        seq = seq[:, None]
    if seq.ndim != 4 or seq.shape[2:] != (spec.n_joints, 3) or len(seq) == 0:
        raise SadvaeError(f"plot: expected a sequence (T, M, {spec.n_joints}, 3) of layout {layout} to plot, "
                          f"found shape {seq.shape}")
    present = np.abs(seq).sum(axis=(2, 3)) > 0  # (T, M): bodies in each frame
    picks = np.unique(np.linspace(0, len(seq) - 1, min(frames, len(seq))).round().astype(int))
    points = seq[picks][present[picks]]
    if not len(points):
        raise SadvaeError("plot: expected a body in the frames to plot, found none")
    views = (("front", lambda p: (-p[..., 0], p[..., 1])), ("side", lambda p: (p[..., 2], p[..., 1])))
    fig = Figure(figsize=(2.2 * len(picks), 4.6))
    axes = fig.subplots(2, len(picks), squeeze=False)
    for row, (view, project) in enumerate(views):
        h, v = project(points.reshape(-1, 3))
        half = max(np.ptp(h), np.ptp(v)) / 2 * 1.1 + 1e-3
        for col, t in enumerate(picks):
            ax = axes[row, col]
            for m in np.flatnonzero(present[t]):
                x, y = project(seq[t, m])
                for (a, b), (i, j) in zip(spec.bones, spec.edges):
                    ax.plot([x[i], x[j]], [y[i], y[j]], color=_bone_colour(a, b), lw=1.6)
                ax.scatter(x, y, s=4, color="k", zorder=3)
            ax.set_xlim(h.mean() - half, h.mean() + half)
            ax.set_ylim(v.mean() - half, v.mean() + half)
            ax.set_aspect("equal")
            ax.tick_params(labelsize=6)
            ax.set_title(f"frame {t + 1}, {view}", fontsize=8)
    fig.suptitle(f"{title} ({layout}; left blue, right red; metres)", fontsize=9)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return buffer.getvalue()


def plot_skeleton_frames(sequence: np.ndarray, layout: str, path, *, frames: int = 5, title: str = "") -> Path:
    """Draw `frames` frames of a sequence of `layout` to a PNG file (atomically); see `render_skeleton_frames`."""
    path = Path(path)
    png = render_skeleton_frames(sequence, layout, frames=frames, title=title)
    try:
        atomic_write_bytes(path, png)
    except OSError as exc:
        raise SadvaeError(f"{path}: expected a writable location for the plot, found {exc.strerror or exc}") from None
    return path
