"""Feature-pack reading: round trip, name resolution, and one test per validation rule."""
import numpy as np
import pytest

from sadvae.cli.main import main
from sadvae.errors import PackError
from sadvae.pack.format import load_pack
from sadvae.pack.build import write_pack
from sadvae.pack.synthetic import synthetic_arrays

from .conftest import TINY, shared_or_skip

SK = "sk_feats/synthetic_tiny_3_r"
SKV = "sk_feats/synthetic_tiny_val_3_r"
LS = "label_splits/tiny"


def test_reference_layout_round_trip(tmp_path):
    arrays = synthetic_arrays(TINY)
    write_pack(tmp_path, dataset="tiny", encoder="synthetic", text_model="synthetic-text", **arrays)
    pack = load_pack(tmp_path, "tiny", 3)
    assert (pack.encoder, pack.text_model, pack.n_classes) == ("synthetic", "synthetic-text", 12)
    np.testing.assert_array_equal(pack.unseen_classes, np.sort(arrays["unseen_classes"]))
    np.testing.assert_array_equal(pack.text, arrays["text"])
    for role, stem, label in (("train", "train", "train_label"), ("unseen", "ztest", "z_label"),
                              ("all", "gtest", "g_label")):
        np.testing.assert_array_equal(pack.main.features[role], arrays["main"][stem])
        np.testing.assert_array_equal(pack.main.labels[role], arrays["main"][label])
    np.testing.assert_array_equal(pack.main.logits["all"], arrays["main"]["gtest_out"])
    np.testing.assert_array_equal(pack.val.logits["seen_heldout"], arrays["val"]["val_out"])
    np.testing.assert_array_equal(pack.val_classes, np.sort(arrays["val_classes"]))


def test_text_modes_are_concatenated(tiny_pack):
    base = tiny_pack / "text_feats/tiny/synthetic-text"
    chat = np.random.default_rng(0).standard_normal((12, 7)).astype(np.float32)
    np.save(base / "chat_12.npy", chat)
    pack = load_pack(tiny_pack, "tiny", 3, text_mode="lb_chat")
    assert pack.text.shape == (12, TINY.text_dim + 7)
    np.testing.assert_array_equal(pack.text[:, -7:], chat)


def test_real_synse_split_files_and_text(tmp_path):
    """The real NTU-60 55/5 split files and 1024-d stsb-bert-large text in a pack we write around them."""
    splits = shared_or_skip("synse", "label_splits")
    lang = shared_or_skip("synse", "language_data")
    text = np.load(lang / "bert_verb.npy")[:60]
    unseen, seen = np.load(splits / "ru5.npy"), np.load(splits / "rs55.npy")
    val, seen_minus_val = np.load(splits / "rv5_0.npy"), np.load(splits / "rs50_0.npy")
    rng = np.random.default_rng(0)

    def feats(labels, n_out=False):
        return rng.random((len(labels), 256 if not n_out else 60)).astype(np.float32)
    tr, te = np.repeat(seen, 2), np.arange(60)
    vtr, vz = np.repeat(seen_minus_val, 2), np.repeat(val, 2)
    main = {"train": feats(tr), "train_label": tr, "ztest": feats(unseen), "z_label": unseen, "gtest": feats(te),
            "g_label": te, "gtest_out": feats(te, True)}
    valf = {"train": feats(vtr), "train_label": vtr, "ztest": feats(vz), "z_label": vz, "ztest_out": feats(vz, True),
            "val": feats(seen_minus_val), "val_label": seen_minus_val, "val_out": feats(seen_minus_val, True)}
    write_pack(tmp_path, dataset="ntu60", encoder="shift", text_model="stsb-bert-large", text=text,
               unseen_classes=unseen, val_classes=val, main=main, val=valf)
    pack = load_pack(tmp_path, "ntu60", 5)
    assert pack.text.shape == (60, 1024) and pack.main.feature_dim == 256
    assert pack.unseen_classes.tolist() == [10, 11, 19, 26, 56]  # A11 A12 A20 A27 A57, 0-based


def test_several_encoders_need_a_name(tiny_pack):
    import shutil
    shutil.copytree(tiny_pack / SK, tiny_pack / "sk_feats/other_tiny_3_r")
    with pytest.raises(PackError, match="several: other, synthetic"):
        load_pack(tiny_pack, "tiny", 3)
    assert load_pack(tiny_pack, "tiny", 3, encoder="synthetic").encoder == "synthetic"


def _save(path, arr):
    np.save(path, arr)


def _mutate(root, rel, fn):
    path = root / rel
    arr = np.load(path)
    _save(path, fn(arr))


BROKEN = {
    "missing file": (lambda r: (r / SK / "gtest_out.npy").unlink(), "gtest_out.npy: expected a file of the feature pack, found missing"),
    "missing split file": (lambda r: (r / LS / "ru3.npy").unlink(), "ru3.npy: expected the label split files"),
    "wrong feature width": (lambda r: _mutate(r, f"{SK}/ztest.npy", lambda a: a[:, :-1]), "ztest.npy: expected 24 columns, found 23"),
    "1-D features": (lambda r: _mutate(r, f"{SK}/train.npy", lambda a: a[:, 0]), "train.npy: expected 2-D features"),
    "NaN": (lambda r: _mutate(r, f"{SK}/gtest.npy", lambda a: np.where(np.arange(a.size).reshape(a.shape) == 30, np.nan, a)), "gtest.npy: expected finite features, found 1 NaN/Inf values (first in row 1)"),
    "Inf in logits": (lambda r: _mutate(r, f"{SKV}/val_out.npy", lambda a: np.full_like(a, np.inf)), "val_out.npy: expected finite logits"),
    "label count": (lambda r: _mutate(r, f"{SK}/train_label.npy", lambda a: a[:-1]), "train_label.npy: expected 450 labels (one per feature row), found 449"),
    "train label not seen": (lambda r: _mutate(r, f"{SK}/train_label.npy", lambda a: np.where(np.arange(len(a)) == 0, np.load(r / LS / "ru3.npy")[0], a)), "train_label.npy: expected labels inside the seen classes"),
    "ztest label not unseen": (lambda r: _mutate(r, f"{SK}/z_label.npy", lambda a: np.where(np.arange(len(a)) == 0, np.load(r / LS / "rs9.npy")[0], a)), "z_label.npy: expected labels inside the unseen classes"),
    "gtest label out of range": (lambda r: _mutate(r, f"{SK}/g_label.npy", lambda a: np.where(np.arange(len(a)) == 0, 99, a)), "g_label.npy: expected labels inside the dataset"),
    "val-split ztest not validation": (lambda r: _mutate(r, f"{SKV}/z_label.npy", lambda a: np.where(np.arange(len(a)) == 0, np.load(r / LS / "rs6_0.npy")[0], a)), "z_label.npy: expected labels inside the validation classes"),
    "float labels": (lambda r: _mutate(r, f"{SK}/z_label.npy", lambda a: a + 0.5), "z_label.npy: expected integer class ids, found non-integer values"),
    "logit rows": (lambda r: _mutate(r, f"{SK}/gtest_out.npy", lambda a: a[:-2]), "gtest_out.npy: expected 240 rows"),
    "logit width": (lambda r: _mutate(r, f"{SKV}/ztest_out.npy", lambda a: a[:, :5]), "ztest_out.npy: expected 12 columns, found 5"),
    "text rows": (lambda r: _mutate(r, "text_feats/tiny/synthetic-text/lb_12.npy", lambda a: a[:11]), "lb_12.npy: expected 12 rows (one per class), found 11"),
    "text NaN": (lambda r: _mutate(r, "text_feats/tiny/synthetic-text/lb_12.npy", lambda a: a * np.nan), "lb_12.npy: expected finite text features"),
    "overlapping splits": (lambda r: _mutate(r, f"{LS}/rs9.npy", lambda a: np.r_[a[:-1], np.load(r / LS / "ru3.npy")[0]]), "rs9.npy: expected no class of ru3.npy, found shared classes"),
    "validation not from seen": (lambda r: _mutate(r, f"{LS}/rv3_0.npy", lambda a: np.r_[a[:-1], np.load(r / LS / "ru3.npy")[0]]), "rv3_0.npy: expected validation classes drawn from the seen classes"),
    "seen-minus-val wrong": (lambda r: _mutate(r, f"{LS}/rs6_0.npy", lambda a: np.r_[a[:-1], np.load(r / LS / "rv3_0.npy")[0]]), "rs6_0.npy: expected exactly the seen classes minus rv3_0.npy"),
    "duplicate split ids": (lambda r: _mutate(r, f"{LS}/ru3.npy", lambda a: np.r_[a[:-1], a[0]]), "ru3.npy: expected distinct class ids, found duplicates"),
    "split id out of range": (lambda r: _mutate(r, f"{LS}/ru3.npy", lambda a: np.r_[a[:-1], 40]), "ru3.npy: expected class ids in 0..11"),
    "pickled object array": (lambda r: np.save(r / SK / "ztest.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True), "ztest.npy: expected a numeric .npy array (no pickled objects)"),
    "truncated file": (lambda r: (r / SK / "gtest.npy").write_bytes((r / SK / "gtest.npy").read_bytes()[:200]), "gtest.npy: expected a valid .npy file, found a corrupt or truncated file"),
    "gtest without unseen": (lambda r: [_mutate(r, f"{SK}/g_label.npy", lambda a: np.where(np.isin(a, np.load(r / LS / "ru3.npy")), np.load(r / LS / "rs9.npy")[0], a))], "g_label.npy: expected samples of both seen and unseen classes"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_pack_gives_one_clear_error(tiny_pack, case):
    breaker, message = BROKEN[case]
    breaker(tiny_pack)
    with pytest.raises(PackError) as err:
        load_pack(tiny_pack, "tiny", 3)
    assert message in str(err.value)


@pytest.mark.parametrize("case", ["missing file", "NaN", "overlapping splits"])
def test_cli_on_broken_pack_exits_nonzero_and_leaves_no_output(tiny_pack, tmp_path, capsys, case):
    breaker, message = BROKEN[case]
    breaker(tiny_pack)
    out = tmp_path / "run"
    code = main(["run", "--resources", str(tiny_pack), "--dataset", "tiny", "--unseen", "3", "--out", str(out),
                 "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and "Traceback" not in err
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".run")]  # no staged leftovers


def test_unknown_names_are_reported(tiny_pack):
    with pytest.raises(PackError, match="no such folder"):
        load_pack(tiny_pack, "nope", 3)
    with pytest.raises(PackError, match="available: synthetic"):
        load_pack(tiny_pack, "tiny", 3, encoder="shift")
    with pytest.raises(PackError, match="available: synthetic-text"):
        load_pack(tiny_pack, "tiny", 3, text_model="clip")
