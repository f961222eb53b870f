"""Time exactly the hot loop: one training step (forward, backward, Adam) at NTU-60 sizes, by the
method's hand-written fast path and by the generic autograd step, in the same run.

    python benchmarks/bench_step.py [--method sadvae] [--threads N] [--seeds K] [--steps S]

Prints milliseconds per step and samples per second for the three kinds of batches of a pass:
early (no cross-reconstruction, no TC), late (cross-reconstruction + TC) and a discriminator step,
and the autograd/fast ratio. Reports the best of several repeats (this machine's timings are noisy).
"""
import argparse
import time

import torch

from sadvae.methods import TRAINED, Batch, TrainConfig
from sadvae.methods.training import AutogradStep
from sadvae.methods.schedule import LossWeights


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--method", default="sadvae", choices=list(TRAINED))
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
    cfg = TrainConfig(semantic_dim=args.semantic_dim, style_dim=args.style_dim, mode=args.mode, method=args.method)
    K, B = args.seeds, args.batch_size
    x = torch.rand(K, B, args.feature_dim)
    t = torch.nn.functional.normalize(torch.randn(K, B, args.text_dim), dim=-1)
    labels = torch.zeros(K, B, dtype=torch.long)
    kinds = {"early": (LossWeights(0.01, 0.0, 0.0, 0.0), False),
             "late": (LossWeights(0.02, 0.01, 1.0, 0.01), False),
             "late+discriminator": (LossWeights(0.02, 0.01, 1.0, 0.01), True)}
    print(f"method {args.method}, threads {torch.get_num_threads()}, seeds {K}, batch {B}, F {args.feature_dim}, "
          f"D {args.text_dim}, S/R {args.semantic_dim}/{args.style_dim}, mode {args.mode}")
    steppers = {}
    for path in ("fast", "autograd"):
        module = TRAINED[args.method](args.feature_dim, args.text_dim, cfg, list(range(K)), torch.device("cpu"))
        stepper = module.fast_path() if path == "fast" else AutogradStep(module, cfg.lr)
        if stepper is not None:
            steppers[path] = stepper
    for name, (w, dis) in kinds.items():
        times = {}
        for path, stepper in steppers.items():
            for _ in range(10):
                stepper.step(Batch(x, t, labels), w, dis)
            best = float("inf")
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                for _ in range(args.steps):
                    stepper.step(Batch(x, t, labels), w, dis)
                best = min(best, (time.perf_counter() - t0) / args.steps)
            times[path] = best
            print(f"{name:>20} {path:>8}: {best * 1e3:7.3f} ms/step  {K * B / best:9.0f} samples/s (all seeds)")
        if len(times) == 2:
            print(f"{name:>20}: autograd / fast = {times['autograd'] / times['fast']:.2f}x")


if __name__ == "__main__":
    main()
