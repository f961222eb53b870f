"""Hyper-parameter sweeps with Optuna, on the validation split only.

Each trial trains the validation split (seen-minus-validation classes) and scores the ZSL accuracy
on its pseudo-unseen classes at the best pass, as `--selection val` chooses passes. The main
split's test samples are never read, so the sweep cannot tune to the test set.

Trials live in an Optuna storage: by default a SQLite file in the output folder, so a sweep that
stopped resumes where it was by running the same command again; with a database URL
(PostgreSQL, MySQL) any number of machines can run the same sweep at once. Every worker stops when
the study holds the requested number of complete trials (counting trials still running that
started before its own), so the workers together finish the requested trials once.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import shutil
import socket
import sys
import time
from pathlib import Path

from ..errors import SadvaeError
from ..io import atomic_write_text
from ..methods import SINGLE_PASS, TRAINED
from .config import RunConfig
from .pipeline import open_pack, train_stage, validation_accuracy, val_split_names

# name -> (kind, low, high) for numbers (searched on a log scale), or ("choice", options)
SPACE = {
    "semantic_dim": ("int", 16, 512),
    "style_dim": ("int", 2, 64),
    "lr": ("float", 1e-5, 1e-2),
    "dis_step": ("int", 1, 16),
    "batch_size": ("choice", (16, 32, 64, 128)),
}


WORKER = f"{socket.gethostname()}:{os.getpid()}"  # which machine and process ran a trial


def _optuna():
    try:
        import optuna
    except ImportError:
        raise SadvaeError("sadvae sweep: expected the package optuna (pip install 'sadvae[sweep]'), "
                          "found it not installed") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def suggest(trial, fixed: set[str]) -> dict:
    params = {}
    for name, spec in SPACE.items():
        if name in fixed:
            continue
        if spec[0] == "choice":
            params[name] = trial.suggest_categorical(name, list(spec[1]))
        elif spec[0] == "int":
            params[name] = trial.suggest_int(name, spec[1], spec[2], log=True)
        else:
            params[name] = trial.suggest_float(name, spec[1], spec[2], log=True)
    return params


def validation_score(pack, cfg: RunConfig) -> float:
    """Mean over seeds of the best-pass ZSL accuracy (%) on the validation split's pseudo-unseen classes
    (per pass, the mean over the pack's validation draws)."""
    vals = [train_stage(pack, name, cfg, progress=False, keep_weights=False) for name in val_split_names(pack)]
    return float(validation_accuracy(vals, pack).max(1).mean())


def storage_for(url: str | None, out: Path, attempts: int = 5):
    """The Optuna storage. Workers that start together on a new database race to create its tables;
    the loser sees "already exists" (a table) or a failed unique constraint (the schema version row
    that the winner inserted first) and simply tries again."""
    import warnings

    optuna = _optuna()
    if url is None:
        url = f"sqlite:///{(out / 'sweep.db').resolve()}"
    kwargs = {"connect_args": {"timeout": 120}} if url.startswith("sqlite") else {}
    for attempt in range(attempts):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # heartbeat: experimental
                return optuna.storages.RDBStorage(url, engine_kwargs=kwargs, heartbeat_interval=30, grace_period=120)
        except ImportError as exc:
            raise SadvaeError(f"--storage {url}: expected a database driver for it, found none installed "
                              f"({exc})") from None
        except Exception as exc:  # SQLAlchemy's errors for unreachable or malformed databases
            racing = "already exists" in str(exc) or type(exc).__name__ == "IntegrityError"
            if racing and attempt + 1 < attempts:
                time.sleep(0.5 + attempt)
                continue
            raise SadvaeError(f"--storage {url}: expected a reachable database, found {type(exc).__name__}: "
                              f"{str(exc).splitlines()[0]}") from None


def run_sweep(base: RunConfig, out, trials: int, *, storage: str | None = None, study_name: str | None = None,
              fixed: set[str] = frozenset(), sampler_seed: int | None = None, progress: bool = True) -> dict:
    """Run trials until the study holds `trials` complete ones; write best.toml, trials.csv, sweep.json."""

    optuna = _optuna()
    if trials < 1:
        raise SadvaeError(f"--trials: expected a positive number, found {trials}")
    # the search space is SA-DVAE's: a pack whose defaults would pick a single-pass method is swept as SA-DVAE
    base.to_derive = [k for k in base.to_derive if k not in ("method", "gzsl")]
    if base.method in SINGLE_PASS:
        raise SadvaeError(f"--method {base.method}: expected a method with settings to search "
                          f"({', '.join(TRAINED)}), found one without any")
    pack = open_pack(base)  # validated before anything is written
    out = Path(out)
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SadvaeError(f"{out}: expected a writable folder for the sweep, found {exc.strerror}") from None
    name = study_name or f"sadvae-{pack.split_name}-u{base.unseen}-{base.method}-{base.mode}"
    try:
        study = optuna.create_study(storage=storage_for(storage, out), study_name=name, direction="maximize",
                                    load_if_exists=True, sampler=optuna.samplers.TPESampler(seed=sampler_seed))
    except BaseException:
        if created:  # leave nothing behind for a sweep that never started
            shutil.rmtree(out, ignore_errors=True)
        raise
    say = (lambda m: print(f"[sadvae] {m}", file=sys.stderr, flush=True)) if progress else (lambda m: None)
    states = optuna.trial.TrialState

    def complete() -> int:
        return len(study.get_trials(deepcopy=False, states=(states.COMPLETE,)))

    def objective(trial) -> float:
        earlier = study.get_trials(deepcopy=False, states=(states.COMPLETE, states.RUNNING))
        if sum(t.state == states.COMPLETE or t.number < trial.number for t in earlier) >= trials:
            study.stop()
            raise optuna.TrialPruned("the study already holds the requested trials")
        params = suggest(trial, set(fixed))
        t0 = time.perf_counter()
        score = validation_score(pack, dataclasses.replace(base, **params))
        trial.set_user_attr("seconds", round(time.perf_counter() - t0, 2))
        trial.set_user_attr("worker", WORKER)
        best = max([score] + [t.value for t in study.get_trials(deepcopy=False, states=(states.COMPLETE,))])
        say(f"trial {trial.number}: validation ZSL {score:.2f}% (best {best:.2f}%), "
            + ", ".join(f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}" for k, v in params.items()))
        return score

    def enough(study_, _trial) -> None:
        if complete() >= trials:
            study_.stop()

    before = complete()
    say(f"study {name}: {before} of {trials} trials complete; objective: validation-split ZSL top-1 "
        f"(pseudo-unseen classes {pack.val_classes.tolist()}), best pass, mean over {len(base.seeds)} seed(s)")
    if before < trials:
        study.optimize(objective, n_trials=trials, callbacks=[enough])
    return write_results(study, base, out, trials, fixed)


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    return json.dumps(str(v))  # a TOML basic string has JSON's escapes


def write_results(study, base: RunConfig, out: Path, trials: int, fixed) -> dict:
    optuna = _optuna()
    done = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if not done:
        raise SadvaeError(f"sweep {study.study_name}: expected at least one complete trial, found none")
    best = max(done, key=lambda t: (t.value, -t.number))
    config = {**{k: getattr(base, k) for k in SPACE}, **best.params,
              "passes": base.passes, "mode": base.mode, "method": base.method}
    lines = [f"# sadvae sweep {study.study_name}: trial {best.number} of {len(done)}, validation-split ZSL "
             f"{best.value:.2f}% (the test set was not used)",
             f"# use: sadvae run --config best.toml --resources ... --dataset ... --unseen {base.unseen}"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in config.items()]
    atomic_write_text(out / "best.toml", "\n".join(lines) + "\n")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["number", "state", "value", *SPACE, "seconds", "worker"])
    for t in study.get_trials(deepcopy=False):
        w.writerow([t.number, t.state.name, "" if t.value is None else f"{t.value:.4f}",
                    *(t.params.get(k, getattr(base, k) if k in fixed else "") for k in SPACE),
                    t.user_attrs.get("seconds", ""), t.user_attrs.get("worker", "")])
    atomic_write_text(out / "trials.csv", buf.getvalue())
    summary = {"study": study.study_name, "requested_trials": trials, "complete_trials": len(done),
               "best": {"number": best.number, "value": best.value, "params": best.params},
               "config": config, "fixed": sorted(fixed), "objective": "validation-split ZSL top-1 (%), best pass",
               "base": base.as_dict()}
    atomic_write_text(out / "sweep.json", json.dumps(summary, indent=2))
    return summary
