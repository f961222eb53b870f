"""Writing model bundles: `sadvae export` of a finished run, and anchor bundles (`sadvae fit`).

The bundle layout and what each file holds are described in `bundle.py`, which reads them back.
"""
from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import torch

from ..encoder.training import TrainedEncoder
from ..errors import SadvaeError
from ..experiment.gate import Gate
from ..io import atomic_write_bytes, load_tensors, read_json_object, staged_output
from ..methods import style_dim_of
from ..pack.format import split_folder_names
from ..pack.names import names_for, text_sidecar
from ..version import __version__

__all__ = ["FORMAT", "PAYLOAD", "ANCHOR_PAYLOAD", "VAE_KEYS", "export_bundle", "write_anchor_bundle", "choose_seed"]

FORMAT = "sadvae-bundle/1"
PAYLOAD = ("encoder.safetensors", "sadvae.safetensors", "gate.json")
ANCHOR_PAYLOAD = ("encoder.safetensors", "gate.json")
VAE_KEYS = ("skeleton_encoder.weight", "skeleton_encoder.bias", "text_encoder.weight", "text_encoder.bias")


def safetensors_bytes(arrays: dict[str, np.ndarray], metadata: dict[str, str]) -> bytes:
    from safetensors.numpy import save

    return save(arrays, metadata=metadata)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def choose_seed(run: Path, metrics: dict) -> int:
    """The seed whose chosen pass has the best validation-split ZSL accuracy (no test label is read)."""
    best = None
    for row in metrics["per_seed"]:
        details = read_json_object(run / f"seed{row['seed']}" / "details.json", "the per-seed details of a run")
        acc = details["per_pass_zsl"]["val_split"][details["val_chosen_pass"]]
        if best is None or acc > best[0]:
            best = (acc, row["seed"])
    return best[1]


def export_bundle(run_dir, out, *, seed: int | None = None, text_model: str | None = None,
                  force: bool = False) -> Path:
    """Write a bundle of a finished run (`sadvae run` or one split of `sadvae protocol`) to `out`
    (a folder, or a zip archive when `out` ends with .zip)."""

    run = Path(run_dir)
    metrics = read_json_object(run / "metrics.json", "the metrics of a finished run (sadvae run)")
    missing = [k for k in ("per_seed", "pack", "config") if not isinstance(metrics.get(k), (dict, list))]
    if missing:
        raise SadvaeError(f"{run / 'metrics.json'}: expected the metrics of a finished run, found no "
                          f"{', '.join(missing)}")
    cfg, pack = metrics["config"], metrics["pack"]
    if metrics.get("method", "sadvae") == "projection":
        raise SadvaeError(f"{run}: expected a run of SA-DVAE (method sadvae, no-tc or naive) or of anchor, found "
                          "the projection baseline, which has no model to export")
    seeds = [row["seed"] for row in metrics["per_seed"]]
    if seed is None:
        seed = choose_seed(run, metrics)
    elif seed not in seeds:
        raise SadvaeError(f"--seed: expected one of this run's seeds {seeds}, found {seed}")
    resources = Path(pack["resources"])
    main_folder, _ = split_folder_names(pack["encoder"], pack["split_name"], len(pack["unseen_classes"]),
                                        cfg.get("split_type", "r"))
    enc_path = resources / "sk_feats" / main_folder / "encoder.safetensors"
    if not enc_path.is_file():
        raise SadvaeError(f"{enc_path}: expected the skeleton encoder of the run's pack (packs built by sadvae "
                          "features hold one), found no such file")
    encoder = TrainedEncoder.load(enc_path)
    gate = Gate.load(run / f"seed{seed}" / "gate.json")
    n = pack["n_classes"]
    sidecar = text_sidecar(resources, pack["dataset"], pack["split_name"], pack["text_model"], pack["text_mode"], n)
    model = text_model or sidecar.get("model")
    if not model:
        raise SadvaeError(f"{resources}/text_feats: expected a record of the text model of the pack (written by "
                          "sadvae text or features), found none; name it with --text-model")
    names = names_for(sidecar, pack["dataset"], pack["split_name"], n) or [f"class {c}" for c in range(n)]
    if metrics.get("method") == "anchor":
        return write_anchor_bundle(out, encoder, gate, names, model, bool(sidecar.get("normalized", True)),
                                   force=force, extra={"source_run": str(run.resolve()), "seed": seed,
                                                       "text_mode": pack["text_mode"],
                                                       "unseen_in_training": pack["unseen_classes"]})
    split_file = run / f"seed{seed}" / "main.safetensors"
    tensors, meta = load_tensors(split_file)
    row = next(r for r in metrics["per_seed"] if r["seed"] == seed)
    prefix = f"pass{row['chosen_pass']}."
    vae = {k: tensors.get(prefix + k) for k in VAE_KEYS}
    if any(v is None for v in vae.values()):
        raise SadvaeError(f"{split_file}: expected the chosen pass's weights ({prefix}*), found none")
    seen = [int(c) for c in encoder.classes]

    files = {"encoder.safetensors": encoder.to_bytes(),
             "gate.json": json.dumps(gate.__dict__, indent=2).encode()}
    files["sadvae.safetensors"] = safetensors_bytes({k: np.ascontiguousarray(v) for k, v in vae.items()},
                                                    {"format": FORMAT})
    manifest = {
        "format": FORMAT, "sadvae_version": __version__, "torch_version": torch.__version__,
        "source_run": str(run.resolve()), "seed": seed, "chosen_pass": row["chosen_pass"],
        "text": {"model": model, "normalized": bool(sidecar.get("normalized", True)), "mode": pack["text_mode"]},
        "sadvae": {"feature_dim": int(vae["skeleton_encoder.weight"].shape[1]),
                   "text_dim": int(vae["text_encoder.weight"].shape[1]),
                   "semantic_dim": int(cfg["semantic_dim"]),
                   "style_dim": style_dim_of(cfg.get("method", "sadvae"), int(cfg["style_dim"])),
                   "mode": cfg.get("mode", "reference"), "method": cfg.get("method", "sadvae")},
        "layout": encoder.preprocessing.layout, "preprocessing": encoder.preprocessing.as_dict(),
        "classes": {"names": names, "seen": seen, "unseen_in_training": pack["unseen_classes"]},
        "files": {name: sha256_hex(data) for name, data in files.items()},
    }
    files = {"manifest.json": json.dumps(manifest, indent=2).encode(), **files}
    _write_bundle(Path(out), files, force)
    return Path(out)


def write_anchor_bundle(out, encoder: TrainedEncoder, gate: Gate, names: list[str], text_model: str,
                        normalized: bool = True, *, force: bool = False, extra: dict | None = None) -> Path:
    """Write an anchor bundle: an encoder with the text head and its GZSL gate (see the module doc)."""
    if encoder.model.config.head != "text":
        raise SadvaeError("anchor bundle: expected an encoder with the text head, found the "
                          f"{encoder.model.config.head} head")
    files = {"encoder.safetensors": encoder.to_bytes(), "gate.json": json.dumps(gate.__dict__, indent=2).encode()}
    extra = dict(extra or {})
    manifest = {
        "format": FORMAT, "kind": "anchor", "sadvae_version": __version__, "torch_version": torch.__version__,
        "text": {"model": text_model, "normalized": normalized, "mode": extra.pop("text_mode", "desc")},
        "layout": encoder.preprocessing.layout, "preprocessing": encoder.preprocessing.as_dict(),
        "classes": {"names": list(names), "seen": [int(c) for c in encoder.classes],
                    "unseen_in_training": extra.pop("unseen_in_training", [])},
        **extra,
        "files": {name: sha256_hex(data) for name, data in files.items()},
    }
    files = {"manifest.json": json.dumps(manifest, indent=2).encode(), **files}
    _write_bundle(Path(out), files, force)
    return Path(out)


def _write_bundle(out: Path, files: dict[str, bytes], force: bool) -> None:

    if out.suffix.lower() == ".zip":
        if out.exists() and not force:
            raise SadvaeError(f"{out}: expected no file here, found one (use --force to replace it)")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
            for name, data in files.items():
                z.writestr(name, data)
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(out, buf.getvalue())
        except OSError as exc:
            raise SadvaeError(f"{out}: expected a writable place for the bundle, found {exc.strerror}") from None
        return
    with staged_output(out, force=force) as stage:
        for name, data in files.items():
            atomic_write_bytes(stage / name, data)
