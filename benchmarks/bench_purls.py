"""Zero-shot on real recordings: UTD-MHAD on the PURLS splits (22/5, 18/9, 14/13), against published figures.

From the raw .mat files in ../shared/data/utd_mhad, for each PURLS split and each encoder seed, two
feature packs are built (odd performers train, even performers test):

  paper   the plain ST-GCN of the paper's pipeline: a linear classifier head, joints only, turn and
          scale augmentation; text features of the class names
  ours    the text-anchored encoder: cosine head on projected class texts (our built-in motion
          descriptions, three per class), joint + bone + motion streams, turn/tilt/shear/scale and
          temporal-crop augmentation; text features of the names and of the descriptions
  names   the same encoder with class names only, learnt bare (no templates)
  prompts the same with class names only, learnt in our templates (what `features` does without
          descriptions)
  *_ctr   ours / prompts with the encoder trained by the contrastive objective (--encoder-objective)
  *_hp    ours / prompts with a quarter of the training performers held out (--holdout-performers
          0.25) for early stopping and the seen/new decision, instead of a fifth of each class's samples
  *_vd3   ours with three validation draws (--val-draws 3), each with its own encoder

Each validation split draws its pseudo-unseen classes from the seen ones with the encoder seed, so
the seeds also vary the validation draw. Then the four stages run for each row of the table
(SA-DVAE with 3 seeds per pack; single-pass methods once). Every figure is mean +- std over the
encoder seeds (a pack's SA-DVAE seeds averaged first). Selection is on the validation split only,
except the row labelled as the paper's rule (best pass on the unseen test set).

    python benchmarks/bench_purls.py                    # 3 splits x 3 encoder seeds, ~22 min on 2 CPU cores
    python benchmarks/bench_purls.py --seeds 1 --epochs 10 --splits 5    # a quick look
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "utd_mhad"

# PURLS, CVPR 2024, supplementary Table 8 (ZSL top-1, test-set selection, one figure each)
PUBLISHED = {
    "DeViSE": {5: 12.50, 9: 13.59, 13: 13.94},
    "Global": {5: 23.00, 9: 18.47, 13: 14.38},
    "ReViSE": {5: 29.37, 9: 19.86, 13: 12.26},
    "PURLS": {5: 57.50, 9: 31.71, 13: 19.23},
}

# table rows: (label, pack recipe, run settings)
ROWS = (
    ("SA-DVAE as in the paper (plain ST-GCN, names, reference mode, gate)", "paper",
     dict(method="sadvae", mode="reference", text_mode="lb", gzsl="gate", selection="val")),
    ("  the same, paper's rule: pass chosen on the unseen TEST set", "paper",
     dict(method="sadvae", mode="reference", text_mode="lb", gzsl="gate", selection="test")),
    ("projection baseline (plain ST-GCN, names)", "paper", dict(method="projection", text_mode="lb", gzsl="gate")),
    ("SA-DVAE on our encoder (descriptions, reference mode, gate)", "ours",
     dict(method="sadvae", mode="reference", text_mode="desc", gzsl="gate", selection="val")),
    ("SA-DVAE on our encoder (descriptions, clean mode, stacking)", "ours",
     dict(method="sadvae", mode="clean", text_mode="desc", gzsl="stacking", selection="val")),
    ("projection on our encoder (descriptions, stacking)", "ours",
     dict(method="projection", text_mode="desc", gzsl="stacking")),
    ("ours: the encoder's text head (anchor, descriptions, gate)", "ours",
     dict(method="anchor", text_mode="desc", gzsl="gate")),
    ("ours: the encoder's text head (anchor, descriptions, stacking; the default)", "ours",
     dict(method="anchor", text_mode="desc", gzsl="stacking")),
    # the other generative methods (methods/), beside SA-DVAE's rows above
    ("FS-VAE as in the paper's pipeline (plain ST-GCN, names, reference mode, gate)", "paper",
     dict(method="fs-vae", mode="reference", text_mode="lb", gzsl="gate", selection="val")),
    ("naive ablation on our encoder (descriptions, reference mode, gate)", "ours",
     dict(method="naive", mode="reference", text_mode="desc", gzsl="gate", selection="val")),
    ("FS-VAE on our encoder (descriptions, reference mode, gate)", "ours",
     dict(method="fs-vae", mode="reference", text_mode="desc", gzsl="gate", selection="val")),
    ("MSF on our encoder (names and descriptions fused, reference mode, gate)", "ours",
     dict(method="msf", mode="reference", text_mode="lb_desc", gzsl="gate", selection="val")),
    # class names only (no descriptions anywhere): the encoder learns and is asked with bare names, or
    # with the names in our templates (pack/text.py NAME_TEMPLATES; the default without descriptions)
    ("names only: the encoder's text head, bare names (anchor, stacking)", "names",
     dict(method="anchor", text_mode="lb", gzsl="stacking")),
    ("names only: the encoder's text head, names in templates (anchor, stacking; the default)", "prompts",
     dict(method="anchor", text_mode="prompt", gzsl="stacking")),
    # the encoder trained with the contrastive objective instead of the prototype cross-entropy
    ("contrastive encoder: the text head (anchor, descriptions, stacking)", "ours_ctr",
     dict(method="anchor", text_mode="desc", gzsl="stacking")),
    ("contrastive encoder, names only: the text head, names in templates (anchor, stacking)", "prompts_ctr",
     dict(method="anchor", text_mode="prompt", gzsl="stacking")),
    # performers held out (new performers, as in the test set) for early stopping and the gate
    ("held-out performers: the text head (anchor, descriptions, stacking)", "ours_hp",
     dict(method="anchor", text_mode="desc", gzsl="stacking")),
    # three validation draws (features --val-draws 3): the same main encoder and first draw as `ours`;
    # the pass and the stacking margin chosen on the first draw alone, then on all three
    ("three validation draws, the first one used (anchor, descriptions, stacking)", "ours_vd3",
     dict(method="anchor", text_mode="desc", gzsl="stacking", val_draws=1)),
    ("three validation draws, all used (anchor, descriptions, stacking)", "ours_vd3",
     dict(method="anchor", text_mode="desc", gzsl="stacking")),
    ("three validation draws, all used (SA-DVAE, descriptions, clean mode, stacking)", "ours_vd3",
     dict(method="sadvae", mode="clean", text_mode="desc", gzsl="stacking", selection="val")),
)
METRICS = ("zsl_top1", "gzsl_seen", "gzsl_unseen", "gzsl_h")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=str(DATA / "Skeleton"))
    p.add_argument("--work", default="/tmp/sadvae-bench-purls", help="resources folder for the packs (kept)")
    p.add_argument("--splits", default="5,9,13", help="PURLS splits by unseen count (default 5,9,13)")
    p.add_argument("--seeds", type=int, default=3, help="encoder seeds per split (default 3)")
    p.add_argument("--run-seeds", type=int, default=3, help="SA-DVAE seeds per pack (default 3)")
    p.add_argument("--epochs", type=int, default=60, help="encoder epochs (default 60)")
    p.add_argument("--jobs", type=int, default=2, help="packs built side by side (default 2)")
    p.add_argument("--rows", help="comma-separated row numbers to run (default all)")
    p.add_argument("--rebuild", action="store_true")
    p.add_argument("--json", help="write all figures here")
    return p.parse_args(argv)


def recipe_settings(recipe: str, unseen: list[int], seed: int, epochs: int):
    from sadvae.encoder.training import EncoderTraining
    from sadvae.encoder.training import default_training
    from sadvae.pack.features import FeatureSettings

    name = pack_name(recipe, len(unseen), seed)
    recipe, variant = base_recipe(recipe)
    objective = "contrastive" if variant == "ctr" else "prototypes"
    split = dict(dataset=name, unseen_classes=unseen, split_seed=seed, force=True,
                 holdout_performers=0.25 if variant == "hp" else None,
                 val_draws=int(variant[2:]) if variant and variant.startswith("vd") else 1)
    if recipe == "paper":
        return FeatureSettings(**split, head="classifier", streams=("joint",),
                               training=EncoderTraining(epochs=epochs, seed=seed))
    if recipe in ("names", "prompts"):  # what a user without descriptions has: class names only
        return FeatureSettings(**split, name_prompts=recipe == "prompts",
                               training=default_training(epochs=epochs, seed=seed, objective=objective))
    return FeatureSettings(**split, descriptions="utd27-desc",
                           training=default_training(epochs=epochs, seed=seed, objective=objective))


def base_recipe(recipe: str) -> tuple[str, str | None]:
    """"ours_ctr" -> ("ours", "ctr"): a recipe and its variant (ctr: the contrastive objective; hp: a
    quarter of the training performers held out instead of a fifth of each class's samples; vdK: K
    validation draws)."""
    base, _, variant = recipe.partition("_")
    return base, variant or None


TEXT_MODE = {"ours": "desc", "names": "lb", "prompts": "prompt"}  # what each recipe's default row asks with


def pack_reader_parser(doc: str) -> argparse.ArgumentParser:
    """The flags of the scripts that read this script's packs without training (bench_gate, bench_ensemble)."""
    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--work", default="/tmp/sadvae-bench-purls", help="bench_purls.py's resources folder")
    p.add_argument("--recipes", default="ours", help="comma-separated pack recipes of bench_purls.py (default ours)")
    p.add_argument("--splits", default="5,9,13")
    p.add_argument("--seeds", type=int, default=3, help="encoder seeds per split (default 3)")
    return p


def pack_name(recipe: str, n_unseen: int, seed: int) -> str:
    return f"purls{n_unseen}_{recipe}_e{seed}"


def build_one(job) -> tuple[str, float, float]:
    data, work, recipe, unseen, seed, epochs = job
    import torch

    torch.set_num_threads(1)
    from sadvae.pack.features import build_feature_pack
    from sadvae.data.skeletons import read_utd

    t = time.perf_counter()
    settings = recipe_settings(recipe, unseen, seed, epochs)
    report = build_feature_pack(read_utd(data), work, settings, progress=False, log=lambda m: None)
    return settings.dataset, time.perf_counter() - t, report["main_encoder"]["holdout_accuracy"]


def mean_std(values) -> str:
    """Mean +- sample standard deviation (0 for one value)."""
    v = np.asarray(values, dtype=np.float64)
    return f"{v.mean():.1f} ± {v.std(ddof=1) if len(v) > 1 else 0.0:.1f}"


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def main(argv=None) -> int:
    args = parse_args(argv)
    t0 = time.perf_counter()
    splits = [int(u) for u in args.splits.split(",")]
    rows = [ROWS[int(i)] for i in args.rows.split(",")] if args.rows else list(ROWS)
    purls = Path(args.data).parent / "purls_splits"  # beside the Skeleton folder
    unseen_of = {u: sorted(np.load(purls / f"ru{u}.npy").tolist()) for u in splits}
    recipes = sorted({r[1] for r in rows})
    jobs = []
    for recipe in recipes:
        for u in splits:
            for seed in range(args.seeds):
                marker = Path(args.work) / "sk_feats" / f"stgcn_{pack_name(recipe, u, seed)}_{u}_r" / "encoder.json"
                if marker.exists() and not args.rebuild:
                    continue
                jobs.append((args.data, args.work, recipe, unseen_of[u], seed, args.epochs))
    pack_seconds = 0.0
    if jobs:
        log(f"building {len(jobs)} packs ({args.jobs} at a time)")
        with ProcessPoolExecutor(max_workers=args.jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            for name, seconds, acc in pool.map(build_one, jobs):
                pack_seconds += seconds
                log(f"{name}: built in {seconds:.0f} s (held-out accuracy on seen classes {100 * acc:.1f}%)")
    t_packs = time.perf_counter() - t0

    from sadvae.experiment.config import resolve_config
    from sadvae.experiment.pipeline import open_pack, run_all
    from sadvae.methods import SINGLE_PASS

    results = {}
    for i, (label, recipe, run_settings) in enumerate(rows):
        for u in splits:
            per_seed = []
            for seed in range(args.seeds):
                n_runs = args.run_seeds if run_settings["method"] not in SINGLE_PASS else 1
                settings = dict(run_settings)
                draws = settings.pop("val_draws", None)
                cfg = resolve_config(dict(resources=args.work, dataset=pack_name(recipe, u, seed), unseen=u,
                                          seeds=list(range(5, 5 + n_runs)), device="cpu", **settings))
                pack = open_pack(cfg)
                if draws is not None:  # only the first `draws` validation draws of the pack
                    pack.more_vals = pack.more_vals[:draws - 1]
                run = run_all(cfg, pack=pack, progress=False)
                per_seed.append({m: run.summary[m]["mean"] for m in METRICS} | {"config": cfg.as_dict()})
            results[(label, u)] = per_seed
            log(f"{label.strip()} on {27 - u}/{u}: ZSL {mean_std([r['zsl_top1'] for r in per_seed])}")

    total = time.perf_counter() - t0
    print(f"\nUTD-MHAD, PURLS splits (seen/unseen), odd performers train, even performers test; "
          f"{args.seeds} encoder seed(s) x {args.run_seeds} SA-DVAE seed(s); mean +- std over encoder seeds")
    print("ZSL top-1 (%); chance 20.0 / 11.1 / 7.7\n")
    header = f"| method | {' | '.join(f'{27 - u}/{u}' for u in splits)} |"
    print(header)
    print("|---" * (len(splits) + 1) + "|")
    for name, figures in PUBLISHED.items():
        print(f"| {name} (published, test-set selection) | " + " | ".join(f"{figures[u]:.2f}" for u in splits) + " |")
    for label, _, _ in rows:
        cells = [mean_std([r["zsl_top1"] for r in results[(label, u)]]) for u in splits]
        print(f"| {label.strip()} | " + " | ".join(cells) + " |")
    for u in splits:
        print(f"\nGZSL on {27 - u}/{u} (seen accuracy, unseen accuracy, harmonic mean H; all test performers' files)\n")
        print("| method | seen | unseen | H |")
        print("|---|---|---|---|")
        for label, _, _ in rows:
            cells = [mean_std([r[m] for r in results[(label, u)]]) for m in METRICS[1:]]
            print(f"| {label.strip()} | " + " | ".join(cells) + " |")
    print(f"\ntotal {total:.0f} s on {os.cpu_count()} CPU cores (building packs {t_packs:.0f} s wall, "
          f"{pack_seconds:.0f} s of encoder work; {len(jobs)} packs built, the others reused)")
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "total_seconds": total,
                                               "results": {f"{label.strip()} | {u}": v
                                                           for (label, u), v in results.items()}}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
