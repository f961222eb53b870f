"""Command line: parses flags and calls the API (`sadvae.experiment`, `sadvae.pack`, `sadvae.deploy`)."""
from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from pathlib import Path

from ..encoder.settings import HEADS, EncoderSettings, EncoderTraining
from ..errors import SadvaeError
from ..pack.format import MAX_VAL_DRAWS
from ..experiment.config import RunConfig, seeds_for
from ..settings import add_flags, given, int_list
from ..version import __version__
from ..data.skeletons import FORMATS

EPILOG = "Errors about your input end with one message and exit status 2; add --debug for a traceback."


class _Renamed(argparse.Action):
    """An old flag name kept for one release: it still works, and says what it is called now. (A flag
    means one thing everywhere: --model is a model bundle, --text-model a text model, --mode the
    reference/clean mode, --text-mode a text mode.)"""

    def __init__(self, option_strings, dest, new: str, **kwargs):
        super().__init__(option_strings, dest, **kwargs)
        self.new = new

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"[sadvae] warning: {option_string} is now {self.new}; the old name goes in the next release",
              file=sys.stderr)
        setattr(namespace, self.dest, values)


def _pack_args(p: argparse.ArgumentParser) -> None:
    add_flags(p, RunConfig, "pack", "feature pack")


def _model_args(p: argparse.ArgumentParser) -> None:
    add_flags(p, RunConfig, "model", "model and training (default: the preset)")
    g = p.add_argument_group("run")
    g.add_argument("--config", help="TOML file with any of these settings (flags win)")
    s = g.add_mutually_exclusive_group()
    s.add_argument("--seeds", type=int, metavar="N", help="train N seeds (5, 6, ...) at once as one batched model")
    s.add_argument("--seed", type=int, metavar="S", help="a single seed (default 5, as the reference)")


def _text_model_arg(g, help_text: str = "sentence-transformers name or local path (default: all-minilm-l6-v2, "
                                        "offline)") -> None:
    g.add_argument("--text-model", help=help_text)


def _pose_model_arg(g) -> None:
    g.add_argument("--pose-model", type=int, choices=(0, 1, 2), default=1,
                   help="--format video: MediaPipe Pose's model, 1 full (default, shipped in its wheel); 0 lite "
                        "and 2 heavy need their model files put beside it (nothing is downloaded)")


def _format_arg(g, help_text: str, required: bool = False, several: bool = False) -> None:
    """--format of every command that reads skeletons: one of the readers' FORMATS."""
    g.add_argument("--format", required=required, choices=FORMATS, action="append" if several else "store",
                   help=help_text)


def _skeleton_input_args(p: argparse.ArgumentParser, several: bool = False) -> None:
    g = p.add_argument_group("skeleton data")
    more = " (repeat --data and --format for several datasets)" if several else ""
    g.add_argument("--data", required=not several, action="append" if several else "store",
                   help="a folder of skeleton files, a .bvh file, or an .npz archive (--format npz)" + more)
    _format_arg(g, "the data's format" + (" (once for all, or once per --data)" if several else ""),
                required=not several, several=several)
    g.add_argument("--class-names", action="append" if several else "store",
                   help="class names (CSV idx,label or one per line) instead of the format's own")
    g.add_argument("--labels", help="--format bvh or video: a CSV file,class naming each file's class (default: "
                                    "a Bandai-Namco sidecar .json beside a .bvh file, else the file name)")
    _pose_model_arg(g)
    g.add_argument("--skip-bad", action="store_true", help="skip malformed files (reported) instead of stopping")
    if several:
        g.add_argument("--sources", help="a TOML file listing the datasets ([[source]] tables with data, format and "
                                         "optional name, class_names, descriptions, labels) instead of --data")
        g.add_argument("--separate-classes", action="store_true",
                       help="several datasets: keep a class name found in two of them as two classes (default: one)")
        g.add_argument("--no-balance", action="store_true",
                       help="several datasets: batches in proportion to their sizes (default: each equally often)")


def _split_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("split")
    g.add_argument("--dataset", required=True, help="name of the split in the pack (e.g. utd_split1)")
    g.add_argument("--resources", required=True, help="resources/ folder to write into")
    u = g.add_mutually_exclusive_group(required=True)
    u.add_argument("--unseen", type=int, help="number of unseen classes, drawn with --split-seed")
    u.add_argument("--unseen-classes", type=int_list,
                   help="unseen class ids (0-based), e.g. 4,19,31 (several datasets: ids in the union of their "
                        "classes, the first dataset's first)")
    g.add_argument("--val-classes", type=int_list, help="validation classes (default: drawn from the seen ones)")
    g.add_argument("--split-seed", type=int, default=0, help="seed of the class draw and sample split (default 0)")
    g.add_argument("--train-subjects", type=int_list,
                   help="performers of the training pool (default: NTU cross-subject list, else odd ids)")
    g.add_argument("--test-fraction", type=float, default=0.5,
                   help="test share per class when performers are unknown (default 0.5)")
    _holdout_arg(g)
    g.add_argument("--holdout-performers", type=float,
                   help="instead of --holdout: hold out this share of the training performers (at least one) for "
                        "early stopping and the seen/new decision, new performers as in the test set")


def _holdout_arg(g, when: str = "") -> None:
    """--holdout of `features` and `fit`: the one meaning, a share of each class's training samples."""
    g.add_argument("--holdout", type=float, default=0.2,
                   help=f"share of each class's training samples held out for early stopping and the seen/new "
                        f"decision's calibration{when} (default 0.2)")


def _encoder_args(p: argparse.ArgumentParser, pack: bool = True, several: bool = False) -> argparse._ArgumentGroup:
    """Preprocessing and encoder flags of `features` (pack=True) and `fit` (always the text head)."""
    g = p.add_argument_group("preprocessing and encoder")
    add_flags(g, EncoderSettings, "encoder")
    if pack:
        g.add_argument("--head", choices=list(HEADS), default="text",
                       help="text (default): classes scored by cosine to their projected text embeddings, so the "
                            "features are organised by the class texts; classifier: a plain linear classifier")
    g.add_argument("--descriptions", action="append" if several else "store",
                   help="class descriptions for the text head (and the pack's `desc` text features): a built-in "
                        "list (utd27-desc, nwucla10-desc, bandai25-desc) or a CSV idx,description with several rows "
                        "per class allowed" + ("; once per --data for several datasets" if several else ""))
    add_flags(g, EncoderTraining, "training")
    return g


def _text_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("text features of the class names")
    _text_model_arg(g)
    g.add_argument("--no-text", action="store_true", help="do not write text features (write them with sadvae text)")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quiet", action="store_true", help="no progress bars or stage messages")
    p.add_argument("--debug", action="store_true", help="show tracebacks")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sadvae", description="Zero-shot skeleton action recognition with SA-DVAE.",
                                     epilog=EPILOG)
    parser.add_argument("--version", action="version", version=f"sadvae {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="all four stages on a feature pack (train x2, gate, evaluate)", epilog=EPILOG)
    _pack_args(p)
    _model_args(p)
    p.add_argument("--out", help="output folder (default runs/<split>_u<U>_<mode>_<selection>)")
    p.add_argument("--force", action="store_true", help="replace an existing output folder")
    p.add_argument("--resume", action="store_true",
                   help="continue a killed or interrupted run from its last checkpoint (one per pass)")
    _common(p)

    p = sub.add_parser("train", help="stage 1 or 2: train one split, save per-pass results", epilog=EPILOG)
    _pack_args(p)
    _model_args(p)
    p.add_argument("--split", choices=["main", "val"] + [f"val{k}" for k in range(1, MAX_VAL_DRAWS)], required=True,
                   metavar="{main,val,val1,...}",
                   help="main, val, or a further validation draw val1, val2, ... of a pack that has them")
    p.add_argument("--out", required=True, help="run folder (created, or added to)")
    p.add_argument("--force", action="store_true", help="overwrite this split's earlier results in --out")
    _common(p)

    p = sub.add_parser("gate", help="stage 3: fit and calibrate the GZSL gate from a run folder", epilog=EPILOG)
    p.add_argument("--run", required=True, help="run folder holding both splits' training results")
    add_flags(p, RunConfig, None, only=("selection", "gate_temperature", "gate_threshold"))
    _common(p)

    p = sub.add_parser("evaluate", help="stage 4: ZSL and GZSL metrics from a run folder", epilog=EPILOG)
    p.add_argument("--run", required=True, help="run folder holding both splits' results and their gates")
    add_flags(p, RunConfig, None, only=("selection",))
    _common(p)

    p = sub.add_parser("text", help="class names or descriptions -> text features of a pack", epilog=EPILOG)
    p.add_argument("--classes", required=True,
                   help="CSV (idx,label; ids 0- or 1-based), text file (one class per line) or ntu60/ntu120/pku51")
    p.add_argument("--dataset", required=True, help="dataset name: writes text_feats/DATASET/...")
    p.add_argument("--resources", required=True, help="resources/ folder to write into")
    _text_model_arg(p)
    p.add_argument("--model", dest="text_model", action=_Renamed, new="--text-model", help=argparse.SUPPRESS)
    p.add_argument("--text-mode", default="lb", help="text mode written as MODE_N.npy (default lb)")
    p.add_argument("--mode", dest="text_mode", action=_Renamed, new="--text-mode", help=argparse.SUPPRESS)
    p.add_argument("--several", choices=["mean", "ensemble"],
                   help="several descriptions of one class (repeated CSV ids): average them, or keep all (N, M, D)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--no-normalize", action="store_true", help="keep raw embeddings (the trainer normalises anyway)")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the embedding cache")
    p.add_argument("--device", default=None, help="cpu, cuda, mps (default cpu)")
    p.add_argument("--force", action="store_true", help="replace existing text features")
    _common(p)

    p = sub.add_parser("demo", help="the four stages on a built-in synthetic pack (no download)", epilog=EPILOG)
    p.add_argument("--out", help="also write the run's files here")
    p.add_argument("--force", action="store_true")
    p.add_argument("--seeds", type=int, default=3, help="seeds trained at once (default 3: the table shows the spread)")
    add_flags(p, RunConfig, None, only=("passes", "mode", "selection"))
    _common(p)

    p = sub.add_parser("convert", help="raw skeleton files or videos (NTU, PKU-MMD, UTD-MHAD, NW-UCLA, BVH, video) "
                                       "-> one .npz archive", epilog=EPILOG)
    _skeleton_input_args(p)
    p.add_argument("--out", required=True, help="the .npz archive to write")
    p.add_argument("--plot", metavar="PNG", help="also draw a few frames of one sequence (front and side views) "
                                                  "to check the skeleton")
    p.add_argument("--plot-sample", type=int, default=0, metavar="I", help="which sequence --plot draws (default 0)")
    p.add_argument("--force", action="store_true", help="replace an existing archive")
    _common(p)

    p = sub.add_parser("features", help="raw skeletons -> a whole feature pack (ST-GCN trained on seen classes)",
                       epilog=EPILOG)
    _skeleton_input_args(p, several=True)
    _split_args(p)
    p.add_argument("--val-draws", type=int, default=1,
                   help="validation class draws, each with its own encoder (default 1, the authors' layout); with "
                        "several, `sadvae run` chooses the pass and the seen/new margin on all of them")
    g = _encoder_args(p, several=True)
    g.add_argument("--encoder-name", default="stgcn", help="encoder name in the pack's folder names (default stgcn)")
    _text_args(p)
    p.add_argument("--force", action="store_true", help="replace this split's earlier pack files")
    _common(p)

    p = sub.add_parser("fit", help="raw skeletons of every labelled class -> a model that names new actions "
                                   "(an anchor bundle for sadvae predict)", epilog=EPILOG)
    _skeleton_input_args(p, several=True)
    p.add_argument("--out", required=True, help="the bundle to write: a folder, or a .zip")
    g = _encoder_args(p, pack=False, several=True)
    g.add_argument("--holdout-performers", type=float, default=0.25,
                   help="share of performers held out for early stopping and gate calibration (default 0.25)")
    _holdout_arg(g, " where the data names no performers (else --holdout-performers)")
    g.add_argument("--calibration-draws", type=int, default=3,
                   help="draws of validation classes (each trains one more encoder) pooled to calibrate the "
                        "seen/new decision (default 3)")
    g.add_argument("--scoring", choices=["direct", "bridged"],
                   help="how the model ranks given classes by default (predict --scoring; default: direct with one "
                        "dataset, bridged with several)")
    g.add_argument("--split-seed", type=int, default=0, help="seed of the held-out performers and the draws")
    g.add_argument("--synthetic", type=int, default=0, metavar="N",
                   help="N generated clips of each of 92 movements and everyday actions (sadvae.data.synthetic) "
                        "as one more training dataset (training material only: never held out or drawn for "
                        "validation; the recipe of several datasets applies; default 0: none)")
    _text_model_arg(p)
    p.add_argument("--force", action="store_true", help="replace an existing bundle")
    _common(p)

    p = sub.add_parser("models", help="the ready models installed with the package (sadvae predict --model NAME)",
                       epilog=EPILOG)
    p.add_argument("--json", action="store_true", help="print JSON")
    _common(p)

    p = sub.add_parser("prepare", help="features you already have (N x F) + labels + class names -> a feature pack",
                       epilog=EPILOG)
    p.add_argument("--features", required=True, help=".npy (N, F) float features, one row per sample")
    p.add_argument("--labels", required=True, help=".npy (N,) int class ids, 0-based")
    p.add_argument("--classes", required=True, help="class names: CSV (idx,label), text file, or a built-in list")
    p.add_argument("--subjects", help=".npy (N,) int performer ids: train/test split by performer")
    _split_args(p)
    p.add_argument("--encoder-name", default="features", help="name in the pack's folder names (default features)")
    _text_args(p)
    p.add_argument("--force", action="store_true", help="replace this split's earlier pack files")
    _common(p)

    p = sub.add_parser("protocol", help="an authors' protocol (all its splits, several seeds) -> report with plots",
                       epilog=EPILOG, description="synse: both SynSE splits of ntu60/ntu120; random: the three "
                       "random splits (ntu60, ntu120, pku51, or your own --splits); llm: the random splits with "
                       "LLM-description (chat) text features. Writes one run folder per split, report.md, "
                       "results.csv, results.json and plots/.")
    p.add_argument("name", choices=["synse", "random", "llm"], help="which protocol")
    g = p.add_argument_group("feature pack")
    g.add_argument("--resources", required=True, help="the resources/ folder (label_splits, text_feats, sk_feats)")
    g.add_argument("--dataset", required=True, help="ntu60, ntu120, pku51, or your own dataset name with --splits")
    g.add_argument("--splits", type=lambda t: [v for v in t.replace(",", " ").split() if v],
                   help="your own split folders for random/llm, e.g. utd_split1,utd_split2,utd_split3")
    g.add_argument("--unseen", type=int, help="unseen classes per split (known for the authors' datasets); for "
                                              "synse, run only the split with this many")
    add_flags(g, RunConfig, None, only=("split_type", "encoder", "text_model", "text_mode"))
    _model_args(p)
    p.add_argument("--jobs", type=int, default=1, help="worker processes for independent splits and seeds "
                                                       "(default 1)")
    p.add_argument("--out", help="output folder (default runs/protocol_<name>_<dataset>_<method>_<selection>)")
    p.add_argument("--force", action="store_true", help="replace an existing output folder")
    p.add_argument("--resume", action="store_true",
                   help="continue a killed or interrupted protocol run: finished pieces are kept, the others "
                        "continue from their last checkpoint")
    _common(p)

    p = sub.add_parser("sweep", help="search hyper-parameters with Optuna on the validation split (never the test)",
                       epilog=EPILOG, description="Searches semantic_dim, style_dim, lr, dis_step and batch_size "
                       "(any of them given as a flag or in --config stays fixed), maximising the validation "
                       "split's ZSL accuracy. Writes best.toml (for sadvae run --config), trials.csv and sweep.json.")
    _pack_args(p)
    _model_args(p)
    p.add_argument("--trials", type=int, required=True, help="complete trials the study should hold")
    p.add_argument("--storage", help="Optuna storage URL (default: sqlite in --out); a PostgreSQL/MySQL URL lets "
                                     "several machines run the same sweep")
    p.add_argument("--study-name", help="default: sadvae-<split>-u<U>-<method>-<mode>")
    p.add_argument("--sampler-seed", type=int, help="seed of the TPE sampler (leave unset with several workers)")
    p.add_argument("--out", help="output folder (default runs/sweep_<dataset>_u<U>)")
    _common(p)

    p = sub.add_parser("export", help="a finished run -> a model bundle for sadvae predict", epilog=EPILOG)
    p.add_argument("run", metavar="RUN_DIR", help="a folder written by sadvae run (or one split of a protocol run) "
                                                  "on a pack built by sadvae features")
    p.add_argument("--out", required=True, help="the bundle: a folder, or a .zip archive")
    p.add_argument("--seed", type=int, help="which seed's model (default: the best on the validation split)")
    _text_model_arg(p, "the text model, when the pack does not record it")
    p.add_argument("--force", action="store_true", help="replace an existing bundle")
    _common(p)

    p = sub.add_parser("predict", help="new skeleton files + free-text class names -> top-k classes",
                       epilog=EPILOG)
    p.add_argument("--model", required=True, action="append",
                   help="a bundle written by sadvae export or fit (folder or .zip), or a ready model's name; "
                        "given twice or more, an ensemble: the models' probabilities averaged (the given classes "
                        "alone)")
    p.add_argument("--input", required=True, nargs="+", metavar="FILES_OR_DIR",
                   help="skeleton files (.skeleton, .mat, .json, .bvh, .npz), videos (.mp4, .avi, .mov, .mkv, "
                        ".webm; the video extra) or folders of them")
    _format_arg(p, "input format (default: from the suffix)")
    _pose_model_arg(p)
    c = p.add_mutually_exclusive_group(required=True)
    c.add_argument("--classes", nargs="+", metavar="NAME", help='class names, e.g. "drink water" "jump up"')
    c.add_argument("--classes-file", help="class names: one per line, or a CSV with idx,label")
    p.add_argument("--include-seen", action="store_true",
                   help="also the training classes: the calibrated gate decides between them and yours (GZSL)")
    p.add_argument("--allow-none", action="store_true",
                   help="answer 'none of these' where no given class fits (threshold calibrated by sadvae fit on "
                        "held-out recordings whose class was left out; JSON: \"none\": true)")
    p.add_argument("--transductive", nargs="?", const="adapt", choices=["adapt", "centre"],
                   help="read all the input recordings at once before naming them (test-time adaptation of the "
                        "unlabelled inputs; many recordings of several asked classes): adapt (the default) moves the "
                        "classes' prototypes towards them; centre removes their mean, a new sensor's shift "
                        "(JSON: \"transductive\": true, \"transductive_mode\")")
    p.add_argument("--scoring", choices=["direct", "bridged"],
                   help="how the given classes are ranked: direct (each name's cosine to the recording) or bridged "
                        "(also through the training classes the recording resembles, by the text model's similarity "
                        "of names); default: the model's own (general: bridged)")
    p.add_argument("--top-k", type=int, default=5)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--device", default="cpu", help="cpu (default), cuda, mps")
    p.add_argument("--seed", type=int, default=0, help="seed of the zero-shot classifiers' random text-latent samples")
    _common(p)

    p = sub.add_parser("report", help="rebuild the reports of run folders and compare them in one table",
                       epilog=EPILOG)
    p.add_argument("runs", nargs="+", metavar="RUN_DIR", help="folders written by sadvae protocol or sadvae run")
    p.add_argument("--out", help="also write the comparison table here (.md; a .csv beside it)")
    p.add_argument("--no-rebuild", action="store_true", help="only compare; leave each folder's report as it is")
    _common(p)
    return parser


# -------------------------------------------------------------------------------------------------


def _overrides(args) -> dict:
    """The run settings the command line gave (None: not given)."""
    out = given(args, RunConfig)
    out["seeds"] = seeds_for(getattr(args, "seeds", None), getattr(args, "seed", None))
    if out.get("resources") is not None:
        out["resources"] = str(Path(out["resources"]).resolve())
    return out


def _say(args, msg: str) -> None:
    if not args.quiet:
        print(msg, file=sys.stderr, flush=True)


def cmd_run(args) -> int:
    from ..experiment.config import resolve_config
    from ..experiment.rundir import format_table, run_to_folder

    cfg = resolve_config(_overrides(args), args.config)
    out = Path(args.out) if args.out else None
    metrics, out = run_to_folder(cfg, out, force=args.force, resume=args.resume, progress=not args.quiet,
                                 say=lambda msg: _say(args, msg))
    print(format_table(metrics))
    print(f"\nwrote {out}/metrics.json")
    return 0


def cmd_train(args) -> int:
    from ..experiment.config import resolve_config
    from ..experiment.rundir import train_to_folder

    cfg = resolve_config(_overrides(args), args.config)
    targets = train_to_folder(cfg, args.split, Path(args.out), force=args.force, progress=not args.quiet)
    print(f"wrote {', '.join(str(t) for t in targets)}")
    return 0


def cmd_gate(args) -> int:
    from ..experiment.rundir import gate_folder

    for path, gate in gate_folder(Path(args.run), args.selection, args.gate_temperature, args.gate_threshold):
        print(f"{path}: temperature {gate.temperature:g}, threshold {gate.threshold:.2f}, "
              f"held-out accuracy {100 * gate.holdout_accuracy:.2f}%")
    return 0


def cmd_evaluate(args) -> int:
    from ..experiment.rundir import evaluate_folder, format_table

    metrics = evaluate_folder(Path(args.run), args.selection)
    print(format_table(metrics))
    print(f"\nwrote {args.run}/metrics.json")
    return 0


def cmd_demo(args) -> int:
    from ..experiment.demo import run_demo
    from ..experiment.rundir import format_table

    t0 = time.perf_counter()
    metrics, chance = run_demo(passes=args.passes, mode=args.mode, selection=args.selection,
                               seeds=seeds_for(args.seeds), out=Path(args.out) if args.out else None,
                               force=args.force, progress=not args.quiet, say=lambda msg: _say(args, msg))
    print(format_table(metrics))
    print(f"\nchance level: ZSL {chance:.1f}%  ({time.perf_counter() - t0:.1f} s)")
    if args.out:
        print(f"wrote {args.out}/metrics.json")
    return 0


def cmd_protocol(args) -> int:
    from ..experiment.protocols import run_protocol
    from ..experiment.report import comparison, load_study

    overrides = _overrides(args)
    for key in ("resources", "dataset", "unseen", "protocol", "split_name"):
        overrides.pop(key, None)
    method = args.method or "sadvae"
    out = Path(args.out or f"runs/protocol_{args.name}_{args.dataset}_{method}_{args.selection or 'val'}")
    run_protocol(args.name, args.dataset, {**overrides, "resources": str(Path(args.resources).resolve())}, out,
                 config_file=args.config, splits=args.splits, unseen=args.unseen, jobs=args.jobs, force=args.force,
                 resume=args.resume, progress=not args.quiet)
    table, _ = comparison([load_study(out)])
    print(table)
    print(f"wrote {out}/report.md, results.csv, results.json and plots/")
    return 0


def cmd_report(args) -> int:
    import csv

    from ..experiment.report import comparison, load_study, write_report
    from ..io import atomic_write_text

    paths = [Path(r) for r in args.runs]
    studies = [load_study(p) for p in paths]  # every folder is checked before anything is written
    if not args.no_rebuild:
        for p in paths:
            write_report(p)
            _say(args, f"[sadvae] rebuilt {p}/report.md")
    table, rows = comparison(studies)
    print(table)
    if args.out:
        out = Path(args.out)
        atomic_write_text(out, "# Comparison\n\n" + table)
        buf = io.StringIO()
        flat = []
        for r in rows:  # a metric {"mean", "std"} becomes two columns
            row = {}
            for k, v in r.items():
                if isinstance(v, dict):
                    row[f"{k}_mean"], row[f"{k}_std"] = round(v["mean"], 4), round(v["std"], 4)
                else:
                    row[k] = v
            flat.append(row)
        w = csv.DictWriter(buf, fieldnames=list(flat[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(flat)
        atomic_write_text(out.with_suffix(".csv"), buf.getvalue())
        print(f"wrote {out} and {out.with_suffix('.csv')}")
    return 0


def cmd_sweep(args) -> int:
    from ..experiment.config import read_config_file, resolve_config
    from ..experiment.sweep import SPACE, run_sweep

    overrides = _overrides(args)
    cfg = resolve_config(overrides, args.config)
    fixed = {k for k in SPACE if overrides.get(k) is not None}
    if args.config:
        fixed |= set(read_config_file(args.config)) & set(SPACE)
    out = Path(args.out or f"runs/sweep_{cfg.split_name or cfg.dataset}_u{cfg.unseen}")
    summary = run_sweep(cfg, out, args.trials, storage=args.storage, study_name=args.study_name, fixed=fixed,
                        sampler_seed=args.sampler_seed, progress=not args.quiet)
    best = summary["best"]
    print(f"best of {summary['complete_trials']} trials: #{best['number']}, validation ZSL {best['value']:.2f}%: "
          + ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in best["params"].items()))
    print(f"wrote {out}/best.toml, trials.csv, sweep.json; next:\n  sadvae run --config {out}/best.toml "
          f"--resources {args.resources} --dataset {args.dataset} --unseen {args.unseen}")
    return 0


def cmd_export(args) -> int:
    from ..deploy.bundle import load
    from ..deploy.export import export_bundle

    out = export_bundle(args.run, args.out, seed=args.seed, text_model=args.text_model, force=args.force)
    model = load(out)  # what was written can be read back
    m = model.manifest
    print(f"wrote {out}: {m.get('kind', 'sadvae')} bundle, seed {m['seed']} pass {m.get('chosen_pass', 0)}, "
          f"layout {m['layout']}, text model "
          f"{m['text']['model']}, {len(model.seen_classes)} training classes")
    return 0


def cmd_predict(args) -> int:
    from ..data.inputs import read_input_set
    from ..deploy.bundle import load
    from ..deploy.ensemble import load_ensemble
    from ..pack.text import read_class_texts

    model = load(args.model[0]) if len(args.model) == 1 else load_ensemble(args.model)
    members = getattr(model, "members", [model])
    if args.classes_file:
        classes = [texts[0] for texts in read_class_texts(args.classes_file).texts]
    else:
        classes = args.classes
    found = read_input_set(args.input, args.format, pose_model=args.pose_model, progress=not args.quiet,
                           log=lambda m: _say(args, f"[sadvae] {m}"))
    layout = found.layout
    for name, member in zip(args.model, members):
        if layout == member.layout:
            continue
        from ..data.layouts import JOINT_MAPS, SHARED, joint_recipe
        try:
            joint_recipe(layout, member.layout)
        except SadvaeError:
            onto = [b for a, b in JOINT_MAPS if a == layout]
            maps = f"which maps onto {', '.join(onto)} only" if onto else "which maps onto no other layout"
            hint = f"; the ready model general (layout {SHARED}) reads it" if SHARED in onto + [layout] else ""
            raise SadvaeError(f"{args.input[0]}: expected skeletons of layout {member.layout} (what {name} was "
                              f"trained on) or one that maps onto it by joint name, found {layout}, {maps}{hint}") \
                from None
    preds = model.predict(found, classes, include_seen=args.include_seen, top_k=args.top_k,
                          sample_names=found.sample_ids, seed=args.seed, device=args.device,
                          allow_none=args.allow_none, transductive=args.transductive, scoring=args.scoring)
    if args.json:
        print(json.dumps([p.as_dict() for p in preds], indent=2))
        return 0
    width = max(len(n) for n in found.sample_ids)
    for p in preds:
        tops = "  ".join(f"{label} {100 * prob:.1f}%" for label, prob in zip(p.labels, p.probs))
        gate = "" if p.routed_seen is None else ("[seen] " if p.routed_seen else "[new]  ")
        none = "" if p.none is None else ("none of these  (best: " if p.none else "")
        print(f"{p.sample:<{width}}  {gate}{none}{tops}" + (")" if p.none else ""))
    return 0


def _encoder_given(args) -> dict:
    """The encoder settings the command line gave (the others keep EncoderSettings' defaults)."""
    return {k: v for k, v in given(args, EncoderSettings).items() if v is not None}


def _encoder_training(args, several: bool = False):
    """The encoder training of `features` and `fit` from their flags (with several datasets, the
    augmentation of SEVERAL_DATASETS_TRAINING where the flags do not say otherwise)."""
    from ..methods import resolve_device
    from ..encoder.training import default_training

    changes = {k: v for k, v in given(args, EncoderTraining).items() if v is not None}
    if several:
        changes = SEVERAL_DATASETS_TRAINING | changes
    device = changes.get("device") or "auto"
    changes["device"] = str(resolve_device(device)) if device in ("auto", "cpu", "cuda", "mps") else device
    return default_training(**changes)


def _sources(args) -> list[dict]:
    """The datasets of `fit` and `features`: from --sources (TOML), or from repeated --data/--format
    (and, once per dataset or once for all, --class-names and --descriptions)."""
    if args.sources:
        if args.data:
            raise SadvaeError("--sources: expected the datasets from the TOML file or from --data, found both")
        from ..experiment.config import read_toml

        table = read_toml(args.sources)
        listed = table.get("source")
        if not isinstance(listed, list) or not listed or not all(isinstance(t, dict) for t in listed):
            raise SadvaeError(f"{args.sources}: expected [[source]] tables with data and format, found "
                              f"{sorted(table) or 'nothing'}")
        known = {"data", "format", "name", "class_names", "descriptions", "labels"}
        for i, t in enumerate(listed, 1):
            if not {"data", "format"} <= set(t) or set(t) - known:
                raise SadvaeError(f"{args.sources}: expected source {i} with data and format (and optional "
                                  f"{', '.join(sorted(known - {'data', 'format'}))}), found {', '.join(sorted(t))}")
        return [dict(t) for t in listed]
    if not args.data:
        raise SadvaeError(f"{args.command}: expected --data (with --format) or --sources, found neither")
    n = len(args.data)

    def per_source(flag: str, values, required: bool):
        if values is None or len(values) == 0:
            if required:
                raise SadvaeError(f"{flag}: expected one for all --data or one per --data, found none")
            return [None] * n
        if len(values) not in (1, n):
            raise SadvaeError(f"{flag}: expected one for all {n} --data or one per --data, found {len(values)}")
        return values * n if len(values) == 1 else values

    formats = per_source("--format", args.format, True)
    names = per_source("--class-names", args.class_names, False)
    descriptions = per_source("--descriptions", args.descriptions, False)
    return [{"data": d, "format": f, "class_names": c, "descriptions": t, "labels": args.labels}
            for d, f, c, t in zip(args.data, formats, names, descriptions)]


# the recipe of `fit` with several datasets (the ready model `general`; benchmarks/bench_cross_dataset.py):
# views aligned, every frame centred (walking in place and across a room alike), the centred 3 s, and the
# encoder reading the joints' motion alone (positions and bones carry each sensor's rig), and a recording's
# class competing only with its own dataset's (telling the datasets apart earns nothing; docs/results.md)
SEVERAL_DATASETS = {"align_view": True, "center": "frame", "max_seconds": 3.0, "streams": ("motion",),
                    "rival_classes": "dataset"}
# several sensors place joints differently along a bone (a rig's narrow shoulders): every bone's length
# drawn anew in training (measured on leave-one-dataset-out, docs/results.md)
SEVERAL_DATASETS_TRAINING = {"bone_jitter": 0.4}
# names far from every training class are ranked also through the training classes a recording resembles
# (measured on leave-one-dataset-out, docs/results.md)
SEVERAL_DATASETS_SCORING = "bridged"
DATASET_NAMES = {"utd": "utd-mhad", "nwucla": "nw-ucla", "ntu": "ntu-rgbd", "pku": "pku-mmd"}  # default names


def _several_defaults(given_settings: dict, several: bool) -> dict:
    """Several sensors: the same motion must look the same, whichever way it was filmed (the recipe
    SEVERAL_DATASETS where the flags do not say otherwise)."""
    if several:
        for name, value in SEVERAL_DATASETS.items():
            given_settings.setdefault(name, value)
    return given_settings


def _read_sources(args, listed: list[dict]):
    """The datasets as `data.sources.Source`s, each with its name and class texts."""
    from ..data.sources import Source
    from ..pack.text import read_descriptions

    sources, seen = [], set()
    for i, t in enumerate(listed):
        skeletons = _read_skeleton_input(args, t["data"], t["format"], t.get("class_names"), t.get("labels"))
        name = t.get("name") or DATASET_NAMES.get(t["format"]) or Path(t["data"]).stem or t["format"]
        name = name if name not in seen else f"{name}-{i + 1}"
        seen.add(name)
        try:
            texts = (read_descriptions(t["descriptions"], len(skeletons.class_names), skeletons.class_names)
                     if t.get("descriptions") else None)
        except SadvaeError as exc:  # say which dataset (one --descriptions may have been given for all)
            raise SadvaeError(f"{exc} [the descriptions of --data {t['data']}]") from None
        sources.append(Source(skeletons, name, texts.texts if texts else None,
                              texts.source if texts else "class names"))
    return sources


def cmd_fit(args) -> int:
    from ..deploy.fit import FitSettings, fit_all_classes, fit_sources

    listed = _sources(args)
    if args.synthetic < 0:
        raise SadvaeError(f"--synthetic: expected a number of generated clips a movement >= 0, found {args.synthetic}")
    several = len(listed) > 1 or args.synthetic > 0
    training = _encoder_training(args, several=several)
    given_settings = _several_defaults(_encoder_given(args), several)
    settings = FitSettings(descriptions=listed[0]["descriptions"] if not several else None,
                           text_model=args.text_model,
                           holdout_performers=args.holdout_performers, holdout=args.holdout,
                           calibration_draws=args.calibration_draws, seed=args.split_seed, training=training,
                           force=args.force, balance=not args.no_balance, merge_classes=not args.separate_classes,
                           scoring=args.scoring or (SEVERAL_DATASETS_SCORING if several else "direct"),
                           **given_settings)
    if not several:
        t = listed[0]
        skeletons = _read_skeleton_input(args, t["data"], t["format"], t.get("class_names"), t.get("labels"))
        report = fit_all_classes(skeletons, args.out, settings, progress=not args.quiet, log=lambda m: _say(args, m))
    else:
        sources = _read_sources(args, listed)
        if args.synthetic:
            from ..data.synthetic import synthetic_source

            sources.append(synthetic_source(args.synthetic, seed=args.split_seed))
        report = fit_sources(sources, args.out, settings, progress=not args.quiet, log=lambda m: _say(args, m))
    print(f"wrote {args.out}: a model of all {report['classes']} classes in {report['seconds']:.0f} s; next:\n"
          f"  sadvae predict --model {args.out} --input FILES --classes \"a new action\" \"another one\"")
    return 0


def cmd_models(args) -> int:
    from ..deploy.models import describe, ready_models

    models = [describe(name, folder) for name, folder in ready_models().items()]
    if args.json:
        print(json.dumps(models, indent=2))
        return 0
    if not models:
        print("no ready models installed")
    for m in models:
        print(f"{m['name']}: {len(m['classes'])} classes ({m['trained_on'] or 'training classes'}), layout "
              f"{m['layout']}, text model {m['text_model']}, {m['bytes'] / 1e6:.1f} MB, "
              f"{'calibrated (--allow-none)' if m['allow_none'] else 'not calibrated'}, scoring {m['scoring']}\n  "
              + ", ".join(m["classes"]))
    return 0


def cmd_text(args) -> int:
    from ..pack.text import write_text_features

    if args.batch_size < 1:
        raise SadvaeError(f"--batch-size: expected a positive number, found {args.batch_size}")
    out = write_text_features(args.resources, args.dataset, args.classes, args.text_model, args.text_mode,
                              several=args.several, normalize=not args.no_normalize, batch_size=args.batch_size,
                              progress=not args.quiet, cache=not args.no_cache, force=args.force, device=args.device)
    meta = json.loads(out.with_suffix(".json").read_text())
    shape = f"{meta['classes']} x {meta['members']} x {meta['dim']}" if meta["members"] > 1 else \
        f"{meta['classes']} x {meta['dim']}"
    print(f"wrote {out} ({shape}, {meta['detected']}, model {meta['model_tag']})")
    return 0


def _class_names(spec: str | None) -> list[str] | None:
    if spec is None:
        return None
    from ..pack.text import read_class_texts
    return [texts[0] for texts in read_class_texts(spec).texts]


def _read_skeleton_input(args, data=None, fmt=None, class_names=None, labels=None):
    from ..data.skeletons import read_skeletons

    data = args.data if data is None else data
    fmt = args.format if fmt is None else fmt
    class_names = args.class_names if class_names is None else class_names
    labels = getattr(args, "labels", None) if labels is None else labels
    if args.skip_bad and fmt != "ntu":
        raise SadvaeError(f"--skip-bad: expected --format ntu (other formats are read as a whole), found {fmt}")
    if labels and fmt not in ("bvh", "video"):
        raise SadvaeError(f"--labels: expected --format bvh or video (other formats name their classes), found {fmt}")
    names = _class_names(class_names)
    if fmt == "npz":  # the archive names its classes; --class-names renames them
        skeletons = read_skeletons(data, "npz")
        if names is not None:
            if len(names) != len(skeletons.class_names):
                raise SadvaeError(f"{class_names}: expected {len(skeletons.class_names)} class names (as in "
                                  f"{data}), found {len(names)}")
            skeletons.class_names = names
    else:
        extra = {"skip_bad": args.skip_bad} if fmt == "ntu" else {"labels": labels} if fmt == "bvh" else {}
        if fmt == "video":
            extra = {"labels": labels, "model_complexity": args.pose_model,
                     "log": lambda m: _say(args, f"[sadvae] {m}")}
        skeletons = read_skeletons(data, fmt, class_names=names, progress=not args.quiet, **extra)
    for path, reason in skeletons.skipped[:10]:
        _say(args, f"[sadvae] skipped {path}: {reason}")
    if len(skeletons.skipped) > 10:
        _say(args, f"[sadvae] ... and {len(skeletons.skipped) - 10} more skipped files")
    return skeletons


def cmd_convert(args) -> int:
    from ..data.skeletons import write_npz

    out = Path(args.out)
    if out.exists() and not args.force:
        raise SadvaeError(f"{out}: expected a new archive, found an existing file (use --force to replace it)")
    plot = Path(args.plot) if args.plot else None
    if plot is not None and plot.suffix.lower() != ".png":
        raise SadvaeError(f"--plot: expected a .png file to write, found {plot}")
    skeletons = _read_skeleton_input(args)
    if plot is not None and not 0 <= args.plot_sample < len(skeletons):
        raise SadvaeError(f"--plot-sample: expected a sequence in 0..{len(skeletons) - 1}, found {args.plot_sample}")
    png = None
    if plot is not None:  # drawn before anything is written: a failure leaves no archive behind
        from ..data.plot import render_skeleton_frames

        i = args.plot_sample
        name = skeletons.sample_ids[i] if skeletons.sample_ids else f"sequence {i}"
        png = render_skeleton_frames(skeletons.sequences[i], skeletons.layout, title=name)
    write_npz(skeletons, out)
    print(f"wrote {out}: {len(skeletons)} sequences, {len(skeletons.class_names)} classes, layout {skeletons.layout}"
          + (f", {len(skeletons.skipped)} files skipped" if skeletons.skipped else ""))
    if png is not None:
        from ..io import atomic_write_bytes

        try:
            atomic_write_bytes(plot, png)
        except OSError as exc:
            out.unlink(missing_ok=True)
            raise SadvaeError(f"{plot}: expected a writable location for the plot, found {exc.strerror or exc}") \
                from None
        print(f"wrote {plot}: {name}, a few frames from the front and the side")
    return 0


def _split_settings(args) -> dict:
    return dict(n_unseen=args.unseen, unseen_classes=args.unseen_classes, val_classes=args.val_classes,
                split_seed=args.split_seed, train_subjects=args.train_subjects, test_fraction=args.test_fraction,
                holdout=args.holdout, holdout_performers=args.holdout_performers)


def cmd_features(args) -> int:
    from ..encoder import distributed
    from ..pack.build import NTU_TRAIN_PERFORMERS
    from ..pack.features import FeatureSettings, build_feature_pack, build_sources_pack

    listed = _sources(args)
    training = _encoder_training(args, several=len(listed) > 1)
    device = training.device
    split = _split_settings(args)
    if split["train_subjects"] is None and len(listed) == 1 and listed[0]["format"] == "ntu":
        split["train_subjects"] = list(NTU_TRAIN_PERFORMERS)
    settings = FeatureSettings(dataset=args.dataset, **split, encoder_name=args.encoder_name, head=args.head,
                               descriptions=listed[0]["descriptions"] if len(listed) == 1 else None,
                               training=training, text_model=args.text_model, write_text=not args.no_text,
                               force=args.force, balance=not args.no_balance, merge_classes=not args.separate_classes,
                               val_draws=args.val_draws,
                               **_several_defaults(_encoder_given(args), len(listed) > 1))
    distributed.init(device)  # under torchrun: join the other processes (data-parallel encoder training)
    try:
        def say(m):
            return _say(args, m) if distributed.is_main() else None

        if len(listed) == 1:
            t = listed[0]
            skeletons = _read_skeleton_input(args, t["data"], t["format"], t.get("class_names"), t.get("labels"))
            report = build_feature_pack(skeletons, args.resources, settings, progress=not args.quiet, log=say)
        else:
            report = build_sources_pack(_read_sources(args, listed), args.resources, settings,
                                        progress=not args.quiet, log=say)
    finally:
        main_process = distributed.is_main()
        distributed.shutdown()
    if not main_process:
        return 0
    u = len(report["unseen_classes"])
    print(f"wrote the feature pack {args.dataset} ({report['classes']} classes, {u} unseen) into {args.resources} "
          f"in {report['seconds']:.0f} s; next:\n  sadvae run --resources {args.resources} --dataset {args.dataset} "
          f"--unseen {u}" + ("" if not args.no_text else " (after sadvae text)"))
    return 0


def cmd_prepare(args) -> int:
    from ..pack.build import prepare_pack
    from ..pack.format import as_features, as_labels, load_array

    names = _class_names(args.classes)
    features = as_features(load_array(Path(args.features)), Path(args.features))
    labels = as_labels(load_array(Path(args.labels)), Path(args.labels), len(features))
    if labels.min() < 0 or labels.max() >= len(names):
        raise SadvaeError(f"{args.labels}: expected class ids in 0..{len(names) - 1} ({len(names)} classes in "
                          f"{args.classes}), found range {labels.min()}..{labels.max()}")
    subjects = None
    if args.subjects:
        subjects = as_labels(load_array(Path(args.subjects)), Path(args.subjects), len(features))
    if not args.no_text:
        from ..pack.text import load_model
        load_model(args.text_model)
    split, part, paths = prepare_pack(args.resources, args.dataset, features, labels, names, subjects=subjects,
                                      encoder=args.encoder_name, force=args.force, **_split_settings(args))
    if not args.no_text:
        from ..pack.text import ClassTexts, write_text_features
        write_text_features(args.resources, args.dataset, ClassTexts([[n] for n in names], args.classes, ""),
                            args.text_model, "lb", progress=not args.quiet, force=True)
    _say(args, f"[sadvae] samples split {part.how}: " + ", ".join(f"{k} {v}" for k, v in part.counts().items()))
    print(f"wrote the feature pack {args.dataset} ({len(names)} classes, unseen {split.unseen.tolist()}) into "
          f"{args.resources}; next:\n  sadvae run --resources {args.resources} --dataset {args.dataset} "
          f"--unseen {len(split.unseen)}")
    return 0


COMMANDS = {"run": cmd_run, "train": cmd_train, "gate": cmd_gate, "evaluate": cmd_evaluate, "demo": cmd_demo,
            "text": cmd_text, "convert": cmd_convert, "features": cmd_features, "prepare": cmd_prepare,
            "fit": cmd_fit, "models": cmd_models,
            "protocol": cmd_protocol, "report": cmd_report, "export": cmd_export, "predict": cmd_predict,
            "sweep": cmd_sweep}


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except SadvaeError as exc:
        if args.debug:
            raise
        print(f"sadvae {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader of our output stopped early (`| head`): not an error of ours
        try:  # so that the interpreter's final flush of stdout does not complain either
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):  # a stdout without a file descriptor (embedded, captured)
            pass
        return 0
    except OSError as exc:  # the environment: a full disk, a read-only folder, a vanished file
        if args.debug:
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"sadvae {args.command}: error: {where}expected to read or write here, found "
              f"{exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
