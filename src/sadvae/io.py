"""Crash-safe output: files are written to a temporary name and renamed; a run folder is staged."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from .errors import SadvaeError


def atomic_write_bytes(path, data: bytes) -> None:
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path, text: str) -> None:
    atomic_write_bytes(path, text.encode())


def read_json_object(path, what: str) -> dict:
    """A JSON object from `path`; one clear error naming the file and `what` it should hold otherwise."""
    path = Path(path)
    if not path.is_file():
        raise SadvaeError(f"{path}: expected {what}, found no such file")
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SadvaeError(f"{path}: expected {what} (JSON), found {exc}") from None
    if not isinstance(data, dict):
        raise SadvaeError(f"{path}: expected {what} (a JSON object), found {type(data).__name__}")
    return data


def save_tensors(path, tensors: dict, metadata: dict[str, str] | None = None) -> None:
    """safetensors file, written atomically. Values may be torch tensors or NumPy arrays."""
    import numpy as np
    import torch
    from safetensors.torch import save

    as_torch = {k: (torch.from_numpy(np.ascontiguousarray(v)) if isinstance(v, np.ndarray) else v.contiguous())
                for k, v in tensors.items()}
    atomic_write_bytes(path, save(as_torch, metadata=metadata))


def load_tensors(path) -> tuple[dict, dict[str, str]]:
    """NumPy arrays and the metadata of a safetensors file (no pickle involved)."""
    from safetensors import safe_open

    path = Path(path)
    if not path.is_file():
        raise SadvaeError(f"{path}: expected a safetensors file, found no such file")
    try:
        with safe_open(str(path), framework="numpy") as f:
            return {k: f.get_tensor(k) for k in f.keys()}, dict(f.metadata() or {})
    except Exception as exc:  # safetensors raises its own error types for corrupt headers
        raise SadvaeError(f"{path}: expected a safetensors file, found an unreadable file ({exc})") from None


def partial_folder(out) -> Path:
    """Where a resumable run stages its output (and keeps its checkpoints) until it is complete."""
    out = Path(out)
    return out.parent / f".{out.name}.partial"


@contextmanager
def staged_output(out, force: bool = False, resumable: bool = False, resume: bool = False):
    """Yield a temporary folder beside `out`; on success it becomes `out`, on failure it is removed.

    An existing `out` is refused unless force=True (then it is replaced only once the new run succeeded).
    With resumable=True the folder has a fixed name (`partial_folder`) and, once it holds a file (a
    checkpoint), outlives a run that was killed or failed, so that resume=True continues it; an
    interrupted run found there is refused unless resume or force (which starts over)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise SadvaeError(f"{out}: expected an output folder, found a file")
    if out.exists() and not force:
        what = "a complete run" if resume else "an existing one"
        raise SadvaeError(f"{out}: expected a new output folder, found {what} (use --force to replace it)")
    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        if resumable:
            tmp = partial_folder(out)
            if tmp.exists() and not resume and any(p.is_file() for p in tmp.rglob("*")):  # empty: nothing to lose
                if not force:
                    raise SadvaeError(f"{tmp}: expected no interrupted run of {out}, found one (use --resume to "
                                      "continue it, or --force to start over)")
                shutil.rmtree(tmp)
            tmp.mkdir(exist_ok=True)
        else:
            tmp = Path(tempfile.mkdtemp(dir=parent, prefix=f".{out.name}.", suffix=".partial"))
    except OSError as exc:
        raise SadvaeError(f"{parent}: expected a writable folder for the output, found {exc.strerror}") from None
    try:
        yield tmp
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    except BaseException:
        if not (resumable and any(p.is_file() for p in tmp.rglob("*"))):  # keep what a resume can use
            shutil.rmtree(tmp, ignore_errors=True)
        raise
