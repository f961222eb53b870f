"""Model bundles (export/load) and open-vocabulary prediction on skeleton files."""
import json
import shutil
import zipfile

import numpy as np
import pytest

import sadvae
from sadvae.deploy.bundle import load, read_inputs
from sadvae.cli.main import main
from sadvae.errors import SadvaeError
from sadvae.data.skeletons import write_npz
from sadvae.pack.synthetic import synthetic_skeletons

from .conftest import shared_or_skip

ENCODER = ["--channels", "8,16", "--strides", "1,2", "--embed-dim", "16", "--frames", "16", "--epochs", "6",
           "--patience", "6"]
RUN = ["--method", "sadvae", "--passes", "3", "--zsl-fits", "1", "--semantic-dim", "8", "--style-dim", "2", "--lr",
       "3e-3", "--seeds", "2", "--quiet"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A pack built from raw (synthetic) skeletons with 2 of 8 classes unseen, and a run on it."""
    root = tmp_path_factory.mktemp("bundle")
    data = synthetic_skeletons(n_classes=8, per_subject=4, subjects=4, frames=24, seed=5)
    data.class_names = ["wave a hand", "kick a ball", "sit down", "drink water", "jump up", "throw", "clap hands",
                        "bow"]  # names a text model tells apart
    write_npz(data, root / "motions.npz")
    held = data.subset(np.isin(data.labels, [3, 6]) & (data.subjects % 2 == 0))  # unseen classes, test performers
    write_npz(held, root / "held_out.npz")
    res = root / "res"
    assert main(["features", "--data", str(root / "motions.npz"), "--format", "npz", "--dataset", "motions",
                 "--unseen-classes", "3,6", "--val-classes", "1,5", "--holdout", "0.4", "--resources", str(res),
                 "--quiet", *ENCODER]) == 0
    assert main(["run", "--resources", str(res), "--dataset", "motions", "--unseen", "2", "--out",
                 str(root / "run"), *RUN]) == 0
    return root, data


@pytest.fixture(scope="module")
def bundle(trained):
    root, _ = trained
    assert main(["export", str(root / "run"), "--out", str(root / "model.sadvae"), "--quiet"]) == 0
    return root / "model.sadvae"


def test_export_writes_a_checked_bundle(trained, bundle, capsys):
    root, data = trained
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert sorted(p.name for p in bundle.iterdir()) == ["encoder.safetensors", "gate.json", "manifest.json",
                                                      "sadvae.safetensors"]
    assert manifest["layout"] == "kinect-v1-20" and manifest["text"]["model"] == "all-minilm-l6-v2"
    assert manifest["classes"]["seen"] == [0, 1, 2, 4, 5, 7] and manifest["classes"]["unseen_in_training"] == [3, 6]
    assert manifest["classes"]["names"] == data.class_names
    assert manifest["seed"] in (5, 6) and manifest["preprocessing"]["frames"] == 16
    # the exported seed is the one with the best validation-split accuracy; no test label is read
    metrics = json.loads((root / "run" / "metrics.json").read_text())
    val_best = {}
    for row in metrics["per_seed"]:
        d = json.loads((root / "run" / f"seed{row['seed']}" / "details.json").read_text())
        val_best[row["seed"]] = d["per_pass_zsl"]["val_split"][d["val_chosen_pass"]]
    assert val_best[manifest["seed"]] == max(val_best.values())
    zipped = root / "model.zip"
    assert main(["export", str(root / "run"), "--out", str(zipped), "--seed", "6", "--quiet"]) == 0
    assert zipfile.is_zipfile(zipped)
    assert load(zipped).manifest["seed"] == 6
    assert main(["export", str(root / "run"), "--out", str(zipped), "--quiet"]) == 2  # exists, no --force
    assert "--force" in capsys.readouterr().err


def test_bundle_holds_the_runs_model_and_text_model(trained, bundle):
    """The bundle's text model gives the pack's text features for the class names, and its SA-DVAE
    weights with the run's stored classifier give the run's stored ZSL probabilities: so a prediction
    is the run's zero-shot model applied to whatever names are given."""
    import torch

    from sadvae.io import load_tensors
    from sadvae.methods.vae import encode_skeleton
    from sadvae.methods.classifier import predict_proba

    root, data = trained
    model = sadvae.load(bundle)
    assert model.manifest["text"]["mode"] == "prompt" and model.name_prompts  # names only: in the templates
    pack = sadvae.load_pack(root / "res", "motions", 2, text_mode="prompt")
    mean = pack.text.mean(1) / np.linalg.norm(pack.text.mean(1), axis=1, keepdims=True)  # the templates averaged
    assert np.allclose(model.encode_classes(data.class_names), mean, atol=1e-5)
    seed, p = model.manifest["seed"], model.manifest["chosen_pass"]
    stored, _ = load_tensors(root / "run" / f"seed{seed}" / "main.safetensors")
    z = encode_skeleton(model.vae, torch.as_tensor(pack.main.features["unseen"]), model.model_cfg)
    probs = predict_proba(torch.as_tensor(stored["classifier.weight"][p])[None],
                          torch.as_tensor(stored["classifier.bias"][p])[None], z, model.model_cfg.classifier_relu)
    assert np.allclose(probs[0].numpy(), stored["probs.unseen"][p], atol=1e-5)
    fresh = model.zsl_probabilities(pack.main.features["unseen"], [data.class_names[c] for c in pack.unseen_classes])
    assert fresh.shape == (len(pack.main.features["unseen"]), 2) and np.allclose(fresh.sum(1), 1.0)


def test_predict_command_on_new_files(trained, bundle, capsys):
    root, data = trained
    classes = [data.class_names[3], data.class_names[6], "read a book", "stand up"]
    assert main(["predict", "--model", str(bundle), "--input", str(root / "held_out.npz"), "--classes", *classes,
                 "--top-k", "3", "--json", "--quiet"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out) == 16
    for item in out:
        probs = [t["prob"] for t in item["top"]]
        assert len(probs) == 3 and probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1 + 1e-6
        assert {t["class"] for t in item["top"]} <= set(classes)
    # the table, class names from a file, GZSL with the training classes
    (root / "names.txt").write_text("\n".join(classes[:2]) + "\n")
    assert main(["predict", "--model", str(bundle), "--input", str(root / "held_out.npz"), "--classes-file",
                 str(root / "names.txt"), "--include-seen", "--quiet"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 16 and all("[seen]" in ln or "[new]" in ln for ln in lines)
    preds = sadvae.load(bundle).predict(read_inputs([str(root / "held_out.npz")], None)[0], classes[:2],
                                        include_seen=True, top_k=8)
    seen_names = [data.class_names[c] for c in (0, 1, 2, 4, 5, 7)]
    for p in preds:
        pool = seen_names if p.routed_seen else classes[:2]
        assert set(p.labels) <= set(pool)  # the gate's choice decides which classes get probability
        assert sum(p.probs) == pytest.approx(1.0, abs=1e-6)
    again = sadvae.load(bundle).predict(read_inputs([str(root / "held_out.npz")], None)[0], classes[:2],
                                        include_seen=True, top_k=8)
    assert [p.probs for p in preds] == [p.probs for p in again]


def test_real_utd_files_predict(bundle, trained, capsys):
    """A model trained on one layout refuses another; UTD-MHAD .mat input is read file by file."""
    utd = shared_or_skip("utd_mhad", "Skeleton")
    files = sorted(utd.glob("a1_s2_t*_skeleton.mat"))[:2]
    seqs, names, layout = read_inputs([str(f) for f in files], None)
    assert layout == "kinect-v1-20" and names == [f.name for f in files] and seqs[0].shape[1:] == (1, 20, 3)
    assert main(["predict", "--model", str(bundle), "--input", *map(str, files), "--classes", "wave", "clap",
                 "--quiet"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 2


def test_bad_bundles_and_requests_are_clear_errors(trained, bundle, tmp_path, capsys):
    root, data = trained
    held = str(root / "held_out.npz")

    def fails(args, msg):
        assert main(args) == 2
        err = capsys.readouterr().err
        assert msg in err and "Traceback" not in err, err

    broken = tmp_path / "missing"
    shutil.copytree(bundle, broken)
    (broken / "gate.json").unlink()
    fails(["predict", "--model", str(broken), "--input", held, "--classes", "a"], "expected gate.json")
    altered = tmp_path / "altered"
    shutil.copytree(bundle, altered)
    raw = bytearray((altered / "sadvae.safetensors").read_bytes())
    raw[-1] ^= 1
    (altered / "sadvae.safetensors").write_bytes(bytes(raw))
    fails(["predict", "--model", str(altered), "--input", held, "--classes", "a"], "altered or damaged")
    (tmp_path / "notzip.sadvae").write_text("hello")
    fails(["predict", "--model", str(tmp_path / "notzip.sadvae"), "--input", held, "--classes", "a"],
          "not a zip archive")
    fails(["predict", "--model", str(bundle), "--input", held, "--classes", "jump", "jump"], "expected distinct")
    fails(["predict", "--model", str(bundle), "--input", held, "--classes", " "], "non-empty")
    (tmp_path / "empty.txt").write_text("")
    fails(["predict", "--model", str(bundle), "--input", held, "--classes-file", str(tmp_path / "empty.txt")],
          "empty file")
    fails(["predict", "--model", str(bundle), "--input", held, "--classes", data.class_names[0], "--include-seen"],
          "already a training class")
    fails(["predict", "--model", str(bundle), "--input", str(tmp_path / "nothing"), "--classes", "a"],
          "no such file")
    ntu = synthetic_skeletons(n_classes=2, per_subject=1, subjects=1, frames=10, layout="ntu-25", seed=1)
    write_npz(ntu, tmp_path / "ntu.npz")  # NTU-25 maps onto Kinect v1 by joint name; COCO-17 does not
    assert main(["predict", "--model", str(bundle), "--input", str(tmp_path / "ntu.npz"), "--classes", "a", "b"]) == 0
    capsys.readouterr()
    coco = synthetic_skeletons(n_classes=2, per_subject=1, subjects=1, frames=10, layout="coco-17", seed=1)
    write_npz(coco, tmp_path / "coco.npz")
    fails(["predict", "--model", str(bundle), "--input", str(tmp_path / "coco.npz"), "--classes", "a"],
          "expected skeletons of layout kinect-v1-20 (what")
    fails(["predict", "--model", str(bundle), "--input", held, "--classes", "a", "--top-k", "0"], "--top-k")
    fails(["predict", "--model", str(bundle), "--input", held, "--classes", "a", "b", "--scoring", "bridged"],
          "--scoring bridged: expected an anchor bundle")
    with pytest.raises(SadvaeError, match="at least one class name"):
        sadvae.load(bundle).predict(read_inputs([held], None)[0], [])
    fails(["export", str(tmp_path / "norun"), "--out", str(tmp_path / "b")], "metrics.json")
    assert not (tmp_path / "b").exists()


def test_an_fs_vae_run_exports_with_its_reweighting_folded_in(trained):
    """FS-VAE reweights the encoders' inputs; the run folder stores the folded encoders, so its bundle
    applied with the run's stored classifier gives the run's stored ZSL probabilities."""
    import torch

    from sadvae.io import load_tensors
    from sadvae.methods.classifier import predict_proba
    from sadvae.methods.vae import encode_skeleton

    root, _ = trained
    run = root / "run-fsvae"
    args = [a if a != "sadvae" else "fs-vae" for a in RUN]
    assert main(["run", "--resources", str(root / "res"), "--dataset", "motions", "--unseen", "2", "--out",
                 str(run), *args]) == 0
    assert main(["export", str(run), "--out", str(root / "fsvae.sadvae"), "--quiet"]) == 0
    model = sadvae.load(root / "fsvae.sadvae")
    assert model.manifest["sadvae"]["method"] == "fs-vae" and model.manifest["sadvae"]["style_dim"] == 0
    pack = sadvae.load_pack(root / "res", "motions", 2)
    seed, p = model.manifest["seed"], model.manifest["chosen_pass"]
    stored, _ = load_tensors(run / f"seed{seed}" / "main.safetensors")
    z = encode_skeleton(model.vae, torch.as_tensor(pack.main.features["unseen"]), model.model_cfg)
    probs = predict_proba(torch.as_tensor(stored["classifier.weight"][p])[None],
                          torch.as_tensor(stored["classifier.bias"][p])[None], z, model.model_cfg.classifier_relu)
    assert np.allclose(probs[0].numpy(), stored["probs.unseen"][p], atol=1e-4)
