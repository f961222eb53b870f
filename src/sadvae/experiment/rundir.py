"""Run folders: what one run of the four stages writes, and how several partial runs are merged.

A run folder holds, per seed, `seed{S}/main.safetensors` and `val.safetensors` (per-pass ZSL
probabilities, classifiers, losses, the chosen pass's weights), `gate.json` and `details.json`
(the figures the reports plot: per-pass accuracy, losses, the unseen-class confusion matrix and a
2-D projection of the semantic latents); and for the whole run `metrics.json`, `config.json` and
`log.txt`. A run's seeds may be trained in several pieces (`sadvae protocol --jobs`): each piece
writes its own seed folders and returns its record, and `merge_records` makes one run of them.
The confusion matrix and the latent projection are computed in `analysis.py`, the demo is `demo.py`.
"""
from __future__ import annotations

import json
import math
import shutil
import time
from pathlib import Path

import numpy as np

from ..errors import SadvaeError
from ..io import atomic_write_text, staged_output
from ..pack.names import class_names, names_for, text_sidecar  # noqa: F401 - also their old home
from .analysis import confusion, latent_projection
from .config import RunConfig
from .gate import Gate
from .pipeline import (METRICS, RunResult, accuracy_per_pass, choose_passes, evaluate_stage, gate_stage,
                       load_split_results, open_pack, run_all, save_split_result, summarise, train_stage,
                       val_split_names)


def finite_or_none(value):
    """JSON has no NaN: nested lists of floats with NaN/Inf become None."""
    if isinstance(value, list):
        return [finite_or_none(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def seed_details(result: RunResult, k: int) -> dict:
    seed = result.main.seeds[k]
    pack = result.pack
    curves = {
        "main_split": accuracy_per_pass(result.main.probs["unseen"][k:k + 1], pack.main.labels["unseen"],
                                        pack.unseen_classes)[0].round(3).tolist(),
        "val_split": accuracy_per_pass(result.val.probs["unseen"][k:k + 1], pack.val.labels["unseen"],
                                       pack.val_classes)[0].round(3).tolist(),
    }
    return {
        "seed": seed,
        "chosen_pass": int(result.main_pass[k]),
        "val_chosen_pass": int(result.val_pass[k]),
        "per_pass_zsl": curves,
        "losses": {"terms": list(result.main.loss_terms),
                   "note": "per pass, the mean of the readings over the seeds trained together",
                   "main": finite_or_none(np.asarray(result.main.losses, dtype=np.float64).round(6).tolist()),
                   "val": finite_or_none(np.asarray(result.val.losses, dtype=np.float64).round(6).tolist())},
        "confusion": confusion(result, k),
        "projection": latent_projection(result, k, seed),
    }


def write_seeds(out_dir: Path, result: RunResult) -> dict:
    """Write each seed's folder and return this piece's record (metrics plus per-pass curves)."""
    record = result.metrics()
    curves = {"val_split": [], "main_split": []}
    for k, seed in enumerate(result.main.seeds):
        d = Path(out_dir) / f"seed{seed}"
        d.mkdir(parents=True, exist_ok=True)  # a resumed run may find what it wrote before it stopped
        save_split_result(d / "main.safetensors", result.main, k, "main", result.config, [int(result.main_pass[k])])
        for name, val in zip(val_split_names(result.pack), result.vals):
            save_split_result(d / f"{name}.safetensors", val, k, name, result.config, [int(result.val_pass[k])])
        result.gates[k].save(d / "gate.json")
        details = seed_details(result, k)
        atomic_write_text(d / "details.json", json.dumps(details))
        for name in curves:
            curves[name].append(details["per_pass_zsl"][name])
    record["per_pass_zsl"] = curves  # computed after the choice was made (reporting only)
    return record


def merge_records(records: list[dict]) -> dict:
    """One run's record from pieces that trained different seeds of the same configuration."""
    if len(records) == 1:
        return records[0]
    first = records[0]
    for r in records[1:]:
        a = {k: v for k, v in first["config"].items() if k != "seeds"}
        b = {k: v for k, v in r["config"].items() if k != "seeds"}
        if a != b or r["pack"] != first["pack"]:
            raise ValueError("merge_records: pieces of different runs")
    order = sorted(range(len(records)), key=lambda i: records[i]["per_seed"][0]["seed"])
    records = [records[i] for i in order]
    merged = dict(first)
    merged["per_seed"] = sorted((row for r in records for row in r["per_seed"]), key=lambda row: row["seed"])
    merged["summary"] = summarise(merged["per_seed"])
    merged["config"] = {**first["config"], "seeds": [row["seed"] for row in merged["per_seed"]]}
    merged["per_pass_zsl"] = {name: [c for r in records for c in r["per_pass_zsl"][name]]
                              for name in first["per_pass_zsl"]}
    return merged


def format_table(metrics: dict) -> str:
    summary, per_seed = metrics["summary"], metrics["per_seed"]
    pack = metrics["pack"]
    what = {"projection": "Projection baseline", "anchor": "Anchor (the encoder's text head)"}.get(
        metrics.get("method"), "SA-DVAE")
    lines = [f"{what} on {pack['split_name']} ({pack['n_classes']} classes, {len(pack['unseen_classes'])} unseen), "
             f"encoder {pack['encoder']}, text {pack['text_model']}/{pack['text_mode']}, mode {metrics['mode']}, "
             f"method {metrics.get('method', 'sadvae')}",
             f"selection {metrics['selection_rule']}", ""]
    header = f"{'seed':>6} {'pass':>5} {'ZSL top-1':>10} {'GZSL seen':>10} {'GZSL unseen':>12} {'GZSL H':>8}"
    lines.append(header)
    lines.append("-" * len(header))
    for r in per_seed:
        lines.append(f"{r['seed']:>6} {r['chosen_pass']:>5} {r['zsl_top1']:>10.2f} {r['gzsl_seen']:>10.2f} "
                     f"{r['gzsl_unseen']:>12.2f} {r['gzsl_h']:>8.2f}")
    if len(per_seed) > 1:
        lines.append("-" * len(header))
        for stat in ("mean", "std"):
            v = [summary[m][stat] for m in METRICS]
            lines.append(f"{stat:>6} {'':>5} {v[0]:>10.2f} {v[1]:>10.2f} {v[2]:>12.2f} {v[3]:>8.2f}")
    return "\n".join(lines)


def write_run_files(out_dir: Path, record: dict, timings: dict) -> dict:
    """metrics.json, config.json and log.txt of a run whose seed folders are written."""
    out_dir = Path(out_dir)
    metrics = {**record, "timings_s": timings}
    atomic_write_text(out_dir / "metrics.json", json.dumps(metrics, indent=2))
    atomic_write_text(out_dir / "config.json", json.dumps(metrics["config"], indent=2))
    atomic_write_text(out_dir / "log.txt", format_table(metrics) + "\n\n" + json.dumps(metrics["per_pass_zsl"])
                      + "\n" + json.dumps(timings) + "\n")
    return metrics


def write_run(out_dir: Path, result: RunResult, timings: dict) -> dict:
    """Everything of a finished run into `out_dir` (which exists and is empty)."""
    return write_run_files(out_dir, write_seeds(out_dir, result), timings)


def default_run_folder(cfg: RunConfig, split_name: str) -> Path:
    return Path(f"runs/{split_name}_u{cfg.unseen}_{cfg.mode}_{cfg.selection}")


def run_to_folder(cfg: RunConfig, out: Path | None = None, *, force: bool = False, resume: bool = False,
                  progress: bool = True, say=lambda msg: None) -> tuple[dict, Path]:
    """All four stages, written to `out` (default runs/<split>_u<U>_<mode>_<selection>) only once
    complete. Training checkpoints after every pass inside the partial folder; `resume` continues a
    killed or interrupted run from them, `force` replaces an existing folder. Returns the metrics
    and the folder."""
    pack = open_pack(cfg)  # validate before anything is created
    out = Path(out) if out is not None else default_run_folder(cfg, pack.split_name)
    with staged_output(out, force=force, resumable=True, resume=resume) as tmp:
        t0 = time.perf_counter()
        say(f"[sadvae] {pack.split_name}: {len(pack.main.features['train'])} training samples, "
            f"{len(cfg.seeds)} seed(s), preset {cfg.preset}, selection {cfg.selection}")
        for key, why in cfg.derived.items():
            say(f"[sadvae]   {key} = {why}")
        checkpoints = tmp / "checkpoints"
        checkpoints.mkdir(exist_ok=True)
        if resume and any(checkpoints.iterdir()):
            say(f"[sadvae] resuming from {checkpoints}")
        result = run_all(cfg, pack, progress=progress, checkpoints=checkpoints)
        metrics = write_run(tmp, result, {"total": round(time.perf_counter() - t0, 2)})
        shutil.rmtree(checkpoints)  # only once everything else is written: until then a resume needs them
    return metrics, out


def train_to_folder(cfg: RunConfig, split: str, out: Path, *, force: bool = False, progress: bool = True) -> list[Path]:
    """Stage 1 or 2 alone: each seed's per-pass results as `out`/seed<S>/<split>.safetensors, and the
    run's config.json (which `sadvae gate` and `evaluate` read). Returns the files written."""
    pack = open_pack(cfg)
    targets = [out / f"seed{s}" / f"{split}.safetensors" for s in cfg.seeds]
    existing = [t for t in targets if t.exists()]
    if existing and not force:
        raise SadvaeError(f"{existing[0]}: expected no earlier result for this split, found one (use --force)")
    config_path = out / "config.json"
    if config_path.exists():
        earlier = json.loads(config_path.read_text())
        if earlier.get("seeds") != cfg.seeds:
            raise SadvaeError(f"{config_path}: expected seeds {cfg.seeds} like this command, "
                              f"found {earlier.get('seeds')}")
    result = train_stage(pack, split, cfg, progress=progress)
    out.mkdir(parents=True, exist_ok=True)
    for k, seed in enumerate(cfg.seeds):
        (out / f"seed{seed}").mkdir(exist_ok=True)
        save_split_result(targets[k], result, k, split, cfg)
    atomic_write_text(config_path, json.dumps(cfg.as_dict(), indent=2))
    return targets


def load_staged_run(run: Path, selection: str | None = None):
    """The config, pack and split results of a folder written by `train_to_folder` (stages 1 and 2
    run separately); main is None until the main split is trained."""
    config_path = run / "config.json"
    if not config_path.is_file():
        raise SadvaeError(f"{config_path}: expected the config written by `sadvae train`, found no such file")
    try:
        cfg = RunConfig(**json.loads(config_path.read_text()))
    except (json.JSONDecodeError, TypeError) as exc:
        raise SadvaeError(f"{config_path}: expected the config written by `sadvae train`, found {exc}") from None
    if selection:
        cfg.selection = selection
    pack = open_pack(cfg)
    vals = []
    for name in val_split_names(pack):
        files = [run / f"seed{s}" / f"{name}.safetensors" for s in cfg.seeds]
        missing = [f for f in files if not f.is_file()]
        if missing and name != "val":  # (the first draw's missing file is named by load_split_results)
            raise SadvaeError(f"{missing[0]}: expected the results of validation draw {name} (the pack has "
                              f"{len(pack.val_draws())} draws; sadvae train --split {name}), found no such file")
        vals.append(load_split_results(files))
    main = None
    main_files = [run / f"seed{s}" / "main.safetensors" for s in cfg.seeds]
    if all(p.exists() for p in main_files):
        main = load_split_results(main_files)
    return cfg, pack, main, vals


def gate_folder(run: Path, selection: str | None = None, temperature: float | None = None,
                threshold: float | None = None) -> list[tuple[Path, Gate]]:
    """Stage 3 on a staged run folder: each seed's gate, fitted on the validation split and saved as
    seed<S>/gate.json (temperature/threshold fix those instead of searching them)."""
    cfg, pack, _, vals = load_staged_run(run, selection)
    if temperature is not None:
        cfg.gate_temperature = temperature
    if threshold is not None:
        cfg.gate_threshold = threshold
    _, val_pass = choose_passes("val", vals, pack)
    written = []
    for k, gate in enumerate(gate_stage(pack, vals, val_pass, cfg)):
        path = run / f"seed{cfg.seeds[k]}" / "gate.json"
        gate.save(path)
        written.append((path, gate))
    return written


def evaluate_folder(run: Path, selection: str | None = None) -> dict:
    """Stage 4 on a staged run folder: the metrics, also written to its metrics.json."""
    cfg, pack, main, vals = load_staged_run(run, selection)
    if main is None:
        raise SadvaeError(f"{run}: expected main-split results (sadvae train --split main), found none")
    main_pass, val_pass = choose_passes(cfg.selection, vals, pack,
                                        main.probs["unseen"] if cfg.selection == "test" else None)
    gates = [Gate.load(run / f"seed{s}" / "gate.json") for s in cfg.seeds]
    rows = evaluate_stage(pack, main, main_pass, gates)
    metrics = RunResult(cfg, pack, rows, summarise(rows), main, vals[0], main_pass, val_pass, gates,
                        vals[1:]).metrics()
    atomic_write_text(run / "metrics.json", json.dumps(metrics, indent=2))
    return metrics


def __getattr__(name: str):
    """The demo's old home (it moved to `demo.py`, which imports this module)."""
    if name in ("run_demo", "DEMO_SETTINGS"):
        from . import demo

        return getattr(demo, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
