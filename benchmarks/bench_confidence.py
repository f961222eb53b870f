"""Calibrated confidence, "none of these" and test-time adaptation on a dataset a model never saw.

A ready model (default `utd-mhad`, trained on UTD-MHAD alone) names every NW-UCLA recording among
NW-UCLA's ten class names:

  top-1        plain, and with --transductive (the prototypes adapted to all 1,484 recordings at once)
  ECE          of the top probability, with the raw softmax of the encoder's scale and as calibrated
               by `fit` (the bundle's beta), 15 bins
  none         `--allow-none`'s "none of these" rate when the recording's class is among the ten
               names, and when it is left out (the nine others asked)

The calibration was chosen on UTD-MHAD's own held-out performers and classes; NW-UCLA is another
sensor setting and another set of actions, so this is how it carries, not how it was chosen.

    python benchmarks/bench_confidence.py                  # ~1 min on 2 CPU cores
    python benchmarks/bench_confidence.py --model path/to/bundle
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="utd-mhad", help="a ready model's name or a bundle (default utd-mhad)")
    args = parser.parse_args()

    import sadvae
    from sadvae.data.classnames import BUILTIN
    from sadvae.deploy.confidence import top_calibration_error

    t0 = time.time()
    nw = sadvae.read_skeletons(DATA / "nw_ucla" / "all_sqe", "nwucla")
    names = list(BUILTIN["nwucla10"])
    truth = [names[y] for y in nw.labels]
    model = sadvae.load(args.model)
    if model.confidence is None:
        raise SystemExit(f"{args.model}: no calibration in this bundle (refit it with sadvae fit)")

    def scored(preds):
        right = np.array([p.labels[0] == t for p, t in zip(preds, truth)])
        return right, np.array([p.probs[0] for p in preds])

    right, top = scored(model.predict(nw, names, top_k=1))
    adapted, _ = scored(model.predict(nw, names, top_k=1, transductive=True))
    calibration = model.manifest.pop("confidence")
    _, raw_top = scored(model.predict(nw, names, top_k=1))
    model.manifest["confidence"] = calibration
    asked = np.array([p.none for p in model.predict(nw, names, top_k=1, allow_none=True)])
    left_out = np.zeros(len(nw), dtype=bool)
    for c, name in enumerate(names):
        rows = np.flatnonzero(nw.labels == c)
        preds = model.predict(nw.subset(rows), [n for n in names if n != name], top_k=1, allow_none=True)
        left_out[rows] = [p.none for p in preds]
    print(f"{args.model} naming {len(nw)} NW-UCLA recordings among their 10 class names (chance 10%)\n")
    print("| measure | value |\n|---|---|")
    print(f"| top-1 | {100 * right.mean():.1f} |")
    print(f"| top-1, --transductive | {100 * adapted.mean():.1f} |")
    print(f"| ECE, raw softmax | {100 * top_calibration_error(raw_top, right):.1f} |")
    print(f"| ECE, calibrated (beta {calibration['beta']:.1f}) | {100 * top_calibration_error(top, right):.1f} |")
    print(f"| mean top probability, raw / calibrated | {100 * raw_top.mean():.1f} / {100 * top.mean():.1f} |")
    print(f"| 'none of these', class among the names | {100 * asked.mean():.1f} |")
    print(f"| 'none of these', class left out | {100 * left_out.mean():.1f} |")
    print(f"| top-1 of the recordings answered (class among the names) | "
          f"{100 * right[~asked].mean() if (~asked).any() else 0:.1f} |")
    print(f"\nthe bundle's own held-out figures (its calibration draws): ECE {100 * calibration['ece_before']:.1f} -> "
          f"{100 * calibration['ece_after']:.1f}, none {100 * calibration['none_when_asked']:.1f} when asked, "
          f"{100 * calibration['none_when_left_out']:.1f} when left out\n{time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
