"""Rebuild the ready model `utd-mhad` shipped in the package (src/sadvae/models/utd-mhad).

`sadvae fit` on all 27 UTD-MHAD actions of all 8 performers (two performers held out for early
stopping and calibration, three draws of validation classes for the seen/new decision), with the
built-in motion descriptions and the default encoder recipe. Nothing of it reads a test label: the
model has no test set; how well the recipe names unseen actions is measured by bench_fit_utd.py.

    python benchmarks/build_ready_model.py            # ~10 min on 2 CPU cores
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "utd_mhad" / "Skeleton"))
    p.add_argument("--out", default=str(ROOT / "src" / "sadvae" / "models" / "utd-mhad"))
    p.add_argument("--epochs", type=int, default=60)
    args = p.parse_args(argv)

    import torch

    torch.set_num_threads(1)  # one thread: the same weights from the same data and library versions
    from sadvae.encoder.training import default_training
    from sadvae.deploy.fit import FitSettings, fit_all_classes
    from sadvae.data.skeletons import read_utd

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        report = fit_all_classes(read_utd(args.data), Path(tmp) / "model", FitSettings(
            descriptions="utd27-desc", training=default_training(epochs=args.epochs)), progress=True,
            log=lambda m: print(m, file=sys.stderr, flush=True))
        out = Path(args.out)
        if out.exists():
            shutil.rmtree(out)
        shutil.copytree(Path(tmp) / "model", out)
    for f in out.iterdir():
        f.chmod(0o644)
    size = sum(f.stat().st_size for f in out.iterdir())
    print(f"wrote {out} ({size / 1e6:.2f} MB) in {time.perf_counter() - t0:.0f} s; gate: temperature "
          f"{report['gate']['temperature']:g}, margin {report['gate']['threshold']:.3f}, validation H "
          f"{100 * report['gate']['holdout_accuracy']:.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
