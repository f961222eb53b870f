"""Encoder ensembles, measured on the packs `bench_purls.py` built: does fusing encoders of several
seeds name unseen actions better, and more steadily, than one encoder?

Every PURLS pack of one recipe and split holds the same test recordings (the even performers) and
differs only in its encoder seed (initialisation, batches, augmentation, held-out samples, validation
draw). For each split this scores the unseen test recordings with the encoder's text head (method
`anchor`, as `sadvae run` does) for every seed alone, then fused: the mean of the encoders' ZSL
probabilities (late fusion, as multi-stream skeleton models fuse their streams), or of their scaled
cosines, for every pair of seeds and for all of them. Reported: ZSL top-1, mean +- std over seeds (alone) or over pairs.
Nothing is trained here: it reads the packs (run bench_purls.py first, same --work).

    python benchmarks/bench_purls.py --rows 7 --work /tmp/sadvae-bench-purls     # builds the packs
    python benchmarks/bench_ensemble.py --work /tmp/sadvae-bench-purls --recipes ours,prompts
"""
from __future__ import annotations

import itertools
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_purls import TEXT_MODE, base_recipe, mean_std, pack_name, pack_reader_parser  # noqa: E402


def parse_args(argv=None):
    return pack_reader_parser(__doc__).parse_args(argv)


def zsl_probs(work: str, recipe: str, n_unseen: int, seed: int):
    """The anchor method's ZSL probabilities of one pack's unseen test recordings, and their truth."""
    from sadvae.methods.anchor import anchor_split
    from sadvae.pack.format import load_pack

    base = base_recipe(recipe)[0]
    pack = load_pack(work, pack_name(recipe, n_unseen, seed), n_unseen, text_mode=TEXT_MODE[base])
    feats, labels = pack.main.features["unseen"], pack.main.labels["unseen"]
    result = anchor_split(pack.main.path, pack.text, pack.unseen_classes, {"unseen": feats}, [0])
    return result.probs["unseen"][0, 0], result.zsl_logits["unseen"][0, 0], np.searchsorted(pack.unseen_classes, labels)


def main(argv=None) -> int:
    args = parse_args(argv)
    t0 = time.perf_counter()
    splits = [int(u) for u in args.splits.split(",")]
    print("ZSL top-1 (%) on UTD-MHAD's PURLS splits, the encoder's text head (anchor); one encoder per seed, "
          "or the mean of several encoders' probabilities\n")
    print("| recipe | split | one encoder | two fused (3 pairs) | all fused | two, logits fused | all, logits fused |")
    print("|---|---|---|---|---|---|---|")
    for recipe in args.recipes.split(","):
        for u in splits:
            probs, logits, truth = [], [], None
            for seed in range(args.seeds):
                p, z, t = zsl_probs(args.work, recipe, u, seed)
                if truth is not None and not np.array_equal(t, truth):
                    raise SystemExit(f"{pack_name(recipe, u, seed)}: expected the same test recordings as seed 0")
                probs.append(p)
                logits.append(z)
                truth = t

            def top1(members, scores=probs) -> float:
                return 100 * float((np.mean([scores[i] for i in members], 0).argmax(1) == truth).mean())

            everyone = range(args.seeds)
            pairs = list(itertools.combinations(everyone, 2))
            print(f"| {recipe} | {27 - u}/{u} | {mean_std([top1([i]) for i in everyone])} | "
                  f"{mean_std([top1(c) for c in pairs])} | {top1(everyone):.1f} | "
                  f"{mean_std([top1(c, logits) for c in pairs])} | {top1(everyone, logits):.1f} |")
    print(f"\n{time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
