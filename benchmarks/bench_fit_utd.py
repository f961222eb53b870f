"""How well a model from `sadvae fit` names actions it never saw, on performers it never saw (UTD-MHAD).

The ready model's recipe (benchmarks/build_ready_model.py) with the 5 actions of the PURLS 22/5
split held out and the even performers kept aside: `fit` trains on the 22 other actions of the odd
performers (one of them held out for early stopping and calibration; three draws of validation
classes for the seen/new decision). Then, on the raw .mat files of the even performers:

  zsl    the held-out actions' files, candidates = the 5 held-out names: top-1 (top-5 of 5 is 100%)
  desc   the same, each candidate given as a one-sentence description instead of its name (the first
         of its three built-in descriptions)
  open   the same files, candidates = the 5 names + 20 distractor action names (NTU-60 names whose
         MiniLM embedding is not close to any UTD-MHAD name, cosine < 0.5): top-1 and top-5
  gzsl   all even-performer files, --include-seen with the 5 new names: the gate decides between the
         22 training actions and the new names; seen / unseen accuracy and H
  trans  zsl with --transductive: the 5 prototypes adapted to the 80 files first (test-time adaptation)
  conf   ECE of the top probability among the 5 names, calibrated by fit and raw; --allow-none's
         "none of these" rate with the true action among the 5 names and with it left out (4 names)

Mean +- std over --seeds fits (encoder seeds and calibration draws).

    python benchmarks/bench_fit_utd.py                  # 3 fits, ~15 min on 2 CPU cores
    python benchmarks/bench_fit_utd.py --seeds 1 --epochs 5    # a quick look
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_predict_utd import ROOT, UTD_NAME, distractors, topk_accuracy  # noqa: E402  the same files and scoring


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "utd_mhad" / "Skeleton"))
    p.add_argument("--work", default="/tmp/sadvae-bench-fit", help="where the bundles are written (kept)")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--jobs", type=int, default=2, help="fits side by side (default 2)")
    p.add_argument("--reuse", action="store_true", help="predict with the bundles of an earlier run (no fitting)")
    p.add_argument("--json", help="write the figures here")
    return p.parse_args(argv)


def _ece(top: np.ndarray, right: np.ndarray) -> float:
    from sadvae.deploy.confidence import top_calibration_error

    return top_calibration_error(top, right)


def held_out_classes(data: Path) -> list[int]:
    return sorted(np.load(data.parent / "purls_splits" / "ru5.npy").tolist())


def fit_one(job) -> tuple[int, float]:
    data, work, seed, epochs = job
    import torch

    torch.set_num_threads(1)
    from sadvae.data.classnames import BUILTIN_DESCRIPTIONS, UTD27
    from sadvae.encoder.training import default_training
    from sadvae.deploy.fit import FitSettings, fit_all_classes
    from sadvae.data.skeletons import SkeletonSet, read_utd
    from sadvae.pack.text import ClassTexts

    unseen = held_out_classes(Path(data))
    full = read_utd(data)
    keep = [c for c in range(len(UTD27)) if c not in unseen]
    rows = np.flatnonzero(np.isin(full.labels, keep) & (full.subjects % 2 == 1))
    to_new = {c: i for i, c in enumerate(keep)}
    part = full.subset(rows)
    train = SkeletonSet(sequences=part.sequences, labels=np.array([to_new[c] for c in part.labels]),
                        class_names=[UTD27[c] for c in keep], layout=part.layout, subjects=part.subjects,
                        sample_ids=part.sample_ids)
    texts = ClassTexts([list(BUILTIN_DESCRIPTIONS["utd27-desc"][c]) for c in keep], "builtin:utd27-desc (22)", "")
    t = time.perf_counter()
    fit_all_classes(train, Path(work) / f"fit_seed{seed}", FitSettings(
        descriptions=texts, seed=seed, training=default_training(epochs=epochs, seed=seed), force=True),
        progress=False, log=lambda m: None)
    return seed, time.perf_counter() - t


def main(argv=None) -> int:
    args = parse_args(argv)
    from sadvae.deploy.bundle import load
    from sadvae.data.classnames import BUILTIN_DESCRIPTIONS, UTD27
    from sadvae.data.skeletons import read_utd_skeleton

    def log(msg):
        print(f"[bench] {msg}", file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    data = Path(args.data)
    jobs = [(str(data), args.work, seed, args.epochs) for seed in range(args.seeds)
            if not (args.reuse and (Path(args.work) / f"fit_seed{seed}" / "manifest.json").is_file())]
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        for seed, seconds in pool.map(fit_one, jobs):
            log(f"fit {seed}: {seconds:.0f} s")
    fit_seconds = time.perf_counter() - t0
    unseen = held_out_classes(data)
    files = sorted((tuple(int(g) for g in m.groups()), p) for p in data.iterdir() if (m := UTD_NAME.fullmatch(p.name)))
    test = [(a - 1, p) for (a, s, _), p in files if s % 2 == 0]  # even performers: never trained on
    seqs = [read_utd_skeleton(p) for _, p in test]
    truth = [UTD27[c] for c, _ in test]
    is_new = np.array([c in unseen for c, _ in test])
    new_names = [UTD27[c] for c in unseen]
    held_seqs = [s for s, n in zip(seqs, is_new) if n]
    held_truth = [t for t, n in zip(truth, is_new) if n]
    runs = []
    for seed in range(args.seeds):
        model = load(Path(args.work) / f"fit_seed{seed}")
        far = distractors(model)
        r = {}
        t = time.perf_counter()
        r["zsl_top1"] = topk_accuracy(model.predict(held_seqs, new_names, top_k=5), held_truth, 1)
        r["zsl_seconds"] = time.perf_counter() - t
        r["zsl_top1_transductive"] = topk_accuracy(model.predict(held_seqs, new_names, top_k=5, transductive=True),
                                                   held_truth, 1)
        described = [BUILTIN_DESCRIPTIONS["utd27-desc"][c][0] for c in unseen]
        preds = model.predict(held_seqs, described, top_k=1)
        r["desc_top1"] = 100.0 * float(np.mean([p.labels[0] == described[new_names.index(t)]
                                                for p, t in zip(preds, held_truth)]))
        preds = model.predict(held_seqs, new_names + far, top_k=5)
        r["open_top1"], r["open_top5"] = topk_accuracy(preds, held_truth, 1), topk_accuracy(preds, held_truth, 5)
        preds = model.predict(seqs, new_names, include_seen=True, top_k=1)
        hit = np.array([p.labels[0] == tr for p, tr in zip(preds, truth)])
        s_acc, u_acc = 100 * hit[~is_new].mean(), 100 * hit[is_new].mean()
        r.update(gzsl_seen=s_acc, gzsl_unseen=u_acc, gzsl_h=0 if s_acc + u_acc == 0 else 2 * s_acc * u_acc /
                 (s_acc + u_acc), routed_new=100 * np.mean([not p.routed_seen for p in preds]))
        # confidence: ECE of the top probability among the 5 names, as calibrated by fit and as the raw softmax
        preds = model.predict(held_seqs, new_names, top_k=1)
        right = np.array([p.labels[0] == tr for p, tr in zip(preds, held_truth)])
        top = np.array([p.probs[0] for p in preds])
        r["ece_calibrated"] = 100 * _ece(top, right)
        calibration = model.manifest.pop("confidence")
        raw = model.predict(held_seqs, new_names, top_k=1)
        model.manifest["confidence"] = calibration
        r["ece_raw"] = 100 * _ece(np.array([p.probs[0] for p in raw]), right)
        # "none of these": asked the 5 names (the true one among them), and the 4 others (it left out)
        asked = model.predict(held_seqs, new_names, top_k=1, allow_none=True)
        r["none_when_asked"] = 100 * np.mean([p.none for p in asked])
        r["asked_top1_answered"] = 100 * np.mean([p.labels[0] == tr for p, tr in zip(asked, held_truth) if not p.none]
                                                 or [0.0])
        left = []
        for name in new_names:
            mine = [q for q, tr in zip(held_seqs, held_truth) if tr == name]
            left += [p.none for p in model.predict(mine, [n for n in new_names if n != name], top_k=1,
                                                   allow_none=True)]
        r["none_when_left_out"] = 100 * np.mean(left)
        c = model.confidence
        r.update(cal_ece_before=100 * c["ece_before"], cal_ece_after=100 * c["ece_after"],
                 cal_none_when_asked=100 * c["none_when_asked"], cal_none_when_left_out=100 * c["none_when_left_out"])
        runs.append({k: float(v) for k, v in r.items()})
        log(f"fit {seed}: " + ", ".join(f"{k} {v:.1f}" for k, v in runs[-1].items()))

    def f(k):
        v = np.array([r[k] for r in runs])
        return f"{v.mean():.1f} ± {v.std(ddof=1) if len(v) > 1 else 0.0:.1f}"

    print(f"\nUTD-MHAD, sadvae fit on 22 actions of the odd performers; {int(is_new.sum())} files of the 5 held-out "
          f"actions ({', '.join(new_names)}) by the even performers; mean ± std over {len(runs)} fits")
    print(f"  zero-shot, 5 candidates: top-1 {f('zsl_top1')}% by name, {f('desc_top1')}% by a one-sentence "
          "description (chance 20%)")
    print(f"  the same, transductive (prototypes adapted to the 80 files at once): top-1 {f('zsl_top1_transductive')}%")
    print(f"  open vocabulary, 25 candidates (+20 distractors): top-1 {f('open_top1')}%, top-5 {f('open_top5')}% "
          f"(chance 4% / 20%)")
    print(f"  GZSL, all {len(test)} even-performer files, --include-seen: seen {f('gzsl_seen')}%, held-out "
          f"{f('gzsl_unseen')}%, H {f('gzsl_h')} (sent {f('routed_new')}% to the new names)")
    print(f"  confidence among the 5 names: ECE {f('ece_raw')}% with the raw softmax, {f('ece_calibrated')}% "
          f"calibrated (fit's calibration draws, held out: {f('cal_ece_before')}% -> {f('cal_ece_after')}%)")
    print(f"  --allow-none: 'none of these' for {f('none_when_asked')}% of the files when their action is among the 5 "
          f"names (top-1 of the answered {f('asked_top1_answered')}%), {f('none_when_left_out')}% when it is left out "
          f"(calibration draws, held out: {f('cal_none_when_asked')}% and {f('cal_none_when_left_out')}%)")
    print(f"  fitting {fit_seconds:.0f} s for {args.seeds} fits ({args.jobs} at a time); prediction "
          f"{f('zsl_seconds')} s for {len(held_seqs)} files")
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "runs": runs, "fit_seconds": fit_seconds},
                                              indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
