"""Open-vocabulary prediction on real files: UTD-MHAD actions the model never saw, named in free text.

Uses a pack of benchmarks/bench_utd.py (5 of the 27 actions held out, odd performers train). It runs
SA-DVAE on it (the benchmark's settings, 3 seeds, selection val), exports the bundle, and predicts
on the raw .mat files of the even (test) performers:

  zsl       the held-out actions' files, candidates = the 5 held-out names
  open      the same files, candidates = the 5 held-out names + 20 distractor action names (NTU-60
            names whose MiniLM embedding is not close to any UTD-MHAD name, cosine < 0.5)
  gzsl      all test-performer files, --include-seen with the 5 held-out names: the gate decides
            between the 22 training actions and the new names; seen / unseen accuracy and H

    python benchmarks/bench_utd.py --work /tmp/sadvae-bench-utd --splits 1    # builds the pack (~4 min)
    python benchmarks/bench_predict_utd.py --work /tmp/sadvae-bench-utd --split 1
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

from sadvae.deploy.bundle import export_bundle, load
from sadvae.data.classnames import BUILTIN
from sadvae.io import staged_output
from sadvae.experiment.pipeline import run_all
from sadvae.experiment.config import resolve_config
from sadvae.experiment.rundir import write_run
from sadvae.data.skeletons import read_utd_skeleton

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_utd import parse_args as utd_settings  # noqa: E402  the SA-DVAE settings of the UTD benchmark

ROOT = Path(__file__).resolve().parents[1]
UTD_NAME = re.compile(r"a(\d+)_s(\d+)_t(\d+)_skeleton\.mat")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "utd_mhad" / "Skeleton"))
    p.add_argument("--work", default="/tmp/sadvae-bench-utd", help="bench_utd.py's resources folder")
    p.add_argument("--split", type=int, default=1)
    p.add_argument("--unseen", type=int, default=5)
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--retrain", action="store_true", help="train and export again although the bundle exists")
    p.add_argument("--fit-seeds", type=int, default=5, help="seeds of the zero-shot classifier fits (default 5)")
    p.add_argument("--json", help="write the figures here")
    return p.parse_args(argv)


def topk_accuracy(preds, truth: list[str], k: int) -> float:
    return 100.0 * float(np.mean([t in p.labels[:k] for p, t in zip(preds, truth)]))


def distractors(model, n: int = 20) -> list[str]:
    utd = model.encode_classes(BUILTIN["utd27"])
    ntu = BUILTIN["ntu60"]
    emb = model.encode_classes(ntu)
    far = [name for name, e in zip(ntu, emb) if float((utd @ e).max()) < 0.5]
    return far[:n]


def main(argv=None) -> int:
    args = parse_args(argv)

    def log(msg):
        print(f"[bench] {msg}", file=sys.stderr, flush=True)

    work = Path(args.work)
    split = f"utd_split{args.split}"
    s = utd_settings([])
    cfg = resolve_config(dict(resources=str(work), dataset=split, unseen=args.unseen,
                              seeds=list(range(5, 5 + args.seeds)), lr=s.lr, batch_size=s.batch_size,
                              semantic_dim=s.semantic_dim, style_dim=s.style_dim, passes=s.passes, mode=s.mode,
                              selection="val", device="cpu", zsl_fits=1))
    run_dir, bundle = work / "runs" / split, work / "bundles" / f"{split}.zip"
    if args.retrain or not bundle.exists():
        t = time.perf_counter()
        with staged_output(run_dir, force=True) as tmp:
            result = run_all(cfg, progress=False)
            write_run(tmp, result, {"total": round(time.perf_counter() - t, 2)})
        log(f"{split}: trained in {time.perf_counter() - t:.0f} s, ZSL {result.summary['zsl_top1']['mean']:.1f} "
            f"(pack test set, mean over seeds)")
        export_bundle(run_dir, bundle, force=True)
    else:
        log(f"{split}: bundle exists, reused ({bundle}; --retrain to redo)")
    model = load(bundle)
    names = model.class_names
    unseen = model.manifest["classes"]["unseen_in_training"]
    files = sorted((tuple(int(g) for g in m.groups()), p) for p in Path(args.data).iterdir()
                   if (m := UTD_NAME.fullmatch(p.name)))
    test = [(a - 1, p) for (a, s, _), p in files if s % 2 == 0]  # even performers: never trained on
    held = [(c, p) for c, p in test if c in unseen]
    t = time.perf_counter()
    seqs_all = [read_utd_skeleton(p) for _, p in test]
    log(f"read {len(test)} test-performer files in {time.perf_counter() - t:.1f} s")
    held_idx = [i for i, (c, _) in enumerate(test) if c in unseen]
    held_seqs = [seqs_all[i] for i in held_idx]
    held_truth = [names[c] for c, _ in held]
    new_names = [names[c] for c in unseen]

    out = {"split": split, "unseen": new_names, "held_out_files": len(held), "test_files": len(test),
           "bundle": str(bundle), "seed": model.manifest["seed"], "fitting_seeds": list(range(args.fit_seeds)),
           "distractors": distractors(model)}
    candidates = new_names + out["distractors"]
    truth = [names[c] for c, _ in test]
    is_new = np.array([c in unseen for c, _ in test])
    runs = []
    for fit_seed in range(args.fit_seeds):  # the zero-shot classifiers are fitted on random text-latent samples
        r = {}
        t = time.perf_counter()
        preds = model.predict(held_seqs, new_names, top_k=5, seed=fit_seed)
        r["zsl_seconds"] = time.perf_counter() - t
        r["zsl_top1"] = topk_accuracy(preds, held_truth, 1)
        preds = model.predict(held_seqs, candidates, top_k=5, seed=fit_seed)
        r["open_top1"] = topk_accuracy(preds, held_truth, 1)
        r["open_top5"] = topk_accuracy(preds, held_truth, 5)
        t = time.perf_counter()
        preds = model.predict(seqs_all, new_names, include_seen=True, top_k=1, seed=fit_seed)
        r["gzsl_seconds"] = time.perf_counter() - t
        hit = np.array([p.labels[0] == tr for p, tr in zip(preds, truth)])
        s_acc, u_acc = 100 * hit[~is_new].mean(), 100 * hit[is_new].mean()
        h = 0 if s_acc + u_acc == 0 else 2 * s_acc * u_acc / (s_acc + u_acc)
        routed_new = 100 * np.mean([not p.routed_seen for p in preds])
        r.update(gzsl_seen=s_acc, gzsl_unseen=u_acc, gzsl_h=h, routed_new=routed_new)
        runs.append({k: float(v) for k, v in r.items()})
    out["per_fitting_seed"] = runs
    stat = {k: (float(np.mean([r[k] for r in runs])), float(np.std([r[k] for r in runs], ddof=1)) if len(runs) > 1
                else 0.0) for k in runs[0]}
    out["summary"] = {k: {"mean": m, "std": sd} for k, (m, sd) in stat.items()}

    def f(k):
        return f"{stat[k][0]:.1f} ± {stat[k][1]:.1f}"

    n_c = len(candidates)
    print(f"\nUTD-MHAD {split}, exported seed {out['seed']}: {len(held)} files of the held-out actions "
          f"({', '.join(new_names)}), test performers; mean ± std over {len(runs)} fitting seeds")
    print(f"  zero-shot, 5 candidates:               top-1 {f('zsl_top1')}%  (chance 20%)")
    print(f"  open vocabulary, {n_c} candidates (+{n_c - 5} distractors): top-1 {f('open_top1')}%  "
          f"top-5 {f('open_top5')}%  (chance {100 / n_c:.0f}% / {500 / n_c:.0f}%)")
    print(f"  GZSL, all {len(test)} test-performer files, --include-seen: seen {f('gzsl_seen')}%, held-out "
          f"{f('gzsl_unseen')}%, H {f('gzsl_h')} (gate sent {f('routed_new')}% to the new names)")
    print(f"  time incl. text encoding and classifier fits: {f('zsl_seconds')} s for {len(held)} files, "
          f"{f('gzsl_seconds')} s for {len(test)}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
