"""Protocol commands (synse, random, llm), the parallel path, reports and their comparison."""
import csv
import dataclasses
import json
import re
import shutil

import numpy as np
import pytest

from sadvae.cli.main import main
from sadvae.pack.build import write_pack
from sadvae.experiment.protocols import SplitSpec, plan_units, protocol_splits
from sadvae.experiment.published import PUBLISHED_CLASSES, PUBLISHED_RANDOM_CLASSES
from sadvae.experiment.report import load_study
from sadvae.pack.synthetic import SyntheticSpec, synthetic_arrays

FAST = ["--semantic-dim", "16", "--style-dim", "4", "--lr", "2e-3", "--passes", "2", "--seeds", "2", "--quiet"]
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def packs(tmp_path_factory):
    """NTU-60-shaped synthetic packs for all three protocols, on the real SynSE and SMIE class splits,
    plus a 12-class dataset with two splits of its own names."""
    root = tmp_path_factory.mktemp("protocols") / "resources"
    base = SyntheticSpec(dataset="ntu60", n_classes=60, n_unseen=5, feature_dim=24, text_dim=32, train_per_class=10,
                         test_per_class=5)
    text = synthetic_arrays(base)["text"]  # one text file serves every split of a dataset
    for u in (5, 12):
        spec = dataclasses.replace(base, n_unseen=u, seed=u, unseen_classes=PUBLISHED_CLASSES[("synse", "ntu60", u)])
        write_pack(root, dataset="ntu60", encoder="shift", text_model="stsb-bert-large",
                   **synthetic_arrays(spec, text))
    for k, classes in zip((2, 3, 4), PUBLISHED_RANDOM_CLASSES["ntu60"]):
        arrays = synthetic_arrays(dataclasses.replace(base, seed=k, unseen_classes=classes), text)
        for mode in ("lb", "chat"):
            write_pack(root, dataset="ntu60", split_name=f"ntu60_split{k}", encoder="stgcn",
                       text_model="clip-vit-b-32", text_mode=mode, **arrays)
    for k in (1, 2):
        spec = SyntheticSpec(dataset="toy", n_classes=12, n_unseen=3, feature_dim=24, text_dim=32,
                             train_per_class=30, test_per_class=10, seed=10 + k)
        write_pack(root, dataset="toy", split_name=f"toy_split{k}", encoder="enc", text_model="txt",
                   **synthetic_arrays(spec))
    return root


def table_rows(markdown: str, heading: str) -> list[list[str]]:
    """Cells of the first markdown table after `heading`."""
    part = markdown.split(heading, 1)[1]
    rows = []
    for line in part.splitlines():
        if line.startswith("|"):
            rows.append([c.strip() for c in line.strip("|").split("|")])
        elif rows:
            break
    assert rows[1][0].startswith("---")
    return [rows[0]] + rows[2:]


def check_pngs(folder):
    pngs = sorted((folder / "plots").glob("*.png"))
    assert pngs
    for p in pngs:
        data = p.read_bytes()
        assert data.startswith(PNG) and len(data) > 2000, p
    return [p.name for p in pngs]


def test_plan_units_splits_seeds_only_as_needed():
    assert plan_units(3, [5, 6], 1) == [(0, [5, 6]), (1, [5, 6]), (2, [5, 6])]
    assert plan_units(2, [5, 6, 7], 2) == [(0, [5, 6, 7]), (1, [5, 6, 7])]
    assert plan_units(2, [5, 6, 7], 4) == [(0, [5, 7]), (0, [6]), (1, [5, 7]), (1, [6])]
    assert plan_units(1, [5, 6], 8) == [(0, [5]), (0, [6])]


def test_protocol_splits_and_their_errors():
    assert protocol_splits("synse", "ntu120") == [SplitSpec("ntu120", 10), SplitSpec("ntu120", 24)]
    assert protocol_splits("synse", "ntu60", unseen=12) == [SplitSpec("ntu60", 12)]
    assert [s.split_name for s in protocol_splits("random", "pku51")] == ["pku51_split1", "pku51_split2",
                                                                          "pku51_split3"]
    assert protocol_splits("llm", "utd", ["a", "b"], 5) == [SplitSpec("a", 5), SplitSpec("b", 5)]
    from sadvae.errors import SadvaeError
    for args, msg in [(("synse", "pku51"), "expects one of ntu60, ntu120"),
                      (("synse", "ntu60", None, 7), "5 or 12 unseen"),
                      (("synse", "ntu60", ["x"]), "fixed splits"),
                      (("random", "utd"), "--splits"),
                      (("random", "utd", ["a", "b"]), "--unseen"),
                      (("random", "ntu60", ["a", "a"]), "distinct"),
                      (("llm", "pku51"), "llm protocol expects")]:
        with pytest.raises(SadvaeError, match=re.escape(msg)):
            protocol_splits(*args)


@pytest.mark.slow
def test_synse_protocol_writes_report_with_published_numbers(packs, tmp_path, capsys):
    out = tmp_path / "synse"
    assert main(["protocol", "synse", "--resources", str(packs), "--dataset", "ntu60", "--out", str(out), *FAST]) == 0
    printed = capsys.readouterr().out
    assert "ntu60_u5" in printed and "ntu60_u12" in printed
    for name in ("report.md", "results.csv", "results.json", "protocol.json", "ntu60_u5/metrics.json",
                 "ntu60_u12/seed6/details.json", "ntu60_u12/seed6/main.safetensors"):
        assert (out / name).is_file(), name
    data = json.loads((out / "results.json").read_text())
    assert [s["label"] for s in data["splits"]] == ["ntu60_u5", "ntu60_u12"]
    assert data["seeds"] == [5, 6] and data["average"] is None  # the SynSE splits are not averaged
    assert data["splits"][0]["preset"] == "synse/ntu60/5"

    report = (out / "report.md").read_text()
    rows = table_rows(report, "## Results")
    assert rows[0][:6] == ["split", "unseen", "ZSL top-1", "GZSL seen", "GZSL unseen", "GZSL H"]
    for row, split in zip(rows[1:], data["splits"]):
        assert row[0] == split["label"]
        for cell, metric in zip(row[2:6], ("zsl_top1", "gzsl_seen", "gzsl_unseen", "gzsl_h")):
            mean, std = (float(v) for v in cell.split("±"))
            assert mean == pytest.approx(split["summary"][metric]["mean"], abs=0.006)
            assert std == pytest.approx(split["summary"][metric]["std"], abs=0.006)
    assert rows[1][6:] == ["82.37", "66.27"] and rows[2][6:] == ["41.38", "42.56"]  # SynSE classes match
    assert "selected without any test label" in report

    with open(out / "results.csv") as f:
        csv_rows = list(csv.DictReader(f))
    assert len(csv_rows) == 4
    per_seed = {(s["label"], r["seed"]): r for s in data["splits"] for r in s["per_seed"]}
    for r in csv_rows:
        assert float(r["zsl_top1"]) == pytest.approx(per_seed[(r["split"], int(r["seed"]))]["zsl_top1"], abs=1e-3)
    names = check_pngs(out)
    assert {"zsl_per_pass.png", "losses.png", "confusion_ntu60_u5.png", "latents_ntu60_u12.png"} <= set(names)
    for n in names:
        assert f"plots/{n}" in report


@pytest.mark.slow
def test_random_protocol_averages_the_splits(packs, tmp_path, capsys):
    out = tmp_path / "random"
    assert main(["protocol", "random", "--resources", str(packs), "--dataset", "ntu60", "--out", str(out), *FAST]) == 0
    capsys.readouterr()
    a = json.loads((out / "results.json").read_text())
    assert [s["split_name"] for s in a["splits"]] == ["ntu60_split2", "ntu60_split3", "ntu60_split4"]
    avg = a["average"]
    per_seed_mean = np.mean([[r["zsl_top1"] for r in s["per_seed"]] for s in a["splits"]], axis=0)
    assert avg["zsl_top1"]["mean"] == pytest.approx(per_seed_mean.mean())
    assert avg["zsl_top1"]["std"] == pytest.approx(per_seed_mean.std(ddof=1))
    assert a["published_average"]["SA-DVAE"] == 84.20  # the SMIE splits of SPEC section 5
    rows = table_rows((out / "report.md").read_text(), "## Results")
    assert rows[-1][0] == "**average**" and rows[-1][6] == "84.20"
    check_pngs(out)


def test_llm_protocol_uses_chat_features_and_methods(packs, tmp_path, capsys):
    out = tmp_path / "llm"
    i = FAST.index("--seeds")
    no_seeds = FAST[:i] + FAST[i + 2:]  # the protocol's default: three seeds
    assert main(["protocol", "llm", "--resources", str(packs), "--dataset", "ntu60", "--method", "projection",
                 "--out", str(out), *no_seeds]) == 0
    data = json.loads((out / "results.json").read_text())
    assert data["pack"]["text_mode"] == "chat" and data["method"] == "projection"
    assert data["seeds"] == [5, 6, 7]
    assert data["published_average"] is None  # published averages exist for the random protocol only
    names = check_pngs(out)
    assert not any(n.startswith("latents_") for n in names)  # the baseline has no latent space
    assert "projection" in capsys.readouterr().out


@pytest.mark.slow
def test_own_splits_report_rebuild_and_compare(packs, tmp_path, capsys):
    runs = []
    for method, jobs in (("sadvae", "2"), ("naive", "1")):  # two worker processes, one split each
        out = tmp_path / method
        assert main(["protocol", "random", "--resources", str(packs), "--dataset", "toy", "--splits",
                     "toy_split1,toy_split2", "--unseen", "3", "--method", method, "--out", str(out),
                     "--jobs", jobs, *FAST]) == 0
        runs.append(out)
    single = tmp_path / "single"
    assert main(["run", "--resources", str(packs), "--dataset", "toy", "--split-name", "toy_split1", "--unseen", "3",
                 "--out", str(single), *FAST]) == 0
    report = (runs[0] / "report.md").read_text()
    assert "Published numbers" not in report
    shutil.rmtree(runs[0] / "plots")
    (runs[0] / "report.md").unlink()
    capsys.readouterr()
    cmp = tmp_path / "cmp.md"
    assert main(["report", str(runs[0]), str(runs[1]), str(single), "--out", str(cmp), "--quiet"]) == 0
    assert (runs[0] / "report.md").read_text() == report  # rebuilt from the run folders alone
    check_pngs(runs[0])
    check_pngs(single)
    rows = table_rows(cmp.read_text(), "# Comparison")
    assert [r[0] for r in rows[1:]] == ["toy_split1_u3"] * 3 + ["toy_split2_u3"] * 2 + ["average"] * 2
    assert [r[2] for r in rows[1:]] == ["sadvae", "naive", "sadvae", "sadvae", "naive", "sadvae", "naive"]
    with open(cmp.with_suffix(".csv")) as f:
        assert len(list(csv.DictReader(f))) == 7
    sadvae_split1 = json.loads((runs[0] / "toy_split1_u3" / "metrics.json").read_text())["per_seed"]
    single_rows = json.loads((single / "metrics.json").read_text())["per_seed"]
    assert sadvae_split1 == single_rows  # a protocol's split in a worker is the same run as `sadvae run`
    assert load_study(single).kind == "run"


@pytest.mark.slow
def test_seeds_split_over_processes_give_the_batched_numbers(packs, tmp_path, capsys):
    """--jobs 2 on one split trains each seed alone in its own process; the numbers must equal those
    of both seeds trained together, batched, in this process."""
    together, apart = tmp_path / "together", tmp_path / "apart"
    args = ["protocol", "random", "--resources", str(packs), "--dataset", "toy", "--splits", "toy_split2",
            "--unseen", "3", *FAST]
    assert main([*args, "--out", str(together)]) == 0
    assert main([*args, "--out", str(apart), "--jobs", "2"]) == 0
    capsys.readouterr()
    a, b = (json.loads((d / "toy_split2_u3" / "metrics.json").read_text()) for d in (together, apart))
    assert a["per_seed"] == b["per_seed"] and len(a["per_seed"]) == 2
    assert len(b["timings_s"]["pieces"]) == 2


def test_protocol_errors_leave_nothing_behind(packs, tmp_path, capsys):
    out = tmp_path / "o"
    base = ["protocol", "random", "--resources", str(packs), "--out", str(out), *FAST]
    for extra, msg in [(["--dataset", "pku51"], "pku51_split1"),
                       (["--dataset", "toy"], "--splits"),
                       (["--dataset", "ntu60", "--jobs", "0"], "--jobs"),
                       (["--dataset", "toy", "--splits", "toy_split1,toy_split9", "--unseen", "3"], "toy_split9")]:
        assert main([*base, *extra]) == 2
        err = capsys.readouterr().err
        assert msg in err and "Traceback" not in err, err
        assert not out.exists()
    out.mkdir()
    (out / "keep.txt").write_text("an earlier run")
    assert main([*base, "--dataset", "toy", "--splits", "toy_split1", "--unseen", "3"]) == 2
    assert "--force" in capsys.readouterr().err
    assert (out / "keep.txt").read_text() == "an earlier run"
    for bad in (tmp_path / "missing", out):
        assert main(["report", str(bad)]) == 2
        assert "expected" in capsys.readouterr().err


@pytest.mark.slow
def test_killed_protocol_resumes_to_the_same_report(packs, tmp_path, capsys):
    """SIGKILL after the first split finished and while the second trains; --resume keeps the first,
    continues the second from its checkpoint, and gives the uninterrupted run's results."""
    import os
    import signal
    import subprocess
    import sys

    from sadvae.io import partial_folder

    from .conftest import pause_env, wait_for

    args = ["protocol", "random", "--resources", str(packs), "--dataset", "toy", "--splits", "toy_split1,toy_split2",
            "--unseen", "3", *FAST, "--passes", "12"]
    full, killed = tmp_path / "full", tmp_path / "killed"
    assert main([*args, "--out", str(full)]) == 0
    marker = tmp_path / "paused"
    proc = subprocess.Popen([sys.executable, "-m", "sadvae", *args, "--out", str(killed)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=pause_env(after_pass=2, marker=marker, checkpoint_contains="toy_split2"))
    stage = partial_folder(killed)
    wait_for(marker, proc)  # paused after the second split's second pass was saved
    assert (stage / "pieces" / "toy_split1_u3-seeds5-6.json").is_file()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not killed.exists()
    capsys.readouterr()
    assert main([*args, "--out", str(killed)]) == 2
    assert "--resume" in capsys.readouterr().err
    assert main([*args, "--out", str(killed), "--resume"]) == 0
    assert (killed / "results.csv").read_text() == (full / "results.csv").read_text()
    a, b = (json.loads((d / "results.json").read_text()) for d in (full, killed))
    assert a["splits"] == b["splits"]
    assert not stage.exists() and not (killed / "pieces").exists() and not (killed / "checkpoints").exists()
