"""The feature pack: the authors' `resources/` layout, read unchanged and validated on load.

resources/
  label_splits/{split_name}/{st}u{U}.npy, {st}s{N-U}.npy, {st}v{U}_0.npy, {st}s{N-2U}_0.npy
  text_feats/{split_name or dataset}/{text_model}/{mode}_{N}.npy      (modes joined by `_` are concatenated)
  sk_feats/{encoder}_{split_name}_{U}_{st}/        main split
  sk_feats/{encoder}_{split_name}_val_{U}_{st}/    validation split
  label_splits/.../{st}v{U}_{k}.npy, {st}s{N-2U}_{k}.npy and sk_feats/{encoder}_{split_name}_val{k}_{U}_{st}/
                                                   further validation draws k = 1, 2, ... (optional, ours)

Every array is loaded with allow_pickle=False. Any violation of the contract raises PackError naming
the file, what was expected and what was found.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import PackError

# Role of a set once loaded -> its files in the pack (the authors' names: `ztest` for the zero-shot test
# set, `gtest` for the generalized one, `val` for the validation split's held-out seen samples). The main
# folder and the validation folder hold different sets:
#   train         training samples of the seen classes (of the seen-minus-validation ones in the val folder)
#   unseen        samples of the unseen classes (of the validation classes, pseudo-unseen, in the val folder)
#   all           test samples of every class (main folder only: the GZSL test set)
#   seen_heldout  held-out samples of the seen-minus-validation classes (val folder only: the gate's seen side)
MAIN_FILES = {
    "train": ("train.npy", "train_label.npy"),
    "unseen": ("ztest.npy", "z_label.npy"),
    "all": ("gtest.npy", "g_label.npy"),
}
MAIN_LOGITS = {"all": "gtest_out.npy"}
VAL_FILES = {
    "train": ("train.npy", "train_label.npy"),
    "unseen": ("ztest.npy", "z_label.npy"),
    "seen_heldout": ("val.npy", "val_label.npy"),
}
VAL_LOGITS = {"unseen": "ztest_out.npy", "seen_heldout": "val_out.npy"}
# the roles' names in run folders written before they were renamed
OLD_ROLE_NAMES = {"ztest": "unseen", "gtest": "all", "val": "seen_heldout"}


MAX_VAL_DRAWS = 10  # validation draws a pack may hold (the authors' one and up to nine more)
MIN_GATE_SAMPLES = 12  # validation samples of each kind the GZSL gate needs, to fit and hold out


@dataclass
class SplitData:
    """One `sk_feats` folder: features, labels and seen-classifier logits per subset."""

    path: Path
    features: dict[str, np.ndarray]
    labels: dict[str, np.ndarray]
    logits: dict[str, np.ndarray]

    @property
    def feature_dim(self) -> int:
        return self.features["train"].shape[1]


@dataclass
class FeaturePack:
    """A validated feature pack for one dataset split (all arrays in memory)."""

    root: Path
    dataset: str
    split_name: str
    split_type: str
    encoder: str
    text_model: str
    text_mode: str
    n_classes: int
    unseen_classes: np.ndarray  # sorted
    seen_classes: np.ndarray
    val_classes: np.ndarray  # pseudo-unseen classes of the validation split, sorted
    seen_minus_val: np.ndarray
    text: np.ndarray  # (N, D) float32, raw (the trainer L2-normalises)
    main: SplitData
    val: SplitData
    more_vals: list[ValDraw] = field(default_factory=list)  # further validation draws (1, 2, ...), when written

    def val_draws(self) -> list[ValDraw]:
        """Every validation draw, the authors' one (`val`) first."""
        return [ValDraw(self.val_classes, self.seen_minus_val, self.val)] + list(self.more_vals)


@dataclass
class ValDraw:
    """One validation draw: its pseudo-unseen classes (sorted), the seen classes minus those, its folder."""

    classes: np.ndarray
    seen_minus_val: np.ndarray
    data: SplitData


# ---------------------------------------------------------------------------------------------
# low-level checked loading


def load_array(path: Path) -> np.ndarray:
    """np.load without pickles; every failure becomes a PackError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise PackError(path, "a .npy file", "no such file")
    try:
        arr = np.load(path, allow_pickle=False)
    except ValueError as exc:
        if "pickle" in str(exc):  # object arrays need pickle: refuse them
            raise PackError(path, "a numeric .npy array (no pickled objects)", "an array of Python objects") from None
        raise PackError(path, "a valid .npy file", f"a corrupt or truncated file ({exc})") from None
    except (OSError, EOFError) as exc:
        raise PackError(path, "a valid .npy file", f"a corrupt or truncated file ({exc})") from None
    if not isinstance(arr, np.ndarray):
        raise PackError(path, "a single .npy array", f"{type(arr).__name__}")
    return arr


def as_features(arr: np.ndarray, path: Path, width: int | None = None, what="features") -> np.ndarray:
    if arr.ndim != 2:
        raise PackError(path, f"2-D {what} (samples x dims)", f"shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
        raise PackError(path, f"real-valued {what}", f"dtype {arr.dtype}")
    if arr.shape[0] == 0:
        raise PackError(path, f"at least one row of {what}", "0 rows")
    if width is not None and arr.shape[1] != width:
        raise PackError(path, f"{width} columns", f"{arr.shape[1]} (shape {arr.shape})")
    arr = arr.astype(np.float32, copy=False)
    bad = ~np.isfinite(arr)
    if bad.any():
        row = int(np.argwhere(bad)[0][0])
        raise PackError(path, f"finite {what}", f"{int(bad.sum())} NaN/Inf values (first in row {row})")
    return arr


def as_labels(arr: np.ndarray, path: Path, n_rows: int | None = None) -> np.ndarray:
    arr = np.asarray(arr)
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.reshape(-1)
    if arr.ndim != 1:
        raise PackError(path, "a 1-D array of class ids", f"shape {arr.shape}")
    if np.issubdtype(arr.dtype, np.floating):
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise PackError(path, "integer class ids", "non-integer values")
    elif not np.issubdtype(arr.dtype, np.integer):
        raise PackError(path, "integer class ids", f"dtype {arr.dtype}")
    if n_rows is not None and len(arr) != n_rows:
        raise PackError(path, f"{n_rows} labels (one per feature row)", f"{len(arr)}")
    return arr.astype(np.int64)


def _check_inside(labels: np.ndarray, allowed: np.ndarray, path: Path, what: str) -> None:
    outside = np.setdiff1d(np.unique(labels), allowed)
    if len(outside):
        shown = ", ".join(str(int(c)) for c in outside[:8])
        raise PackError(path, f"labels inside the {what} ({len(allowed)} classes)",
                        f"{len(outside)} other class ids ({shown}{', ...' if len(outside) > 8 else ''})")


# ---------------------------------------------------------------------------------------------
# resolution of names inside a resources folder


def _single_choice(candidates: list[str], preferred: str | None, what: str, where: Path, flag: str) -> str:
    if preferred is not None and preferred in candidates:
        return preferred
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise PackError(where, f"a {what} folder", "none")
    raise PackError(where, f"one {what} folder or {flag} NAME", f"several: {', '.join(sorted(candidates))}")


def split_file_names(split_type: str, n_classes: int, n_unseen: int, n_val: int | None = None,
                     draw: int = 0) -> dict[str, str]:
    """The label split files. There are as many validation classes as unseen ones (the authors' layout)
    unless the seen classes are too few for that (e.g. 14 seen and 13 unseen): then `{st}v{U}_0.npy`
    holds V < U classes and the seen-minus-validation file is named by its own size, N - U - V.
    A further validation draw k (k >= 1) has its own two files, `{st}v{U}_{k}.npy` and `{st}s{N-U-V}_{k}.npy`."""
    st, u, n = split_type, n_unseen, n_classes
    v = u if n_val is None else n_val
    return {"unseen": f"{st}u{u}.npy", "seen": f"{st}s{n - u}.npy",
            "val": f"{st}v{u}_{draw}.npy", "seen_minus_val": f"{st}s{n - u - v}_{draw}.npy"}


def split_folder_names(encoder: str, split_name: str, n_unseen: int, split_type: str,
                       draw: int = 0) -> tuple[str, str]:
    """The main folder and the folder of validation draw `draw` (the authors' one is draw 0; a further
    draw k is `..._val{k}_...`)."""
    val = "val" if draw == 0 else f"val{draw}"
    return (f"{encoder}_{split_name}_{n_unseen}_{split_type}", f"{encoder}_{split_name}_{val}_{n_unseen}_{split_type}")


def text_folder(root: Path, dataset: str, split_name: str) -> Path:
    for name in dict.fromkeys([split_name, dataset]):
        if (root / "text_feats" / name).is_dir():
            return root / "text_feats" / name
    raise PackError(root / "text_feats" / split_name, "a folder of text features", "no such folder")


def text_modes(resources, dataset: str, split_name: str | None, text_model: str | None) -> list[str]:
    """The text modes (lb, desc, chat, ...) of the pack's text features; [] when that is not unambiguous."""
    try:
        text_dir = text_folder(Path(resources), dataset, split_name or dataset)
        models = sorted(p.name for p in text_dir.iterdir() if p.is_dir())
        text_dir = text_dir / _single_choice(models, text_model, "text model", text_dir, "--text-model")
    except (PackError, OSError):
        return []  # loading the pack says what is wrong
    return sorted({m.group(1) for p in text_dir.glob("*.npy") if (m := re.fullmatch(r"([^_]+)_\d+\.npy", p.name))})


def _infer_n_classes(text_dir: Path, mode: str) -> int:
    sizes = sorted({int(m.group(1)) for p in text_dir.glob(f"{mode}_*.npy")
                    if (m := re.fullmatch(re.escape(mode) + r"_(\d+)\.npy", p.name))})
    if len(sizes) != 1:
        raise PackError(text_dir, f"exactly one {mode}_N.npy telling the class count N",
                        f"{len(sizes)} ({', '.join(map(str, sizes)) or 'none'})")
    return sizes[0]


def load_text(text_dir: Path, mode: str, n_classes: int) -> np.ndarray:
    """Text features of all classes, (N, D); or (N, M, D) for an ensemble of M descriptions per class.
    `_`-joined modes are concatenated along the feature axis (a one-row mode joined with an ensemble
    is repeated beside each of its descriptions)."""
    parts = []
    for m in mode.split("_"):
        path = text_dir / f"{m}_{n_classes}.npy"
        raw = load_array(path)
        if raw.ndim == 3:  # ensemble: validated as (N*M, D) rows
            arr = as_features(raw.reshape(-1, raw.shape[-1]), path, what="text features").reshape(raw.shape)
        else:
            arr = as_features(raw, path, what="text features")
        if arr.shape[0] != n_classes:
            raise PackError(path, f"{n_classes} rows (one per class)", f"{arr.shape[0]}")
        zero = np.flatnonzero((np.linalg.norm(arr, axis=-1) == 0).reshape(n_classes, -1).any(1))
        if len(zero):
            raise PackError(path, "a non-zero text feature for every class", f"all-zero rows {zero[:8].tolist()}")
        parts.append(arr)
    members = {p.shape[1] for p in parts if p.ndim == 3}
    if len(members) > 1:
        raise PackError(text_dir / f"{mode.split('_')[-1]}_{n_classes}.npy", "the same number of descriptions per "
                        f"class in every ensemble mode of {mode}", f"{sorted(members)}")
    if members:  # a one-row mode is repeated beside each description of an ensemble mode
        m = members.pop()
        parts = [p if p.ndim == 3 else np.repeat(p[:, None], m, axis=1) for p in parts]
    return np.concatenate(parts, axis=-1)


def _load_class_split(path: Path, n_classes: int, size: int) -> np.ndarray:
    ids = as_labels(load_array(path), path)
    if len(ids) != size:
        raise PackError(path, f"{size} class ids", f"{len(ids)}")
    if len(np.unique(ids)) != len(ids):
        raise PackError(path, "distinct class ids", "duplicates")
    if ids.min() < 0 or ids.max() >= n_classes:
        raise PackError(path, f"class ids in 0..{n_classes - 1}", f"range {ids.min()}..{ids.max()}")
    return ids


def _load_split_folder(folder: Path, sets: dict, logit_files: dict, n_classes: int,
                       allowed: dict[str, tuple[np.ndarray, str]]) -> SplitData:
    if not folder.is_dir():
        raise PackError(folder, "a folder of skeleton features", "no such folder")
    missing = [name for pair in sets.values() for name in pair if not (folder / name).is_file()]
    missing += [name for name in logit_files.values() if not (folder / name).is_file()]
    if missing:
        raise PackError(folder / missing[0], "a file of the feature pack",
                        f"missing ({len(missing)} missing in this folder: {', '.join(missing)})")
    features, labels, logits = {}, {}, {}
    width = None
    for role, (feat_name, label_name) in sets.items():
        x = as_features(load_array(folder / feat_name), folder / feat_name, width)
        width = x.shape[1]
        y = as_labels(load_array(folder / label_name), folder / label_name, len(x))
        classes, what = allowed[role]
        _check_inside(y, classes, folder / label_name, what)
        features[role], labels[role] = x, y
    for role, name in logit_files.items():
        out = as_features(load_array(folder / name), folder / name, n_classes, what="logits")
        if len(out) != len(features[role]):
            raise PackError(folder / name, f"{len(features[role])} rows (one per sample of {sets[role][0]})",
                            f"{len(out)}")
        logits[role] = out
    return SplitData(folder, features, labels, logits)


def load_pack(resources, dataset: str, n_unseen: int, *, split_name: str | None = None,
              encoder: str | None = None, text_model: str | None = None, text_mode: str = "lb",
              split_type: str = "r", n_classes: int | None = None,
              default_encoder: str | None = None, default_text_model: str | None = None) -> FeaturePack:
    """Read and validate a feature pack. Names left as None are found in the pack when unambiguous."""
    root = Path(resources)
    if not root.is_dir():
        raise PackError(root, "a resources folder (label_splits/, text_feats/, sk_feats/)", "no such folder")
    split_name = split_name or dataset
    if n_unseen < 1:
        raise PackError(root, "at least one unseen class", f"--unseen {n_unseen}")

    text_dir = text_folder(root, dataset, split_name)
    models = sorted(p.name for p in text_dir.iterdir() if p.is_dir())
    if text_model is not None and text_model not in models:
        raise PackError(text_dir / text_model, f"a text model folder (available: {', '.join(models) or 'none'})",
                        "no such folder")
    text_model = _single_choice(models, text_model or default_text_model, "text model", text_dir, "--text-model")
    text_dir = text_dir / text_model
    if n_classes is None:
        n_classes = _infer_n_classes(text_dir, text_mode.split("_")[0])
    if 2 * n_unseen >= n_classes:
        raise PackError(text_dir, f"fewer than {n_classes // 2 + n_classes % 2} unseen classes for {n_classes} classes",
                        f"--unseen {n_unseen}")
    text = load_text(text_dir, text_mode, n_classes)

    label_dir = root / "label_splits" / split_name
    names = split_file_names(split_type, n_classes, n_unseen)
    n_val = n_unseen
    if (label_dir / names["val"]).is_file():  # fewer validation classes than unseen ones (see split_file_names)
        n_val = min(n_unseen, max(1, len(as_labels(load_array(label_dir / names["val"]), label_dir / names["val"]))))
        names = split_file_names(split_type, n_classes, n_unseen, n_val)
    sizes = {"unseen": n_unseen, "seen": n_classes - n_unseen, "val": n_val,
             "seen_minus_val": n_classes - n_unseen - n_val}
    missing = [n for n in names.values() if not (label_dir / n).is_file()]
    if missing:
        raise PackError(label_dir / missing[0], f"the label split files {', '.join(names.values())}",
                        f"missing: {', '.join(missing)}")
    ids = {role: _load_class_split(label_dir / names[role], n_classes, sizes[role]) for role in names}
    unseen, seen = np.sort(ids["unseen"]), ids["seen"]
    if np.intersect1d(unseen, seen).size:
        raise PackError(label_dir / names["seen"], f"no class of {names['unseen']}",
                        f"shared classes {np.intersect1d(unseen, seen).tolist()}")
    if not np.array_equal(np.union1d(unseen, seen), np.arange(n_classes)):
        raise PackError(label_dir / names["seen"], f"seen + unseen covering all {n_classes} classes",
                        f"missing {np.setdiff1d(np.arange(n_classes), np.union1d(unseen, seen)).tolist()}")
    val_classes, seen_minus_val = _check_val_classes(label_dir, names, ids, seen)

    sk_dir = root / "sk_feats"
    main_suffix = f"_{split_name}_{n_unseen}_{split_type}"
    encoders = sorted(p.name[: -len(main_suffix)] for p in sk_dir.glob(f"*{main_suffix}") if p.is_dir()) \
        if sk_dir.is_dir() else []
    if encoder is not None and encoder not in encoders:
        raise PackError(sk_dir / f"{encoder}{main_suffix}",
                        f"a skeleton feature folder (available: {', '.join(encoders) or 'none'})", "no such folder")
    encoder = _single_choice(encoders, encoder or default_encoder, "skeleton encoder", sk_dir, "--encoder")
    main_name, val_name = split_folder_names(encoder, split_name, n_unseen, split_type)
    all_classes = np.arange(n_classes)
    main = _load_split_folder(sk_dir / main_name, MAIN_FILES, MAIN_LOGITS, n_classes, {
        "train": (seen, f"seen classes ({names['seen']})"),
        "unseen": (unseen, f"unseen classes ({names['unseen']})"),
        "all": (all_classes, "dataset"),
    })
    val = _load_val_folder(sk_dir / val_name, names, n_classes, val_classes, seen_minus_val, main, main_name)
    more_vals = []
    for draw in range(1, MAX_VAL_DRAWS):  # further validation draws of this encoder, while there are
        draw_names = split_file_names(split_type, n_classes, n_unseen, n_val, draw)
        folder = sk_dir / split_folder_names(encoder, split_name, n_unseen, split_type, draw)[1]
        if not folder.is_dir():
            break
        if not (label_dir / draw_names["val"]).is_file():
            raise PackError(label_dir / draw_names["val"], f"the validation classes of {folder.name}", "no such file")
        if not (label_dir / draw_names["seen_minus_val"]).is_file():
            raise PackError(label_dir / draw_names["seen_minus_val"], f"the seen-minus-validation classes of "
                            f"{draw_names['val']}", "no such file")
        draw_ids = {role: _load_class_split(label_dir / draw_names[role], n_classes, sizes[role])
                    for role in ("val", "seen_minus_val")}
        draw_classes, draw_rest = _check_val_classes(label_dir, names | draw_names, draw_ids, seen)
        more_vals.append(ValDraw(draw_classes, np.sort(draw_rest),
                                 _load_val_folder(folder, draw_names, n_classes, draw_classes, draw_rest, main,
                                                  main_name)))
    present = np.unique(main.labels["all"])
    if not np.intersect1d(present, unseen).size or not np.intersect1d(present, seen).size:
        raise PackError(main.path / "g_label.npy", "samples of both seen and unseen classes", "only one kind")
    return FeaturePack(root=root, dataset=dataset, split_name=split_name, split_type=split_type, encoder=encoder,
                       text_model=text_model, text_mode=text_mode, n_classes=n_classes, unseen_classes=unseen,
                       seen_classes=np.sort(seen), val_classes=val_classes, seen_minus_val=np.sort(seen_minus_val),
                       text=text, main=main, val=val, more_vals=more_vals)


def _check_val_classes(label_dir: Path, names: dict, ids: dict, seen: np.ndarray):
    """(sorted validation classes, seen-minus-validation classes) of one draw, checked against the seen ones."""
    val_classes, seen_minus_val = np.sort(ids["val"]), ids["seen_minus_val"]
    if np.setdiff1d(val_classes, seen).size:
        raise PackError(label_dir / names["val"], f"validation classes drawn from the seen classes ({names['seen']})",
                        f"non-seen classes {np.setdiff1d(val_classes, seen).tolist()}")
    if not np.array_equal(np.sort(seen_minus_val), np.setdiff1d(seen, val_classes)):
        raise PackError(label_dir / names["seen_minus_val"], f"exactly the seen classes minus {names['val']}",
                        f"{len(np.setxor1d(seen_minus_val, np.setdiff1d(seen, val_classes)))} classes differ")
    return val_classes, seen_minus_val


def _load_val_folder(folder: Path, names: dict, n_classes: int, val_classes, seen_minus_val, main: SplitData,
                     main_name: str) -> SplitData:
    val = _load_split_folder(folder, VAL_FILES, VAL_LOGITS, n_classes, {
        "train": (seen_minus_val, f"seen-minus-validation classes ({names['seen_minus_val']})"),
        "unseen": (val_classes, f"validation classes ({names['val']})"),
        "seen_heldout": (seen_minus_val, f"seen-minus-validation classes ({names['seen_minus_val']})"),
    })
    if val.feature_dim != main.feature_dim:
        raise PackError(val.path / "train.npy", f"{main.feature_dim} feature columns like {main_name}",
                        f"{val.feature_dim}")
    return val
