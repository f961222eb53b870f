"""What camera-estimated skeletons do to zero-shot naming, measured from what we have.

There are no labelled videos here, so the check is built in two parts:

1. How MediaPipe Pose's world landmarks of the real clip (../shared/data/video, 72 frames) differ from
   the depth sensors' skeletons, in the shared space (body-16), every frame centred on the pelvis:
   jitter (RMS second difference per axis, metres per frame^2 at 30 fps) and the median coefficient of
   variation of bone lengths over time (0 for a rigid skeleton). The clip is one recording: a figure,
   not a distribution.
2. The same differences applied to real Kinect recordings whose actions a model never saw: the ready
   model `utd-mhad` (trained on UTD-MHAD alone) names every NW-UCLA recording among NW-UCLA's ten class
   names, clean; with every frame centred on the pelvis (MediaPipe's world frame has no path across the
   room); and centred with Gaussian noise added to depth only (z, the estimator's guess) or to every
   axis, sigma in centimetres, independent per joint and frame, two noise seeds.

    python benchmarks/bench_video_noise.py             # ~2 min on 2 CPU cores (the video extra installed)
    python benchmarks/bench_video_noise.py --every 3   # every 3rd NW-UCLA recording, quicker
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


def shared_centred(seq: np.ndarray, layout: str) -> np.ndarray:
    from sadvae.data.layouts import to_shared

    s = to_shared(np.asarray(seq, dtype=np.float64), layout)[:, 0]
    return s - s[:, :1]  # the pelvis at the origin in every frame


def motion_stats(seq: np.ndarray) -> tuple[np.ndarray, float]:
    from sadvae.data.layouts import BODY16

    acc = np.diff(seq, 2, axis=0)
    jitter = np.sqrt((acc ** 2).mean(axis=(0, 1)))
    lengths = np.stack([np.linalg.norm(seq[:, a] - seq[:, b], axis=1) for a, b in BODY16.edges], axis=1)
    return jitter, float(np.median(lengths.std(0) / lengths.mean(0)))


def centre_on_hips(seq: np.ndarray, layout: str) -> np.ndarray:
    from sadvae.data.layouts import get_layout

    spec = get_layout(layout)
    hips = seq[:, :, spec.index(["HipCenter"]), :]  # kinect-v1-20's pelvis
    return seq - hips


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=1, help="every n-th NW-UCLA recording (default all)")
    parser.add_argument("--sigmas", default="1,2,4", help="noise levels in cm (default 1,2,4)")
    args = parser.parse_args()

    import sadvae
    from sadvae.data.classnames import BUILTIN
    from sadvae.data.video import read_video_file

    start = time.time()
    video = read_video_file(DATA / "video" / "ntu_hugging.avi")
    rows = [("MediaPipe Pose, the real clip", *motion_stats(shared_centred(video.joints, "mediapipe-33")))]
    sets = {"NW-UCLA": sadvae.read_skeletons(DATA / "nw_ucla" / "all_sqe", "nwucla"),
            "UTD-MHAD": sadvae.read_skeletons(DATA / "utd_mhad" / "Skeleton", "utd")}
    for name, s in sets.items():
        stats = [motion_stats(shared_centred(q, s.layout)) for q in s.sequences if len(q) >= 3]
        rows.append((f"{name} (Kinect v1), median over {len(stats)}", np.median([j for j, _ in stats], axis=0),
                     float(np.median([c for _, c in stats]))))
    print("| skeletons | jitter x | jitter y | jitter z (depth) | bone-length CV |\n|---|---|---|---|---|")
    for name, jitter, cv in rows:
        print(f"| {name} | {jitter[0]:.4f} | {jitter[1]:.4f} | {jitter[2]:.4f} | {cv:.3f} |")

    nw = sets["NW-UCLA"].subset(np.arange(0, len(sets["NW-UCLA"]), args.every))
    names = list(BUILTIN["nwucla10"])
    model = sadvae.load("utd-mhad")

    def top1(sequences) -> float:
        found = nw.subset(np.arange(len(nw)))
        found.sequences = [np.asarray(q, dtype=np.float32) for q in sequences]
        preds = model.predict(found, names, top_k=1)
        return 100.0 * float(np.mean([names.index(p.labels[0]) == y for p, y in zip(preds, nw.labels)]))

    centred = [centre_on_hips(q, nw.layout) for q in nw.sequences]
    print(f"\nutd-mhad naming {len(nw)} NW-UCLA recordings among their 10 class names (top-1 %, chance 10.0)\n")
    print("| skeletons | top-1 |\n|---|---|")
    print(f"| clean | {top1(nw.sequences):.1f} |")
    print(f"| every frame centred on the pelvis | {top1(centred):.1f} |")
    for axes, label in (((2,), "depth only"), ((0, 1, 2), "every axis")):
        for sigma in map(float, args.sigmas.split(",")):
            scores = []
            for seed in (0, 1):
                rng = np.random.default_rng(seed)
                noisy = []
                for q in centred:
                    q = q.copy()
                    present = np.abs(q).sum(axis=(2, 3), keepdims=True) > 0
                    for a in axes:
                        q[..., a] += rng.normal(0, sigma / 100, size=q.shape[:-1]) * present[..., 0]
                    noisy.append(q)
                scores.append(top1(noisy))
            print(f"| centred, noise {sigma:g} cm, {label} | {np.mean(scores):.1f} +- {np.std(scores):.1f} |")
    print(f"\n{time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
