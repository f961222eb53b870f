"""Crash safety: a run killed with SIGKILL mid-training resumes from its last checkpoint to the same
numbers as an uninterrupted run; and two runs with the same seed give identical metrics."""
import json
import os
import signal
import subprocess
import sys
import pytest

from sadvae.cli.main import main
from sadvae.io import load_tensors, partial_folder

from .conftest import TINY, fill_disk, pause_env, wait_for

ARGS = ["--dataset", TINY.dataset, "--unseen", str(TINY.n_unseen), "--passes", "20", "--seeds", "2",
        "--semantic-dim", "8", "--style-dim", "2", "--lr", "1e-3", "--quiet"]


def numbers(folder):
    metrics = json.loads((folder / "metrics.json").read_text())
    return {k: metrics[k] for k in ("per_seed", "summary", "per_pass_zsl")}


@pytest.mark.slow
def test_same_seed_same_metrics_json(tiny_pack_master, tmp_path):
    for name in ("a", "b"):
        assert main(["run", "--resources", str(tiny_pack_master), *ARGS, "--passes", "4", "--out",
                     str(tmp_path / name)]) == 0
    assert numbers(tmp_path / "a") == numbers(tmp_path / "b")


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_sigkill_mid_training_then_resume_gives_the_uninterrupted_numbers(tiny_pack_master, tmp_path, capsys):
    full, killed = tmp_path / "full", tmp_path / "killed"
    assert main(["run", "--resources", str(tiny_pack_master), *ARGS, "--out", str(full)]) == 0

    cmd = [sys.executable, "-m", "sadvae", "run", "--resources", str(tiny_pack_master), *ARGS, "--out", str(killed)]
    ckpt = partial_folder(killed) / "checkpoints" / "main.safetensors"
    marker = tmp_path / "paused"
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=pause_env(after_pass=2, marker=marker, checkpoint_contains="main"))
    wait_for(marker, proc)
    os.kill(proc.pid, signal.SIGKILL)  # the child waits at the hook: no race with the clock
    proc.wait()
    done = int(marker.read_text())
    assert done == 2
    tensors, meta = load_tensors(ckpt)  # the last complete checkpoint is readable
    assert int(meta["passes_done"]) == done and tensors["probs.unseen"].shape[1] == int(meta["passes_done"])
    assert not killed.exists()  # nothing half-written where the output goes

    capsys.readouterr()
    assert main(["run", "--resources", str(tiny_pack_master), *ARGS, "--out", str(killed)]) == 2
    assert "--resume" in capsys.readouterr().err  # an interrupted run is not silently thrown away
    assert main(["run", "--resources", str(tiny_pack_master), *ARGS[:-1], "--lr", "2e-3", "--quiet", "--out",
                 str(killed), "--resume"]) == 2
    assert "checkpoint of this run" in capsys.readouterr().err  # other settings: refused, not mixed
    assert ckpt.is_file()
    assert main(["run", "--resources", str(tiny_pack_master), *ARGS, "--out", str(killed), "--resume"]) == 0
    assert numbers(killed) == numbers(full)  # exactly, on the CPU
    assert not partial_folder(killed).exists() and not (killed / "checkpoints").exists()
    assert main(["run", "--resources", str(tiny_pack_master), *ARGS, "--out", str(killed), "--resume"]) == 2
    assert "complete run" in capsys.readouterr().err


@pytest.mark.slow
def test_failure_while_writing_results_resumes_without_retraining(tiny_pack_master, tmp_path, capsys, monkeypatch):
    """A full disk when the metrics are written: the checkpoints stay, --resume finishes the run."""
    import sadvae.experiment.rundir as rundir

    args = ["run", "--resources", str(tiny_pack_master), *ARGS, "--passes", "3"]
    assert main([*args, "--out", str(tmp_path / "full")]) == 0
    fill_disk(monkeypatch, rundir, "atomic_write_text", "metrics.json")
    out = tmp_path / "out"
    assert main([*args, "--out", str(out)]) == 2
    assert "No space left on device" in capsys.readouterr().err
    monkeypatch.undo()
    ckpt = partial_folder(out) / "checkpoints" / "main.safetensors"
    assert int(load_tensors(ckpt)[1]["passes_done"]) == 3 and not out.exists()
    assert main([*args, "--out", str(out), "--resume"]) == 0
    assert numbers(out) == numbers(tmp_path / "full")
