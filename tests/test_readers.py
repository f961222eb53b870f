"""Skeleton readers: NTU / PKU-MMD text files, UTD-MHAD .mat files, npz archives, and a table of bad inputs."""
from pathlib import Path

import numpy as np
import pytest

from sadvae.data import classnames
from sadvae.errors import SadvaeError
from sadvae.data.layouts import KINECT_V1_20, UTD_TO_KINECT_V1
from sadvae.data.skeletons import (
    FORMATS,
    NoBodyError,
    SkeletonFormatError,
    SkeletonSet,
    parse_ntu_name,
    read_npz,
    read_ntu,
    read_ntu_skeleton,
    read_pku,
    read_skeletons,
    read_utd,
    write_npz,
)

from .conftest import shared_or_skip

# ------------------------------------------------------------------------------------------ file generators


def moving_body(rng, n_frames: int, spread: float) -> np.ndarray:
    """(n_frames, 25, 3) coordinates on a 4-decimal grid (written exactly, read back exactly as float32)."""
    base = rng.uniform(-1, 1, (1, 25, 3))
    return np.round(base + spread * rng.standard_normal((n_frames, 25, 3)), 4)


def ntu_lines(frames: list[list[tuple[str, np.ndarray]]]) -> list[str]:
    """Lines of an NTU .skeleton file; `frames` lists per frame the (bodyID, (25, 3) xyz) of its bodies."""
    lines = [str(len(frames))]
    for bodies in frames:
        lines.append(str(len(bodies)))
        for body_id, xyz in bodies:
            lines.append(f"{body_id} 0 1 2 1 2 0 0.01 -0.02 2")
            lines.append("25")
            lines += [f"{x:.4f} {y:.4f} {z:.4f} 250.1 200.2 900.3 500.4 0.1 0.2 0.3 0.4 2" for x, y, z in xyz]
    return lines


def write_ntu(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def three_bodies(rng, n_frames: int = 12) -> tuple[list, dict[str, np.ndarray]]:
    """A static body seen first, then a slightly moving and a strongly moving one, each in part of the frames."""
    ids = {"static": "72057594037931101", "slow": "72057594037931102", "fast": "72057594037931103"}
    coords = {"static": np.repeat(moving_body(rng, 1, 0.0), n_frames, 0), "slow": moving_body(rng, n_frames, 0.05),
              "fast": moving_body(rng, n_frames, 0.5)}
    present = {"static": range(n_frames), "slow": range(1, n_frames), "fast": range(2, n_frames - 1)}
    frames = [[(ids[k], coords[k][t]) for k in ("static", "slow", "fast") if t in present[k]] for t in range(n_frames)]
    return frames, {k: (coords[k], present[k]) for k in coords}


def one_body_lines(rng, n_frames: int = 5) -> list[str]:
    body = moving_body(rng, n_frames, 0.3)
    return ntu_lines([[("1", body[t])] for t in range(n_frames)])


def write_pku(root: Path, rng, stem: str = "0002-L", n_frames: int = 40,
              segments: str = "3,1,10,1\n51,20,40,2\n") -> np.ndarray:
    """A PKU-MMD folder with one skeleton file (second body absent in the first half) and its label file."""
    frames = np.round(rng.uniform(-1, 1, (n_frames, 150)), 4)
    frames[: n_frames // 2, 75:] = 0
    (root / "PKU_Skeleton_Renew").mkdir(parents=True, exist_ok=True)
    (root / "Train_Label_PKU_final").mkdir(exist_ok=True)
    (root / "PKU_Skeleton_Renew" / f"{stem}.txt").write_text("".join(" ".join(f"{v:.4f}" for v in row) + " \n"
                                                                    for row in frames))
    (root / "Train_Label_PKU_final" / f"{stem}.txt").write_text(segments)
    return frames


def random_set(rng, n: int = 5, bodies: int = 2, layout: str = "ntu-25", joints: int = 25) -> SkeletonSet:
    sequences = [rng.standard_normal((int(t), bodies, joints, 3)).astype(np.float32)
                 for t in rng.integers(1, 9, n)]
    return SkeletonSet(sequences=sequences, labels=rng.integers(0, 3, n).astype(np.int64),
                       class_names=["a", "b", "c"], layout=layout, subjects=rng.integers(1, 5, n).astype(np.int64),
                       sample_ids=[f"s{i}" for i in range(n)])


def npz_arrays(rng) -> dict[str, np.ndarray]:
    return {"joints": rng.standard_normal((10, 1, 25, 3)).astype(np.float32),
            "lengths": np.array([4, 6], dtype=np.int64), "labels": np.array([0, 1], dtype=np.int64),
            "class_names": np.array(["a", "b"]), "layout": np.array("ntu-25")}


# ------------------------------------------------------------------------------------------------ NTU RGB+D


def test_ntu_round_trip_single_body(tmp_path):
    rng = np.random.default_rng(0)
    body = moving_body(rng, 6, 0.3)
    path = write_ntu(tmp_path / "S001C001P001R001A001.skeleton", ntu_lines([[("42", body[t])] for t in range(6)]))
    out = read_ntu_skeleton(path)
    assert out.shape == (6, 2, 25, 3) and out.dtype == np.float32
    np.testing.assert_array_equal(out[:, 0], body.astype(np.float32))
    assert not out[:, 1].any()


def test_ntu_keeps_most_active_bodies_in_activity_order(tmp_path):
    frames, bodies = three_bodies(np.random.default_rng(1))
    out = read_ntu_skeleton(write_ntu(tmp_path / "S001C001P001R001A050.skeleton", ntu_lines(frames)))
    assert out.shape == (12, 2, 25, 3)
    for slot, name in enumerate(("fast", "slow")):  # the static body, seen first, is dropped
        coords, present = bodies[name]
        absent = [t for t in range(12) if t not in present]
        np.testing.assert_array_equal(out[list(present), slot], coords[list(present)].astype(np.float32))
        assert not out[absent, slot].any()
    three = read_ntu_skeleton(tmp_path / "S001C001P001R001A050.skeleton", max_bodies=3)
    static, present = bodies["static"]
    np.testing.assert_array_equal(three[:, 2], static.astype(np.float32))


def test_ntu_activity_ties_keep_first_appearance(tmp_path):
    pose = moving_body(np.random.default_rng(2), 1, 0.0)[0]
    frames = [[("9", pose), ("3", pose + 1)] for _ in range(3)]  # both static: activity 0
    out = read_ntu_skeleton(write_ntu(tmp_path / "S001C001P001R001A001.skeleton", ntu_lines(frames)), max_bodies=1)
    np.testing.assert_array_equal(out[:, 0], np.repeat(pose[None], 3, 0).astype(np.float32))


def test_ntu_zero_body_frames_are_zeros(tmp_path):
    body = moving_body(np.random.default_rng(3), 4, 0.3)
    frames = [[], [("1", body[1])], [], [("1", body[3])]]
    out = read_ntu_skeleton(write_ntu(tmp_path / "S001C001P001R001A001.skeleton", ntu_lines(frames)))
    assert out.shape == (4, 2, 25, 3)
    assert not out[[0, 2]].any()
    np.testing.assert_array_equal(out[[1, 3], 0], body[[1, 3]].astype(np.float32))


def test_ntu_tolerates_crlf_tabs_and_blank_lines(tmp_path):
    lines = one_body_lines(np.random.default_rng(20))
    plain = read_ntu_skeleton(write_ntu(tmp_path / "S001C001P001R001A001.skeleton", lines))
    odd = [line.replace(" ", " \t") + "  " for line in lines]
    odd.insert(10, "")
    (tmp_path / "S001C001P001R001A002.skeleton").write_bytes(("\r\n".join(odd) + "\r\n\r\n").encode())
    np.testing.assert_array_equal(read_ntu_skeleton(tmp_path / "S001C001P001R001A002.skeleton"), plain)


def test_ntu_file_without_bodies_raises_no_body_error(tmp_path):
    path = write_ntu(tmp_path / "S001C001P001R001A001.skeleton", ntu_lines([[], [], []]))
    with pytest.raises(NoBodyError, match="S001C001P001R001A001.skeleton"):
        read_ntu_skeleton(path)


def test_read_ntu_folder_labels_subjects_and_skipped(tmp_path):
    rng = np.random.default_rng(4)
    write_ntu(tmp_path / "S001C001P007R001A013.skeleton", one_body_lines(rng))
    write_ntu(tmp_path / "S001C002P003R002A001.skeleton", one_body_lines(rng))
    write_ntu(tmp_path / "S001C003P003R002A005.skeleton", ntu_lines([[], []]))
    data = read_skeletons(tmp_path, "ntu")
    assert len(data) == 2 and data.layout == "ntu-25"
    assert data.sample_ids == ["S001C001P007R001A013", "S001C002P003R002A001"]
    np.testing.assert_array_equal(data.labels, [12, 0])
    np.testing.assert_array_equal(data.subjects, [7, 3])
    assert data.class_names == list(classnames.NTU60)
    assert [Path(f).name for f, _ in data.skipped] == ["S001C003P003R002A005.skeleton"]
    assert "expected at least one body in some frame" in data.skipped[0][1], data.skipped[0][1]
    picked = data.subset(np.array([1]))
    assert picked.sample_ids == ["S001C002P003R002A001"] and picked.labels.tolist() == [0]
    assert picked.subjects.tolist() == [3] and picked.class_names == data.class_names


def test_read_ntu_120_names_and_skip_bad(tmp_path):
    rng = np.random.default_rng(5)
    write_ntu(tmp_path / "S018C001P001R001A120.skeleton", one_body_lines(rng))
    write_ntu(tmp_path / "S018C001P001R001A061.skeleton", one_body_lines(rng)[:-3])  # truncated
    with pytest.raises(SkeletonFormatError, match="A061.skeleton"):
        read_ntu(tmp_path)
    data = read_ntu(tmp_path, skip_bad=True)
    assert data.class_names == list(classnames.NTU120) and data.labels.tolist() == [119]
    assert len(data.skipped) == 1 and "A061" in data.skipped[0][0]
    with pytest.raises(SkeletonFormatError, match="at most 60"):
        read_ntu(tmp_path, class_names=classnames.NTU60, skip_bad=True)


def test_parse_ntu_name():
    assert parse_ntu_name("S001C002P003R002A013") == {"setup": 1, "camera": 2, "performer": 3, "replication": 2,
                                                      "action": 13}
    assert parse_ntu_name("S032C003P106R002A120.skeleton")["action"] == 120
    for bad in ("S001C002P003R002A000", "S01C002P003R002A013", "hello", "S001C002P003R002A013x"):
        with pytest.raises(SkeletonFormatError, match="expected an NTU sample name"):
            parse_ntu_name(bad)


# ------------------------------------------------------------------------------------------------- PKU-MMD


def test_pku_segments_become_samples(tmp_path):
    frames = write_pku(tmp_path, np.random.default_rng(6))
    (tmp_path / "PKU_Skeleton_Renew" / "0003-M.txt").write_text("1 2 3\n")  # no label file: ignored
    data = read_pku(tmp_path)
    assert data.layout == "ntu-25" and data.subjects is None and data.class_names == list(classnames.PKU51)
    assert data.sample_ids == ["0002-L_0", "0002-L_1"] and data.labels.tolist() == [2, 50]
    assert [s.shape for s in data.sequences] == [(10, 2, 25, 3), (21, 2, 25, 3)]
    np.testing.assert_array_equal(data.sequences[1], frames[19:40].reshape(21, 2, 25, 3).astype(np.float32))
    assert not data.sequences[0][:, 1].any()  # second body absent in the first half


def test_pku_folder_names_are_case_insensitive(tmp_path):
    rng = np.random.default_rng(7)
    write_pku(tmp_path / "tmp", rng)
    (tmp_path / "tmp" / "PKU_Skeleton_Renew").rename(tmp_path / "tmp" / "Skeletons")
    (tmp_path / "tmp" / "Train_Label_PKU_final").rename(tmp_path / "tmp" / "LABEL")
    assert len(read_pku(tmp_path / "tmp")) == 2


# ------------------------------------------------------------------------------------------------ UTD-MHAD


def scipy_io():
    """scipy.io, or a skip: SciPy is needed for UTD-MHAD only."""
    return pytest.importorskip("scipy.io")


def write_utd(path: Path, n_frames: int, rng) -> np.ndarray:
    skel = rng.standard_normal((20, 3, n_frames))
    scipy_io().savemat(path, {"d_skel": skel})
    return skel


def test_utd_reorders_joints_into_kinect_v1(tmp_path):
    rng = np.random.default_rng(8)
    skel = write_utd(tmp_path / "a2_s5_t1_skeleton.mat", 7, rng)
    write_utd(tmp_path / "a10_s1_t3_skeleton.mat", 3, rng)
    (tmp_path / "notes.mat").write_bytes(b"ignored: not a sample name")
    data = read_utd(tmp_path)
    assert data.sample_ids == ["a2_s5_t1_skeleton", "a10_s1_t3_skeleton"]  # numeric order, not text order
    assert data.labels.tolist() == [1, 9] and data.subjects.tolist() == [5, 1]
    assert data.class_names == list(classnames.UTD27) and data.layout == "kinect-v1-20"
    first = data.sequences[0]
    assert first.shape == (7, 1, 20, 3) and first.dtype == np.float32
    np.testing.assert_array_equal(first[:, 0], skel[list(UTD_TO_KINECT_V1)].transpose(2, 0, 1).astype(np.float32))


def test_utd_real_data():
    folder = shared_or_skip("utd_mhad", "Skeleton")
    data = read_utd(folder)
    assert len(data) == 861 and data.layout == "kinect-v1-20" and len(data.class_names) == 27
    assert data.class_names == list(classnames.UTD27)  # read from ../classes.csv, equal to the built-in tuple
    assert (data.labels.min(), data.labels.max()) == (0, 26)
    assert set(data.subjects.tolist()) == set(range(1, 9))
    index = data.sample_ids.index("a1_s1_t1_skeleton")
    raw = scipy_io().loadmat(folder / "a1_s1_t1_skeleton.mat")["d_skel"]
    hip = KINECT_V1_20.joints.index("HipCenter")
    np.testing.assert_array_equal(data.sequences[index][:, 0, hip], raw[3].T.astype(np.float32))
    assert all(np.isfinite(s).all() and s.shape[1:] == (1, 20, 3) for s in data.sequences)


# -------------------------------------------------------------------------------------------- npz archives


def assert_same_set(a: SkeletonSet, b: SkeletonSet) -> None:
    assert len(a.sequences) == len(b.sequences)
    for x, y in zip(a.sequences, b.sequences):
        assert x.dtype == y.dtype == np.float32
        np.testing.assert_array_equal(x, y)
    np.testing.assert_array_equal(a.labels, b.labels)
    assert b.labels.dtype == np.int64
    assert (a.class_names, a.layout, a.sample_ids) == (b.class_names, b.layout, b.sample_ids)
    if a.subjects is None:
        assert b.subjects is None
    else:
        np.testing.assert_array_equal(a.subjects, b.subjects)


def test_npz_round_trip(tmp_path):
    original = random_set(np.random.default_rng(9))
    write_npz(original, tmp_path / "set.npz")
    assert_same_set(original, read_skeletons(tmp_path / "set.npz", "npz"))
    bare = random_set(np.random.default_rng(10), layout="coco-17", joints=17, bodies=1)
    bare.subjects, bare.sample_ids = None, []
    write_npz(bare, tmp_path / "bare.npz")
    assert_same_set(bare, read_npz(tmp_path / "bare.npz"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bare.npz", "set.npz"]  # no temporary file left


def test_npz_round_trip_of_a_read_dataset(tmp_path):
    write_pku(tmp_path / "pku", np.random.default_rng(11))
    data = read_pku(tmp_path / "pku")
    write_npz(data, tmp_path / "pku.npz")
    assert_same_set(data, read_npz(tmp_path / "pku.npz"))


def test_write_npz_refuses_mixed_shapes(tmp_path):
    data = random_set(np.random.default_rng(12))
    data.sequences[1] = data.sequences[1][:, :1]
    with pytest.raises(SadvaeError, match="mixed.npz"):
        write_npz(data, tmp_path / "mixed.npz")
    assert not (tmp_path / "mixed.npz").exists()


# ----------------------------------------------------------------------------------------- bad-input table


def ntu_case(edit):
    """A reader call on an NTU file whose lines were changed by `edit`."""
    def make(tmp_path):
        lines = one_body_lines(np.random.default_rng(13))
        path = write_ntu(tmp_path / "S001C001P001R001A001.skeleton", edit(lines))
        return path, lambda: read_ntu_skeleton(path)
    return make


def replace_line(number: int, text: str):
    def edit(lines):
        lines[number - 1] = text
        return lines
    return edit


def ntu_nan_x(lines):
    lines[4] = "nan" + lines[4][lines[4].index(" "):]
    return lines


def pku_case(segments: str = "3,1,10,1\n", skeleton_edit=None, drop_skeleton: bool = False):
    def make(tmp_path):
        root = tmp_path / "pku"
        write_pku(root, np.random.default_rng(14), segments=segments)
        skeleton = root / "PKU_Skeleton_Renew" / "0002-L.txt"
        if skeleton_edit:
            skeleton.write_text(skeleton_edit(skeleton.read_text()))
        if drop_skeleton:
            skeleton.unlink()
        return Path("0002-L.txt"), lambda: read_pku(root)
    return make


def npz_case(edit):
    def make(tmp_path):
        arrays = npz_arrays(np.random.default_rng(15))
        edit(arrays)
        path = tmp_path / "bad.npz"
        np.savez(path, **arrays)
        return path, lambda: read_npz(path)
    return make


def raw_file_case(name: str, content: bytes, reader):
    def make(tmp_path):
        path = tmp_path / name
        path.write_bytes(content)
        return path, lambda: reader(path)
    return make


def utd_case(content: dict):
    def make(tmp_path):
        path = tmp_path / "a1_s1_t1_skeleton.mat"
        scipy_io().savemat(path, content)
        return path, lambda: read_utd(tmp_path)
    return make


def truncated_npz(tmp_path):
    path = tmp_path / "cut.npz"
    np.savez_compressed(path, **npz_arrays(np.random.default_rng(16)))
    path.write_bytes(path.read_bytes()[:300])
    return path, lambda: read_npz(path)


def damaged_npz_member(tmp_path):
    """A zip whose directory is intact but whose compressed data is not (CRC / zlib errors on reading)."""
    path = tmp_path / "damaged.npz"
    np.savez_compressed(path, **npz_arrays(np.random.default_rng(17)))
    data = bytearray(path.read_bytes())
    data[100:400] = bytes(300)
    path.write_bytes(bytes(data))
    return path, lambda: read_npz(path)


def unknown_format(tmp_path):
    return tmp_path, lambda: read_skeletons(tmp_path, "kinetics")


def missing_path(tmp_path):
    return tmp_path / "nowhere", lambda: read_skeletons(tmp_path / "nowhere", "ntu")


def empty_ntu_folder(tmp_path):
    return tmp_path, lambda: read_ntu(tmp_path)


def pku_nan(text):
    return text.replace(text.split()[5], "nan", 1)


BAD_INPUTS = {
    "ntu truncated": ntu_case(lambda lines: lines[:-4]),
    "ntu empty file": ntu_case(lambda lines: []),
    "ntu non-numeric token": ntu_case(replace_line(6, "0.1 0.2 0.3 250 200 900 500 0.1 0.2 abc 0.4 2")),
    "ntu short joint line": ntu_case(replace_line(6, "0.1 0.2 0.3")),
    "ntu wrong joint count": ntu_case(replace_line(4, "24")),
    "ntu bad body count": ntu_case(replace_line(2, "-1")),
    "ntu non-integer frame count": ntu_case(replace_line(1, "5.5")),
    "ntu body line values": ntu_case(replace_line(3, "1 0 1 2")),
    "ntu nan coordinate": ntu_case(ntu_nan_x),
    "ntu frame count too large": ntu_case(replace_line(1, "6")),
    "ntu trailing garbage": ntu_case(lambda lines: lines + ["garbage"]),
    "ntu frame count too small": ntu_case(replace_line(1, "4")),
    "ntu duplicate body in frame": ntu_case(lambda lines: lines[:1] + ["2"] + lines[2:29] + lines[2:]),
    "ntu binary content": raw_file_case("S001C001P001R001A001.skeleton", b"1\n\xff\xfe\n", read_ntu_skeleton),
    "ntu no files": empty_ntu_folder,
    "pku bad line": pku_case(skeleton_edit=lambda text: "1 2 3\n" + text),
    "pku non-numeric": pku_case(skeleton_edit=lambda text: text.replace(text.split()[3], "x", 1)),
    "pku nan": pku_case(skeleton_edit=pku_nan),
    "pku segment out of range": pku_case("3,30,41,1\n"),
    "pku end before start": pku_case("3,20,10,1\n"),
    "pku label out of range": pku_case("52,1,10,1\n"),
    "pku label line values": pku_case("3,1,10\n"),
    "pku missing skeleton": pku_case(drop_skeleton=True),
    "npz missing array": npz_case(lambda a: a.pop("lengths")),
    "npz unknown array": npz_case(lambda a: a.update(extra=np.zeros(2))),
    "npz object array": npz_case(lambda a: a.update(class_names=np.array(["a", 1], dtype=object))),
    "npz lengths sum": npz_case(lambda a: a.update(lengths=np.array([4, 5]))),
    "npz zero length": npz_case(lambda a: a.update(lengths=np.array([0, 10]))),
    "npz float lengths": npz_case(lambda a: a.update(lengths=np.array([4.0, 6.0]))),
    "npz label out of range": npz_case(lambda a: a.update(labels=np.array([0, 2]))),
    "npz unknown layout": npz_case(lambda a: a.update(layout=np.array("smpl-24"))),
    "npz wrong V": npz_case(lambda a: a.update(joints=np.zeros((10, 1, 20, 3), np.float32))),
    "npz nan": npz_case(lambda a: a["joints"].__setitem__((3, 0, 1, 2), np.nan)),
    "npz duplicate class names": npz_case(lambda a: a.update(class_names=np.array(["a", "a"]))),
    "npz bytes class names": npz_case(lambda a: a.update(class_names=np.array([b"a", b"b"]))),
    "npz corrupt": raw_file_case("corrupt.npz", b"this is not a zip archive" * 10, read_npz),
    "npz truncated": truncated_npz,
    "npz damaged member": damaged_npz_member,
    "utd wrong shape": utd_case({"d_skel": np.zeros((25, 3, 4))}),
    "utd no frames": utd_case({"d_skel": np.zeros((20, 3, 0))}),
    "utd missing d_skel": utd_case({"skeleton": np.zeros((20, 3, 4))}),
    "utd nan": utd_case({"d_skel": np.full((20, 3, 4), np.nan)}),
    "utd not a mat file": raw_file_case("a1_s1_t1_skeleton.mat", b"garbage" * 30, lambda p: read_utd(p.parent)),
    "unknown format": unknown_format,
    "missing path": missing_path,
}


@pytest.mark.parametrize("make", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_raises_sadvae_error_naming_the_file(tmp_path, make):
    path, call = make(tmp_path)
    with pytest.raises(SadvaeError) as caught:
        call()
    message = str(caught.value)
    assert path.name in message and "expected" in message and "found" in message
    if not isinstance(caught.value, SkeletonFormatError):
        assert "format" in message or "no such" in message


@pytest.mark.parametrize("edit, line", [(replace_line(4, "24"), 4), (replace_line(2, "x"), 2),
                                        (ntu_nan_x, 5), (lambda lines: lines[:-4], 138)])
def test_ntu_errors_carry_the_line(tmp_path, edit, line):
    path, call = ntu_case(edit)(tmp_path)
    with pytest.raises(SkeletonFormatError) as caught:
        call()
    assert caught.value.line == line and caught.value.path == str(path)
    assert str(caught.value).startswith(f"{path}:{line}: expected ")


def test_format_error_message_parts():
    error = SkeletonFormatError("x.skeleton", "25 joints", "24", line=7)
    assert str(error) == "x.skeleton:7: expected 25 joints, found 24"
    assert (error.path, error.expected, error.found, error.line) == ("x.skeleton", "25 joints", "24", 7)
    assert str(SkeletonFormatError("y.npz", "a", "b")) == "y.npz: expected a, found b"
    assert FORMATS == ("ntu", "pku", "utd", "nwucla", "bvh", "video", "npz")


def test_convert_command_reports_skips_and_stops_on_bad_files(tmp_path, capsys):
    from sadvae.cli.main import main

    rng = np.random.default_rng(9)
    data = tmp_path / "ntu"
    data.mkdir()
    write_ntu(data / "S001C001P001R001A001.skeleton", one_body_lines(rng))
    write_ntu(data / "S001C001P002R001A002.skeleton", one_body_lines(rng))
    write_ntu(data / "S001C001P002R001A003.skeleton", ntu_lines([[], []]))  # no body: skipped, reported
    out = tmp_path / "ntu.npz"
    assert main(["convert", "--data", str(data), "--format", "ntu", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "2 sequences, 60 classes, layout ntu-25, 1 files skipped" in captured.out
    assert "skipped" in captured.err and "A003" in captured.err
    write_ntu(data / "S001C001P003R001A004.skeleton", one_body_lines(rng)[:-3])  # truncated
    bad_out = tmp_path / "bad.npz"
    assert main(["convert", "--data", str(data), "--format", "ntu", "--out", str(bad_out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "S001C001P003R001A004.skeleton" in err and "Traceback" not in err and not bad_out.exists()
    assert main(["convert", "--data", str(data), "--format", "ntu", "--out", str(bad_out), "--skip-bad",
                 "--quiet"]) == 0
    assert len(read_npz(bad_out)) == 2
    names = tmp_path / "names.txt"
    names.write_text("\n".join(f"action {i}" for i in range(60)) + "\n")
    renamed = tmp_path / "renamed.npz"
    assert main(["convert", "--data", str(out), "--format", "npz", "--out", str(renamed), "--class-names",
                 str(names), "--quiet"]) == 0
    assert read_npz(renamed).class_names[:2] == ["action 0", "action 1"]
    names.write_text("one\ntwo\n")
    assert main(["convert", "--data", str(out), "--format", "npz", "--out", str(tmp_path / "r2.npz"),
                 "--class-names", str(names), "--quiet"]) == 2
    assert "expected 60 class names" in capsys.readouterr().err and not (tmp_path / "r2.npz").exists()
