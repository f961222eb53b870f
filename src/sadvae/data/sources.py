"""Several skeleton datasets as one: the shared skeleton space, one frame rate, the union of classes.

A model that should carry to recordings it never saw learns from several sensors at once (Kinect v1,
optical motion capture, ...). `combine` puts every source into the shared joint set (`layouts.SHARED`,
joints placed by name), resamples every sequence to one frame rate (so that seconds mean the same
everywhere), and joins the class lists: the same class name in two datasets is one class (merge=True)
whose texts are the union of both datasets' texts, or two classes kept apart by a dataset tag
(merge=False). Performers stay distinct per dataset; which dataset a sample came from is kept so
that training can balance them and hold performers out within each.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import SadvaeError
from .layouts import SHARED, map_layout
from .preprocess import pad_bodies, resample_rate
from .skeletons import SkeletonSet

COMMON_FPS = 30.0  # the frame rate the shared space is kept at (Kinect's)
PERFORMER_STRIDE = 100_000  # performer ids of dataset d are d * PERFORMER_STRIDE + the dataset's own id


@dataclass
class Source:
    """One dataset: its skeletons, a short name, and its class texts (a list of texts per class, in
    the order of skeletons.class_names; None: the class names themselves)."""

    skeletons: SkeletonSet
    name: str
    texts: list[list[str]] | None = None
    text_source: str = "class names"
    # generated data (data.synthetic): learned from, but nothing of it is held out for early stopping or
    # calibration, and a class that only such sources have is never drawn as a validation class
    train_only: bool = False

    def class_texts(self) -> list[list[str]]:
        names = self.skeletons.class_names
        if self.texts is None:
            return [[n] for n in names]
        if len(self.texts) != len(names):
            raise SadvaeError(f"{self.name}: expected texts for all {len(names)} classes ({self.text_source}), "
                              f"found {len(self.texts)}")
        return [list(t) for t in self.texts]


@dataclass
class Combined:
    skeletons: SkeletonSet  # every sequence in the shared space at COMMON_FPS; subjects -1 where unknown
    texts: list[list[str]]  # per class of skeletons.class_names
    dataset: np.ndarray  # (N,) index into `names` of each sample's source
    names: list[str]  # the sources' names
    class_datasets: list[list[str]] = field(default_factory=list)  # per class, the sources that have it
    train_only: list[str] = field(default_factory=list)  # the sources that are training material only

    def counts(self) -> dict[str, int]:
        return {name: int((self.dataset == d).sum()) for d, name in enumerate(self.names)}

    def class_mask(self) -> np.ndarray:
        """(datasets, classes) bool: which dataset has which class."""
        has = np.zeros((len(self.names), len(self.skeletons.class_names)), dtype=bool)
        for c, datasets in enumerate(self.class_datasets):
            has[[self.names.index(d) for d in datasets], c] = True
        return has

    def real_classes(self) -> np.ndarray:
        """The classes that some source other than a train-only one has (the ones validation may draw)."""
        return np.asarray([c for c, datasets in enumerate(self.class_datasets)
                           if set(datasets) - set(self.train_only)], dtype=np.int64)


def _key(name: str) -> str:
    return " ".join(name.lower().split())


def combine(sources: list[Source], merge: bool = True, fps: float = COMMON_FPS) -> Combined:
    """The sources as one SkeletonSet in the shared space (see the module docstring)."""
    if not sources:
        raise SadvaeError("sources: expected at least one skeleton dataset, found none")
    names = [s.name for s in sources]
    if len(set(names)) != len(names):
        raise SadvaeError(f"sources: expected distinct dataset names, found {names}")
    class_names: list[str] = []
    texts: list[list[str]] = []
    class_datasets: list[list[str]] = []
    index: dict[str, int] = {}
    sequences, labels, subjects, dataset, sample_ids, styles = [], [], [], [], [], []
    bodies = max(seq.shape[1] for s in sources for seq in s.skeletons.sequences)
    for d, source in enumerate(sources):
        sk = source.skeletons
        own = []
        for name, text in zip(sk.class_names, source.class_texts()):
            key = _key(name) if merge else f"{_key(name)} ({source.name})"
            if key not in index:
                index[key] = len(class_names)
                class_names.append(name if merge else f"{name} ({source.name})")
                texts.append([])
                class_datasets.append([])
            c = index[key]
            texts[c] += [t for t in text if t not in texts[c]]
            if source.name not in class_datasets[c]:
                class_datasets[c].append(source.name)
            own.append(c)
        rate = sk.fps or fps
        for i, seq in enumerate(sk.sequences):
            seq = map_layout(np.asarray(seq, dtype=np.float32), sk.layout, SHARED)
            seq = resample_rate(seq.astype(np.float64), rate, fps).astype(np.float32)
            sequences.append(pad_bodies(seq, bodies))
        labels.append(np.asarray(own, dtype=np.int64)[sk.labels])
        subjects.append(d * PERFORMER_STRIDE + sk.subjects if sk.subjects is not None
                        else np.full(len(sk), -1, dtype=np.int64))
        dataset.append(np.full(len(sk), d, dtype=np.int64))
        ids = sk.sample_ids or [str(i) for i in range(len(sk))]
        sample_ids += [f"{source.name}/{i}" for i in ids]
        styles += list(sk.styles) if sk.styles else [""] * len(sk)
    combined = SkeletonSet(sequences=sequences, labels=np.concatenate(labels), class_names=class_names,
                           layout=SHARED, subjects=np.concatenate(subjects), sample_ids=sample_ids, fps=fps,
                           styles=styles if any(styles) else [])
    return Combined(combined, texts, np.concatenate(dataset), names, class_datasets,
                    [s.name for s in sources if s.train_only])
