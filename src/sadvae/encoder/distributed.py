"""Data-parallel encoder training when launched by torchrun (`torchrun --nproc-per-node K -m sadvae features ...`).

torchrun sets WORLD_SIZE, RANK and LOCAL_RANK; then every process reads the data and trains the
same model on its share of each batch (DistributedDataParallel averages the gradients), and only
rank 0 writes output. Started normally, nothing here does anything.
"""
from __future__ import annotations

import os

import torch


def world_size() -> int:
    try:
        return int(os.environ.get("WORLD_SIZE", "1"))
    except ValueError:
        return 1


def launched() -> bool:
    """True under torchrun with more than one process."""
    return world_size() > 1


def active() -> bool:
    return torch.distributed.is_available() and torch.distributed.is_initialized()


def rank() -> int:
    return torch.distributed.get_rank() if active() else 0


def is_main() -> bool:
    return rank() == 0


def local_device(device: str) -> torch.device:
    """This process's device: cuda:LOCAL_RANK for a CUDA run, else the device as given."""
    dev = torch.device(device)
    if active() and dev.type == "cuda":
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    return dev


def init(device: str) -> None:
    """Join the process group (NCCL for CUDA, gloo otherwise) once."""
    if not launched() or active():
        return
    cuda = torch.device(device).type == "cuda"
    if cuda:
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    torch.distributed.init_process_group(backend="nccl" if cuda else "gloo")


def shutdown() -> None:
    if active():
        torch.distributed.destroy_process_group()


def from_main(values: list[float], device: torch.device) -> list[float]:
    """Rank 0's values on every rank (so that every rank takes the same decisions)."""
    if not active():
        return values
    t = torch.tensor(values, dtype=torch.float64, device=device)
    torch.distributed.broadcast(t, src=0)
    return t.tolist()
