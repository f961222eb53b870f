"""Reports of protocol runs and single runs: report.md, results.csv, results.json and PNG plots.

Everything here reads the run folders only (metrics.json and each seed's details.json), so a report
can be rebuilt, and runs compared, without the feature pack: `sadvae report RUN_DIR...`.

Numbers are mean +- sample standard deviation over seeds. A protocol's average over splits is, per
seed, the mean over the splits; then mean +- std of those over seeds.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import SadvaeError
from ..io import atomic_write_bytes, atomic_write_text, read_json_object
from .pipeline import METRICS, SELECTION_LABELS
from .published import (PUBLISHED_AVERAGES, PUBLISHED_CLASSES, PUBLISHED_RANDOM_CLASSES,  # noqa: F401
                        PUBLISHED_SPLITS, SAME_METHOD)

METRIC_NAMES = {"zsl_top1": "ZSL top-1", "gzsl_seen": "GZSL seen", "gzsl_unseen": "GZSL unseen",
                "gzsl_h": "GZSL H"}
AVERAGED = ("random", "llm")  # protocols whose splits are averaged (the authors report the average)


@dataclass
class RunFolder:
    """One split's run: metrics.json and the seeds' details.json."""

    path: Path
    label: str
    metrics: dict
    details: list[dict] = field(default_factory=list)

    @property
    def unseen(self) -> int:
        return len(self.metrics["pack"]["unseen_classes"])


@dataclass
class Study:
    """A protocol folder (several splits) or a single run folder."""

    path: Path
    kind: str  # "protocol" or "run"
    protocol: str | None
    dataset: str
    runs: list[RunFolder]

    @property
    def first(self) -> dict:
        return self.runs[0].metrics

    @property
    def method(self) -> str:
        return self.first.get("method", "sadvae")

    @property
    def selection(self) -> str:
        return self.first["selection"]

    @property
    def seeds(self) -> list[int]:
        return [r["seed"] for r in self.first["per_seed"]]


def load_run_folder(path: Path, label: str | None = None) -> RunFolder:
    metrics = read_json_object(path / "metrics.json", "the metrics of a run (sadvae run or protocol)")
    missing = [k for k in ("pack", "per_seed", "summary", "selection") if k not in metrics]
    if missing:
        raise SadvaeError(f"{path / 'metrics.json'}: expected run metrics, found no {', '.join(missing)}")
    details = []
    for row in metrics["per_seed"]:
        d = path / f"seed{row['seed']}" / "details.json"
        details.append(read_json_object(d, "the per-seed details of a run") if d.is_file() else {})
    return RunFolder(path, label or metrics["pack"]["split_name"] + f"_u{len(metrics['pack']['unseen_classes'])}",
                     metrics, details)


def load_study(path) -> Study:
    path = Path(path)
    if not path.is_dir():
        raise SadvaeError(f"{path}: expected a run folder (sadvae run or sadvae protocol), found no such folder")
    if (path / "protocol.json").is_file():
        info = read_json_object(path / "protocol.json", "a protocol run's description")
        try:
            runs = [load_run_folder(path / s["label"], s["label"]) for s in info["splits"]]
            return Study(path, "protocol", info["protocol"], info["dataset"], runs)
        except (KeyError, TypeError) as exc:
            raise SadvaeError(f"{path / 'protocol.json'}: expected splits with labels, found {exc!r}") from None
    if (path / "metrics.json").is_file():
        run = load_run_folder(path)
        cfg = run.metrics.get("config", {})
        return Study(path, "run", cfg.get("protocol"), cfg.get("dataset") or run.metrics["pack"]["dataset"], [run])
    raise SadvaeError(f"{path}: expected protocol.json or metrics.json (a folder written by sadvae protocol or "
                      "sadvae run), found neither")


# -------------------------------------------------------------------------------------------------
# figures


def average_over_splits(study: Study) -> dict | None:
    """Per seed, the mean over splits; then mean and std over seeds. None unless the protocol
    averages its splits and every split has the same seeds."""
    if study.kind != "protocol" or study.protocol not in AVERAGED or len(study.runs) < 2:
        return None
    seeds = [[r["seed"] for r in run.metrics["per_seed"]] for run in study.runs]
    if any(s != seeds[0] for s in seeds):
        return None
    out = {}
    for m in METRICS:
        per_seed = np.mean([[r[m] for r in run.metrics["per_seed"]] for run in study.runs], axis=0)
        out[m] = {"mean": float(per_seed.mean()), "std": float(per_seed.std(ddof=1)) if len(per_seed) > 1 else 0.0}
    return out


def published_for(study: Study, run: RunFolder) -> dict:
    """Published figures for this split, if the run's unseen classes are the ones they were measured on."""
    key = (study.protocol, study.dataset, run.unseen)
    if sorted(run.metrics["pack"]["unseen_classes"]) != PUBLISHED_CLASSES.get(key):
        return {}
    return PUBLISHED_SPLITS.get(key, {})


def published_average_for(study: Study) -> dict | None:
    """Published averages over the random splits, if the run's splits are those three splits."""
    if study.protocol != "random" or study.dataset not in PUBLISHED_RANDOM_CLASSES:
        return None
    ours = sorted(sorted(run.metrics["pack"]["unseen_classes"]) for run in study.runs)
    if ours != sorted(PUBLISHED_RANDOM_CLASSES[study.dataset]):
        return None
    return PUBLISHED_AVERAGES.get((study.protocol, study.dataset))


def fmt(cell: dict | None) -> str:
    return "-" if cell is None else f"{cell['mean']:.2f} ± {cell['std']:.2f}"


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return lines


def results(study: Study) -> dict:
    """Everything of the report as plain data (results.json)."""
    first = study.first
    splits = []
    for run in study.runs:
        pub = published_for(study, run)
        splits.append({"label": run.label, "split_name": run.metrics["pack"]["split_name"], "unseen": run.unseen,
                       "unseen_classes": run.metrics["pack"]["unseen_classes"],
                       "preset": run.metrics.get("config", {}).get("preset"),
                       "summary": run.metrics["summary"], "per_seed": run.metrics["per_seed"],
                       "published": {k: {"zsl_top1": v[0], "gzsl_h": v[1]} for k, v in pub.items()}})
    return {"kind": study.kind, "protocol": study.protocol, "dataset": study.dataset, "method": study.method,
            "selection": study.selection, "selection_rule": SELECTION_LABELS[study.selection],
            "mode": first.get("mode"), "version": first.get("version"), "seeds": study.seeds,
            "pack": {k: first["pack"].get(k) for k in ("resources", "encoder", "text_model", "text_mode",
                                                      "n_classes")},
            "config": first.get("config", {}), "splits": splits, "average": average_over_splits(study),
            "published_average": published_average_for(study)}


def results_csv(study: Study) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["protocol", "dataset", "split", "unseen", "method", "selection", "mode", "seed", "chosen_pass",
                *METRICS])
    for run in study.runs:
        for r in run.metrics["per_seed"]:
            w.writerow([study.protocol or "", study.dataset, run.label, run.unseen, study.method, study.selection,
                        run.metrics.get("mode", ""), r["seed"], r.get("chosen_pass", ""),
                        *(f"{r[m]:.4f}" for m in METRICS)])
    return buf.getvalue()


def report_markdown(study: Study, data: dict, plots: list[str]) -> str:
    cfg = data["config"]
    title = (f"SA-DVAE protocol `{study.protocol}` on {study.dataset}" if study.kind == "protocol"
             else f"SA-DVAE run on {study.runs[0].label}")
    n = len(study.seeds)
    lines = [f"# {title}", "",
             f"- method: `{study.method}`; mode: `{data['mode']}`; package version {data['version']}",
             f"- selection rule: {data['selection_rule']}",
             f"- seeds: {', '.join(map(str, study.seeds))} (each cell is mean ± std over these {n} seed(s))",
             f"- pack: {data['pack']['resources']} (encoder `{data['pack']['encoder']}`, text "
             f"`{data['pack']['text_model']}/{data['pack']['text_mode']}`, {data['pack']['n_classes']} classes)"]
    for s in data["splits"]:
        c = next(r for r in study.runs if r.label == s["label"]).metrics.get("config", cfg)
        lines.append(f"- `{s['label']}`: preset `{s['preset']}`: semantic {c.get('semantic_dim')}, style "
                     f"{c.get('style_dim')}, lr {c.get('lr'):.4g}, batch {c.get('batch_size')}, dis_step "
                     f"{c.get('dis_step')}, passes {c.get('passes')}; unseen classes {s['unseen_classes']}")
    same = SAME_METHOD.get(study.method)
    header = ["split", "unseen", *METRIC_NAMES.values(), "published ZSL", "published H"]
    rows = []
    for s in data["splits"]:
        pub = s["published"].get(same) if same else None
        rows.append([s["label"], str(s["unseen"]), *(fmt(s["summary"][m]) for m in METRICS),
                     f"{pub['zsl_top1']:.2f}" if pub else "-",
                     f"{pub['gzsl_h']:.2f}" if pub and pub["gzsl_h"] is not None else "-"])
    if data["average"]:
        pub_avg = (data["published_average"] or {}).get(same) if same else None
        rows.append(["**average**", "", *(fmt(data["average"][m]) for m in METRICS),
                     f"{pub_avg:.2f}" if pub_avg else "-", "-"])
    lines += ["", "## Results", ""] + _md_table(header, rows)
    lines += ["", "Numbers are top-1 accuracy in percent. Ours are mean ± std over seeds"
              + (", with the pass selected without any test label (validation split)."
                 if study.selection == "val" else ", with the pass selected on the test set, as the paper does.")]
    if data["average"]:
        lines.append("The average is taken per seed over the splits, then mean ± std over seeds.")
    pubs = [(s["label"], k, v) for s in data["splits"] for k, v in s["published"].items()]
    known = (any(k[:2] == (study.protocol, study.dataset) for k in PUBLISHED_SPLITS)
             or (study.protocol, study.dataset) in PUBLISHED_AVERAGES)
    if known and not pubs and not data["published_average"]:
        lines += ["", f"Published numbers for `{study.protocol}` on {study.dataset} are not shown: this run's unseen "
                  "classes are not the ones they were measured on."]
    if pubs or data["published_average"]:
        lines += ["", "## Published numbers", "",
                  "From the papers, single figures on the authors' feature packs; comparable with ours only "
                  "when this run used those packs. The paper selects the pass on the test set.", ""]
        rows = [[lab, src, f"{v['zsl_top1']:.2f}", "-" if v["gzsl_h"] is None else f"{v['gzsl_h']:.2f}"]
                for lab, src, v in pubs]
        rows += [["average of the 3 random splits", src, f"{v:.2f}", "-"]
                 for src, v in (data["published_average"] or {}).items()]
        lines += _md_table(["split", "source", "ZSL top-1", "GZSL H"], rows)
    lines += ["", "## Per seed", ""]
    rows = [[run.label, str(r["seed"]), str(r.get("chosen_pass", "")), *(f"{r[m]:.2f}" for m in METRICS)]
            for run in study.runs for r in run.metrics["per_seed"]]
    lines += _md_table(["split", "seed", "pass (from 0)", *METRIC_NAMES.values()], rows)
    if plots:
        lines += ["", "## Plots", ""] + [f"![{Path(p).stem}]({p})" for p in plots]
    return "\n".join(lines) + "\n"


# -------------------------------------------------------------------------------------------------
# plots


def _figure_bytes(fig) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _grid(n: int, width: float = 4.2, height: float = 3.2):
    import matplotlib.pyplot as plt

    cols = min(n, 3)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:n])


def plot_zsl_curves(study: Study) -> bytes:
    fig, axes = _grid(len(study.runs))
    for ax, run in zip(axes, study.runs):
        for key, name, colour in (("main_split", "unseen test classes (not used to choose)", "C0"),
                                  ("val_split", "validation pseudo-unseen classes", "C1")):
            curves = np.array([d["per_pass_zsl"][key] for d in run.details if d], dtype=float)
            if curves.size == 0:
                continue
            passes = np.arange(curves.shape[1])
            ax.plot(passes, curves.mean(0), color=colour, label=name)
            if len(curves) > 1:
                ax.fill_between(passes, curves.min(0), curves.max(0), color=colour, alpha=0.2)
        chosen = [d["chosen_pass"] for d in run.details if d]
        for p in sorted(set(chosen)):
            ax.axvline(p, color="grey", ls=":", lw=1)
        ax.set_title(run.label, fontsize=10)
        ax.set_xlabel("pass (from 0)")
        ax.set_ylabel("ZSL top-1 (%)")
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7, loc="lower right")
    fig.suptitle("ZSL accuracy after each pass (mean over seeds, band: min-max; dotted: chosen passes)", fontsize=10)
    return _figure_bytes(fig)


def plot_losses(study: Study) -> bytes:
    fig, axes = _grid(len(study.runs))
    for ax, run in zip(axes, study.runs):
        d = next((d for d in run.details if d and d.get("losses")), None)
        table = None if d is None else np.array(d["losses"]["main"], dtype=float)
        if table is None or not np.isfinite(table).any():
            ax.text(0.5, 0.5, "no training losses\n(method without a VAE)", ha="center", va="center")
            ax.set_axis_off()
            continue
        passes = np.arange(len(table))
        for j, term in enumerate(d["losses"]["terms"]):
            if np.isfinite(table[:, j]).any():
                ax.plot(passes, table[:, j], marker=".", label=term)
        if np.nanmin(table) > 0:
            ax.set_yscale("log")
        ax.set_title(f"{run.label} (main split)", fontsize=10)
        ax.set_xlabel("pass (from 0)")
        ax.grid(alpha=0.3)
    with_lines = [ax for ax in axes if ax.get_legend_handles_labels()[0]]
    if with_lines:
        with_lines[0].legend(fontsize=6)
    fig.suptitle("training losses, mean over each pass", fontsize=10)
    return _figure_bytes(fig)


def plot_confusion(run: RunFolder) -> bytes | None:
    import matplotlib.pyplot as plt

    conf = [d["confusion"] for d in run.details if d and d.get("confusion")]
    if not conf:
        return None
    counts = np.sum([np.array(c["counts"]) for c in conf], axis=0)
    rate = 100 * counts / np.maximum(counts.sum(1, keepdims=True), 1)
    names = conf[0].get("names") or [str(c) for c in conf[0]["classes"]]
    names = [f"{c}: {n[:24]}" if conf[0].get("names") else n for c, n in zip(conf[0]["classes"], names)]
    u = len(names)
    fig, ax = plt.subplots(figsize=(2.5 + 0.45 * u, 2 + 0.4 * u))
    im = ax.imshow(rate, cmap="Blues", vmin=0, vmax=100)
    if u <= 30:
        for i in range(u):
            for j in range(u):
                ax.text(j, i, f"{rate[i, j]:.0f}", ha="center", va="center", fontsize=7,
                        color="white" if rate[i, j] > 60 else "black")
    ax.set_xticks(range(u), names, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(u), names, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    fig.colorbar(im, ax=ax, label="% of the true class")
    ax.set_title(f"{run.label}: unseen classes, all seeds (row %)", fontsize=10)
    return _figure_bytes(fig)


def plot_latents(run: RunFolder) -> bytes | None:
    import matplotlib.pyplot as plt

    d = next((d for d in run.details if d and d.get("projection")), None)
    if d is None:
        return None
    proj = d["projection"]
    names = (d.get("confusion") or {}).get("names")
    pts, labels, text = np.array(proj["samples"]), np.array(proj["labels"]), np.array(proj["text"])
    cmap = plt.get_cmap("tab20" if len(proj["classes"]) > 10 else "tab10")
    fig, ax = plt.subplots(figsize=(6.5, 5))
    for i, c in enumerate(proj["classes"]):
        colour = cmap(i % cmap.N)
        label = f"{c}: {names[i][:24]}" if names else str(c)
        mask = labels == c
        ax.scatter(pts[mask, 0], pts[mask, 1], s=6, alpha=0.5, color=colour, label=label)
        ax.scatter(text[i, 0], text[i, 1], s=220, marker="*", color=colour, edgecolor="black", linewidth=0.8)
    ev = proj.get("explained_variance", [0, 0])
    ax.set_xlabel(f"PC 1 ({100 * ev[0]:.0f}% of variance)")
    ax.set_ylabel(f"PC 2 ({100 * ev[1]:.0f}% of variance)")
    ax.set_title(f"{run.label}, seed {d['seed']}: semantic latents of unseen test samples (dots)\n"
                 "and of the class texts (stars), PCA", fontsize=9)
    if len(proj["classes"]) <= 20:
        ax.legend(fontsize=6, markerscale=2, loc="best")
    return _figure_bytes(fig)


def make_plots(study: Study) -> dict[str, bytes]:
    plots = {"plots/zsl_per_pass.png": plot_zsl_curves(study), "plots/losses.png": plot_losses(study)}
    for run in study.runs:
        for name, maker in (("confusion", plot_confusion), ("latents", plot_latents)):
            png = maker(run)
            if png is not None:
                plots[f"plots/{name}_{run.label}.png"] = png
    return plots


def write_report(path) -> dict:
    """(Re)write report.md, results.csv, results.json and plots/ of a protocol or run folder."""
    import matplotlib

    matplotlib.use("Agg")
    study = load_study(path)
    data = results(study)
    plots = make_plots(study)
    root = Path(path)
    (root / "plots").mkdir(exist_ok=True)
    for name, png in plots.items():
        atomic_write_bytes(root / name, png)
    atomic_write_text(root / "results.json", json.dumps(data, indent=2))
    atomic_write_text(root / "results.csv", results_csv(study))
    atomic_write_text(root / "report.md", report_markdown(study, data, list(plots)))
    return data


def comparison(studies: list[Study]) -> tuple[str, list[dict]]:
    """One table of every split (and average) of every study: markdown text and rows."""
    rows = []
    for st in studies:
        parts = [(run.label, run.metrics["summary"]) for run in st.runs]
        avg = average_over_splits(st)
        if avg:
            parts.append(("average", avg))
        for label, summary in parts:
            rows.append({"run": str(st.path), "split": label, "method": st.method, "selection": st.selection,
                         "seeds": len(st.seeds), **{m: summary[m] for m in METRICS}})
    first_seen = {}
    for r in rows:
        first_seen.setdefault(r["split"], len(first_seen))
    rows.sort(key=lambda r: (r["split"] == "average", first_seen[r["split"]]))  # stable: studies in given order
    header = ["split", "run", "method", "selection", "seeds", *METRIC_NAMES.values()]
    table = _md_table(header, [[r["split"], r["run"], r["method"], r["selection"], str(r["seeds"]),
                                *(fmt(r[m]) for m in METRICS)] for r in rows])
    return "\n".join(table) + "\n", rows
