"""Time exactly the hot loop: one SA-DVAE training step (forward, backward, Adam) at NTU-60 sizes.

    python benchmarks/bench_step.py [--threads N] [--seeds K] [--steps S]

Prints milliseconds per step and samples per second for the three kinds of batches of a pass:
early (no cross-reconstruction, no TC), late (cross-reconstruction + TC) and a discriminator step.
Reports the best of several repeats (this machine's timings are noisy).
"""
import argparse
import time

import torch

from sadvae.model import ModelConfig
from sadvae.schedule import LossWeights
from sadvae.train import TrainConfig, Trainer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--feature-dim", type=int, default=256)
    ap.add_argument("--text-dim", type=int, default=1024)
    ap.add_argument("--semantic-dim", type=int, default=160)
    ap.add_argument("--style-dim", type=int, default=8)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--mode", default="reference")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = ModelConfig(args.feature_dim, args.text_dim, args.semantic_dim, args.style_dim, args.mode)
    trainer = Trainer(cfg, TrainConfig(semantic_dim=args.semantic_dim, style_dim=args.style_dim),
                      list(range(args.seeds)), torch.device("cpu"))
    K, B = args.seeds, args.batch_size
    x = torch.rand(K, B, args.feature_dim)
    t = torch.nn.functional.normalize(torch.randn(K, B, args.text_dim), dim=-1)
    kinds = {"early": (LossWeights(0.01, 0.0, 0.0, 0.0), False),
             "late": (LossWeights(0.02, 0.01, 1.0, 0.01), False),
             "late+discriminator": (LossWeights(0.02, 0.01, 1.0, 0.01), True)}
    print(f"threads {torch.get_num_threads()}, seeds {K}, batch {B}, F {args.feature_dim}, D {args.text_dim}, "
          f"S/R {args.semantic_dim}/{args.style_dim}, mode {args.mode}")
    for name, (w, dis) in kinds.items():
        for _ in range(10):
            trainer.step(x, t, w, dis)
        best = float("inf")
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            for _ in range(args.steps):
                trainer.step(x, t, w, dis)
            best = min(best, (time.perf_counter() - t0) / args.steps)
        print(f"{name:>20}: {best * 1e3:7.3f} ms/step  {K * B / best:9.0f} samples/s (all seeds)")


if __name__ == "__main__":
    main()
