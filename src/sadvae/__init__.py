"""SA-DVAE: zero-shot and generalized zero-shot skeleton action recognition.

Public API (everything else is internal):
    load_pack(resources, dataset, unseen, ...)  -> FeaturePack   (validated feature pack)
    resolve_config(overrides, config_file=None) -> RunConfig     (preset + file + overrides)
    run(config)                                 -> RunResult     (the four stages; .metrics())
    run_protocol(protocol, dataset, overrides, out, ...) -> dict (every split and seed; report in `out`)
    write_report(run_or_protocol_dir)           -> dict          (rebuild report.md, results.*, plots/)
    load(bundle)                                -> ZeroShotModel (sadvae export's bundle;
                                                   .predict(sequences, ["class name", ...], include_seen=False))
"""
from .deploy.bundle import ZeroShotModel, load  # noqa: E402
from .errors import PackError, SadvaeError  # noqa: E402
from .experiment.config import RunConfig, resolve_config  # noqa: E402
from .experiment.pipeline import run_all as run  # noqa: E402
from .experiment.protocols import run_protocol  # noqa: E402
from .experiment.report import write_report  # noqa: E402
from .pack.format import FeaturePack, load_pack  # noqa: E402
from .version import __version__  # noqa: E402

__all__ = ["FeaturePack", "PackError", "RunConfig", "SadvaeError", "load_pack", "resolve_config", "run",
           "run_protocol", "write_report", "load", "ZeroShotModel",
           "__version__"]
