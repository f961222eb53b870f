"""Ready models shipped inside the package: `sadvae predict --model NAME` with no training or download.

Each is an anchor bundle folder beside this file (see `bundle.py`), rebuilt by a script in the
repository's benchmarks/ folder from the project's shared data. `sadvae models` lists them.
"""
from __future__ import annotations

import json
from pathlib import Path

from ...errors import SadvaeError

HERE = Path(__file__).resolve().parent


def ready_models() -> dict[str, Path]:
    """Name -> bundle folder of every ready model in the package."""
    return {p.name: p for p in sorted(HERE.iterdir()) if (p / "manifest.json").is_file()}


def available_models() -> list[str]:
    """The names of the ready models installed with the package (`sadvae.load(name)`)."""
    return list(ready_models())


def resolve_model(spec) -> Path:
    """A bundle path as given, or the folder of the ready model of that name."""
    path = Path(spec)
    if path.exists():
        return path
    ready = ready_models()
    if str(spec) in ready:
        return ready[str(spec)]
    raise SadvaeError(f"{spec}: expected a model bundle (a folder or a .zip from sadvae export or fit) or a ready "
                      f"model ({', '.join(ready) or 'none installed'}; see sadvae models), found neither")


def describe(name: str, folder: Path) -> dict:
    """What `sadvae models` shows of a ready model: classes, layout, size, how it was made."""
    manifest = json.loads((folder / "manifest.json").read_text())
    names = manifest["classes"]["names"]
    seen = manifest["classes"]["seen"]
    size = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
    return {"name": name, "kind": manifest.get("kind", "sadvae"), "layout": manifest["layout"],
            "classes": [names[c] for c in seen], "text_model": manifest["text"]["model"], "bytes": size,
            "trained_on": manifest.get("trained_on", ""), "path": str(folder),
            "scoring": manifest.get("scoring", "direct"),
            "allow_none": isinstance(manifest.get("confidence"), dict) and "beta" in manifest["confidence"]}
