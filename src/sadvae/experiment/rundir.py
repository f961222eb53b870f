"""Run folders: what one run of the four stages writes, and how several partial runs are merged.

A run folder holds, per seed, `seed{S}/main.safetensors` and `val.safetensors` (per-pass ZSL
probabilities, classifiers, losses, the chosen pass's weights), `gate.json` and `details.json`
(the figures the reports plot: per-pass accuracy, losses, the unseen-class confusion matrix and a
2-D projection of the semantic latents); and for the whole run `metrics.json`, `config.json` and
`log.txt`. A run's seeds may be trained in several pieces (`sadvae protocol --jobs`): each piece
writes its own seed folders and returns its record, and `merge_records` makes one run of them.
"""
from __future__ import annotations

import json
import math
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from ..data.classnames import BUILTIN
from ..errors import SadvaeError
from ..io import atomic_write_text, staged_output
from ..methods import style_dim_of
from ..methods.vae import ModelConfig, encode_skeleton, encode_text
from ..pack.format import text_folder
from ..pack.synthetic import SyntheticSpec, make_synthetic_pack
from .config import RunConfig, resolve_config, seeds_for
from .gate import Gate
from .pipeline import (METRICS, RunResult, accuracy_per_pass, choose_passes, evaluate_stage, gate_stage,
                       load_split_results, open_pack, run_all, save_split_result, summarise, train_stage)

MAX_PROJECTED = 2000  # test samples drawn for the latent-space picture


def finite_or_none(value):
    """JSON has no NaN: nested lists of floats with NaN/Inf become None."""
    if isinstance(value, list):
        return [finite_or_none(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _pca_2d(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows projected on their first two principal axes; and the share of variance each explains."""
    centred = points - points.mean(0)
    _, s, vt = np.linalg.svd(centred, full_matrices=False)
    var = s ** 2
    coords = centred @ vt[:2].T
    if coords.shape[1] < 2:
        coords = np.pad(coords, ((0, 0), (0, 2 - coords.shape[1])))
    share = var[:2] / max(var.sum(), 1e-12)
    return coords, np.pad(share, (0, 2 - len(share)))


def latent_projection(result: RunResult, k: int, seed: int) -> dict | None:
    """Semantic latents (mean) of up to MAX_PROJECTED unseen-class test samples and the text latents
    of the unseen class names, under the chosen pass's weights, projected together on two PCA axes."""
    weights = result.main.weights[k][int(result.main_pass[k])] if result.main.weights else None
    if weights is None or "text_encoder.weight" not in weights:
        return None  # e.g. the projection baseline, which has no latent space
    pack, cfg = result.pack, result.config
    p = {name: t.unsqueeze(0).float() for name, t in weights.items()}
    semantic = cfg.semantic_dim
    mcfg = ModelConfig(feature_dim=pack.main.features["ztest"].shape[1], text_dim=pack.text.shape[-1],
                       semantic_dim=semantic, style_dim=style_dim_of(cfg.method, cfg.style_dim), mode=cfg.mode)
    x, y = pack.main.features["ztest"], pack.main.labels["ztest"]
    if len(x) > MAX_PROJECTED:
        pick = np.sort(np.random.default_rng(seed).choice(len(x), MAX_PROJECTED, replace=False))
        x, y = x[pick], y[pick]
    text = torch.as_tensor(np.asarray(pack.text, dtype=np.float32))
    text = text / text.norm(dim=-1, keepdim=True)
    if text.dim() == 3:  # several descriptions per class: their mean latent stands for the class
        unseen_text = text[torch.as_tensor(pack.unseen_classes)]
    else:
        unseen_text = text[torch.as_tensor(pack.unseen_classes)].unsqueeze(1)
    with torch.no_grad():
        z = encode_skeleton(p, torch.as_tensor(x, dtype=torch.float32), mcfg)[0].numpy()
        tmu, _ = encode_text(p, unseen_text.reshape(-1, unseen_text.shape[-1]), mcfg)
        tmu = tmu[0].reshape(len(pack.unseen_classes), -1, semantic).mean(1).numpy()
    coords, share = _pca_2d(np.concatenate([z, tmu]).astype(np.float64))
    return {"method": "pca", "explained_variance": share.round(4).tolist(),
            "samples": coords[:len(z)].round(4).tolist(), "labels": y.tolist(),
            "text": coords[len(z):].round(4).tolist(), "classes": pack.unseen_classes.tolist()}


def text_sidecar(root, dataset: str, split_name: str, text_model: str, text_mode: str, n_classes: int) -> dict:
    """The description `sadvae text` writes beside a pack's text features (model, names, ...), or {}."""

    try:
        path = text_folder(Path(root), dataset, split_name) / text_model / f"{text_mode.split('_')[0]}_{n_classes}.json"
        data = json.loads(path.read_text())
    except (OSError, ValueError, SadvaeError):  # no sidecar, or not one of ours
        return {}
    return data if isinstance(data, dict) else {}


def names_for(sidecar: dict, dataset: str, split_name: str, n_classes: int) -> list[str] | None:
    """Class names: the sidecar's, else the built-in list of a dataset the split is named after
    (ntu60, ntu60_split2, ...), else None."""

    names = sidecar.get("names")
    if isinstance(names, list) and len(names) == n_classes and all(isinstance(n, str) for n in names):
        return names
    for key in (dataset, split_name.split("_split")[0]):
        if key in BUILTIN and len(BUILTIN[key]) == n_classes:
            return list(BUILTIN[key])
    return None


def class_names(pack) -> list[str] | None:
    sidecar = text_sidecar(pack.root, pack.dataset, pack.split_name, pack.text_model, pack.text_mode, pack.n_classes)
    return names_for(sidecar, pack.dataset, pack.split_name, pack.n_classes)


def confusion(result: RunResult, k: int) -> dict:
    """Counts of (true unseen class, predicted unseen class) on the ZSL test set at the chosen pass."""
    classes = np.sort(result.pack.unseen_classes)
    probs = result.main.probs["ztest"][k, int(result.main_pass[k])]
    pred = probs.argmax(-1)
    true = np.searchsorted(classes, result.pack.main.labels["ztest"])
    counts = np.zeros((len(classes), len(classes)), dtype=np.int64)
    np.add.at(counts, (true, pred), 1)
    names = class_names(result.pack)
    return {"classes": classes.tolist(), "names": [names[c] for c in classes] if names else None,
            "counts": counts.tolist()}


def seed_details(result: RunResult, k: int) -> dict:
    seed = result.main.seeds[k]
    pack = result.pack
    curves = {
        "main_split": accuracy_per_pass(result.main.probs["ztest"][k:k + 1], pack.main.labels["ztest"],
                                        pack.unseen_classes)[0].round(3).tolist(),
        "val_split": accuracy_per_pass(result.val.probs["ztest"][k:k + 1], pack.val.labels["ztest"],
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
        save_split_result(d / "val.safetensors", result.val, k, "val", result.config, [int(result.val_pass[k])])
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
    val = load_split_results([run / f"seed{s}" / "val.safetensors" for s in cfg.seeds])
    main = None
    main_files = [run / f"seed{s}" / "main.safetensors" for s in cfg.seeds]
    if all(p.exists() for p in main_files):
        main = load_split_results(main_files)
    return cfg, pack, main, val


def gate_folder(run: Path, selection: str | None = None, temperature: float | None = None,
                threshold: float | None = None) -> list[tuple[Path, Gate]]:
    """Stage 3 on a staged run folder: each seed's gate, fitted on the validation split and saved as
    seed<S>/gate.json (temperature/threshold fix those instead of searching them)."""
    cfg, pack, _, val = load_staged_run(run, selection)
    if temperature is not None:
        cfg.gate_temperature = temperature
    if threshold is not None:
        cfg.gate_threshold = threshold
    _, val_pass = choose_passes("val", val.probs["ztest"], pack)
    written = []
    for k, gate in enumerate(gate_stage(pack, val, val_pass, cfg)):
        path = run / f"seed{cfg.seeds[k]}" / "gate.json"
        gate.save(path)
        written.append((path, gate))
    return written


def evaluate_folder(run: Path, selection: str | None = None) -> dict:
    """Stage 4 on a staged run folder: the metrics, also written to its metrics.json."""
    cfg, pack, main, val = load_staged_run(run, selection)
    if main is None:
        raise SadvaeError(f"{run}: expected main-split results (sadvae train --split main), found none")
    main_pass, val_pass = choose_passes(cfg.selection, val.probs["ztest"], pack,
                                        main.probs["ztest"] if cfg.selection == "test" else None)
    gates = [Gate.load(run / f"seed{s}" / "gate.json") for s in cfg.seeds]
    rows = evaluate_stage(pack, main, main_pass, gates)
    metrics = RunResult(cfg, pack, rows, summarise(rows), main, val, main_pass, val_pass, gates).metrics()
    atomic_write_text(run / "metrics.json", json.dumps(metrics, indent=2))
    return metrics


DEMO_SETTINGS = dict(semantic_dim=16, style_dim=4, lr=2e-3, batch_size=32, dis_step=5)


def run_demo(passes: int | None = None, mode: str | None = None, selection: str | None = None,
             seeds: list[int] | None = None, out: Path | None = None, force: bool = False, progress: bool = True,
             say=lambda msg: None) -> tuple[dict, float]:
    """The four stages on the built-in synthetic pack (made in a temporary folder); the run's files go
    to `out` when given. Settings left None take RunConfig's defaults; three seeds by default.
    Returns the metrics and the ZSL chance level in percent."""
    spec = SyntheticSpec()
    with tempfile.TemporaryDirectory(prefix="sadvae-demo-") as tmp:
        make_synthetic_pack(tmp, spec)
        cfg = resolve_config(dict(resources=tmp, dataset=spec.dataset, unseen=spec.n_unseen, passes=passes, mode=mode,
                                  selection=selection, seeds=seeds or seeds_for(3), device="cpu", **DEMO_SETTINGS))
        say(f"[sadvae] demo: synthetic pack with {spec.n_classes} classes ({spec.n_unseen} unseen), "
            f"{spec.feature_dim}-d skeleton and {spec.text_dim}-d text features")
        t0 = time.perf_counter()
        if out is not None:
            with staged_output(out, force=force) as tmp_out:
                result = run_all(cfg, progress=progress)
                metrics = write_run(tmp_out, result, {"total": round(time.perf_counter() - t0, 2)})
        else:
            metrics = run_all(cfg, progress=progress).metrics()
    return metrics, 100 / spec.n_unseen
