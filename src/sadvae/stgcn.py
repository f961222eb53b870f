"""ST-GCN skeleton encoder (Yan, Xiong, Lin, AAAI 2018), written in plain PyTorch.

Input: (N, M, T, V, C) tensors (samples, bodies, frames, joints, xyz), as `preprocess` makes them.
Each block is a spatial graph convolution over the layout's three adjacency partitions (the joint
itself, neighbours nearer the body centre, neighbours farther away) with a learnable weight per
edge, then a temporal convolution, with a residual connection. Features are pooled over frames and
joints, averaged over the bodies present, and projected to the embedding (the skeleton feature of
the pack); a linear classifier over the seen classes sits on top.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from .errors import SadvaeError
from .layouts import get_layout


@dataclass
class EncoderConfig:
    layout: str
    n_classes: int  # classes the encoder is trained on (the seen classes)
    channels: tuple[int, ...] = (16, 32, 32, 64, 64)
    strides: tuple[int, ...] = (1, 2, 1, 2, 1)
    temporal_kernel: int = 9
    embed_dim: int = 256
    dropout: float = 0.2
    in_channels: int = 3
    bodies: int = 2

    def __post_init__(self):
        self.channels, self.strides = tuple(self.channels), tuple(self.strides)
        if len(self.channels) != len(self.strides) or not self.channels:
            raise SadvaeError(f"encoder: expected one stride per block, found {len(self.channels)} channel counts "
                              f"and {len(self.strides)} strides")
        if min(self.channels) < 1 or min(self.strides) < 1 or self.embed_dim < 1 or self.n_classes < 1:
            raise SadvaeError("encoder: expected positive channels, strides, embedding size and class count")
        if self.temporal_kernel < 1 or self.temporal_kernel % 2 == 0:
            raise SadvaeError(f"encoder: expected an odd temporal kernel, found {self.temporal_kernel}")

    def as_dict(self) -> dict:
        d = asdict(self)
        d["channels"], d["strides"] = list(self.channels), list(self.strides)
        return d


class GraphConv(nn.Module):
    """x (B, C, T, V) -> sum over partitions k of W_k x A_k, A_k masked by learnable edge weights."""

    def __init__(self, c_in: int, c_out: int, adjacency: torch.Tensor):
        super().__init__()
        self.register_buffer("adjacency", adjacency, persistent=False)  # rebuilt from the layout
        self.edge_weight = nn.Parameter(torch.ones_like(adjacency))
        self.partitions = adjacency.shape[0]
        self.conv = nn.Conv2d(c_in, c_out * self.partitions, kernel_size=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, _, t, v = x.shape
        y = self.conv(x).view(b, self.partitions, -1, t, v)
        return torch.einsum("bkctj,kij->bcti", y, self.adjacency * self.edge_weight)


class STGCNBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, adjacency: torch.Tensor, stride: int, kernel: int, dropout: float):
        super().__init__()
        self.graph = GraphConv(c_in, c_out, adjacency)
        self.temporal = nn.Sequential(
            nn.BatchNorm2d(c_out), nn.ReLU(inplace=True),
            nn.Conv2d(c_out, c_out, (kernel, 1), (stride, 1), ((kernel - 1) // 2, 0)),
            nn.BatchNorm2d(c_out), nn.Dropout(dropout))
        if c_in == c_out and stride == 1:
            self.residual = nn.Identity()
        else:
            self.residual = nn.Sequential(nn.Conv2d(c_in, c_out, 1, (stride, 1)), nn.BatchNorm2d(c_out))
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.temporal(self.graph(x)) + self.residual(x))


class STGCN(nn.Module):
    def __init__(self, config: EncoderConfig):
        super().__init__()
        self.config = config
        layout = get_layout(config.layout)
        adjacency = torch.from_numpy(layout.partitions())
        v, c = layout.n_joints, config.in_channels
        self.input_norm = nn.BatchNorm1d(v * c)
        blocks, c_in = [], c
        for c_out, stride in zip(config.channels, config.strides):
            blocks.append(STGCNBlock(c_in, c_out, adjacency, stride, config.temporal_kernel, config.dropout))
            c_in = c_out
        self.blocks = nn.ModuleList(blocks)
        self.embed = nn.Sequential(nn.Linear(c_in, config.embed_dim), nn.ReLU(inplace=True))
        self.classifier = nn.Sequential(nn.Dropout(config.dropout), nn.Linear(config.embed_dim, config.n_classes))

    def embedding(self, x: torch.Tensor) -> torch.Tensor:
        """(N, M, T, V, C) -> (N, embed_dim); non-negative (after ReLU), like pooled ST-GCN features."""
        n, m, t, v, c = x.shape
        present = (x.abs().sum(dim=(2, 3, 4)) > 0).to(x.dtype)  # (N, M)
        present[:, 0] = 1.0  # the first body always counts, so an all-zero input still has a mean
        h = x.reshape(n * m, t, v * c).transpose(1, 2)  # (NM, VC, T)
        h = self.input_norm(h).view(n * m, v, c, t).permute(0, 2, 3, 1)  # (NM, C, T, V)
        for block in self.blocks:
            h = block(h)
        pooled = self.embed(h.mean(dim=(2, 3))).view(n, m, -1)
        return (pooled * present[..., None]).sum(1) / present.sum(1, keepdim=True)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        emb = self.embedding(x)
        return emb, self.classifier(emb)
