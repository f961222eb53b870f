"""Stage timings of the four-stage pipeline on a synthetic pack of chosen size, optionally beside the
reference implementation on the very same pack (ratio measured in one run: this machine is noisy).

    python benchmarks/bench_pipeline.py                       # NTU-60 sized: 38,500 training samples
    python benchmarks/bench_pipeline.py --seeds 3             # also: 3 seeds batched vs one after another
    python benchmarks/bench_pipeline.py --reference /path/to/SA-DVAE-checkout

The reference checkout must run on the CPU (its two edits: the hard-coded cuda device and the
`multi_class` argument of LogisticRegression); this script links the pack into it as `resources/`
and runs its four scripts with the preset's arguments, reading their printed results.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path


from sadvae.experiment.pipeline import (choose_passes, evaluate_stage, gate_stage, open_pack, summarise,
                             train_splits)
from sadvae.experiment.config import resolve_config
from sadvae.pack.synthetic import SyntheticSpec, make_synthetic_pack


def build_pack(root: Path, args) -> SyntheticSpec:
    spec = SyntheticSpec(dataset="ntu60", n_classes=args.classes, n_unseen=args.unseen, feature_dim=args.feature_dim,
                         text_dim=args.text_dim, style_dim=8, train_per_class=args.train_per_class,
                         test_per_class=args.test_per_class, encoder="shift", text_model="stsb-bert-large", seed=1)
    make_synthetic_pack(root, spec)
    return spec


def run_ours(resources: Path, args, seeds: list[int], jobs: int | None) -> dict:
    cfg = resolve_config(dict(resources=str(resources), dataset="ntu60", unseen=args.unseen, passes=args.passes,
                              seeds=seeds, device="cpu", mode=args.mode, selection=args.selection))
    pack = open_pack(cfg)
    t = {}
    t0 = time.perf_counter()
    main, vals = train_splits(pack, cfg, progress=False, jobs=jobs)
    t["stages 1+2 (train main, train val)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    main_pass, val_pass = choose_passes(cfg.selection, vals, pack,
                                        main.probs["unseen"] if cfg.selection == "test" else None)
    gates = gate_stage(pack, vals, val_pass, cfg)
    t["stage 3 (gate)"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    rows = evaluate_stage(pack, main, main_pass, gates)
    t["stage 4 (evaluate)"] = time.perf_counter() - t0
    t["total"] = sum(t.values())
    n_train = (len(pack.main.features["train"]) + len(pack.val.features["train"])) * args.passes * len(seeds)
    return {"timings": t, "summary": summarise(rows), "per_seed": rows, "samples_per_s": n_train / t["total"]}


def run_reference(ref: Path, resources: Path, args) -> dict:
    link = ref / "resources"
    if link.is_symlink() or link.exists():
        if not link.is_symlink():
            sys.exit(f"{link} exists and is not a link made by this script; move it away first")
        link.unlink()
    link.symlink_to(resources.resolve())
    common = ["--num_classes", str(args.classes), "--ss", str(args.unseen), "--st", "r", "--ve", "shift",
              "--le", "stsb-bert-large", "--tm", "lb", "--dataset", "ntu60"]
    train = ["--num_cycles", str(args.passes), "--num_epoch_per_cycle", "1700", "--latent_size", "160",
             "--i_latent_size", "8", "--lr", "3.389022400898623e-05", "--mode", "train", "--dis_step", "5",
             "--batch_size", "32"]
    work = Path(tempfile.mkdtemp(prefix="refbench-"))
    wmain, wval = work / f"shift_ntu60_{args.unseen}_r", work / f"shift_ntu60_val_{args.unseen}_r"
    main_dir = f"resources/sk_feats/shift_ntu60_{args.unseen}_r/"
    val_dir = f"resources/sk_feats/shift_ntu60_val_{args.unseen}_r/"
    steps = {
        "stage 1 (train main)": ["train.py", *common, *train, "--phase", "train", "--dataset_path", main_dir,
                                 "--wdir", str(wmain)],
        "stage 2 (train val)": ["train.py", *common, *train, "--phase", "val", "--dataset_path", val_dir,
                                "--wdir", str(wval)],
        "stage 3 (gate)": ["gating_train.py", *common, "--phase", "val", "--dataset_path", val_dir,
                           "--wdir", str(wval), "--th", "0", "--t", "0"],
    }
    t, out = {}, {}
    for name, cmd in steps.items():
        t0 = time.perf_counter()
        res = subprocess.run([sys.executable, *cmd], cwd=ref, capture_output=True, text=True)
        t[name] = time.perf_counter() - t0
        if res.returncode:
            sys.exit(f"reference {name} failed:\n{res.stderr[-3000:]}")
        out[name] = res.stdout
    thresh = float(re.findall(r"best threshold ([0-9.]+)", out["stage 3 (gate)"])[-1])
    temp = int(re.findall(r"best temperature (\d+)", out["stage 3 (gate)"])[-1])
    t0 = time.perf_counter()
    res = subprocess.run([sys.executable, "gating_eval.py", *common, "--phase", "train", "--dataset_path", main_dir,
                          "--wdir", str(wmain), "--thresh", str(thresh), "--temp", str(temp)],
                         cwd=ref, capture_output=True, text=True)
    t["stage 4 (evaluate)"] = time.perf_counter() - t0
    if res.returncode:
        sys.exit(f"reference stage 4 failed:\n{res.stderr[-3000:]}")
    t["total"] = sum(t.values())
    zsl = float(re.findall(r"zsl_accuracy increased to ([0-9.]+)%", out["stage 1 (train main)"])[-1])
    s, u, h = (float(re.search(rf"{k}: ([0-9.]+)%", res.stdout).group(1))
               for k in ("seen_accuracy", "unseen_accuracy", "h_mean"))
    link.unlink()
    return {"timings": t, "zsl_top1 (selection test)": zsl, "gzsl_seen": s, "gzsl_unseen": u, "gzsl_h": h,
            "gate": {"threshold": thresh, "temperature": temp}}


def show(title: str, result: dict) -> None:
    print(f"\n{title}")
    for name, sec in result["timings"].items():
        print(f"  {name:<36} {sec:8.1f} s")
    for k, v in result.items():
        if k not in ("timings", "per_seed"):
            print(f"  {k}: {json.dumps(v) if not isinstance(v, float) else f'{v:.1f}'}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--classes", type=int, default=60)
    ap.add_argument("--unseen", type=int, default=5)
    ap.add_argument("--train-per-class", type=int, default=700)
    ap.add_argument("--test-per-class", type=int, default=275)
    ap.add_argument("--feature-dim", type=int, default=256)
    ap.add_argument("--text-dim", type=int, default=1024)
    ap.add_argument("--passes", type=int, default=10)
    ap.add_argument("--mode", default="reference")
    ap.add_argument("--selection", default="test", help="test (as the reference) or val")
    ap.add_argument("--seeds", type=int, default=1, help="also time N seeds batched vs N single runs")
    ap.add_argument("--reference", type=Path, help="a CPU-edited checkout of pha123661/SA-DVAE")
    ap.add_argument("--json", type=Path, help="write all figures here")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="sadvae-bench-") as tmp:
        resources = Path(tmp) / "resources"
        build_pack(resources, args)
        n_train = (args.classes - args.unseen) * args.train_per_class
        pack_desc = (f"{args.classes} classes ({args.unseen} unseen), {n_train}"
                     f" training samples, {args.feature_dim}-d skeleton / {args.text_dim}-d text, {args.passes} passes,"
                     f" batch 32, {os.cpu_count()} CPUs")
        print(f"pack: {pack_desc}")
        report = {"pack": pack_desc}
        ours = run_ours(resources, args, [5], jobs=None)
        show("sadvae (stages 1 and 2 side by side, one core each)", ours)
        report["sadvae"] = ours
        if args.seeds > 1:
            seeds = list(range(5, 5 + args.seeds))
            batched = run_ours(resources, args, seeds, jobs=1)
            show(f"sadvae, {args.seeds} seeds batched in one model", batched)
            print(f"  vs {args.seeds} x single-seed run: {args.seeds * ours['timings']['total']:.1f} s "
                  f"({args.seeds * ours['timings']['total'] / batched['timings']['total']:.2f}x)")
            report["sadvae_batched"] = batched
        if args.reference:
            ref = run_reference(args.reference, resources, args)
            show("reference (pha123661/SA-DVAE, CPU)", ref)
            print(f"\nspeed-up, four stages: {ref['timings']['total'] / ours['timings']['total']:.2f}x "
                  f"({ref['timings']['total']:.1f} s -> {ours['timings']['total']:.1f} s)")
            report["reference"] = ref
        if args.json:
            args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
