"""The authors' three experiment protocols as one command each, with several seeds per split.

synse   both SynSE splits of NTU-60 (55/5, 48/12) or NTU-120 (110/10, 96/24), one folder per dataset
random  the three random splits of the authors' script (`{dataset}_split2..4`, PKU-MMD `split1..3`),
        each reported and averaged
llm     the random splits with LLM-written class descriptions (`chat` text features)

A protocol run trains every split for every seed (four stages each) and writes one run folder per
split (see `rundir`), `protocol.json`, and the report (see `report`). Splits and seeds are
independent, so `jobs` > 1 runs them in that many worker processes; a seed gives the same numbers
whether it trained alone or batched with others (each seed has its own random generator), as long
as the processes use the same number of CPU threads (else the order of floating-point sums differs).
"""
from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from ..errors import SadvaeError
from ..io import atomic_write_text, staged_output
from ..version import __version__
from .config import PROTOCOLS, RANDOM_SPLITS, RunConfig, resolve_config, seeds_for
from .pipeline import open_pack, run_all
from .report import write_report
from .rundir import merge_records, write_run_files, write_seeds

SYNSE_SPLITS = {"ntu60": (5, 12), "ntu120": (10, 24)}
RANDOM_UNSEEN = {"ntu60": 5, "ntu120": 10, "pku51": 5}
LLM_DATASETS = ("ntu60", "ntu120")


@dataclass(frozen=True)
class SplitSpec:
    split_name: str
    unseen: int

    @property
    def label(self) -> str:
        return f"{self.split_name}_u{self.unseen}"

PROTOCOL_SEEDS = 3  # seeds per split when none are given: enough to show the spread



def protocol_splits(protocol: str, dataset: str, splits: list[str] | None = None,
                    unseen: int | None = None) -> list[SplitSpec]:
    """The splits a protocol runs on `dataset`. `splits`/`unseen` name your own random-split folders."""
    if protocol not in PROTOCOLS:
        raise SadvaeError(f"protocol: expected one of {', '.join(PROTOCOLS)}, found {protocol!r}")
    if protocol == "synse":
        if splits:
            raise SadvaeError("--splits: the synse protocol has fixed splits (one folder per dataset); "
                              "use the random protocol for your own split folders")
        if dataset not in SYNSE_SPLITS:
            raise SadvaeError(f"--dataset: the synse protocol expects one of {', '.join(SYNSE_SPLITS)}, "
                              f"found {dataset!r}")
        counts = (unseen,) if unseen else SYNSE_SPLITS[dataset]
        if unseen and unseen not in SYNSE_SPLITS[dataset]:
            raise SadvaeError(f"--unseen: the synse splits of {dataset} have "
                              f"{' or '.join(map(str, SYNSE_SPLITS[dataset]))} unseen classes, found {unseen}")
        return [SplitSpec(dataset, u) for u in counts]
    if protocol == "llm" and dataset not in LLM_DATASETS and not splits:
        raise SadvaeError(f"--dataset: the llm protocol expects one of {', '.join(LLM_DATASETS)} "
                          f"(or your own --splits), found {dataset!r}")
    names = list(splits) if splits else list(RANDOM_SPLITS.get(dataset, ()))
    if not names:
        raise SadvaeError(f"--dataset: the {protocol} protocol knows the splits of {', '.join(RANDOM_SPLITS)}; "
                          f"for {dataset!r} name your split folders with --splits NAME,NAME,...")
    if len(set(names)) != len(names):
        raise SadvaeError(f"--splits: expected distinct split names, found {','.join(names)}")
    u = unseen or RANDOM_UNSEEN.get(dataset)
    if not u:
        raise SadvaeError(f"--unseen: expected the number of unseen classes of {dataset!r}'s splits, found none")
    return [SplitSpec(name, u) for name in names]


def split_config(protocol: str, dataset: str, spec: SplitSpec, overrides: dict, config_file=None) -> RunConfig:
    given = {k: v for k, v in overrides.items() if v is not None}
    given.update(dataset=dataset, unseen=spec.unseen, protocol=protocol, split_name=spec.split_name)
    if protocol == "llm" and "text_mode" not in given:
        given["text_mode"] = "chat"
    return resolve_config(given, config_file)


def plan_units(n_splits: int, seeds: list[int], jobs: int) -> list[tuple[int, list[int]]]:
    """(split index, seeds) pieces of work: one per split with all its seeds (batched, the cheapest on
    one process), cut into smaller groups of seeds only as far as needed to give `jobs` workers work."""
    groups = min(len(seeds), max(1, -(-jobs // n_splits))) if jobs > 1 else 1
    chunks = [seeds[i::groups] for i in range(groups)]
    return [(i, sorted(c)) for i in range(n_splits) for c in chunks if c]


def _available_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def run_unit(cfg: RunConfig, out_dir: str, progress: bool, train_jobs: int | None, threads: int | None,
             checkpoints: str | None = None) -> tuple:
    """Train and evaluate one split for some seeds; write their seed folders into `out_dir` and
    return (the piece's record, seconds). `checkpoints`: a folder for per-pass checkpoints."""
    import torch


    if threads:
        torch.set_num_threads(threads)
    t0 = time.perf_counter()
    if checkpoints:
        Path(checkpoints).mkdir(parents=True, exist_ok=True)
    result = run_all(cfg, open_pack(cfg), progress=progress, jobs=train_jobs, checkpoints=checkpoints)
    record = write_seeds(Path(out_dir), result)
    return record, time.perf_counter() - t0


def _worker(args: tuple) -> tuple:
    return run_unit(*args)


def run_protocol(protocol: str, dataset: str, overrides: dict, out: Path, *, config_file=None,
                 splits: list[str] | None = None, unseen: int | None = None, jobs: int = 1,
                 force: bool = False, resume: bool = False, progress: bool = True) -> dict:
    """Run a protocol into `out` (written in a staging folder, moved into place when complete).

    Each piece of work (a split and a group of seeds) checkpoints its training after every pass and
    records its result when done, in the staging folder; `resume` skips the finished pieces and
    continues the others from their checkpoints."""

    if jobs < 1:
        raise SadvaeError(f"--jobs: expected a positive number of processes, found {jobs}")
    if overrides.get("seeds") is None:
        overrides = {**overrides, "seeds": seeds_for(PROTOCOL_SEEDS)}
    specs = protocol_splits(protocol, dataset, splits, unseen)
    configs = [split_config(protocol, dataset, s, overrides, config_file) for s in specs]
    say = (lambda m: print(f"[sadvae] {m}", file=sys.stderr, flush=True)) if progress else (lambda m: None)
    for spec, cfg in zip(specs, configs):  # every pack is validated before any training
        pack = open_pack(cfg)
        say(f"{spec.label}: {len(pack.main.features['train'])} training samples, preset {cfg.preset}, "
            f"{len(cfg.seeds)} seed(s)" + "".join(f"; {k} = {why}" for k, why in cfg.derived.items()))
        del pack
    seeds = configs[0].seeds
    units = plan_units(len(specs), seeds, jobs)
    workers = min(jobs, len(units))
    t0 = time.perf_counter()
    with staged_output(out, force=force, resumable=True, resume=resume) as stage:
        records: dict[int, list] = {i: [] for i in range(len(specs))}
        seconds: dict[int, list] = {i: [] for i in range(len(specs))}
        for spec in specs:
            (stage / spec.label).mkdir(exist_ok=True)
        (stage / "pieces").mkdir(exist_ok=True)
        work, piece_files = [], []
        for i, group in units:
            name = f"{specs[i].label}-seeds{'-'.join(map(str, group))}"
            piece_files.append(stage / "pieces" / f"{name}.json")
            work.append((dataclasses.replace(configs[i], seeds=group), str(stage / specs[i].label),
                         str(stage / "checkpoints" / name)))

        def finished(u: int, record: dict, secs: float) -> None:
            records[units[u][0]].append(record)
            seconds[units[u][0]].append(secs)
            atomic_write_text(piece_files[u], json.dumps({"record": record, "seconds": secs}))

        todo = []
        for u, path in enumerate(piece_files):
            if path.is_file():  # done before the run was interrupted
                piece = json.loads(path.read_text())
                records[units[u][0]].append(piece["record"])
                seconds[units[u][0]].append(piece["seconds"])
            else:
                todo.append(u)
        if len(todo) < len(units):
            say(f"resuming: {len(units) - len(todo)} of {len(units)} pieces of work were done")
        if workers == 1:
            for u in todo:
                cfg, folder, ckpt = work[u]
                say(f"{specs[units[u][0]].label}: seeds {', '.join(map(str, cfg.seeds))}")
                finished(u, *run_unit(cfg, folder, progress, None, None, ckpt))
        elif todo:
            threads = max(1, _available_cores() // workers)
            say(f"{len(todo)} pieces of work on {workers} worker processes ({threads} thread(s) each)")
            with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
                futures = {pool.submit(_worker, (work[u][0], work[u][1], False, 1, threads, work[u][2])): u
                           for u in todo}
                bar = tqdm(total=len(futures), desc="protocol", unit="piece", disable=not progress, leave=False)
                for fut in as_completed(futures):
                    finished(futures[fut], *fut.result())
                    bar.update(1)
                bar.close()
        for i, spec in enumerate(specs):
            write_run_files(stage / spec.label, merge_records(records[i]),
                            {"pieces": [round(s, 2) for s in seconds[i]], "total": round(sum(seconds[i]), 2)})
        info = {"kind": "protocol", "protocol": protocol, "dataset": dataset, "version": __version__,
                "splits": [{"label": s.label, "split_name": s.split_name, "unseen": s.unseen} for s in specs],
                "seeds": seeds, "jobs": jobs, "wall_s": round(time.perf_counter() - t0, 2),
                "config": configs[0].as_dict()}
        atomic_write_text(stage / "protocol.json", json.dumps(info, indent=2))
        summary = write_report(stage)
        for folder in ("pieces", "checkpoints"):  # only once everything else is written
            shutil.rmtree(stage / folder, ignore_errors=True)
    return summary
