"""Class names of a pack: from the sidecar `sadvae text` writes beside its text features, else a
built-in list of the dataset the split is named after."""
from __future__ import annotations

import json
from pathlib import Path

from ..data.classnames import BUILTIN
from ..errors import SadvaeError
from .format import text_folder


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
