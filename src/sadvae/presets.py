"""Presets (the authors' scripts, SPEC section 5) and the resolved run configuration.

Precedence: command-line flags > config file (TOML) > preset > documented defaults. Any dataset
name works: one without a preset gets DEFAULTS, and its class count comes from the pack.
"""
from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field, fields
from pathlib import Path

from .errors import SadvaeError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PROTOCOLS = ("synse", "random", "llm")
METHODS = ("sadvae", "no-tc", "naive", "projection", "anchor")
GZSL_RULES = ("gate", "stacking")
N_CLASSES = {"ntu60": 60, "ntu120": 120, "pku51": 51}
PROTOCOL_NAMES = {
    "synse": dict(encoder="shift", text_model="stsb-bert-large", text_mode="lb"),
    "random": dict(encoder="stgcn", text_model="clip-vit-b-32", text_mode="lb"),
    "llm": dict(encoder="stgcn", text_model="clip-vit-b-32", text_mode="chat"),
}
RANDOM_SPLITS = {
    "ntu60": ("ntu60_split2", "ntu60_split3", "ntu60_split4"),
    "ntu120": ("ntu120_split2", "ntu120_split3", "ntu120_split4"),
    "pku51": ("pku51_split1", "pku51_split2", "pku51_split3"),
}


def _p(S, R, lr, batch, dis_step, T=None, th=None):
    return dict(semantic_dim=S, style_dim=R, lr=lr, batch_size=batch, dis_step=dis_step,
                gate_temperature=T, gate_threshold=th)


# (protocol, dataset, unseen) -> hyper-parameters; gate T/threshold None means searched
PRESETS = {
    ("synse", "ntu60", 5): _p(160, 8, 3.389022400898623e-05, 32, 5),
    ("synse", "ntu60", 12): _p(160, 8, 3.389022400898623e-05, 32, 5),
    ("synse", "ntu120", 10): _p(256, 32, 3.4779964302664534e-05, 32, 4, 2, 0.50),
    ("synse", "ntu120", 24): _p(256, 32, 3.4779964302664534e-05, 32, 4, 2, 0.50),
    ("random", "ntu60", 5): _p(224, 16, 3.596163218514557e-05, 32, 7),
    ("random", "ntu120", 10): _p(176, 20, 7.360616069743272e-05, 32, 12),
    ("random", "pku51", 5): _p(128, 16, 3.074099555160793e-05, 64, 2),
    ("llm", "ntu60", 5): _p(96, 8, 4.9372938499672305e-05, 32, 4),
    ("llm", "ntu120", 10): _p(304, 12, 2.133571484619993e-05, 24, 16),
}

# For datasets and unseen counts without a preset: the NTU-60 SynSE values. Note that the learning
# rate was tuned for ~1,200 batches per pass; small packs usually want a larger one (--lr).
DEFAULTS = _p(160, 8, 3.389022400898623e-05, 32, 5)


@dataclass
class RunConfig:
    resources: str = ""
    dataset: str = ""
    unseen: int = 0
    protocol: str | None = None
    split_name: str | None = None
    split_type: str = "r"
    encoder: str | None = None
    text_model: str | None = None
    text_mode: str | None = None
    semantic_dim: int = DEFAULTS["semantic_dim"]
    style_dim: int = DEFAULTS["style_dim"]
    lr: float = DEFAULTS["lr"]
    batch_size: int = DEFAULTS["batch_size"]
    dis_step: int = DEFAULTS["dis_step"]
    passes: int = 10
    gate_temperature: float | None = None
    gate_threshold: float | None = None
    selection: str = "val"
    gzsl: str = "gate"  # "gate" (the reference's logistic-regression gate) or "stacking" (calibrated stacking)
    mode: str = "reference"
    method: str = "sadvae"  # the ablations "no-tc", "naive" (see train.TrainConfig); "projection", "anchor" (baselines)
    seeds: list[int] = field(default_factory=lambda: [5])
    device: str = "auto"
    preset: str = "none"  # which preset row was applied (provenance)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


CONFIG_KEYS = {f.name for f in fields(RunConfig)} - {"preset"}


def infer_protocol(dataset: str, unseen: int, split_name: str | None) -> str | None:
    if split_name and "_split" in split_name:
        return "random"
    if (("synse", dataset, unseen)) in PRESETS:
        return "synse"
    if ("random", dataset, unseen) in PRESETS:
        return "random"
    return None


def read_config_file(path) -> dict:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise SadvaeError(f"{path}: expected a TOML config file, found no such file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SadvaeError(f"{path}: expected valid TOML, found {exc}") from None
    unknown = sorted(set(data) - CONFIG_KEYS)
    if unknown:
        raise SadvaeError(f"{path}: expected keys among {', '.join(sorted(CONFIG_KEYS))}, "
                          f"found unknown {', '.join(unknown)}")
    return data


_INT_KEYS = {"unseen", "semantic_dim", "style_dim", "batch_size", "dis_step", "passes"}
_FLOAT_KEYS = {"lr", "gate_temperature", "gate_threshold"}
_STR_KEYS = {"resources", "dataset", "protocol", "split_name", "split_type", "encoder", "text_model", "text_mode",
             "selection", "gzsl", "mode", "method", "device"}


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _typed(key: str, value, where: str):
    """Check one setting's type (TOML and JSON carry their own), so a wrong one is a clear error."""
    if key in _INT_KEYS:
        ok, kind = _is_int(value), "an integer"
    elif key in _FLOAT_KEYS:
        ok, kind = _is_int(value) or isinstance(value, float), "a number"
    elif key in _STR_KEYS:
        ok, kind = isinstance(value, str), "a string"
    elif key == "seeds":
        ok, kind = _is_int(value) or (isinstance(value, list) and all(map(_is_int, value))), "a list of integers"
    else:
        return value
    if not ok:
        raise SadvaeError(f"{where}: expected {key} to be {kind}, found {value!r}")
    return float(value) if key in _FLOAT_KEYS else value


def resolve_config(overrides: dict, config_file=None) -> RunConfig:
    """Merge preset, config file and explicit overrides (None values in `overrides` mean "not given")."""
    given = {k: _typed(k, v, str(config_file)) for k, v in read_config_file(config_file).items()} if config_file else {}
    given.update({k: _typed(k, v, "settings") for k, v in overrides.items() if v is not None})
    dataset, unseen = given.get("dataset", ""), int(given.get("unseen", 0) or 0)
    if not dataset:
        raise SadvaeError("expected --dataset NAME (a preset name such as ntu60, or your pack's name), found none")
    if unseen < 1:
        raise SadvaeError(f"expected --unseen N with N >= 1, found {given.get('unseen')}")
    protocol = given.get("protocol") or infer_protocol(dataset, unseen, given.get("split_name"))
    if protocol is not None and protocol not in PROTOCOLS:
        raise SadvaeError(f"--protocol: expected one of {', '.join(PROTOCOLS)}, found {protocol!r}")
    cfg = RunConfig()
    row = PRESETS.get((protocol, dataset, unseen)) if protocol else None
    if row is not None:
        for k, v in row.items():
            setattr(cfg, k, v)
        cfg.preset = f"{protocol}/{dataset}/{unseen}"
    if protocol is not None:
        cfg.protocol = protocol
        if protocol in ("random", "llm") and dataset in RANDOM_SPLITS:
            cfg.split_name = RANDOM_SPLITS[dataset][0]
    for k, v in given.items():
        setattr(cfg, k, v)
    if cfg.text_mode is None:
        cfg.text_mode = PROTOCOL_NAMES[protocol]["text_mode"] if protocol else "lb"
    for name, allowed in (("selection", ("val", "test")), ("mode", ("reference", "clean")), ("gzsl", GZSL_RULES),
                          ("method", METHODS),
                          ("device", ("auto", "cpu", "cuda", "mps"))):
        if getattr(cfg, name) not in allowed:
            raise SadvaeError(f"--{name}: expected one of {', '.join(allowed)}, found {getattr(cfg, name)!r}")
    for name in ("semantic_dim", "batch_size", "dis_step", "passes"):
        if int(getattr(cfg, name)) < 1:
            raise SadvaeError(f"{name}: expected a positive integer, found {getattr(cfg, name)}")
    if cfg.style_dim < 0 or cfg.lr <= 0:
        raise SadvaeError(f"expected style_dim >= 0 and lr > 0, found {cfg.style_dim} and {cfg.lr}")
    if (cfg.semantic_dim + cfg.style_dim) < 4:
        raise SadvaeError("expected semantic_dim + style_dim >= 4 (the discriminator's hidden layer has a quarter)")
    if isinstance(cfg.seeds, int):
        cfg.seeds = [cfg.seeds]
    cfg.seeds = [int(s) for s in cfg.seeds]
    if not cfg.seeds or len(set(cfg.seeds)) != len(cfg.seeds):
        raise SadvaeError(f"seeds: expected distinct seeds, found {cfg.seeds}")
    return cfg


def default_names(cfg: RunConfig) -> dict:
    """Encoder and text model the preset's protocol names, used when the pack holds several."""
    return PROTOCOL_NAMES.get(cfg.protocol or "", {})
