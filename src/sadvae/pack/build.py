"""From per-sample features to a feature pack: class splits, sample partition, the seen-class
classifier's logits, and the staged write of the pack's folders.

`sadvae features` (skeleton files -> encoder -> features) and `sadvae prepare` (features you already
have) both end here, so both write the same layout with the same rules:

- unseen classes: given, or drawn with a seed; validation ("pseudo-unseen") classes: as many, drawn
  from the seen ones (or given);
- samples split into a training pool and a test pool by performer when performers are known (every
  sample of a performer on one side), else at random within each class;
- main split: `train` = training-pool samples of the seen classes, `ztest` = test-pool samples of the
  unseen classes, `gtest` = all test-pool samples;
- validation split: `train` = training-pool samples of the seen-minus-validation classes except a
  held-out part, which is `val`; `ztest` = training-pool samples of the validation classes.
No unseen-class sample ever reaches the main split's training, and no validation-class sample the
validation split's training.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..encoder.training import full_logits
from ..errors import SadvaeError
from .format import MAX_VAL_DRAWS, MIN_GATE_SAMPLES, split_file_names, split_folder_names

# NTU RGB+D 120 cross-subject protocol: performers of the training set (covers NTU-60's as well)
NTU_TRAIN_PERFORMERS = (1, 2, 4, 5, 8, 9, 13, 14, 15, 16, 17, 18, 19, 25, 27, 28, 31, 34, 35, 38, 45, 46, 47, 49, 50,
                        52, 53, 54, 55, 56, 57, 58, 59, 70, 74, 78, 80, 81, 82, 83, 84, 85, 86, 89, 91, 92, 93, 94, 95,
                        97, 98, 100, 103)


@dataclass
class ClassSplit:
    n_classes: int
    unseen: np.ndarray  # sorted
    val: np.ndarray  # sorted, drawn from the seen classes

    @property
    def seen(self) -> np.ndarray:
        return np.setdiff1d(np.arange(self.n_classes), self.unseen)

    @property
    def seen_minus_val(self) -> np.ndarray:
        return np.setdiff1d(self.seen, self.val)


def _checked_ids(ids, n_classes: int, flag: str) -> np.ndarray:
    arr = np.asarray(list(ids), dtype=np.int64)
    if len(arr) == 0:
        raise SadvaeError(f"{flag}: expected at least one class id, found none")
    bad = arr[(arr < 0) | (arr >= n_classes)]
    if len(bad):
        raise SadvaeError(f"{flag}: expected class ids in 0..{n_classes - 1}, found {bad[:8].tolist()}")
    if len(np.unique(arr)) != len(arr):
        raise SadvaeError(f"{flag}: expected distinct class ids, found duplicates")
    return np.sort(arr)


def validation_count(n_classes: int, n_unseen: int) -> int:
    """Validation classes of a split: as many as unseen (the authors' layout), but at most half of the
    seen classes, so that the validation split keeps classes to learn (PURLS 14/13: 7, not 13)."""
    return max(1, min(n_unseen, (n_classes - n_unseen) // 2))


def choose_classes(n_classes: int, n_unseen: int | None = None, unseen_classes=None, val_classes=None,
                   seed: int = 0) -> ClassSplit:
    """Unseen and validation classes: given, or drawn with `seed` (a split is reproducible from it)."""
    rng = np.random.default_rng(seed)
    if unseen_classes is not None:
        unseen = _checked_ids(unseen_classes, n_classes, "--unseen-classes")
        if n_unseen is not None and n_unseen != len(unseen):
            raise SadvaeError(f"--unseen: expected {len(unseen)} (the length of --unseen-classes), found {n_unseen}")
    else:
        if n_unseen is None or n_unseen < 1:
            raise SadvaeError(f"--unseen: expected a positive number of unseen classes, found {n_unseen}")
        if 2 * n_unseen >= n_classes:
            raise SadvaeError(f"--unseen: expected fewer than half of the {n_classes} classes (the validation split "
                              f"holds out as many seen ones), found {n_unseen}")
        unseen = np.sort(rng.choice(n_classes, n_unseen, replace=False))
    u = len(unseen)
    if 2 * u >= n_classes:
        raise SadvaeError(f"--unseen-classes: expected fewer than half of the {n_classes} classes, found {u}")
    seen = np.setdiff1d(np.arange(n_classes), unseen)
    n_val = validation_count(n_classes, u)
    if val_classes is not None:
        val = _checked_ids(val_classes, n_classes, "--val-classes")
        if len(val) != n_val or np.intersect1d(val, unseen).size:
            raise SadvaeError(f"--val-classes: expected {n_val} seen classes ("
                              + ("as many as unseen" if n_val == u else f"half of the {len(seen)} seen ones")
                              + f"), found {val.tolist()}")
    else:
        val = np.sort(rng.choice(seen, n_val, replace=False))
    return ClassSplit(n_classes, unseen, val)


def more_validation_draws(split: ClassSplit, count: int, seed: int = 0) -> list[np.ndarray]:
    """`count` further validation draws (sorted class ids), each as many seen classes as `split.val` and,
    where the seen classes allow it, a set no earlier draw has; reproducible from `seed`."""
    if count < 0:
        raise SadvaeError(f"--val-draws: expected at least 1 validation draw, found {count + 1}")
    if count + 1 > MAX_VAL_DRAWS:
        raise SadvaeError(f"--val-draws: expected at most {MAX_VAL_DRAWS} validation draws, found {count + 1}")
    draws = [split.val]
    for k in range(1, count + 1):
        rng = np.random.default_rng([seed, k])
        for _ in range(50):
            val = np.sort(rng.choice(split.seen, len(split.val), replace=False))
            if not any(np.array_equal(val, d) for d in draws):
                break
        draws.append(val)
    return draws[1:]


@dataclass
class SamplePartition:
    """Index arrays into the sample set (see the module doc)."""

    main_train: np.ndarray
    holdout: np.ndarray  # part of main_train held out for early stopping / the validation split's `val`
    zsl_test: np.ndarray
    gzsl_test: np.ndarray
    val_train: np.ndarray
    val_holdout: np.ndarray
    val_unseen: np.ndarray
    how: str  # how the training and test pools were made

    def counts(self) -> dict[str, int]:
        return {k: int(len(v)) for k, v in vars(self).items() if isinstance(v, np.ndarray)}


def _stratified_pick(labels: np.ndarray, candidates: np.ndarray, fraction: float, rng) -> np.ndarray:
    """A share of the candidates of every class (at least one where a class has two or more)."""
    picked = []
    for c in np.unique(labels[candidates]):
        members = candidates[labels[candidates] == c]
        k = int(round(fraction * len(members)))
        k = min(max(k, 1 if len(members) >= 2 else 0), len(members) - 1)
        picked.append(rng.choice(members, k, replace=False) if k > 0 else members[:0])
    return np.sort(np.concatenate(picked)) if picked else candidates[:0]


def partition_samples(labels: np.ndarray, split: ClassSplit, subjects: np.ndarray | None = None, *,
                      train_subjects=None, test_fraction: float = 0.5, holdout: float = 0.2, seed: int = 0,
                      class_names=None, holdout_performers: float | None = None) -> SamplePartition:
    """`holdout_performers`: instead of a share of each class's training samples, hold out every sample
    of this share of the training pool's performers (at least one), so that early stopping and the
    GZSL gate see performers the encoder never saw, as the test set does."""
    labels = np.asarray(labels, dtype=np.int64)
    rng = np.random.default_rng(seed)
    everything = np.arange(len(labels))
    if not 0 < holdout < 1:
        raise SadvaeError(f"--holdout: expected a fraction between 0 and 1, found {holdout}")
    if subjects is not None:
        subjects = np.asarray(subjects, dtype=np.int64)
        present = np.unique(subjects)
        chosen = np.asarray(train_subjects if train_subjects is not None else present[present % 2 == 1])
        in_train = np.isin(subjects, chosen)
        how = f"by performer: training performers {sorted(set(present[np.isin(present, chosen)].tolist()))}"
        if in_train.all() or not in_train.any():
            raise SadvaeError(f"performer split: expected performers on both sides, found "
                              f"{'all' if in_train.all() else 'none'} of {present.tolist()} among the training "
                              f"performers {sorted(np.asarray(chosen).tolist())}")
    else:
        if not 0 < test_fraction < 1:
            raise SadvaeError(f"--test-fraction: expected a fraction between 0 and 1, found {test_fraction}")
        in_train = np.ones(len(labels), dtype=bool)
        in_train[_stratified_pick(labels, everything, test_fraction, rng)] = False
        how = f"at random within each class: {test_fraction:.0%} test"
    train_pool, test_pool = everything[in_train], everything[~in_train]
    main_train = train_pool[np.isin(labels[train_pool], split.seen)]
    if holdout_performers is not None:
        if subjects is None:
            raise SadvaeError("--holdout-performers: expected performer ids in the data, found none (use --holdout)")
        if not 0 < holdout_performers < 1:
            raise SadvaeError(f"--holdout-performers: expected a share between 0 and 1, found {holdout_performers}")
        pool = np.unique(subjects[train_pool])
        k = min(len(pool) - 1, max(1, round(holdout_performers * len(pool))))
        if k < 1:
            raise SadvaeError(f"--holdout-performers: expected two or more training performers, found {pool.tolist()}")
        away = np.sort(rng.choice(pool, k, replace=False))
        held = main_train[np.isin(subjects[main_train], away)]
        how += f"; performers {away.tolist()} held out"
    else:
        held = _stratified_pick(labels, main_train, holdout, rng)
    is_held = np.isin(everything, held)
    part = SamplePartition(
        main_train=main_train, holdout=held,
        zsl_test=test_pool[np.isin(labels[test_pool], split.unseen)], gzsl_test=test_pool,
        val_train=train_pool[np.isin(labels[train_pool], split.seen_minus_val) & ~is_held[train_pool]],
        val_holdout=held[np.isin(labels[held], split.seen_minus_val)],
        val_unseen=train_pool[np.isin(labels[train_pool], split.val)], how=how)
    _check_coverage(labels, part, split, class_names)
    return part


def _check_coverage(labels, part: SamplePartition, split: ClassSplit, class_names) -> None:
    def name(c):
        return f"{c} ({class_names[c]})" if class_names is not None else str(c)

    needs = [(part.main_train[~np.isin(part.main_train, part.holdout)], split.seen, "training samples"),
             (part.zsl_test, split.unseen, "test samples"),
             (part.val_unseen, split.val, "training-pool samples (validation class)")]
    for idx, classes, what in needs:
        empty = np.setdiff1d(classes, labels[idx])
        if len(empty):
            raise SadvaeError(f"split: expected {what} of every class, found none for class "
                              f"{', '.join(name(int(c)) for c in empty[:5])} after the split ({part.how})")
    for idx, what, fix in ((part.val_holdout, "held-out samples of the seen-minus-validation classes", "--holdout"),
                           (part.val_unseen, "training-pool samples of the validation classes", "--unseen")):
        if len(idx) < MIN_GATE_SAMPLES:
            raise SadvaeError(f"split: expected at least {MIN_GATE_SAMPLES} {what} (the GZSL gate is fitted on "
                              f"them), found {len(idx)}; raise {fix} or use more data")


def split_arrays(labels: np.ndarray, part: SamplePartition, main_features: np.ndarray, main_logits: np.ndarray,
                 val_features: np.ndarray, val_logits: np.ndarray) -> tuple[dict, dict]:
    """File stem -> array for the main and the validation folder, from per-sample features and logits
    of the two encoders (or classifiers)."""
    labels = np.asarray(labels, dtype=np.int64)
    main = {"train": main_features[part.main_train], "train_label": labels[part.main_train],
            "ztest": main_features[part.zsl_test], "z_label": labels[part.zsl_test],
            "gtest": main_features[part.gzsl_test], "g_label": labels[part.gzsl_test],
            "gtest_out": main_logits[part.gzsl_test]}
    val = {"train": val_features[part.val_train], "train_label": labels[part.val_train],
           "ztest": val_features[part.val_unseen], "z_label": labels[part.val_unseen],
           "ztest_out": val_logits[part.val_unseen],
           "val": val_features[part.val_holdout], "val_label": labels[part.val_holdout],
           "val_out": val_logits[part.val_holdout]}
    return main, val


def pack_targets(resources, dataset: str, encoder: str, split: ClassSplit, split_type: str = "r",
                 more_vals: int = 0) -> list[Path]:
    """The paths a pack write creates (label split files and the two feature folders; with `more_vals`
    further validation draws, their two label files and their folder each)."""
    root = Path(resources)
    names = split_file_names(split_type, split.n_classes, len(split.unseen), len(split.val))
    main_name, val_name = split_folder_names(encoder, dataset, len(split.unseen), split_type)
    targets = [root / "label_splits" / dataset / n for n in names.values()] + \
        [root / "sk_feats" / main_name, root / "sk_feats" / val_name]
    for draw in range(1, more_vals + 1):
        names = split_file_names(split_type, split.n_classes, len(split.unseen), len(split.val), draw)
        targets += [root / "label_splits" / dataset / names[role] for role in ("val", "seen_minus_val")]
        targets.append(root / "sk_feats" / split_folder_names(encoder, dataset, len(split.unseen), split_type, draw)[1])
    return targets


def check_targets(targets: list[Path], force: bool) -> None:
    existing = [t for t in targets if t.exists()]
    if existing and not force:
        raise SadvaeError(f"{existing[0]}: expected no earlier pack here, found one ({len(existing)} of the pack's "
                          f"paths exist; use --force to replace them)")


def write_split_pack(resources, dataset: str, encoder: str, split: ClassSplit, main: dict, val: dict, *,
                     split_type: str = "r", extra: dict[str, dict[str, bytes]] | None = None,
                     force: bool = False, more_vals: list[tuple[np.ndarray, dict]] = ()) -> list[Path]:
    """Write label splits and both feature folders. Everything is written into a staging folder inside
    `resources` first and moved into place at the end, so a failure leaves no partial folder.
    `extra` adds files to the folders: {"main"|"val"|"val1"...: {file name: bytes}}. `more_vals`: further
    validation draws, each (its validation classes, its folder's arrays as `val`)."""
    root = Path(resources)
    targets = pack_targets(root, dataset, encoder, split, split_type, len(more_vals))
    check_targets(targets, force)
    try:
        root.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(dir=root, prefix=".sadvae-staging-"))
    except OSError as exc:
        raise SadvaeError(f"{root}: expected a writable resources folder, found {exc.strerror}") from None
    try:
        ids = {"unseen": split.unseen, "seen": split.seen, "val": split.val, "seen_minus_val": split.seen_minus_val}
        staged = []  # in the order of `targets`
        for role in split_file_names(split_type, split.n_classes, len(split.unseen), len(split.val)):
            staged.append(stage / f"label_{role}.npy")
            np.save(staged[-1], np.asarray(ids[role], dtype=np.int64))
        staged += [_stage_folder(stage, "main", main, extra), _stage_folder(stage, "val", val, extra)]
        for draw, (classes, arrays) in enumerate(more_vals, start=1):
            draw_split = ClassSplit(split.n_classes, split.unseen, np.sort(np.asarray(classes, dtype=np.int64)))
            for role, ids in (("val", draw_split.val), ("seen_minus_val", draw_split.seen_minus_val)):
                staged.append(stage / f"label_{role}_{draw}.npy")
                np.save(staged[-1], ids)
            staged.append(_stage_folder(stage, f"val{draw}", arrays, extra))
        for src, dst in zip(staged, targets, strict=True):
            dst.parent.mkdir(parents=True, exist_ok=True)
            if dst.is_dir():
                shutil.rmtree(dst)
            os.replace(src, dst)
        _remove_stale_draws(root, dataset, encoder, split, split_type, len(more_vals))
    except OSError as exc:
        raise SadvaeError(f"{root}: expected to write the pack, found {exc.strerror or exc}") from None
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return targets


def _remove_stale_draws(root: Path, dataset: str, encoder: str, split: ClassSplit, split_type: str,
                        kept: int) -> None:
    """Remove this encoder's further validation draws beyond `kept` left by an earlier pack here (they
    would be read with the new one). A draw's class files stay while another encoder's folder of that
    draw is there: the class split files are shared by the encoders of a split."""
    u, v = len(split.unseen), len(split.val)
    for draw in range(kept + 1, MAX_VAL_DRAWS):
        folder = root / "sk_feats" / split_folder_names(encoder, dataset, u, split_type, draw)[1]
        shutil.rmtree(folder, ignore_errors=True)
        if not any((root / "sk_feats").glob(f"*_{dataset}_val{draw}_{u}_{split_type}")):
            names = split_file_names(split_type, split.n_classes, u, v, draw)
            for role in ("val", "seen_minus_val"):
                (root / "label_splits" / dataset / names[role]).unlink(missing_ok=True)


def _stage_folder(stage: Path, key: str, arrays: dict, extra: dict | None) -> Path:
    folder = stage / key
    folder.mkdir()
    for stem, arr in arrays.items():
        np.save(folder / f"{stem}.npy", np.asarray(arr).astype(np.int64 if "label" in stem else np.float32))
    for file_name, data in (extra or {}).get(key, {}).items():
        (folder / file_name).write_bytes(data)
    return folder


def seen_classifier_logits(features: np.ndarray, labels: np.ndarray, fit_index: np.ndarray, classes: np.ndarray,
                           n_classes: int, seed: int = 0) -> np.ndarray:
    """Logits over all classes from a logistic regression fitted on `fit_index` samples of `classes`:
    the seen-class classifier of a pack made from features alone (`sadvae prepare`)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler


    scaler = StandardScaler().fit(features[fit_index])
    model = LogisticRegression(max_iter=2000, random_state=seed)
    model.fit(scaler.transform(features[fit_index]), labels[fit_index])
    seen_logits = model.decision_function(scaler.transform(features))
    if seen_logits.ndim == 1:  # two classes: sklearn gives one column
        seen_logits = np.stack([-seen_logits, seen_logits], 1) / 2
    return full_logits(seen_logits.astype(np.float32), model.classes_.astype(np.int64), n_classes)


def prepare_pack(resources, dataset: str, features: np.ndarray, labels: np.ndarray, class_names: list[str], *,
                 subjects: np.ndarray | None = None, n_unseen: int | None = None, unseen_classes=None,
                 val_classes=None, split_seed: int = 0, train_subjects=None, test_fraction: float = 0.5,
                 holdout: float = 0.2, encoder: str = "features", split_type: str = "r",
                 force: bool = False, holdout_performers: float | None = None
                 ) -> tuple[ClassSplit, SamplePartition, list[Path]]:
    """A pack from features you already have (N x F) + labels + class names; the seen-class logits
    come from a logistic regression per split (seen classes; seen-minus-validation classes)."""
    features = np.asarray(features, dtype=np.float32)
    labels = np.asarray(labels, dtype=np.int64)
    n_classes = len(class_names)
    split = choose_classes(n_classes, n_unseen, unseen_classes, val_classes, split_seed)
    check_targets(pack_targets(resources, dataset, encoder, split, split_type), force)
    part = partition_samples(labels, split, subjects, train_subjects=train_subjects, test_fraction=test_fraction,
                             holdout=holdout, seed=split_seed, class_names=class_names,
                             holdout_performers=holdout_performers)
    main_logits = seen_classifier_logits(features, labels, part.main_train, split.seen, n_classes, split_seed)
    val_logits = seen_classifier_logits(features, labels, part.val_train, split.seen_minus_val, n_classes, split_seed)
    main, val = split_arrays(labels, part, features, main_logits, features, val_logits)
    paths = write_split_pack(resources, dataset, encoder, split, main, val, split_type=split_type, force=force)
    return split, part, paths


def write_pack(resources, *, dataset: str, split_name: str | None = None, split_type: str = "r", encoder: str,
               text_model: str, text_mode: str = "lb", text: np.ndarray, unseen_classes, val_classes,
               main: dict[str, np.ndarray], val: dict[str, np.ndarray]) -> Path:
    """Write a pack in the reference layout, replacing an earlier one (seen classes are the rest).
    `main`/`val` map file stems (e.g. `train`, `z_label`) to arrays."""
    root = Path(resources)
    split_name = split_name or dataset
    split = ClassSplit(len(text), np.sort(unseen_classes), np.sort(val_classes))
    write_split_pack(root, split_name, encoder, split, main, val, split_type=split_type, force=True)
    text_dir = root / "text_feats" / split_name / text_model
    text_dir.mkdir(parents=True, exist_ok=True)
    np.save(text_dir / f"{text_mode}_{len(text)}.npy", np.asarray(text, dtype=np.float32))
    return root
