"""Property tests: every reader, fed mutated input, either parses it or raises the project's own
error type (SadvaeError and its subclasses), never any other exception."""
import io
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest

from sadvae.errors import SadvaeError
from sadvae.data.skeletons import read_npz, read_ntu_skeleton, read_pku, read_utd_skeleton
from sadvae.pack.text import read_class_texts

from .test_readers import npz_arrays, one_body_lines, write_pku

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

# The same examples on every run (CI must not turn red by chance); SADVAE_FUZZ_EXAMPLES=5000 explores
# afresh, as done before each release of a reader.
EXAMPLES = int(os.environ.get("SADVAE_FUZZ_EXAMPLES", "0"))
FUZZ = settings(max_examples=EXAMPLES or 60, derandomize=not EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

# an edit of a text: (kind, position as a fraction, replacement)
TRICKY = st.sampled_from(["nan", "inf", "-inf", "1e39", "-1e309", "", " ", "\t", "\r\n", "0x1", "1,5", "-", "\x00",
                          "999999999999999999999", "25", "0", "-1"])
EDITS = st.lists(st.tuples(st.sampled_from(["delete", "insert", "replace", "truncate", "dup_line", "drop_line"]),
                           st.floats(0, 1), st.one_of(st.text(max_size=8), TRICKY)), min_size=1, max_size=4)
BYTE_EDITS = st.lists(st.tuples(st.sampled_from(["delete", "insert", "flip", "truncate"]), st.floats(0, 1),
                                st.binary(min_size=1, max_size=6)), min_size=1, max_size=4)


def mutate_text(text: str, edits) -> str:
    for kind, where, new in edits:
        i = int(where * len(text))
        lines = text.split("\n")
        j = min(int(where * len(lines)), len(lines) - 1)
        if kind == "delete":
            text = text[:i] + text[i + len(new) + 1:]
        elif kind == "insert":
            text = text[:i] + new + text[i:]
        elif kind == "replace":
            text = text[:i] + new + text[i + len(new):]
        elif kind == "truncate":
            text = text[:i]
        elif kind == "dup_line":
            text = "\n".join(lines[:j + 1] + lines[j:])
        else:
            text = "\n".join(lines[:j] + lines[j + 1:])
    return text


def mutate_bytes(data: bytes, edits) -> bytes:
    for kind, where, new in edits:
        i = int(where * len(data))
        if kind == "delete":
            data = data[:i] + data[i + len(new):]
        elif kind == "insert":
            data = data[:i] + new + data[i:]
        elif kind == "flip" and data:
            i = min(i, len(data) - 1)
            data = data[:i] + bytes([data[i] ^ new[0]]) + data[i + 1:]
        else:
            data = data[:i]
    return data


def only_our_errors(read, *args):
    try:
        return read(*args)
    except SadvaeError:
        return None


VALID_NTU = "\n".join(one_body_lines(np.random.default_rng(0), n_frames=3)) + "\n"


@FUZZ
@given(EDITS)
def test_ntu_reader(edits):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "S001C001P001R001A001.skeleton"
        path.write_text(mutate_text(VALID_NTU, edits))
        out = only_our_errors(read_ntu_skeleton, path)
        if out is not None:
            assert out.ndim == 4 and out.shape[1:] == (2, 25, 3) and np.isfinite(out).all()


@FUZZ
@given(EDITS, EDITS)
def test_pku_reader(frame_edits, label_edits):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        write_pku(root, np.random.default_rng(1), n_frames=8, segments="3,1,4,1\n51,5,8,2\n")
        for folder, edits in (("PKU_Skeleton_Renew", frame_edits), ("Train_Label_PKU_final", label_edits)):
            f = root / folder / "0002-L.txt"
            f.write_text(mutate_text(f.read_text(), edits))
        out = only_our_errors(read_pku, root)
        if out is not None:
            assert all(np.isfinite(s).all() and s.shape[1:] == (2, 25, 3) for s in out.sequences)
            assert ((out.labels >= 0) & (out.labels < len(out.class_names))).all()


def _mat_bytes(arrays: dict) -> bytes:
    scipy_io = pytest.importorskip("scipy.io")
    buf = io.BytesIO()
    scipy_io.savemat(buf, arrays)
    return buf.getvalue()


VALID_MAT = None


@FUZZ
@given(BYTE_EDITS)
def test_utd_reader_on_damaged_files(edits):
    global VALID_MAT
    VALID_MAT = VALID_MAT or _mat_bytes({"d_skel": np.random.default_rng(2).standard_normal((20, 3, 4))})
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "a1_s1_t1_skeleton.mat"
        path.write_bytes(mutate_bytes(VALID_MAT, edits))
        out = only_our_errors(read_utd_skeleton, path)
        if out is not None:
            assert out.shape[1:] == (1, 20, 3) and np.isfinite(out).all()


@FUZZ
@given(st.sampled_from(["d_skel", "skel", "d_depth"]),
       st.lists(st.integers(0, 21), min_size=0, max_size=4),
       st.sampled_from(["float64", "int16", "bool", "complex64", "U3"]),
       st.booleans())
def test_utd_reader_on_wrong_contents(name, shape, dtype, poison):
    arr = np.ones(shape, dtype=dtype) if dtype != "U3" else np.full(shape, "abc")
    if poison and arr.size and dtype == "float64":
        arr.flat[0] = np.nan
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "a1_s1_t1_skeleton.mat"
        path.write_bytes(_mat_bytes({name: arr}))
        out = only_our_errors(read_utd_skeleton, path)
        if out is not None:
            assert out.shape[1:] == (1, 20, 3) and np.isfinite(out).all()


def _npz_bytes(arrays: dict) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


VALID_NPZ = _npz_bytes(npz_arrays(np.random.default_rng(3)))


@FUZZ
@given(BYTE_EDITS)
def test_npz_reader_on_damaged_archives(edits):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.npz"
        path.write_bytes(mutate_bytes(VALID_NPZ, edits))
        only_our_errors(read_npz, path)


@FUZZ
@given(st.dictionaries(st.sampled_from(["joints", "lengths", "labels", "class_names", "layout", "subjects",
                                        "sample_ids", "extra"]),
                       st.tuples(st.lists(st.integers(0, 6), max_size=4),
                                 st.sampled_from(["float32", "float64", "int64", "int8", "U4", "bool"])),
                       min_size=0, max_size=8))
def test_npz_reader_on_wrong_arrays(spec):
    arrays = npz_arrays(np.random.default_rng(4))
    for name, (shape, dtype) in spec.items():
        arrays[name] = np.zeros(shape, dtype=dtype) if dtype != "U4" else np.full(shape, "ntu-")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "data.npz"
        path.write_bytes(_npz_bytes(arrays))
        out = only_our_errors(read_npz, path)
        if out is not None:
            assert len(out.sequences) == len(out.labels)
            assert all(np.isfinite(s).all() for s in out.sequences)


@FUZZ
@given(st.text(max_size=200), st.sampled_from([".csv", ".txt"]))
def test_class_list_reader(text, suffix):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"classes{suffix}"
        path.write_bytes(text.encode("utf-8", errors="replace"))
        out = only_our_errors(read_class_texts, str(path))
        if out is not None:
            assert out.texts and all(t and all(isinstance(x, str) and x.strip() for x in t) for t in out.texts)


@FUZZ
@given(EDITS)
def test_class_list_csv_mutations(edits):
    valid = "idx,label\n1,drink water\n2,eat meal\n3,brush teeth\n"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "classes.csv"
        path.write_bytes(mutate_text(valid, edits).encode("utf-8", errors="replace"))
        only_our_errors(read_class_texts, str(path))
