"""Presets (the settings of the authors' training scripts) and the resolved run configuration.

Precedence: command-line flags > config file (TOML) > preset > documented defaults. Any dataset
name works: one without a preset gets DEFAULTS, and its class count comes from the pack.
"""
from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import SadvaeError
from ..settings import check, declared, setting
from ..methods.config import TrainConfig, fused_text_mode

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PROTOCOLS = ("synse", "random", "llm")
GZSL_RULES = ("gate", "stacking")
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

# A method's own settings from its authors, applied over a dataset's preset row (flags and config files
# still win): FS-VAE's scripts (wenhanwu95/FS-VAE fsvae_60.sh / fsvae_120.sh, train.py): latent 100 / 200,
# Adam lr 1e-4, batch 64, alignment alpha 0.5 / 0.1; its 10 cycles are our 10 passes.
METHOD_PRESETS = {
    ("fs-vae", "ntu60"): {"semantic_dim": 100, "lr": 1e-4, "batch_size": 64, "alignment_alpha": 0.5},
    ("fs-vae", "ntu120"): {"semantic_dim": 200, "lr": 1e-4, "batch_size": 64, "alignment_alpha": 0.1},
}

# For datasets and unseen counts without a preset, the starting values (the NTU-60 SynSE ones); the
# settings the user did not give are then derived from the pack (`derive_from_pack`).
DEFAULTS = {k: getattr(TrainConfig(), k) for k in ("semantic_dim", "style_dim", "lr", "batch_size", "dis_step")}
DERIVED = ("semantic_dim", "lr", "text_mode", "zsl_fits", "method", "gzsl")  # what `derive_from_pack` may set
SMALL_PACK_BATCHES = 200  # below this many batches per pass, one ZSL classifier fit is too noisy
REFERENCE_BATCHES_PER_PASS = 1200  # NTU-60 SynSE: ~38,500 training samples / batch 32, where lr 3.4e-5 was tuned
MAX_LR_FACTOR = 30.0  # the largest step-up of that lr (UTD-MHAD: 1e-3, measured better than 3.4e-5)


@dataclass
class RunConfig(TrainConfig):
    """Everything one run needs: the pack, the training settings (`TrainConfig`, declared there) and the
    protocol's choices. Each setting is declared once; flags and file checks are generated from it."""

    resources: str = setting("", "the resources/ folder (label_splits, text_feats, sk_feats)", group="pack",
                             required=True)
    dataset: str = setting("", "ntu60, ntu120, pku51 (presets) or your own pack's name", group="pack", required=True)
    unseen: int = setting(0, "number of unseen classes (5, 12, ...)", group="pack", required=True)
    protocol: str | None = setting(None, "preset family (inferred when omitted)", group="pack", choices=PROTOCOLS)
    split_name: str | None = setting(None, "folder name of the split (e.g. ntu60_split2); default: the dataset",
                                     group="pack")
    split_type: str = setting("r", "split type letter in file names (default r)", group="pack")
    encoder: str | None = setting(None, "skeleton encoder folder prefix (shift, stgcn, ...); found when unique",
                                  group="pack")
    text_model: str | None = setting(None, "the text model whose features to read (stsb-bert-large, "
                                           "all-minilm-l6-v2, ...: its folder in text_feats/); found when unique",
                                     group="pack")
    text_mode: str | None = setting(None, "text mode(s), `_`-joined modes are concatenated (lb, chat, lb_chat)",
                                    group="pack")
    gate_temperature: float | None = setting(None, "fix the gate temperature instead of searching 1..9")
    gate_threshold: float | None = setting(None, "fix the gate threshold instead of searching 0.25..0.74")
    selection: str = setting("val", "pass selection: val (default, no test label used) or test (paper protocol)",
                             choices=("val", "test"))
    gzsl: str = setting("gate", "GZSL decision: gate (default; the reference's logistic-regression gate) or "
                                "stacking (calibrated stacking of both classifiers' confidences, calibrated on the "
                                "validation split)", choices=GZSL_RULES)
    seeds: list[int] = setting([5], "the seeds, trained at once as one batched model (the CLI: --seeds N / --seed S)",
                               flag=False)
    device: str = setting("auto", "where to train (default auto: CUDA, else MPS, else CPU)",
                          choices=("auto", "cpu", "cuda", "mps"))
    # provenance, not settings
    preset: str = "none"  # which preset row was applied, or "derived from the pack"
    derived: dict = field(default_factory=dict)  # setting -> why, for the settings derived from the pack
    to_derive: list[str] = field(default_factory=list)  # settings no preset, file or flag gave (see DERIVED)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


CONFIG_KEYS = {f.name for f in declared(RunConfig)}
FIRST_SEED = 5  # the reference's seed; --seeds N trains 5, 6, ..., 4 + N


def seeds_for(count: int | None = None, seed: int | None = None) -> list[int] | None:
    """The seed list of `--seeds N` (N seeds from FIRST_SEED) or `--seed S`; None when neither is given."""
    if count is not None:
        if count < 1:
            raise SadvaeError(f"--seeds: expected a positive count, found {count}")
        return list(range(FIRST_SEED, FIRST_SEED + count))
    return None if seed is None else [seed]


def infer_protocol(dataset: str, unseen: int, split_name: str | None) -> str | None:
    if split_name and "_split" in split_name:
        return "random"
    if (("synse", dataset, unseen)) in PRESETS:
        return "synse"
    if ("random", dataset, unseen) in PRESETS:
        return "random"
    return None


def read_toml(path) -> dict:
    """A TOML file's tables; one clear error when it is missing or not TOML."""
    path = Path(path)
    try:
        return tomllib.loads(path.read_text())
    except (FileNotFoundError, IsADirectoryError):
        raise SadvaeError(f"{path}: expected a TOML file, found no such file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SadvaeError(f"{path}: expected valid TOML, found {exc}") from None


def read_config_file(path) -> dict:
    path = Path(path)
    data = read_toml(path)
    unknown = sorted(set(data) - CONFIG_KEYS)
    if unknown:
        raise SadvaeError(f"{path}: expected keys among {', '.join(sorted(CONFIG_KEYS))}, "
                          f"found unknown {', '.join(unknown)}")
    return data


def resolve_config(overrides: dict, config_file=None) -> RunConfig:
    """Merge preset, config file and explicit overrides (None values in `overrides` mean "not given")."""
    given = ({k: check(RunConfig, k, v, str(config_file)) for k, v in read_config_file(config_file).items()}
             if config_file else {})
    unknown = sorted(set(overrides) - CONFIG_KEYS)
    if unknown:
        raise SadvaeError(f"settings: expected keys among {', '.join(sorted(CONFIG_KEYS))}, found unknown "
                          f"{', '.join(unknown)}")
    given.update({k: check(RunConfig, k, v, "settings") for k, v in overrides.items() if v is not None})
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
        own = METHOD_PRESETS.get((given.get("method", cfg.method), dataset))
        if own is not None:
            for k, v in own.items():
                setattr(cfg, k, v)
            cfg.preset += f" + {given.get('method', cfg.method)} authors' settings"
    else:
        cfg.to_derive = [k for k in DERIVED if k not in given]
    if protocol is not None:
        cfg.protocol = protocol
        if protocol in ("random", "llm") and dataset in RANDOM_SPLITS:
            cfg.split_name = RANDOM_SPLITS[dataset][0]
    for k, v in given.items():
        setattr(cfg, k, v)
    if cfg.text_mode is None:
        cfg.text_mode = PROTOCOL_NAMES[protocol]["text_mode"] if protocol else "lb"
    for name in ("semantic_dim", "batch_size", "dis_step", "passes", "zsl_fits"):
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


def derive_from_pack(cfg: RunConfig, n_train: int, n_classes: int, text_modes: list[str],
                     text_head: bool = False) -> None:
    """Fill the settings in `cfg.to_derive` from the pack's size (a dataset without a preset), in place.

    - lr: the presets' ~3.4e-5 was tuned for ~1,200 batches per pass; with L batches per pass it is
      raised by (1200 / L)^0.75, at most 30x (UTD-MHAD, ~11 batches per pass: 1e-3, the best value
      measured there by hand);
    - semantic_dim: the class count rounded up to a power of two, within 16..160 (27 classes: 32);
    - zsl_fits: 5 classifier fits averaged per pass when a pass has fewer than 200 batches (measured on
      UTD-MHAD: one fit's ZSL ranged over 25-55% between fitting seeds);
    - text_mode: `desc` (class descriptions) when the pack has them, else `prompt` (the class names in
      templates, written by `sadvae features`), else `lb` (class names); for `--method msf`, every mode
      the pack has but `prompt`, fused;
    - method: `anchor` when the pack's encoder has the text head (built by `sadvae features`): on
      UTD-MHAD's PURLS splits it beat SA-DVAE on all three and the projection baseline on the same
      features on two, the third within the spread over encoder seeds (benchmarks/bench_purls.py);
      else `sadvae`;
    - gzsl: `stacking` for anchor (its seen and new scores share one scale), else the reference's gate.
    """
    if not cfg.to_derive:
        return
    batches = max(1, -(-n_train // cfg.batch_size))
    why = {}
    if "lr" in cfg.to_derive:
        factor = min(MAX_LR_FACTOR, max(1.0, (REFERENCE_BATCHES_PER_PASS / batches) ** 0.75))
        cfg.lr = float(f"{DEFAULTS['lr'] * factor:.3g}")
        why["lr"] = (f"{cfg.lr:g}: {batches} batches per pass against ~{REFERENCE_BATCHES_PER_PASS} where "
                     f"{DEFAULTS['lr']:.3g} was tuned, so x{factor:.3g}")
    if "semantic_dim" in cfg.to_derive:
        cfg.semantic_dim = int(min(160, max(16, 2 ** int(np.ceil(np.log2(max(n_classes, 2)))))))
        why["semantic_dim"] = f"{cfg.semantic_dim}: {n_classes} classes, rounded up to a power of two (16..160)"
    if "zsl_fits" in cfg.to_derive and batches < SMALL_PACK_BATCHES:
        cfg.zsl_fits = 5
        why["zsl_fits"] = (f"5: {batches} batches per pass (< {SMALL_PACK_BATCHES}); on such packs one classifier "
                           "fit's accuracy varies by tens of points, so five are averaged")
    if "text_mode" in cfg.to_derive:
        cfg.text_mode, why["text_mode"] = choose_text_mode(cfg.method, text_modes)
    if "method" in cfg.to_derive and text_head:
        cfg.method = "anchor"
        why["method"] = ("anchor: the pack's encoder has the text-anchored head, whose own zero-shot scores were the "
                         "best measured on UTD-MHAD (--method sadvae for SA-DVAE)")
    if "gzsl" in cfg.to_derive and cfg.method == "anchor":
        cfg.gzsl = "stacking"
        why["gzsl"] = "stacking: the anchor method's seen and new-class scores are cosines on one scale"
    cfg.derived, cfg.to_derive, cfg.preset = why, [], "derived from the pack"


def choose_text_mode(method: str, modes: list[str]) -> tuple[str, str]:
    """The text mode a run without one uses, and why."""
    if method == "msf" and modes:
        mode = fused_text_mode([m for m in modes if m != "prompt"] or modes)  # prompt: the names again
        return mode, f"{mode}: method msf fuses every description type the pack has"
    if "desc" in modes:
        return "desc", "desc: the pack has class descriptions"
    if "prompt" in modes:
        return "prompt", "prompt: the class names in templates (the pack has no descriptions)"
    return "lb", "lb: the class names (the pack has no descriptions)"


def default_names(cfg: RunConfig) -> dict:
    """Encoder and text model the preset's protocol names, used when the pack holds several."""
    return PROTOCOL_NAMES.get(cfg.protocol or "", {})
