"""SA-DVAE: zero-shot and generalized zero-shot skeleton action recognition.

Public API (everything else is internal):
    load_pack(resources, dataset, unseen, ...)  -> FeaturePack   (validated feature pack)
    resolve_config(overrides, config_file=None) -> RunConfig     (preset + file + overrides)
    run(config)                                 -> RunResult     (the four stages; .metrics())
    run_protocol(protocol, dataset, overrides, out, ...) -> dict (every split and seed; report in `out`)
    write_report(run_or_protocol_dir)           -> dict          (rebuild report.md, results.*, plots/)
    load(bundle_or_name, device="cpu")          -> a model (a bundle of sadvae export or fit, or a ready model;
                                                   .predict(sequences, ["class name", ...], include_seen=False))
    load_ensemble([bundle_or_name, ...])        -> a model whose .predict averages several models' probabilities
    available_models()                          -> list[str]     (the ready models: "general", "utd-mhad")
    read_skeletons(path, format)                -> SkeletonSet   (ntu, pku, utd, nwucla, bvh, video, npz)
"""
import importlib

# name -> the module that defines it, imported on first use (`import sadvae` and the command line's
# help stay fast: PyTorch is imported only when something needs it)
_HOMES = {"ZeroShotModel": "deploy.bundle", "load": "deploy.bundle", "PackError": "errors",
          "SadvaeError": "errors", "RunConfig": "experiment.config", "resolve_config": "experiment.config",
          "run": "experiment.pipeline", "run_protocol": "experiment.protocols", "write_report": "experiment.report",
          "FeaturePack": "pack.format", "load_pack": "pack.format", "read_skeletons": "data.skeletons",
          "available_models": "deploy.models", "load_ensemble": "deploy.ensemble"}
_RENAMED = {"run": "run_all"}

from .version import __version__  # noqa: E402

__all__ = ["FeaturePack", "PackError", "RunConfig", "SadvaeError", "load_pack", "resolve_config", "run",
           "run_protocol", "write_report", "load", "load_ensemble", "ZeroShotModel", "read_skeletons",
           "available_models", "__version__"]


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_HOMES[name]}", __name__), _RENAMED.get(name, name))
    globals()[name] = value
    return value
