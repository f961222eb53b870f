"""Every trained method of the registry beside SA-DVAE on one synthetic pack of NTU-60 size, with
the protocol report's comparison table.

    python benchmarks/bench_methods.py                       # 55/5, 38,500 training samples, 3 seeds
    python benchmarks/bench_methods.py --train-per-class 100 # a quick look

The pack is the one of bench_pipeline.py (256-d skeleton features that depend on 1,024-d class text
embeddings through a fixed random map). It has one text type (class names), so `msf` has nothing to
fuse there and trains as the naive ablation does. Each method runs the four stages with the
preset's settings (SynSE NTU-60 55/5), selection on the validation split, seeds 5, 6, 7 batched;
its run folder is written under --out and all of them are compared as `sadvae report` does.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from sadvae.experiment.config import resolve_config
from sadvae.experiment.pipeline import run_all
from sadvae.experiment.report import comparison, load_study
from sadvae.experiment.rundir import write_run
from sadvae.methods import TRAINED
from sadvae.pack.synthetic import SyntheticSpec, make_synthetic_pack


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train-per-class", type=int, default=700)
    ap.add_argument("--test-per-class", type=int, default=275)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--methods", default=",".join([*TRAINED, "projection"]))
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "sadvae-bench-methods")
    args = ap.parse_args(argv)
    resources = args.out / "resources"
    make_synthetic_pack(resources, SyntheticSpec(dataset="ntu60", n_classes=60, n_unseen=5, feature_dim=256,
                                                 text_dim=1024, style_dim=8, train_per_class=args.train_per_class,
                                                 test_per_class=args.test_per_class, encoder="shift",
                                                 text_model="stsb-bert-large", seed=1))
    folders, seconds = [], {}
    for method in args.methods.split(","):
        cfg = resolve_config(dict(resources=str(resources), dataset="ntu60", unseen=5, method=method, device="cpu",
                                  seeds=list(range(5, 5 + args.seeds))))
        t0 = time.perf_counter()
        result = run_all(cfg, progress=False)
        seconds[method] = time.perf_counter() - t0
        folder = args.out / f"run-{method}"
        if folder.exists():
            import shutil
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        write_run(folder, result, {"total": round(seconds[method], 2)})
        folders.append(folder)
        s = result.summary
        print(f"[bench] {method}: ZSL {s['zsl_top1']['mean']:.1f} ± {s['zsl_top1']['std']:.1f}, "
              f"H {s['gzsl_h']['mean']:.1f} ± {s['gzsl_h']['std']:.1f}, {seconds[method]:.0f} s", file=sys.stderr,
              flush=True)
    table, _ = comparison([load_study(f) for f in folders])
    print(table)
    print("\nseconds per method (four stages, all seeds): "
          + ", ".join(f"{m} {s:.0f}" for m, s in seconds.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
