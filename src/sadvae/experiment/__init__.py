"""Experiments on packs: the run configuration, the four-stage pipeline, run folders, protocols,
sweeps, reports, and the GZSL gate."""
