"""Model bundles: their layout, loading and checking them, and open-vocabulary prediction (`sadvae predict`).

They are written by `export.py` (`sadvae export`, and `sadvae fit` for anchor bundles).

A bundle is a folder, or the same files in a zip archive:

    manifest.json        format, versions, the text model, the SA-DVAE settings, the training
                         classes and their names, and the SHA-256 of every other file
    encoder.safetensors  the skeleton encoder (ST-GCN), its layout and preprocessing in its metadata
    sadvae.safetensors   the SA-DVAE encoders (skeleton and text) of the chosen seed and pass
    gate.json            the GZSL gate of that seed

Prediction encodes the class names it is given with the bundle's text model, fits the zero-shot
classifier on their text latents (as training does after each pass, a second or less), and scores
every sequence: a softmax over the given classes; with `include_seen`, the gate first decides
between the training classes (the encoder's own classifier) and the given ones.

An anchor bundle (manifest `"kind": "anchor"`; `sadvae export` of a `--method anchor` run, or
`sadvae fit`) holds only `encoder.safetensors` (an encoder with the text-anchored head) and
`gate.json`: a new class's prototype is its text through the encoder's projection, and a sequence's
scores are its scaled cosines to the prototypes. A bundle of `sadvae fit` also records in its
manifest the calibration of its probabilities and of "none of these" (`confidence`, see
`confidence.py`). Where the manifest's text mode is `prompt` (trained on class names in our
templates), the names given to `predict` are phrased the same way. Sequences of another joint
layout are mapped into the bundle's by joint name where every joint it needs has a counterpart
(`layouts.map_layout`).
"""
from __future__ import annotations

import json
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..data.layouts import map_layout
from ..data.preprocess import preprocess_sequence
from ..data.inputs import INPUT_SUFFIXES, read_input_set  # noqa: F401 - their old home, kept for users' imports
from ..data.skeletons import SkeletonSet
from ..encoder.training import TrainedEncoder, predict_features
from ..errors import SadvaeError
from ..experiment.gate import Gate
from ..io import load_tensors
from ..methods.classifier import fit_classifier, predict_proba
from ..methods.vae import ModelConfig, encode_skeleton, encode_text
from ..pack.text import encode_classes, name_prompts
from .bridge import bridge_scores, bridged, check_scoring
from .export import ANCHOR_PAYLOAD, FORMAT, PAYLOAD, VAE_KEYS, sha256_hex
from .export import export_bundle, write_anchor_bundle  # noqa: F401 - their old home, kept for users' imports
from .models import resolve_model

# Zero-shot classifiers averaged per prediction. Each is fitted on random samples of text latents,
# and one fit varies a lot: measured on a UTD-MHAD split (80 test files, 5 classes), ZSL top-1 over
# 5 fitting seeds ranged 25-55% with 1 fit, 25-57% with 5, 29-50% with 10, 31-46% with 20, taking
# 0.13, 0.33, 0.54 and 1.23 s on two CPU cores. Twenty keep a prediction near a second; --seed
# changes the draw.
FITS = 20


# -------------------------------------------------------------------------------------------------
# loading


def _bundle_files(path: Path) -> dict[str, bytes]:
    if path.is_dir():
        return {p.name: p.read_bytes() for p in path.iterdir() if p.is_file()}
    if path.is_file():
        if not zipfile.is_zipfile(path):
            raise SadvaeError(f"{path}: expected a model bundle (a folder or a .zip from sadvae export), "
                              "found a file that is not a zip archive")
        try:
            with zipfile.ZipFile(path) as z:
                return {i.filename: z.read(i) for i in z.infolist() if not i.is_dir() and "/" not in i.filename}
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise SadvaeError(f"{path}: expected a readable zip archive, found {exc}") from None
    raise SadvaeError(f"{path}: expected a model bundle (a folder or a .zip from sadvae export), found nothing")


@dataclass
class Prediction:
    """Top-k classes of one sequence: names with probabilities, and whether the gate chose a training class."""

    sample: str
    labels: list[str]
    probs: list[float]
    routed_seen: bool | None = None
    none: bool | None = None  # with allow_none: True when no asked class fits ("none of these")
    transductive: bool | str = False  # "adapt" / "centre": read the recordings named with it (adapt.py)
    scoring: str = "direct"  # "bridged": ranked through the training classes too (bridge.py)

    def as_dict(self) -> dict:
        out = {"sample": self.sample, "top": [{"class": n, "prob": round(p, 6)} for n, p in
                                              zip(self.labels, self.probs)]}
        if self.routed_seen is not None:
            out["gate"] = "seen" if self.routed_seen else "new"
        if self.none is not None:
            out["none"] = self.none
        if self.transductive:
            out["transductive"] = True
            out["transductive_mode"] = self.transductive if isinstance(self.transductive, str) else "adapt"
        if self.scoring != "direct":
            out["scoring"] = self.scoring
        return out


class _BundleModel:
    """What both kinds of bundle share: the manifest, the encoder, the gate, input preparation."""

    def __init__(self, manifest: dict, encoder: TrainedEncoder, gate: Gate, source: str = "bundle",
                 device: str = "cpu"):
        self.manifest, self.encoder, self.gate, self.source = manifest, encoder, gate, source
        self.device = torch.device("cpu")
        self.to(device)
        self.text_model = manifest["text"]["model"]
        self.layout = manifest["layout"]
        self.class_names = list(manifest["classes"]["names"])
        self.seen_classes = list(manifest["classes"]["seen"])

    @property
    def seen_names(self) -> list[str]:
        return [self.class_names[c] for c in self.seen_classes]

    def to(self, device) -> "_BundleModel":
        """Keep the encoder on `device` (cpu, cuda, cuda:1, mps) for every later prediction."""
        try:
            dev = torch.device(device)
            self.encoder.model.to(dev)
        except (RuntimeError, AssertionError) as exc:  # an unknown name, or a device this torch build lacks
            raise SadvaeError(f"device: expected cpu, cuda or mps available here, found {device!r} ({exc})") from None
        self.device = dev
        return self

    def _features(self, x: np.ndarray, device) -> tuple[np.ndarray, np.ndarray]:
        """Embeddings and training-class logits of prepared inputs, on the model's device (or `device`,
        which the model then stays on)."""
        if device is not None and torch.device(device) != self.device:
            self.to(device)
        return predict_features(self.encoder.model, x, self.device)

    @property
    def name_prompts(self) -> bool:
        """Whether the model learnt its classes' names in our templates (text mode `prompt`): new class
        names are then phrased the same way."""
        return self.manifest["text"].get("mode") == "prompt"

    def encode_classes(self, classes: list[str], ensemble: bool = False) -> np.ndarray:
        """Text embeddings of free-text classes, (C, D); with a `prompt` model each class is its name in
        every template, averaged, or kept as (C, M, D) with `ensemble`."""
        texts = name_prompts(classes).texts if self.name_prompts else list(classes)
        return encode_classes(texts, self.text_model, normalize=self.manifest["text"]["normalized"],
                              ensemble=ensemble and self.name_prompts)

    def _check_request(self, classes, include_seen: bool, top_k: int) -> list[str]:
        classes = check_class_list(classes)
        if include_seen:
            clash = sorted(set(classes) & set(self.seen_names))
            if clash:
                raise SadvaeError(f"--classes: {', '.join(map(repr, clash))} is already a training class; with "
                                  "--include-seen list only new classes")
        if top_k < 1:
            raise SadvaeError(f"--top-k: expected a positive number, found {top_k}")
        return classes

    def _prepare(self, sequences, names: list[str] | None, layout: str | None = None) -> tuple[np.ndarray, list[str]]:
        """Sequences ((T, M, V, 3) or (T, V, 3) arrays of `layout`, default the bundle's, or a SkeletonSet) ->
        the encoder's input; another layout is mapped into the bundle's by joint name."""

        fps = None
        if isinstance(sequences, SkeletonSet):
            layout = sequences.layout
            names = names or sequences.sample_ids or None
            fps = sequences.fps
            sequences = sequences.sequences
        layout = layout or self.layout
        if layout != self.layout:
            sequences = [map_layout(np.asarray(s, dtype=np.float32), layout, self.layout) for s in sequences]
        sequences = list(sequences)
        if not sequences:
            raise SadvaeError("input: expected at least one skeleton sequence, found none")
        names = names or [f"sequence {i}" for i in range(len(sequences))]
        prep = self.encoder.preprocessing
        steps = prep.steps(fps)
        out = []
        for seq, name in zip(sequences, names):
            seq = np.asarray(seq, dtype=np.float32)
            if seq.ndim == 3:  # (T, V, 3): one body
                seq = seq[:, None]
            out.append(preprocess_sequence(seq, prep, steps, name=name))
        return np.stack(out), names

    def _embed(self, sequences, classes, include_seen: bool, top_k: int, sample_names, layout, device):
        """The start of both predict methods: the checked request, the sample names, the embeddings and
        the training-class logits of the sequences."""
        classes = self._check_request(classes, include_seen, top_k)
        x, names = self._prepare(sequences, sample_names, layout)
        feats, seen_logits = self._features(x, device)
        return classes, names, feats, seen_logits

    def _ranked_by_route(self, names, to_seen, seen_logits, classes, zsl, top_k: int) -> list[Prediction]:
        """Top-k of each sequence within the classes the gate chose: the training classes (the encoder's
        own scores) or the given ones (`zsl`)."""
        seen_probs = _softmax(seen_logits.astype(np.float64))
        preds = []
        for i, routed in enumerate(to_seen):
            pool, probs = (self.seen_names, seen_probs) if routed else (classes, zsl)
            pred = _top([names[i]], pool, probs[i:i + 1], top_k)[0]
            pred.routed_seen = bool(routed)
            preds.append(pred)
        return preds


class ZeroShotModel(_BundleModel):
    """A loaded SA-DVAE bundle: skeleton sequences + free-text class names -> predictions."""

    def __init__(self, manifest: dict, encoder: TrainedEncoder, vae: dict[str, torch.Tensor], gate: Gate,
                 source: str = "bundle", device: str = "cpu"):
        super().__init__(manifest, encoder, gate, source, device)
        s = manifest["sadvae"]
        self.model_cfg = ModelConfig(feature_dim=s["feature_dim"], text_dim=s["text_dim"],
                                     semantic_dim=s["semantic_dim"], style_dim=s["style_dim"], mode=s["mode"])
        self.vae = {k: v.unsqueeze(0).float() for k, v in vae.items()}  # one replica

    def predict(self, sequences, classes: list[str], *, include_seen: bool = False, top_k: int = 5,
                sample_names: list[str] | None = None, seed: int = 0, device: str | None = None,
                layout: str | None = None, allow_none: bool = False, transductive: bool = False,
                scoring: str | None = None) -> list[Prediction]:
        """Top-k of `classes` (free text) for each sequence ((T, M, V, 3) or (T, V, 3) arrays, or a
        SkeletonSet); with include_seen, of the training classes and `classes` together.

        Args:
            sequences: (T, M, V, 3) or (T, V, 3) arrays of the bundle's layout (or `layout`), or a SkeletonSet.
            classes: free-text class names or descriptions to choose among.
            include_seen: also the training classes; the calibrated gate decides between them and `classes`.
            top_k: how many classes each prediction lists.
            allow_none: answer "none of these" where no class fits (anchor bundles from `sadvae fit` only).
            transductive: read all `sequences` at once first (anchor bundles only): "adapt" (or True)
                moves the classes' prototypes towards them, "centre" removes their mean (`adapt.py`).
            scoring: "direct" or "bridged" (anchor bundles only: through the training classes, `bridge.py`);
                None: the bundle's own.
        Returns:
            One `Prediction` per sequence: its `labels` and `probs`, best first.
        Example:
            >>> model = sadvae.load("general")
            >>> model.predict(sadvae.read_skeletons("walk.bvh", "bvh"), ["walk", "jump"], top_k=1)
        """
        if scoring is not None and check_scoring(scoring) != "direct":
            raise SadvaeError(f"--scoring {scoring}: expected an anchor bundle (sadvae fit or an anchor run), found "
                              f"the SA-DVAE bundle {self.source}")
        for flag, asked in (("--allow-none", allow_none), ("--transductive", transductive)):
            if asked:
                raise SadvaeError(f"{flag}: expected an anchor bundle (sadvae fit or an anchor run), found the "
                                  f"SA-DVAE bundle {self.source}")
        classes, names, feats, seen_logits = self._embed(sequences, classes, include_seen, top_k, sample_names,
                                                         layout, device)
        per_fit = self.zsl_fits(feats, classes, seed)  # (fits, n, C)
        zsl = per_fit.mean(0)
        if not include_seen:
            return _top(names, classes, zsl, top_k)
        # The gate was calibrated on one classifier's probabilities over U classes: P(unseen) is taken for
        # each fit (fewer than U classes padded with zeros) and averaged, then the calibrated rule applies.
        u = self.gate.n_unseen
        if per_fit.shape[2] < u:
            per_fit = np.pad(per_fit, ((0, 0), (0, 0), (0, u - per_fit.shape[2])))
        logits = seen_logits.astype(np.float64)
        to_seen = self.gate.route_p(np.mean([self.gate.p_unseen(f, logits) for f in per_fit], axis=0))
        return self._ranked_by_route(names, to_seen, seen_logits, classes, zsl, top_k)

    def zsl_probabilities(self, feats: np.ndarray, classes: list[str], seed: int = 0, fits: int = FITS) -> np.ndarray:
        """Softmax over `classes` for skeleton features (n, F): the mean of `fits` zero-shot classifiers,
        each fitted (as in training) on its own random draw of text latents of the classes."""
        return self.zsl_fits(feats, classes, seed, fits).mean(0)

    def zsl_fits(self, feats: np.ndarray, classes: list[str], seed: int = 0, fits: int = FITS) -> np.ndarray:
        """(fits, n, C): each classifier's softmax."""
        text = torch.as_tensor(self.encode_classes(classes))
        text = text / text.norm(dim=-1, keepdim=True)
        if text.shape[-1] != self.model_cfg.text_dim:
            raise SadvaeError(f"text model {self.text_model}: expected {self.model_cfg.text_dim}-d embeddings as in "
                              f"training, found {text.shape[-1]}-d")
        cfg = self.model_cfg
        vae = {k: v.expand(fits, *v.shape[1:]) for k, v in self.vae.items()}  # the same model, `fits` times
        with torch.no_grad():
            tmu, tlogvar = encode_text(vae, text, cfg)
        gens = [torch.Generator().manual_seed(seed * 100_003 + i) for i in range(fits)]  # seeds' draws don't overlap
        weight, bias = fit_classifier(tmu, tlogvar, gens, scalar_noise=cfg.scalar_noise,
                                      logits_relu=cfg.classifier_relu)
        with torch.no_grad():
            z = encode_skeleton(vae, torch.as_tensor(feats, dtype=torch.float32), cfg)
            return predict_proba(weight, bias, z, cfg.classifier_relu).numpy().astype(np.float64)


class AnchorModel(_BundleModel):
    """A loaded anchor bundle: zero-shot by the encoder's text-anchored head (no fitting, deterministic)."""

    @property
    def confidence(self) -> dict | None:
        """The calibration `sadvae fit` chose on held-out data (`confidence.py`): the inverse temperature
        `beta` and the "none of these" threshold `none_cosine`, with their held-out figures; None for
        bundles written before it or without enough calibration data."""
        found = self.manifest.get("confidence")
        return found if isinstance(found, dict) and "beta" in found else None

    @property
    def scoring(self) -> str:
        """How the given classes are ranked by default (`bridge.py`): "direct" (the cosines to their
        prototypes), or "bridged" where the manifest says so (`sadvae fit` with several datasets)."""
        return self.manifest.get("scoring", "direct")

    def predict(self, sequences, classes: list[str], *, include_seen: bool = False, top_k: int = 5,
                sample_names: list[str] | None = None, seed: int = 0, device: str | None = None,
                layout: str | None = None, allow_none: bool = False,
                transductive: bool | str = False, scoring: str | None = None) -> list[Prediction]:
        """As ZeroShotModel.predict; `seed` is accepted for the same signature and changes nothing.

        Probabilities over the given classes are calibrated (softmax of the cosines times the bundle's
        `beta`) where the bundle has a calibration. With `allow_none`, each prediction's `none` says
        whether no given class fits (its best cosine is below the calibrated threshold); it needs a
        calibrated bundle and the given classes alone (not `include_seen`). With `transductive`, all the
        sequences of this call are read at once first (`adapt.py`): "adapt" (or True) moves the given
        classes' prototypes towards the sequences they attract; "centre" removes the sequences' mean
        embedding and the classes' mean prototype (a new sensor's shift), and then needs the given
        classes alone, without "none of these" (both were calibrated on plain cosines). Every
        prediction says which. `scoring` ranks the given classes "direct"ly or "bridged" through the
        training classes (`bridge.py`); None: the bundle's own (`scoring`)."""
        mode = check_transductive(transductive)
        scoring = check_scoring(self.scoring if scoring is None else scoring)
        if mode == "centre" and (allow_none or include_seen):
            raise SadvaeError(f"--transductive centre: expected the given classes alone, without "
                              f"{'--allow-none' if allow_none else '--include-seen'} (calibrated on plain cosines)")
        calibrated = self.confidence
        if allow_none and include_seen:
            raise SadvaeError("--allow-none: expected the given classes alone, found --include-seen too (the "
                              "training classes are always an answer)")
        if allow_none and calibrated is None:
            why = self.manifest.get("confidence", {}).get("unavailable") or "it was written before calibration"
            raise SadvaeError(f"{self.source}: expected a model calibrated for 'none of these' (refit it with "
                              f"sadvae fit), found none: {why}")
        classes, names, feats, seen_logits = self._embed(sequences, classes, include_seen, top_k, sample_names,
                                                         layout, device)
        scale = float(self.encoder.model.log_scale.detach().exp())
        beta = calibrated["beta"] if calibrated else scale  # the probabilities' inverse temperature on the cosines
        cosines, ranked = self.class_scores(feats, classes, transductive=beta if mode == "adapt" else None,
                                            centre=mode == "centre", scoring=scoring)
        new_logits = scale * cosines
        zsl = _softmax(beta * ranked)
        if not include_seen:
            preds = _top(names, classes, zsl, top_k)
            for p in preds:
                p.transductive, p.scoring = mode or False, scoring
            if allow_none:
                from .confidence import none_of_these

                for p, none in zip(preds, none_of_these(cosines, calibrated["none_cosine"])):
                    p.none = bool(none)
            return preds
        if self.gate.scores == "logits":  # stacking on the shared cosine scale
            to_seen = self.gate.route(new_logits, seen_logits.astype(np.float64))
        else:  # the gate's features are the top-U scores of U calibration classes: fewer are padded with zeros
            padded = np.pad(zsl, ((0, 0), (0, max(0, self.gate.n_unseen - zsl.shape[1]))))
            to_seen = self.gate.route(padded, seen_logits.astype(np.float64))
        preds = self._ranked_by_route(names, to_seen, seen_logits, classes, zsl, top_k)
        for p in preds:
            p.transductive, p.scoring = mode or False, scoring
        return preds

    def class_cosines(self, feats: np.ndarray, classes: list[str], transductive: float | None = None,
                      centre: bool = False) -> np.ndarray:
        """Cosines (n, C) of embeddings to the prototypes of free-text classes; with `transductive` (the
        inverse temperature of the soft assignment) the prototypes are first adapted to these embeddings;
        with `centre`, both sides are centred on their own means first (`adapt.centre`)."""
        return self.class_scores(feats, classes, transductive=transductive, centre=centre)[0]

    def class_scores(self, feats: np.ndarray, classes: list[str], *, transductive: float | None = None,
                     centre: bool = False, scoring: str = "direct") -> tuple[np.ndarray, np.ndarray]:
        """The cosines of `class_cosines` and the scores that rank the classes: the same cosines, or with
        scoring "bridged" those and the bridge through the training classes together (`bridge.py`)."""
        text = torch.as_tensor(self.encode_classes(classes, ensemble=True), dtype=torch.float32)
        cfg = self.encoder.model.config
        if text.shape[-1] != cfg.text_dim:
            raise SadvaeError(f"text model {self.text_model}: expected {cfg.text_dim}-d embeddings as in training, "
                              f"found {text.shape[-1]}-d")
        with torch.no_grad():
            proto = self.encoder.model.prototypes(text.to(self.device)).cpu().numpy().astype(np.float64)
        emb = np.asarray(feats, dtype=np.float64)
        emb = unit = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
        if transductive is not None:
            from .adapt import adapt_prototypes

            proto = adapt_prototypes(emb, proto, transductive)
        if centre:
            from .adapt import centre as centre_both

            emb, proto = centre_both(emb, proto)
        cosines = emb @ proto.T
        if check_scoring(scoring) == "direct":
            return cosines, cosines
        return cosines, bridged(cosines, bridge_scores(self.encoder.model, unit, text.numpy()))


TRANSDUCTIVE_MODES = ("adapt", "centre")


def check_transductive(transductive) -> str | None:
    """The transductive mode asked for: None (off), "adapt" (also for True) or "centre"."""
    if transductive is False or transductive is None:
        return None
    if transductive is True:
        return "adapt"
    if transductive not in TRANSDUCTIVE_MODES:
        raise SadvaeError(f"--transductive: expected one of {', '.join(TRANSDUCTIVE_MODES)}, found {transductive!r}")
    return transductive


def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _top(names: list[str], classes: list[str], probs: np.ndarray, k: int) -> list[Prediction]:
    order = np.argsort(-probs, axis=1, kind="stable")[:, :k]
    return [Prediction(n, [classes[j] for j in row], [float(probs[i, j]) for j in row])
            for i, (n, row) in enumerate(zip(names, order))]


def check_class_list(classes) -> list[str]:
    classes = [c.strip() if isinstance(c, str) else c for c in (classes or [])]
    if not classes:
        raise SadvaeError("--classes: expected at least one class name, found none")
    bad = [c for c in classes if not isinstance(c, str) or not c]
    if bad:
        raise SadvaeError(f"--classes: expected non-empty names, found {bad[0]!r}")
    dupes = sorted({c for c in classes if classes.count(c) > 1})
    if dupes:
        raise SadvaeError(f"--classes: expected distinct names, found {', '.join(map(repr, dupes))} more than once")
    return classes


def load(path, device: str = "cpu") -> "ZeroShotModel | AnchorModel":
    """Open a bundle written by `sadvae export` or `sadvae fit`, or a ready model by name (`sadvae models`);
    every file is checked against the manifest's hashes. The encoder stays on `device` (`model.to(...)`
    moves it; `predict(device=...)` too)."""

    path = resolve_model(path)
    files = _bundle_files(path)
    if "manifest.json" not in files:
        raise SadvaeError(f"{path}: expected manifest.json in the model bundle, found "
                          f"{', '.join(sorted(files)) or 'nothing'}")
    try:
        manifest = json.loads(files["manifest.json"])
        listed = manifest["files"]
        fmt = manifest["format"]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as exc:
        raise SadvaeError(f"{path}/manifest.json: expected a bundle manifest, found {exc!r}") from None
    if fmt != FORMAT:
        raise SadvaeError(f"{path}/manifest.json: expected format {FORMAT}, found {fmt!r}")
    kind = manifest.get("kind", "sadvae")
    if kind not in ("sadvae", "anchor"):
        raise SadvaeError(f"{path}/manifest.json: expected kind sadvae or anchor, found {kind!r}")
    for name in ANCHOR_PAYLOAD if kind == "anchor" else PAYLOAD:
        if name not in files:
            raise SadvaeError(f"{path}: expected {name} in the model bundle, found it missing")
        if sha256_hex(files[name]) != listed.get(name):
            raise SadvaeError(f"{path}/{name}: expected SHA-256 {listed.get(name)} as in the manifest, found "
                              f"{sha256_hex(files[name])} (the file was altered or damaged)")
    with tempfile.TemporaryDirectory(prefix="sadvae-bundle-") as tmp:
        for name in ANCHOR_PAYLOAD if kind == "anchor" else PAYLOAD:
            (Path(tmp) / name).write_bytes(files[name])
        encoder = TrainedEncoder.load(Path(tmp) / "encoder.safetensors")
        gate = Gate.load(Path(tmp) / "gate.json")
        if kind == "anchor":
            if encoder.model.config.head != "text":
                raise SadvaeError(f"{path}/encoder.safetensors: expected an encoder with the text head in an anchor "
                                  f"bundle, found the {encoder.model.config.head} head")
            return AnchorModel(manifest, encoder, gate, str(path), device)
        tensors, _ = load_tensors(Path(tmp) / "sadvae.safetensors")
    missing = [k for k in VAE_KEYS if k not in tensors]
    if missing:
        raise SadvaeError(f"{path}/sadvae.safetensors: expected {', '.join(VAE_KEYS)}, found no {missing[0]}")
    return ZeroShotModel(manifest, encoder, {k: torch.from_numpy(np.asarray(tensors[k])) for k in VAE_KEYS}, gate,
                         str(path), device)


# -------------------------------------------------------------------------------------------------
# reading new files


def read_inputs(paths: list[str], fmt: str | None) -> tuple[list[np.ndarray], list[str], str]:
    """Sequences, their names and layout from files or folders of one format (guessed from the suffix)."""
    found = read_input_set(paths, fmt)
    return found.sequences, found.sample_ids, found.layout
