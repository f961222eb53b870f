"""End to end: demo, the four stages, model selection without test labels, stage commands, presets."""
import json

import numpy as np
import pytest

from sadvae.cli.main import main
from sadvae.errors import SadvaeError
from sadvae.experiment.pipeline import open_pack, run_all
from sadvae.experiment.config import resolve_config

FAST = dict(dataset="tiny", unseen=3, lr=2e-3, semantic_dim=16, style_dim=4, device="cpu")


def cfg_for(resources, **kw):
    return resolve_config({**FAST, "resources": str(resources), **kw})


@pytest.mark.slow
def test_demo_end_to_end_is_well_above_chance(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--quiet", "--seeds", "2"]) == 0
    table = capsys.readouterr().out
    assert "ZSL top-1" in table and "selection val" in table
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["selection"] == "val" and metrics["version"]
    assert [r["seed"] for r in metrics["per_seed"]] == [5, 6]
    # 4 unseen classes: chance is 25% ZSL; GZSL chance H is far lower still
    assert metrics["summary"]["zsl_top1"]["mean"] > 45
    assert metrics["summary"]["gzsl_h"]["mean"] > 25
    for seed in (5, 6):
        assert (out / f"seed{seed}" / "main.safetensors").stat().st_size > 0
        gate = json.loads((out / f"seed{seed}" / "gate.json").read_text())
        assert 1 <= gate["temperature"] <= 9
    assert (out / "log.txt").read_text().startswith("SA-DVAE on demo")


def _poison(resources):
    """Relabel the main split's unseen test samples by a permutation of the unseen classes."""
    sk = resources / "sk_feats/synthetic_tiny_3_r"
    unseen = np.sort(np.load(resources / "label_splits/tiny/ru3.npy"))
    mapping = dict(zip(unseen, np.roll(unseen, 1)))
    for name in ("z_label.npy", "g_label.npy"):
        y = np.load(sk / name)
        np.save(sk / name, np.array([mapping.get(v, v) for v in y]))


@pytest.mark.slow
def test_selection_val_never_uses_test_labels(tiny_pack_master, tiny_pack):
    clean = run_all(cfg_for(tiny_pack_master, seeds=[5, 6]), progress=False)
    _poison(tiny_pack)
    poisoned = run_all(cfg_for(tiny_pack, seeds=[5, 6]), progress=False)
    # every choice is the same: passes, gate calibration, and the predictions themselves
    np.testing.assert_array_equal(clean.main_pass, poisoned.main_pass)
    np.testing.assert_array_equal(clean.val_pass, poisoned.val_pass)
    assert [g.__dict__ for g in clean.gates] == [g.__dict__ for g in poisoned.gates]
    np.testing.assert_array_equal(clean.main.probs["all"], poisoned.main.probs["all"])
    # ...and only the final scores see the poisoned labels
    assert clean.summary["zsl_top1"]["mean"] > 40  # 3 unseen classes: chance 33%
    assert poisoned.summary["zsl_top1"]["mean"] != clean.summary["zsl_top1"]["mean"]


@pytest.mark.slow
def test_selection_test_is_labelled_and_picks_best_test_pass(tiny_pack_master):
    res = run_all(cfg_for(tiny_pack_master, selection="test", seeds=[5]), progress=False)
    assert res.metrics()["selection_rule"].startswith("test: pass chosen on the unseen test set (paper protocol)")
    from sadvae.experiment.pipeline import accuracy_per_pass
    acc = accuracy_per_pass(res.main.probs["unseen"], res.pack.main.labels["unseen"], res.pack.unseen_classes)
    assert res.per_seed[0]["zsl_top1"] == pytest.approx(acc.max())


@pytest.mark.slow
def test_same_seed_same_numbers_and_batched_seeds(tiny_pack_master):
    a = run_all(cfg_for(tiny_pack_master, seeds=[7]), progress=False)
    b = run_all(cfg_for(tiny_pack_master, seeds=[7]), progress=False)
    assert a.per_seed == b.per_seed
    both = run_all(cfg_for(tiny_pack_master, seeds=[7, 8]), progress=False)
    # seed 7 trained beside seed 8 is seed 7 trained alone, up to float summation order (which the
    # batched products change, and training amplifies a little); another seed would differ wholly
    np.testing.assert_allclose(both.main.probs["unseen"][0], a.main.probs["unseen"][0], atol=1e-2)
    assert np.abs(both.main.probs["unseen"][1] - a.main.probs["unseen"][0]).max() > 0.1


@pytest.mark.slow
def test_stage_commands_reproduce_run(tiny_pack_master, tmp_path, capsys):
    flags = ["--resources", str(tiny_pack_master), "--dataset", "tiny", "--unseen", "3", "--lr", "2e-3",
             "--semantic-dim", "16", "--style-dim", "4", "--seeds", "2", "--device", "cpu", "--quiet"]
    assert main(["run", *flags, "--out", str(tmp_path / "run")]) == 0
    stage = tmp_path / "stages"
    assert main(["train", *flags, "--split", "main", "--out", str(stage)]) == 0
    assert main(["train", *flags, "--split", "val", "--out", str(stage)]) == 0
    assert main(["gate", "--run", str(stage), "--quiet"]) == 0
    assert main(["evaluate", "--run", str(stage), "--quiet"]) == 0
    capsys.readouterr()
    whole = json.loads((tmp_path / "run/metrics.json").read_text())
    staged = json.loads((stage / "metrics.json").read_text())
    assert whole["per_seed"] == staged["per_seed"]
    # a run folder written before the sets' roles were renamed (probs.ztest, probs.gtest, probs.val) still loads
    from sadvae.io import load_tensors, save_tensors

    old = {"unseen": "ztest", "all": "gtest", "seen_heldout": "val"}
    for path in stage.glob("seed*/*.safetensors"):
        tensors, meta = load_tensors(path)
        renamed = {}
        for key, v in tensors.items():
            kind, _, role = key.partition(".")
            renamed[f"{kind}.{old[role]}" if kind in ("probs", "logits") else key] = v
        assert renamed.keys() != tensors.keys()
        save_tensors(path, renamed, meta)
    assert main(["evaluate", "--run", str(stage), "--quiet"]) == 0
    assert json.loads((stage / "metrics.json").read_text())["per_seed"] == staged["per_seed"]
    # the same split again is refused without --force
    assert main(["train", *flags, "--split", "main", "--out", str(stage)]) == 2
    assert "use --force" in capsys.readouterr().err


def test_existing_output_is_refused_unless_forced(tiny_pack_master, tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "keep.txt").write_text("earlier")
    flags = ["run", "--resources", str(tiny_pack_master), "--dataset", "tiny", "--unseen", "3", "--passes", "2",
             "--out", str(out), "--quiet"]
    assert main(flags) == 2
    assert "existing one (use --force" in capsys.readouterr().err
    assert (out / "keep.txt").exists()
    assert main(flags + ["--force"]) == 0
    assert (out / "metrics.json").exists() and not (out / "keep.txt").exists()


def test_presets_config_file_and_flags(tmp_path):
    cfg = resolve_config({"dataset": "ntu120", "unseen": 10})
    assert (cfg.protocol, cfg.semantic_dim, cfg.style_dim, cfg.dis_step) == ("synse", 256, 32, 4)
    assert (cfg.gate_temperature, cfg.gate_threshold, cfg.preset) == (2, 0.5, "synse/ntu120/10")
    cfg = resolve_config({"dataset": "pku51", "unseen": 5})
    assert (cfg.protocol, cfg.split_name, cfg.batch_size, cfg.lr) == ("random", "pku51_split1", 64,
                                                                      3.074099555160793e-05)
    cfg = resolve_config({"dataset": "ntu60", "unseen": 5, "protocol": "llm"})
    assert (cfg.text_mode, cfg.semantic_dim, cfg.split_name) == ("chat", 96, "ntu60_split2")
    # a method with its authors' settings: over the dataset's row, under flags and config files
    cfg = resolve_config({"dataset": "ntu60", "unseen": 5, "method": "fs-vae"})
    assert (cfg.semantic_dim, cfg.lr, cfg.batch_size, cfg.alignment_alpha) == (100, 1e-4, 64, 0.5)
    assert cfg.preset == "synse/ntu60/5 + fs-vae authors' settings"
    cfg = resolve_config({"dataset": "ntu120", "unseen": 10, "method": "fs-vae", "semantic_dim": 50})
    assert (cfg.semantic_dim, cfg.alignment_alpha, cfg.dis_step) == (50, 0.1, 4)
    assert resolve_config({"dataset": "ntu60", "unseen": 5}).semantic_dim == 160  # sadvae keeps the preset
    assert resolve_config({"dataset": "mydata", "unseen": 4, "method": "fs-vae"}).preset == "none"
    toml = tmp_path / "c.toml"
    toml.write_text('lr = 0.01\nsemantic_dim = 32\nselection = "test"\n')
    cfg = resolve_config({"dataset": "ntu60", "unseen": 5, "semantic_dim": 64}, toml)
    assert (cfg.lr, cfg.semantic_dim, cfg.selection, cfg.style_dim) == (0.01, 64, "test", 8)
    mine = resolve_config({"dataset": "mydata", "unseen": 4})
    assert mine.preset == "none" and mine.semantic_dim == 160
    toml.write_text('lr = "fast"\n')
    with pytest.raises(SadvaeError, match="c.toml: expected lr to be a number, found 'fast'"):
        resolve_config({"dataset": "ntu60", "unseen": 5}, toml)
    toml.write_text("passes = 2.5\n")
    with pytest.raises(SadvaeError, match="expected passes to be an integer"):
        resolve_config({"dataset": "ntu60", "unseen": 5}, toml)
    toml.write_text("learning_rate = 1\n")
    with pytest.raises(SadvaeError, match="unknown learning_rate"):
        resolve_config({"dataset": "ntu60", "unseen": 5}, toml)
    with pytest.raises(SadvaeError, match="--unseen"):
        resolve_config({"dataset": "ntu60", "unseen": 0})


def test_python_api(tiny_pack_master):
    import sadvae
    pack = sadvae.load_pack(tiny_pack_master, "tiny", 3)
    res = sadvae.run(cfg_for(tiny_pack_master, passes=2), pack=pack, progress=False)
    metrics = res.metrics()
    assert set(metrics["summary"]) == {"zsl_top1", "gzsl_seen", "gzsl_unseen", "gzsl_h"}
    # the API gives the pipeline's numbers, and its summary is their mean
    direct = run_all(cfg_for(tiny_pack_master, passes=2), progress=False)
    assert res.per_seed == direct.per_seed
    for m, stat in metrics["summary"].items():
        values = [row[m] for row in metrics["per_seed"]]
        assert stat["mean"] == pytest.approx(np.mean(values)) and 0 <= min(values) <= max(values) <= 100
    assert metrics["config"]["derived"], "a pack given to the API gets the same derived settings as one opened by it"
    assert open_pack(cfg_for(tiny_pack_master)).n_classes == 12


@pytest.mark.slow
def test_parallel_splits_equal_sequential(tiny_pack_master):
    """The two worker processes (one core each) give exactly the numbers of the sequential path."""
    seq = run_all(cfg_for(tiny_pack_master, seeds=[5], passes=3), progress=False, jobs=1)
    par = run_all(cfg_for(tiny_pack_master, seeds=[5], passes=3), progress=False, jobs=2)
    assert seq.per_seed == par.per_seed
    np.testing.assert_array_equal(seq.val.probs["unseen"], par.val.probs["unseen"])


@pytest.mark.slow
def test_text_ensemble_trains_and_evaluates(tiny_pack):
    """(N, M, D) text: each training sample meets one of its class's descriptions; the ZSL classifier all."""
    from sadvae.pack.format import load_pack
    base = np.load(tiny_pack / "text_feats/tiny/synthetic-text/lb_12.npy")
    rng = np.random.default_rng(0)
    for name, arr in (("one", base[:, None]), ("two", np.stack([base, base + rng.standard_normal(base.shape)], 1))):
        (tiny_pack / "text_feats/tiny" / name).mkdir()
        np.save(tiny_pack / "text_feats/tiny" / name / "lb_12.npy", arr.astype(np.float32))
    assert load_pack(tiny_pack, "tiny", 3, text_model="two").text.shape == (12, 2, base.shape[1])
    plain = run_all(cfg_for(tiny_pack, text_model="synthetic-text", passes=3), progress=False)
    one = run_all(cfg_for(tiny_pack, text_model="one", passes=3), progress=False)
    assert one.per_seed == plain.per_seed  # an ensemble of one is the plain model, exactly
    two = run_all(cfg_for(tiny_pack, text_model="two", passes=3), progress=False)
    probs = two.main.probs["all"]
    assert probs.shape == plain.main.probs["all"].shape and np.allclose(probs.sum(-1), 1, atol=1e-5)
    assert not np.array_equal(probs, plain.main.probs["all"])
    np.save(tiny_pack / "text_feats/tiny/two/lb_12.npy", np.zeros((12, 2, 5), np.float32))
    with pytest.raises(SadvaeError, match="non-zero text feature"):
        load_pack(tiny_pack, "tiny", 3, text_model="two")


def test_unavailable_device_is_one_clear_error(tiny_pack_master, tmp_path, capsys):
    import torch
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    code = main(["run", "--resources", str(tiny_pack_master), "--dataset", "tiny", "--unseen", "3", "--device", "cuda",
                 "--out", str(tmp_path / "run"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "expected a CUDA device, found none" in err and not (tmp_path / "run").exists()


def test_ablation_methods(tiny_pack_master):
    """no-tc never moves the discriminator; naive has no style latent; both run the four stages."""
    import torch

    from sadvae.methods import TRAINED, TrainConfig, train_split
    from sadvae.experiment.pipeline import split_inputs
    pack = open_pack(cfg_for(tiny_pack_master))
    x, y, unseen, sets = split_inputs(pack, "main")
    cfg = TrainConfig(semantic_dim=16, style_dim=4, lr=2e-3, passes=2, method="no-tc")
    # the initial discriminator of seed 5, for comparison
    fresh = TRAINED["no-tc"](x.shape[1], pack.text.shape[1], cfg, [5], torch.device("cpu"))
    res = train_split(x, y, pack.text, unseen, sets, cfg, [5], torch.device("cpu"), progress=False)
    for name, value in fresh.replica_state(0).items():
        if name.startswith("discriminator."):
            torch.testing.assert_close(res.weights[0][-1][name], value)
    naive = train_split(x, y, pack.text, unseen, sets, TrainConfig(semantic_dim=16, style_dim=4, lr=2e-3, passes=2,
                                                                     method="naive"), [5], torch.device("cpu"),
                        progress=False)
    assert naive.weights[0][-1]["skeleton_encoder.weight"].shape == (2 * 16, x.shape[1])  # no style rows
    for method in ("no-tc", "naive"):
        run = run_all(cfg_for(tiny_pack_master, method=method, passes=2), progress=False)
        assert run.metrics()["method"] == method


def test_projection_baseline_runs_the_four_stages(tiny_pack_master, tmp_path):
    """The ridge projection baseline: one pass, deterministic, above chance on the synthetic pack."""
    run = run_all(cfg_for(tiny_pack_master, method="projection", seeds=[5, 6]), progress=False)
    assert run.main.probs["unseen"].shape[:2] == (2, 1)
    np.testing.assert_array_equal(run.main.probs["all"][0], run.main.probs["all"][1])
    assert run.summary["zsl_top1"]["mean"] > 100 / 3 + 10, run.summary
    assert main(["run", "--resources", str(tiny_pack_master), "--dataset", "tiny", "--unseen", "3", "--method",
                 "projection", "--out", str(tmp_path / "proj"), "--quiet"]) == 0
    assert json.loads((tmp_path / "proj" / "metrics.json").read_text())["method"] == "projection"


def test_output_path_that_is_a_file_is_refused(tiny_pack_master, tmp_path, capsys):
    out = tmp_path / "taken"
    out.write_text("not a folder")
    code = main(["run", "--resources", str(tiny_pack_master), "--dataset", "tiny", "--unseen", "3", "--out", str(out),
                 "--force", "--quiet"])
    assert code == 2 and "expected an output folder, found a file" in capsys.readouterr().err
    assert out.read_text() == "not a folder"
