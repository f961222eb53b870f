"""Data-parallel encoder training under torchrun, on CPU with the gloo backend and two processes."""
import json
import subprocess
import sys

import numpy as np
import pytest

from sadvae.pack.format import load_pack
from sadvae.data.skeletons import write_npz
from sadvae.pack.synthetic import synthetic_skeletons

ENCODER = ["--channels", "8,16", "--strides", "1,2", "--embed-dim", "16", "--frames", "16", "--epochs", "3",
           "--patience", "3"]


@pytest.mark.slow
def test_torchrun_two_processes_train_one_encoder_and_write_once(tmp_path):
    data = synthetic_skeletons(n_classes=8, per_subject=4, subjects=4, frames=24, seed=5)
    write_npz(data, tmp_path / "m.npz")
    res = tmp_path / "res"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", "-m", "sadvae",
           "features", "--data", str(tmp_path / "m.npz"), "--format", "npz", "--dataset", "m", "--unseen", "2",
           "--split-seed", "1", "--holdout", "0.4", "--resources", str(res), "--no-text", "--quiet", "--device", "cpu",
           *ENCODER]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("wrote the feature pack") == 1  # rank 0 only
    info = json.loads((res / "sk_feats" / "stgcn_m_2_r" / "encoder.json").read_text())
    assert info["pack"]["processes"] == 2 and info["epochs_run"] == 3
    # the pack is complete and valid (text features added afterwards, as with --no-text on one process)
    text_dir = res / "text_feats" / "m" / "t"
    text_dir.mkdir(parents=True)
    np.save(text_dir / "lb_8.npy", np.random.default_rng(0).standard_normal((8, 12)).astype(np.float32))
    pack = load_pack(res, "m", 2)
    assert pack.main.features["train"].shape[1] == 16 and np.isfinite(pack.main.features["all"]).all()
    assert not list(res.glob(".sadvae-staging-*"))
