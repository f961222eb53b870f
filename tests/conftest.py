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


def pause_env(after_pass: int, marker, checkpoint_contains: str = "") -> dict:
    """The environment for a child `sadvae` process that stops for good once the checkpoint of pass
    `after_pass` is saved, and writes `marker` (the training loop's test hook), so that a crash
    test kills it at a known point instead of racing it."""
    import json
    import os

    from sadvae.methods.training import PAUSE_HOOK

    spec = {"after_pass": after_pass, "marker": str(marker), "checkpoint_contains": checkpoint_contains}
    return {**os.environ, PAUSE_HOOK: json.dumps(spec)}


def wait_for(marker: Path, proc, limit_s: float = 600) -> None:
    """Until the paused child wrote `marker`; fails with its stderr if it ended first."""
    import time

    deadline = time.monotonic() + limit_s
    while not Path(marker).is_file():
        if proc.poll() is not None:
            pytest.fail("the run ended before it paused: " + proc.stderr.read().decode()[-2000:])
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the run did not reach its pause within {limit_s} s")
        time.sleep(0.05)
