import shutil
from pathlib import Path

import pytest

from sadvae.pack.synthetic import SyntheticSpec, make_synthetic_pack

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"

# small enough for a few seconds of training, large enough to learn something
TINY = SyntheticSpec(dataset="tiny", n_classes=12, n_unseen=3, feature_dim=24, text_dim=32, train_per_class=50,
                     test_per_class=20, seed=3)


@pytest.fixture(scope="session")
def tiny_pack_master(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny") / "resources"
    make_synthetic_pack(root, TINY)
    return root


@pytest.fixture
def tiny_pack(tiny_pack_master, tmp_path):
    """A private copy of the tiny pack that a test may break."""
    dst = tmp_path / "resources"
    shutil.copytree(tiny_pack_master, dst)
    return dst


def fill_disk(monkeypatch, module, name: str, suffix: str) -> None:
    """Make `module.name` (a write function taking the path first) fail as a full disk does for paths
    ending in `suffix`."""
    import errno

    real = getattr(module, name)

    def full(path, *args, **kwargs):
        if str(path).endswith(suffix):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, *args, **kwargs)
    monkeypatch.setattr(module, name, full)


def shared_or_skip(*parts) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs ../shared/data/{'/'.join(parts)} (the project's shared data), not present here")
    return path
