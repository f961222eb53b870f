"""Why GZSL H moves so much between encoder seeds: the stacking margin chosen on the validation split,
against other ways of choosing it, measured on the packs `bench_purls.py` built.

For every pack of one recipe (the default: the encoder's text head, calibrated stacking on the
scaled cosines), the seen/new margin gamma is chosen:

  val        as `sadvae run` does: the gamma of the best harmonic mean on the validation split
             (pseudo-unseen classes against held-out samples of the others);
  bootstrap  the median of that choice over --draws resamples of the validation samples (a smoothed
             choice: one lucky or unlucky sample moves it less);
  zero       no calibration: a recording goes to the class of the higher cosine, seen or new;
  test       the best gamma on the TEST set (a ceiling that uses test labels, never a method: how much
             of the gap is the choice of gamma, and how much the classifiers).

Reported: GZSL seen, unseen and H on the test set, mean +- std over encoder seeds, and each seed's gamma.

    python benchmarks/bench_purls.py --rows 7 --work /tmp/sadvae-bench-purls     # builds the packs
    python benchmarks/bench_gate.py --work /tmp/sadvae-bench-purls
"""
from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_purls import TEXT_MODE, base_recipe, mean_std, pack_name, pack_reader_parser  # noqa: E402

RULES = ("val", "bootstrap", "zero", "test")


def parse_args(argv=None):
    p = pack_reader_parser(__doc__)
    p.add_argument("--draws", type=int, default=200, help="bootstrap resamples (default 200)")
    return p.parse_args(argv)


def resample(draw, rng):
    """The validation draw with its pseudo-unseen and its seen samples each drawn with replacement."""
    u = rng.integers(len(draw.unseen_zsl), size=len(draw.unseen_zsl))
    s = rng.integers(len(draw.seen_zsl), size=len(draw.seen_zsl))
    return dataclasses.replace(draw, unseen_zsl=draw.unseen_zsl[u], unseen_logits=draw.unseen_logits[u],
                               unseen_labels=draw.unseen_labels[u], seen_zsl=draw.seen_zsl[s],
                               seen_logits=draw.seen_logits[s], seen_labels=draw.seen_labels[s])


def one_pack(work: str, recipe: str, n_unseen: int, seed: int, draws: int) -> dict:
    from sadvae.experiment.config import resolve_config
    from sadvae.experiment.gate import StackingDraw, evaluate_gzsl, fit_stacking_pooled
    from sadvae.experiment.pipeline import run_all

    base = base_recipe(recipe)[0]
    cfg = resolve_config(dict(resources=work, dataset=pack_name(recipe, n_unseen, seed), unseen=n_unseen, seeds=[5],
                              device="cpu", method="anchor", text_mode=TEXT_MODE[base], gzsl="stacking"))
    run = run_all(cfg, progress=False)
    pack, val, main = run.pack, run.val, run.main
    p, q = int(run.val_pass[0]), int(run.main_pass[0])
    draw = StackingDraw(val.zsl_logits["unseen"][0, p], pack.val.logits["unseen"], pack.val.labels["unseen"],
                        val.zsl_logits["seen_heldout"][0, p], pack.val.logits["seen_heldout"],
                        pack.val.labels["seen_heldout"], pack.seen_minus_val, pack.val_classes)
    gate = fit_stacking_pooled([draw], scores="logits")
    rng = np.random.default_rng(seed)
    boot = float(np.median([fit_stacking_pooled([resample(draw, rng)], scores="logits").threshold
                            for _ in range(draws)]))
    zsl, logits, labels = main.zsl_logits["all"][0, q], pack.main.logits["all"], pack.main.labels["all"]
    seen = np.isin(labels, pack.seen_classes)  # the test set's seen and unseen recordings as the two kinds
    test_draw = StackingDraw(zsl[~seen], logits[~seen], labels[~seen], zsl[seen], logits[seen], labels[seen],
                             pack.seen_classes, pack.unseen_classes)
    gammas = {"val": gate.threshold, "bootstrap": boot, "zero": 0.0,
              "test": fit_stacking_pooled([test_draw], scores="logits").threshold}
    out = {}
    for rule, gamma in gammas.items():
        g = evaluate_gzsl(dataclasses.replace(gate, threshold=gamma), main.probs["all"][0, q], pack.main.logits["all"],
                          pack.main.labels["all"], pack.seen_classes, pack.unseen_classes, main.zsl_logits["all"][0, q])
        out[rule] = {"gamma": gamma, "seen": 100 * g.seen_accuracy, "unseen": 100 * g.unseen_accuracy,
                     "h": 100 * g.harmonic_mean}
    return out


def main(argv=None) -> int:
    args = parse_args(argv)
    t0 = time.perf_counter()
    splits = [int(u) for u in args.splits.split(",")]
    print("GZSL on UTD-MHAD's PURLS splits, the encoder's text head (anchor, calibrated stacking on the cosines), by "
          "how the margin gamma is chosen; mean +- std over encoder seeds\n")
    print("| recipe | split | rule | seen | unseen | H | gamma per seed |")
    print("|---|---|---|---|---|---|---|")
    for recipe in args.recipes.split(","):
        for u in splits:
            packs = [one_pack(args.work, recipe, u, seed, args.draws) for seed in range(args.seeds)]
            for rule in RULES:
                cells = [mean_std([r[rule][m] for r in packs]) for m in ("seen", "unseen", "h")]
                gammas = " / ".join(f"{r[rule]['gamma']:.2f}" for r in packs)
                label = rule if rule != "test" else "test (ceiling, uses test labels)"
                print(f"| {recipe} | {27 - u}/{u} | {label} | {' | '.join(cells)} | {gammas} |")
    print(f"\n{time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
