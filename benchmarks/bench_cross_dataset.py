"""Across datasets and sensors: leave one dataset out, name its actions from their names alone.

Three real datasets of ../shared/data, three sensors and styles: UTD-MHAD (Kinect v1, 27 actions,
8 performers), NW-UCLA (Kinect v1, three views, 10 everyday actions, 10 performers) and Bandai-Namco
(optical motion capture, BVH, 25 contents by 3 actors in up to 15 styles). For each dataset held out:

  others   the recipe of `sadvae fit` with several datasets (the ready model `general`): the two
           other datasets in the shared skeleton space (body-16, 30 fps, views aligned), their
           classes merged by name, batches balanced between them, each class learnt against its
           built-in descriptions;
  X alone  the same recipe on one of the other datasets alone (today's one-dataset model, in the
           shared space so that it can read every sensor);
  utd-mhad the shipped ready model `utd-mhad` (Kinect v1 joints: it cannot read BVH), NW-UCLA only.

Every recording of the held-out dataset is named among that dataset's own class names (`names`), or
among its built-in descriptions (`desc`, each class the ensemble of its three); top-1 and top-5 over
recordings, for all of them, and separately for the held-out classes whose action some training set
has (SAME_ACTION below, written from the class names before any measurement) and for those no
training set has. `top share` is the share of recordings given the most frequent answer (an answer
piled on one name shows there). Mean +- std over --seeds encoder seeds (each also draws the held-out
performers).

Within one dataset, with and without the others (`--purls`): UTD-MHAD's PURLS splits (seen/unseen
classes of ../shared/data/utd_mhad/purls_splits), the encoder trained on the seen classes of the odd
performers alone, or beside every NW-UCLA and Bandai-Namco class except those whose action is one of
the unseen ones (SAME_ACTION: the unseen actions stay unseen); the even performers' recordings of the
unseen classes named among the unseen classes (names and descriptions). Adding data must not make
within-dataset zero-shot worse.

    python benchmarks/bench_cross_dataset.py                       # 3 seeds, ~50 min on 2 CPU cores
    python benchmarks/bench_cross_dataset.py --seeds 1 --epochs 5  # a quick look
    python benchmarks/bench_cross_dataset.py --purls 5,13          # PURLS 22/5 and 14/13, with and without
    python benchmarks/bench_cross_dataset.py --pairs-only --center frame --max-seconds 3 --cache enc/
                                          # the recipe of general; encoders kept for other scorings
    ... --canonical-bones                 # every bone an adult's length (preprocessing)
    ... --objective contrastive           # the encoder trained by symmetric InfoNCE
    ... --bone-jitter 0.4                 # every bone's length drawn anew in training (augmentation)
    ... --streams motion                  # the encoder reads only the joints' motion between frames
    ... --style-texts                     # Bandai-Namco's recordings learn their texts with their style
    ... --rival-classes dataset           # a recording's classes compete only with its own dataset's
    ... --synthetic 20                    # the generated motions of sadvae.data.synthetic beside them (DRAWN,
                                          # DRAWN_ADDED)

Each held-out dataset is also scored in the other ways of `scorings` (none looks at the test
recordings), in a second table, and in the transductive ways of `transductive_scorings` (they read
all of its recordings at once, unlabelled), in a third.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"

# name: (format, folder under the data root, built-in descriptions)
DATASETS = {
    "utd-mhad": ("utd", "utd_mhad/Skeleton", "utd27-desc"),
    "nw-ucla": ("nwucla", "nw_ucla/all_sqe", "nwucla10-desc"),
    "bandai-namco": ("bvh", "bandai_namco", "bandai25-desc"),
}

# The same action in two datasets (written from the class names before any measurement): a held-out
# class whose action a training set has is scored apart from the ones that no training set has.
SAME_ACTION = [
    ("utd-mhad", "walking", "nw-ucla", "walk around"),
    ("utd-mhad", "walking", "bandai-namco", "walk"),
    ("nw-ucla", "walk around", "bandai-namco", "walk"),
    ("utd-mhad", "sit to stand", "nw-ucla", "stand up"),
    ("utd-mhad", "stand to sit", "nw-ucla", "sit down"),
    ("utd-mhad", "right arm throw", "nw-ucla", "throw"),
    ("utd-mhad", "pick up and throw", "nw-ucla", "pick up with one hand"),
    ("utd-mhad", "pick up and throw", "nw-ucla", "throw"),
    ("utd-mhad", "right hand wave", "bandai-namco", "wave right hand"),
    ("utd-mhad", "right hand wave", "bandai-namco", "bye"),
    ("utd-mhad", "jogging", "bandai-namco", "run"),
    ("utd-mhad", "front boxing", "bandai-namco", "punch"),
]

# The held-out classes that a generated movement of `data.synthetic` draws (written with the generator, before
# any measurement with it): with --synthetic, the classes that no real training set has are scored apart by
# whether the generator draws their action (`drawn`) or not (`undrawn`), in every run, so that a gain on
# undrawn classes says the generated motions teach more than the actions they draw.
DRAWN = {
    "utd-mhad": {"right arm swipe to the left", "right arm swipe to the right", "right hand wave",
                 "two hand front clap", "right arm throw", "cross arms in the chest", "draw circle (clockwise)",
                 "draw circle (counter clockwise)", "front boxing", "arm curl (two arms)", "two hand push",
                 "jogging", "walking", "sit to stand", "stand to sit", "forward lunge (left foot forward)", "squat"},
    "nw-ucla": {"walk around", "sit down", "stand up", "throw"},
    "bandai-namco": {"bow", "bye", "byebye", "kick", "punch", "raise up both hands", "raise up left hand",
                     "raise up right hand", "run", "walk", "walk back", "walk left", "walk right", "walk turn left",
                     "walk turn right", "wave both hands", "wave left hand", "wave right hand"},
}
# The held-out classes whose action one of the movements added to `data.synthetic` on 2026-12-07 draws (written
# with those movements, before any measurement with them); scored apart as `drawn since 12-07`, so that what the
# first 48 movements did stays comparable. They were written from a general vocabulary of actions, but knowing
# these class lists, so a gain on them is an upper bound for other recordings.
DRAWN_ADDED = {
    "utd-mhad": {"basketball shooting", "draw x", "draw triangle", "bowling (right hand)", "baseball swing from right",
                 "tennis forehand swing", "tennis serve", "knock on door", "hand catch", "pick up and throw"},
    "nw-ucla": {"pick up with one hand", "pick up with two hands", "carry"},
    "bandai-namco": set(),
}

_CACHE: dict = {}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=str(DATA), help="the folder holding utd_mhad, nw_ucla and bandai_namco")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--first-seed", type=int, default=0, help="seeds first-seed .. first-seed + seeds - 1")
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--jobs", type=int, default=2, help="trainings side by side, one thread each (default 2)")
    p.add_argument("--center", default="first", choices=["first", "frame"],
                   help="the recipe's centring: the first frame's body centre (default) or every frame's")
    p.add_argument("--max-seconds", type=float, help="the recipe's window in seconds (default: all of each)")
    p.add_argument("--canonical-bones", action="store_true", help="the recipe with every bone an adult's length")
    p.add_argument("--objective", default="prototypes", choices=["prototypes", "contrastive"],
                   help="the encoder's training objective (--encoder-objective; default prototypes)")
    p.add_argument("--bone-jitter", type=float, default=0.0,
                   help="augmentation: every bone's length times exp(+- this) in training (default 0: off)")
    p.add_argument("--text-smoothing", type=float, default=0.0,
                   help="the training target spreads this over the other classes by their texts' similarity "
                        "(default 0: one-hot)")
    p.add_argument("--streams", help="the encoder's input streams, e.g. motion or bone,motion (default: all three)")
    p.add_argument("--names-in-texts", action="store_true",
                   help="each training class also learns its bare name beside its descriptions")
    p.add_argument("--rival-classes", default="all", choices=["all", "dataset"],
                   help="the classes a training recording competes with: all (default) or its own dataset's")
    p.add_argument("--style-texts", action="store_true",
                   help="each Bandai-Namco recording learns its class's texts with its style ('walk, tired')")
    p.add_argument("--no-balance", action="store_true",
                   help="each sample once an epoch (datasets count by their sizes), not every dataset equally often")
    p.add_argument("--balance-classes", action="store_true",
                   help="every class drawn equally often (weights 1 / its class's size), not every dataset")
    p.add_argument("--synthetic", type=int, default=0,
                   help="add the generated motions of sadvae.data.synthetic to every training, this many clips a "
                        "class (default 0: none)")
    p.add_argument("--pairs-only", action="store_true", help="only the trainings on two datasets (no X alone)")
    p.add_argument("--alone-only", action="store_true", help="only the trainings on one dataset (X alone)")
    p.add_argument("--held-out", default=",".join(DATASETS),
                   help="the datasets held out in turn (default all three: utd-mhad,nw-ucla,bandai-namco)")
    p.add_argument("--purls-alone", action="store_true", help="with --purls: only the trainings on UTD-MHAD alone")
    p.add_argument("--purls-others", default="nw-ucla,bandai-namco",
                   help="with --purls: the datasets that join UTD-MHAD (default nw-ucla,bandai-namco)")
    p.add_argument("--purls-with-only", action="store_true",
                   help="with --purls: only the trainings with the other datasets")
    p.add_argument("--purls", help="instead: UTD-MHAD's PURLS splits by unseen count (e.g. 5,9,13), with and "
                                   "without the other datasets in training")
    p.add_argument("--json", help="write every figure here")
    p.add_argument("--cache", help="a folder for the trained encoders: read from there when present, else "
                   "written there (scoring changes measured without training again)")
    args = p.parse_args(argv)
    if args.alone_only and (args.pairs_only or args.purls):
        p.error("--alone-only: leave one dataset out without --pairs-only or --purls")
    if args.purls_alone and not args.purls:
        p.error("--purls-alone expects --purls, e.g. --purls 5,9,13 --purls-alone")
    others = [o for o in args.purls_others.split(",") if o]
    if not others or set(others) - (set(DATASETS) - {"utd-mhad"}) or len(set(others)) != len(others):
        p.error(f"--purls-others: expected distinct names among nw-ucla,bandai-namco, found {args.purls_others!r}")
    args.purls_others = tuple(others)
    held = [h for h in args.held_out.split(",") if h]
    if not held or set(held) - set(DATASETS) or len(set(held)) != len(held):
        p.error(f"--held-out: expected distinct names among {','.join(DATASETS)}, found {args.held_out!r}")
    args.held_out = tuple(held)
    if args.synthetic and args.purls:
        p.error("--synthetic: leave one dataset out only (the generated motions draw some unseen PURLS actions)")
    if args.synthetic < 0:
        p.error(f"--synthetic: expected a number of clips a class >= 0, found {args.synthetic}")
    if args.purls_with_only and (args.purls_alone or not args.purls):
        p.error("--purls-with-only expects --purls and not --purls-alone")
    return args


def read(name: str, root: str):
    """The dataset and its built-in descriptions (cached per worker process)."""
    if name not in _CACHE:
        from sadvae.data.skeletons import read_skeletons
        from sadvae.pack.text import read_descriptions

        fmt, folder, desc = DATASETS[name]
        skeletons = read_skeletons(Path(root) / folder, fmt)
        _CACHE[name] = (skeletons, read_descriptions(desc, len(skeletons.class_names), skeletons.class_names))
    return _CACHE[name]


def known_classes(held_out: str, trained_on: tuple[str, ...]) -> set[str]:
    """Classes of the held-out dataset whose action one of the training datasets has."""
    out = set()
    for a, ca, b, cb in SAME_ACTION:
        if a == held_out and b in trained_on:
            out.add(ca)
        if b == held_out and a in trained_on:
            out.add(cb)
    return out


def train(job):
    """One encoder of the recipe on `trained_on`; returns its scores on every other dataset. With a cache
    folder, the encoder (and its training clips' unit embeddings) is read from there when present, or
    written there, so that other ways of scoring can be measured without training again."""
    trained_on, seed, epochs, root, recipe, cache = job
    import torch

    torch.set_num_threads(1)
    from sadvae.data.sources import Source
    from sadvae.deploy.fit import sources_training_data, train_classes
    from sadvae.encoder.training import TrainedEncoder, predict_features
    from sadvae.pack.text import encode_classes

    t0 = time.perf_counter()
    sources = []
    for name in trained_on:
        skeletons, texts = read(name, root)
        sources.append(Source(skeletons, name, texts.texts, texts.source))
    if recipe.get("synthetic"):
        from sadvae.data.synthetic import synthetic_source

        sources.append(synthetic_source(recipe["synthetic"], seed=seed))
    settings = recipe_settings(recipe, seed, epochs)
    data = class_balanced(sources_training_data(sources, settings), recipe)
    class_text = encode_classes(data.texts.texts, None, ensemble=True)
    stem = cache_stem(cache, "+".join(trained_on), seed, epochs, recipe)
    if stem is not None and stem.with_suffix(".safetensors").is_file():
        encoder = TrainedEncoder.load(stem.with_suffix(".safetensors"))
        reference = np.load(stem.with_suffix(".npy"), allow_pickle=False)
        cached = True
    else:
        x = data.inputs()
        encoder = train_classes(data, x, class_text, np.unique(data.skeletons.labels), settings, seed)
        reference = unit(predict_features(encoder.model, x[~data.held], torch.device("cpu"))[0])
        if stem is not None:
            stem.parent.mkdir(parents=True, exist_ok=True)
            encoder.save(stem.with_suffix(".safetensors"))
            np.save(stem.with_suffix(".npy"), reference.astype(np.float32))
        cached = False
    with torch.no_grad():
        train_proto = encoder.model.prototypes(torch.as_tensor(class_text)).numpy().astype(np.float64)
    seconds = time.perf_counter() - t0
    scores = {}
    names_text = encode_classes([[n] for n in data.skeletons.class_names], None, ensemble=True)
    for held_out in DATASETS:
        if held_out not in trained_on:
            scores[held_out] = evaluate(encoder, held_out, trained_on, root, reference, train_proto,
                                        (class_text, names_text))
    return {"trained_on": list(trained_on), "seed": seed, "seconds": seconds, "epochs_run": len(encoder.history),
            "clips": int((~data.held).sum()), "cached": cached, "scores": scores}


def cache_stem(cache, name: str, seed: int, epochs: int, recipe: dict) -> Path | None:
    """Where a trained encoder of this recipe is kept in the --cache folder (None: no cache)."""
    if not cache:
        return None
    tag = "_".join(f"{k}-{v}" for k, v in sorted(recipe.items()))
    return Path(cache) / f"{name}_seed{seed}_epochs{epochs}_{tag}"


def unit(a) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    return a / np.maximum(np.linalg.norm(a, axis=-1, keepdims=True), 1e-12)


def mean_text(t) -> np.ndarray:
    """(N, D) from encode_classes's (N, M, D) ensembles: each class's texts averaged."""
    t = np.asarray(t, dtype=np.float64)
    return t.mean(1) if t.ndim == 3 else t


CSLS_K = 10


def seen_probabilities(emb, train_proto, scale: float) -> np.ndarray:
    """(n, S) softmax over the training classes at the encoder's learnt scale (its training classifier)."""
    logits = scale * emb @ train_proto.T
    logits -= logits.max(1, keepdims=True)
    p = np.exp(logits)
    return p / p.sum(1, keepdims=True)


def scorings(emb, proto, reference, train_proto, scale: float = 1.0, bridge=None) -> dict:
    """Cosine scores (n, C) of unit embeddings against unit class prototypes, in the ways compared:

    raw     the cosine, as `predict` scores today;
    centre  both sides centred on the training set's means (the training clips' embeddings, the
            training classes' prototypes) before the cosine: a fixed shift, so it works with any number of
            candidate classes (a remedy for hubness: answers piling up on one name);
    cands   the candidate prototypes centred on their own mean (needs several candidates);
    csls    the cosine minus each candidate's mean cosine to its CSLS_K nearest training clips (cross-domain
            similarity local scaling with the training clips as the reference: a class near everything is
            marked down).
    conse   the recording's embedding replaced by the training classes' prototypes weighted by its
            probabilities among them (ConSE, Norouzi et al. 2014: a recording off the training manifold is
            pulled back onto it before the cosine);
    bridge  the same probabilities times the text model's own cosine between each training class's text
            and each candidate's (`bridge`, (S, C)), each candidate's column centred: no learnt text head.
    raw+bridge  the two above standardised and averaged (`predict --scoring bridged`, deploy/bridge.py).
    prior+bridge  the same with the probabilities divided by their mean over the training clips (and
            renormalised), so that a training class that draws every recording counts less;
    csls+bridge  csls and the bridge, standardised and averaged.
    None of them looks at the test recordings."""
    from sadvae.deploy.bridge import bridged

    out = {"raw": emb @ proto.T}
    if train_proto is not None:
        p = seen_probabilities(emb, train_proto, scale)
        out["conse"] = unit(p @ train_proto) @ proto.T
        if bridge is not None:
            for key, b in bridge.items():
                out[key] = p @ (b - b.mean(0))
            out["raw+bridge"] = bridged(out["raw"], out["bridge"])  # what predict --scoring bridged ranks by
            if reference is not None:  # the probabilities divided by the training clips' mean ones
                prior = seen_probabilities(reference, train_proto, scale).mean(0)
                q = p / prior
                q /= q.sum(1, keepdims=True)
                out["prior+bridge"] = bridged(out["raw"], q @ (bridge["bridge"] - bridge["bridge"].mean(0)))
    out["cands"] = emb @ unit(proto - proto.mean(0)).T
    if reference is not None:
        out["centre"] = unit(emb - reference.mean(0)) @ unit(proto - train_proto.mean(0)).T
        near = np.sort(reference @ proto.T, axis=0)[-CSLS_K:].mean(0)
        out["csls"] = out["raw"] - near
        if "bridge" in out:
            out["csls+bridge"] = bridged(out["csls"], out["bridge"])
    return out


TEST_TURNS = (-20.0, 20.0)  # test-time views: turns about the vertical axis (degrees)
TEST_CROP = 0.85  # and the first and the last 85% of the frames, stretched back


def test_views(x: np.ndarray) -> list[np.ndarray]:
    """Test-time views of preprocessed joints (n, M, T, V, 3): as they are, turned about the vertical
    axis by each of TEST_TURNS, and their first and last TEST_CROP of the frames stretched to all (linear
    interpolation). `tta` averages the unit embeddings of the views; the recording alone decides."""
    views = [x]
    for degrees in TEST_TURNS:
        a = np.radians(degrees)
        rot = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]], dtype=x.dtype)
        views.append(np.ascontiguousarray(x @ rot.T))
    t = x.shape[2]
    for start in (0.0, 1 - TEST_CROP):
        pos = (start + TEST_CROP * np.linspace(0, 1, t)) * (t - 1)
        lo = np.floor(pos).astype(int)
        hi = np.minimum(lo + 1, t - 1)
        w = (pos - lo).astype(x.dtype)[None, None, :, None, None]
        views.append(np.ascontiguousarray(x[:, :, lo] * (1 - w) + x[:, :, hi] * w))
    return views


def transductive_scorings(emb, proto, scale: float) -> dict:
    """Scores that read every held-out recording at once (unlabelled; transductive, never a default):

    tcentre  the recordings centred on their own mean embedding and the candidates on theirs (a shift of
             the whole new domain removed before the cosine);
    adapt    `predict --transductive`: the prototypes moved towards the recordings they attract
             (deploy/adapt.py), with the encoder's own learnt scale as the softness."""
    from sadvae.deploy.adapt import adapt_prototypes

    return {"tcentre": unit(emb - emb.mean(0)) @ unit(proto - proto.mean(0)).T,
            "adapt": emb @ adapt_prototypes(emb, proto, scale).T}


def evaluate(encoder, held_out: str, trained_on, root: str, reference=None, train_proto=None,
             train_text=None) -> dict:
    """Top-1/top-5 of the held-out dataset's recordings among its class names (bare, and in our name
    templates) and descriptions, in every scoring of `scorings` (only raw without a reference)."""
    import torch

    from sadvae.data.sources import Source, combine
    from sadvae.data.layouts import map_layout
    from sadvae.data.preprocess import preprocess
    from sadvae.encoder.training import predict_features
    from sadvae.pack.text import encode_classes, name_prompts

    skeletons, texts = read(held_out, root)
    layout = encoder.preprocessing.layout
    if layout == "body-16":
        test = combine([Source(skeletons, held_out)]).skeletons
    else:  # a model in its own joint layout (the ready model utd-mhad)
        test = skeletons.subset(np.arange(len(skeletons)))
        test.sequences = [map_layout(s, skeletons.layout, layout) for s in test.sequences]
        test.layout = layout
    x = preprocess(test, encoder.preprocessing)
    feats, _ = predict_features(encoder.model, x, torch.device("cpu"))
    emb = unit(feats)
    emb_views = unit(sum(unit(predict_features(encoder.model, v, torch.device("cpu"))[0]) for v in test_views(x)))
    names = list(skeletons.class_names)
    known = known_classes(held_out, tuple(trained_on))
    is_known = np.isin(test.labels, [names.index(c) for c in known])
    is_drawn = np.isin(test.labels, [names.index(c) for c in DRAWN[held_out]]) & ~is_known
    is_added = np.isin(test.labels, [names.index(c) for c in DRAWN_ADDED[held_out]]) & ~is_known & ~is_drawn
    out = {"known_classes": sorted(known), "chance": 100 / len(names)}
    modes = (("names", [[n] for n in names]), ("prompts", name_prompts(names).texts), ("desc", texts.texts))
    for mode, class_texts in modes:
        text = torch.as_tensor(encode_classes(class_texts, None, ensemble=True))
        with torch.no_grad():
            proto = encoder.model.prototypes(text).numpy().astype(np.float64)
        scale = float(encoder.model.log_scale.detach().exp())
        bridge = None
        if train_text is not None:
            cand = unit(mean_text(text.numpy()))
            bridge = {"bridge": unit(mean_text(train_text[0])) @ cand.T,
                      "bridge-names": unit(mean_text(train_text[1])) @ cand.T}
        ways = scorings(emb, proto, reference, train_proto, scale, bridge) if reference is not None \
            else {"raw": emb @ proto.T}
        if reference is not None:
            views = scorings(emb_views, proto, reference, train_proto, scale, bridge)
            ways |= {"tta": views["raw"], "tta+bridge": views["raw+bridge"]}
        ways |= transductive_scorings(emb, proto, scale)
        for way, scores in ways.items():
            order = np.argsort(-scores, axis=1)
            top1 = order[:, 0] == test.labels
            top5 = (order[:, :5] == test.labels[:, None]).any(1)
            answers = np.bincount(order[:, 0], minlength=len(names))
            key = mode if way == "raw" else f"{mode}/{way}"
            out[key] = {"top1": 100 * top1.mean(), "top5": 100 * top5.mean(),
                        "top1_known": 100 * top1[is_known].mean() if is_known.any() else None,
                        "top1_novel": 100 * top1[~is_known].mean() if (~is_known).any() else None,
                        "top1_drawn": 100 * top1[is_drawn].mean() if is_drawn.any() else None,
                        "top1_added": 100 * top1[is_added].mean() if is_added.any() else None,
                        "top1_undrawn": 100 * top1[~is_known & ~is_drawn & ~is_added].mean()
                        if (~is_known & ~is_drawn & ~is_added).any() else None,
                        "top_share": 100 * answers.max() / len(test.labels),
                        "top_answer": names[int(answers.argmax())]}
    return out


def only_classes(skeletons, texts, keep: list[int], name: str, rows=None):
    """A Source of the recordings of classes `keep` (and where `rows` is True), relabelled 0..len(keep)-1."""
    from sadvae.data.sources import Source

    mask = np.isin(skeletons.labels, keep) & (True if rows is None else rows)
    sub = skeletons.subset(np.flatnonzero(mask))
    sub.class_names = [skeletons.class_names[c] for c in keep]
    sub.labels = np.searchsorted(keep, sub.labels)
    return Source(sub, name, [texts.texts[c] for c in keep], texts.source)


def train_purls(job):
    """The encoder of a PURLS split's seen classes (odd performers), alone or beside the other datasets
    (minus the classes of the unseen actions); its ZSL top-1 on the even performers' unseen recordings."""
    n_unseen, with_others, seed, epochs, root, recipe, cache = job
    others = ("nw-ucla", "bandai-namco") if with_others is True else tuple(with_others or ())
    import torch

    torch.set_num_threads(1)
    from sadvae.data.sources import Source, combine
    from sadvae.data.preprocess import preprocess
    from sadvae.deploy.fit import sources_training_data, train_classes
    from sadvae.encoder.training import TrainedEncoder, predict_features
    from sadvae.pack.text import encode_classes

    t0 = time.perf_counter()
    utd, utd_texts = read("utd-mhad", root)
    unseen = sorted(np.load(Path(root) / "utd_mhad" / "purls_splits" / f"ru{n_unseen}.npy").tolist())
    unseen_names = {utd.class_names[c] for c in unseen}
    seen = [c for c in range(len(utd.class_names)) if c not in unseen]
    sources = [only_classes(utd, utd_texts, seen, "utd-mhad", utd.subjects % 2 == 1)]
    excluded = {}
    for name in others:
        skeletons, texts = read(name, root)
        same = {cb for a, ca, b, cb in SAME_ACTION if a == "utd-mhad" and b == name and ca in unseen_names}
        same |= {ca for a, ca, b, cb in SAME_ACTION if b == "utd-mhad" and a == name and cb in unseen_names}
        excluded[name] = sorted(same)
        keep = [c for c, n in enumerate(skeletons.class_names) if n not in same]
        sources.append(only_classes(skeletons, texts, keep, name))
    settings = recipe_settings(recipe, seed, epochs)
    data = class_balanced(sources_training_data(sources, settings), recipe)
    class_text = encode_classes(data.texts.texts, None, ensemble=True)
    tag = "alone" if not others else "others" if others == ("nw-ucla", "bandai-namco") else "+".join(others)
    stem = cache_stem(cache, f"purls{n_unseen}_{tag}", seed, epochs, recipe)
    if stem is not None and stem.with_suffix(".safetensors").is_file():
        encoder = TrainedEncoder.load(stem.with_suffix(".safetensors"))
    else:
        encoder = train_classes(data, data.inputs(), class_text, np.unique(data.skeletons.labels), settings, seed)
        if stem is not None:
            stem.parent.mkdir(parents=True, exist_ok=True)
            encoder.save(stem.with_suffix(".safetensors"))
    with torch.no_grad():
        train_proto = encoder.model.prototypes(torch.as_tensor(class_text)).numpy().astype(np.float64)
    scale = float(encoder.model.log_scale.detach().exp())
    test_rows = np.flatnonzero(np.isin(utd.labels, unseen) & (utd.subjects % 2 == 0))
    test = combine([Source(utd.subset(test_rows), "utd-mhad")]).skeletons
    feats, _ = predict_features(encoder.model, preprocess(test, encoder.preprocessing), torch.device("cpu"))
    emb = unit(feats)
    truth = np.searchsorted(unseen, utd.labels[test_rows])
    scores = {}
    for mode, class_texts in (("names", [[utd.class_names[c]] for c in unseen]),
                              ("desc", [utd_texts.texts[c] for c in unseen])):
        text = encode_classes(class_texts, None, ensemble=True)
        with torch.no_grad():
            proto = encoder.model.prototypes(torch.as_tensor(text)).numpy().astype(np.float64)
        bridge = {"bridge": unit(mean_text(class_text)) @ unit(mean_text(text)).T}
        for way, s in scorings(emb, proto, None, train_proto, scale, bridge).items():
            scores[mode if way == "raw" else f"{mode}/{way}"] = 100 * float((s.argmax(1) == truth).mean())
    return {"unseen": n_unseen, "with_others": list(others), "seed": seed, "scores": scores, "excluded": excluded,
            "seconds": time.perf_counter() - t0, "test_recordings": int(len(test_rows))}


PURLS_WAYS = ("names", "names/raw+bridge", "names/bridge", "names/conse", "desc", "desc/raw+bridge")


TITLES = {"nw-ucla": "NW-UCLA", "bandai-namco": "Bandai-Namco"}


def purls_table(results: list[dict]) -> str:
    rows = ["| split | trained on | " + " | ".join(f"ZSL top-1, {w}" for w in PURLS_WAYS) + " |",
            "|---|---|" + "---|" * len(PURLS_WAYS)]
    for u in sorted({r["unseen"] for r in results}):
        for others in sorted({tuple(r["with_others"]) for r in results}, key=len):
            group = [r for r in results if r["unseen"] == u and tuple(r["with_others"]) == others]
            if not group:
                continue
            label = " + ".join(["UTD-MHAD seen classes"] + [TITLES.get(o, o) for o in others])
            rows.append(f"| {27 - u}/{u} | {label} | " +
                        " | ".join(mean_std([r["scores"][w] for r in group]) for w in PURLS_WAYS) + " |")
    return "\n".join(rows)


def recipe_of(args) -> dict:
    """The FitSettings a run changes from the recipe of `sadvae fit` with several datasets (and the
    encoder's training objective, bone jitter and input streams, when not the defaults)."""
    recipe = {"center": args.center, "max_seconds": args.max_seconds}
    recipe |= {"objective": args.objective} if args.objective != "prototypes" else {}
    recipe |= {"bone_jitter": args.bone_jitter} if args.bone_jitter else {}
    recipe |= {"text_smoothing": args.text_smoothing} if args.text_smoothing else {}
    recipe |= {"streams": args.streams} if args.streams else {}
    recipe |= {"names_in_texts": True} if args.names_in_texts else {}
    recipe |= {"balance": False} if args.no_balance else {}
    recipe |= {"balance_classes": True} if args.balance_classes else {}
    recipe |= {"style_texts": True} if args.style_texts else {}
    recipe |= {"rival_classes": args.rival_classes} if args.rival_classes != "all" else {}
    recipe |= {"synthetic": args.synthetic} if args.synthetic else {}
    return recipe | ({"canonical_bones": True} if args.canonical_bones else {})


def class_balanced(data, recipe: dict):
    """With --balance-classes: every class drawn equally often (each sample's weight 1 / its class's size)
    instead of every dataset."""
    if recipe.get("balance_classes"):
        counts = np.bincount(data.skeletons.labels, minlength=len(data.skeletons.class_names))
        data.weights = 1.0 / counts[data.skeletons.labels]
    return data


def recipe_settings(recipe: dict, seed: int, epochs: int):
    from sadvae.deploy.fit import FitSettings
    from sadvae.encoder.training import default_training

    recipe = dict(recipe)
    recipe.pop("balance_classes", None)  # class_balanced
    recipe.pop("synthetic", None)  # train
    training = default_training(epochs=epochs, seed=seed, objective=recipe.pop("objective", "prototypes"),
                                bone_jitter=recipe.pop("bone_jitter", 0.0),
                                text_smoothing=recipe.pop("text_smoothing", 0.0))
    if "streams" in recipe:
        recipe["streams"] = tuple(recipe["streams"].split(","))
    return FitSettings(align_view=True, seed=seed, training=training, **recipe)


def main_purls(args) -> int:
    t0 = time.perf_counter()
    splits = [int(u) for u in args.purls.split(",")]
    rows = [() if args.purls_alone else args.purls_others] + ([] if args.purls_alone or args.purls_with_only else [()])
    jobs = [(u, w, seed, args.epochs, args.data, recipe_of(args), args.cache)
            for w in rows for u in splits for seed in range(args.seeds)]
    ctx = multiprocessing.get_context("spawn")
    results = []
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=ctx) as pool:
        for r in pool.map(train_purls, jobs):
            with_others = "with " + "+".join(r["with_others"]) if r["with_others"] else "alone"
            print(f"[bench] PURLS {27 - r['unseen']}/{r['unseen']}, {with_others}, seed {r['seed']}: "
                  f"names {r['scores']['names']:.1f}, desc {r['scores']['desc']:.1f} "
                  f"({r['seconds']:.0f} s; left out of the others: {r['excluded']})", file=sys.stderr, flush=True)
            results.append(r)
    seconds = time.perf_counter() - t0
    print(f"\nUTD-MHAD PURLS splits, odd performers train, even performers' unseen recordings test; mean ± std over "
          f"{args.seeds} seeds, {seconds:.0f} s\n")
    print(purls_table(results))
    if args.json:
        Path(args.json).write_text(json.dumps({"purls": results, "seconds": seconds, "epochs": args.epochs}, indent=2))
    return 0


def ready_model_scores(root: str) -> dict:
    """The shipped `utd-mhad` on NW-UCLA (it has Kinect v1 joints; BVH rigs have no hands and feet)."""
    from sadvae.deploy.bundle import load

    model = load("utd-mhad")
    return {"nw-ucla": evaluate(model.encoder, "nw-ucla", ("utd-mhad",), root)}


def mean_std(values):
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    return f"{np.mean(values):.1f} ± {np.std(values, ddof=1) if len(values) > 1 else 0:.1f}"


def table(results: list[dict], ready: dict) -> str:
    rows = ["| held out (chance) | trained on | names top-1 | known | novel | novel drawn | novel drawn since 12-07 | "
            "novel undrawn | names top-5 | desc top-1 | desc top-5 | top share |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for held_out in DATASETS:
        groups: dict[tuple, list] = {}
        for r in results:
            if held_out in r["scores"]:
                groups.setdefault(tuple(r["trained_on"]), []).append(r["scores"][held_out])
        if held_out in ready:
            groups[("ready model utd-mhad",)] = [ready[held_out]]
        for trained_on, scores in sorted(groups.items(), key=lambda kv: -len(kv[0])):
            label = " + ".join(trained_on) if len(trained_on) > 1 else f"{trained_on[0]} alone" \
                if trained_on[0] in DATASETS else trained_on[0]
            n, d = [s["names"] for s in scores], [s["desc"] for s in scores]
            rows.append(f"| {held_out} ({scores[0]['chance']:.1f}) | {label} | {mean_std([s['top1'] for s in n])} | "
                        f"{mean_std([s['top1_known'] for s in n])} | {mean_std([s['top1_novel'] for s in n])} | "
                        f"{mean_std([s.get('top1_drawn') for s in n])} | "
                        f"{mean_std([s.get('top1_added') for s in n])} | "
                        f"{mean_std([s.get('top1_undrawn') for s in n])} | "
                        f"{mean_std([s['top5'] for s in n])} | {mean_std([s['top1'] for s in d])} | "
                        f"{mean_std([s['top5'] for s in d])} | {mean_std([s['top_share'] for s in n])} |")
    return "\n".join(rows)


WAYS = ("raw", "csls", "conse", "bridge", "bridge-names", "raw+bridge", "prior+bridge", "csls+bridge", "tta",
        "tta+bridge")
TRANSDUCTIVE = ("raw", "tcentre", "adapt")


def scoring_table(results: list[dict], ways=WAYS) -> str:
    """Top-1 (and the top answer's share) of every text mode in every scoring of `ways`."""
    head = " | ".join(f"{m} {w}" for m in ("names", "prompts", "desc") for w in ways)
    rows = [f"| held out (chance) | trained on | {head} |", "|---|---|" + "---|" * (3 * len(ways))]
    for held_out in DATASETS:
        groups: dict[tuple, list] = {}
        for r in results:
            if held_out in r["scores"] and f"names/{ways[1]}" in r["scores"][held_out]:
                groups.setdefault(tuple(r["trained_on"]), []).append(r["scores"][held_out])
        for trained_on, scores in sorted(groups.items(), key=lambda kv: -len(kv[0])):
            cells = []
            for m in ("names", "prompts", "desc"):
                for w in ways:
                    key = m if w == "raw" else f"{m}/{w}"
                    cells.append(f"{mean_std([s[key]['top1'] for s in scores])} "
                                 f"({np.mean([s[key]['top_share'] for s in scores]):.0f})")
            rows.append(f"| {held_out} ({scores[0]['chance']:.1f}) | {' + '.join(trained_on)} | {' | '.join(cells)} |")
    return "\n".join(rows)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.purls:
        return main_purls(args)
    t0 = time.perf_counter()
    names = list(DATASETS)
    trainings = [] if args.alone_only else [tuple(n for n in names if n != held) for held in args.held_out]
    trainings += [] if args.pairs_only else [(n,) for n in names]
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    jobs = [(t, seed, args.epochs, args.data, recipe_of(args), args.cache) for seed in seeds for t in trainings]
    jobs.sort(key=lambda j: -len(j[0]))  # the long ones first
    ctx = multiprocessing.get_context("spawn")
    results = []
    with ProcessPoolExecutor(max_workers=args.jobs, mp_context=ctx) as pool:
        for r in pool.map(train, jobs):
            speed = "read from the cache" if r["cached"] else \
                f"{r['epochs_run'] * r['clips'] / r['seconds']:.0f} clips/s on one thread"
            print(f"[bench] trained on {' + '.join(r['trained_on'])}, seed {r['seed']}: {r['epochs_run']} epochs, "
                  f"{r['clips']} clips, {r['seconds']:.0f} s ({speed})", file=sys.stderr, flush=True)
            results.append(r)
    ready = ready_model_scores(args.data)
    seconds = time.perf_counter() - t0
    print(f"\nLeave one dataset out: top-1/top-5 (%) of the held-out dataset's recordings among its own class "
          f"names or descriptions; known/novel = held-out classes whose action a training set has / has not; "
          f"mean ± std over {args.seeds} seeds ({args.epochs} epochs at most; centre {args.center}, window "
          f"{args.max_seconds or 'all'} s), {seconds:.0f} s\n")
    print(table(results, ready))
    print("\nThe same encoders, other ways of scoring (`scorings`): top-1 (%) and, in brackets, the share of the "
          "most frequent answer\n")
    print(scoring_table(results))
    print("\nTransductive (reads all of the held-out dataset's recordings at once, unlabelled; never a default): "
          "top-1 (%) and the top answer's share\n")
    print(scoring_table(results, TRANSDUCTIVE))
    if args.json:
        Path(args.json).write_text(json.dumps({"results": results, "ready_model": ready, "seconds": seconds,
                                               "epochs": args.epochs, "seeds": args.seeds}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
