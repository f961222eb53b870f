"""ST-GCN skeleton encoder (Yan, Xiong, Lin, AAAI 2018), written in plain PyTorch.

Input: (N, M, T, V, C) tensors (samples, bodies, frames, joints, xyz), as `preprocess` makes them.
The input streams are derived inside the model (so every caller feeds plain joints): the joints
themselves, bones (each joint minus its parent, towards the body centre) and motion (the change to
the next frame), concatenated along the channels ("early fusion").
Each block is a spatial graph convolution over the layout's three adjacency partitions (the joint
itself, neighbours nearer the body centre, neighbours farther away) with a learnable weight per
edge, then a temporal convolution, with a residual connection. Features are pooled over frames and
joints, averaged over the bodies present, and projected to the embedding (the skeleton feature of
the pack). Two heads:

- "classifier": a ReLU embedding and a linear classifier over the seen classes (plain ST-GCN);
- "text": a text-anchored head. Each class's prototype is its text embedding through a learned
  linear projection; logits are cosine similarities of the embedding to the prototypes times a
  learned scale. The embedding space is thus organised by the class texts, and a class never
  trained on gets a prototype from its text alone (zero-shot).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
from torch import nn

from ..data.layouts import get_layout
from ..errors import SadvaeError
from .settings import HEADS, STREAMS


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
    streams: tuple[str, ...] = ("joint",)  # any of STREAMS, fused at the input
    head: str = "classifier"  # or "text" (text-anchored prototypes)
    text_dim: int = 0  # width of the class text embeddings (head "text")
    text_members: int = 1  # descriptions per class in the stored class texts (head "text")

    def __post_init__(self):
        self.channels, self.strides = tuple(self.channels), tuple(self.strides)
        self.streams = tuple(self.streams)
        if not self.streams or len(set(self.streams)) != len(self.streams) or set(self.streams) - set(STREAMS):
            raise SadvaeError(f"encoder: expected distinct streams among {', '.join(STREAMS)}, found "
                              f"{', '.join(self.streams) or 'none'}")
        if self.head not in HEADS:
            raise SadvaeError(f"encoder: expected a head among {', '.join(HEADS)}, found {self.head!r}")
        if self.head == "text" and (self.text_dim < 1 or self.text_members < 1):
            raise SadvaeError("encoder: the text head expects the class text embeddings' width, found none")
        if len(self.channels) != len(self.strides) or not self.channels:
            raise SadvaeError(f"encoder: expected one stride per block, found {len(self.channels)} channel counts "
                              f"and {len(self.strides)} strides")
        if min(self.channels) < 1 or min(self.strides) < 1 or self.embed_dim < 1 or self.n_classes < 1:
            raise SadvaeError("encoder: expected positive channels, strides, embedding size and class count")
        if self.temporal_kernel < 1 or self.temporal_kernel % 2 == 0:
            raise SadvaeError(f"encoder: expected an odd temporal kernel, found {self.temporal_kernel}")

    def as_dict(self) -> dict:
        d = asdict(self)
        d["channels"], d["strides"], d["streams"] = list(self.channels), list(self.strides), list(self.streams)
        return d




def joint_parents(layout) -> list[int]:
    """Each joint's neighbour one step nearer the body centre (a centre joint is its own parent)."""
    hops = layout.hops_to_center
    parents = list(range(layout.n_joints))
    for a, b in layout.edges:
        near, far = (a, b) if hops[a] < hops[b] else (b, a)
        if hops[far] == hops[near] + 1:
            parents[far] = int(near)
    return parents


def input_streams(x: torch.Tensor, streams: tuple[str, ...], parents: list[int]) -> torch.Tensor:
    """(N, M, T, V, 3) joints -> (N, M, T, V, 3 * len(streams)); absent bodies stay zero."""
    out = []
    for name in streams:
        if name == "joint":
            out.append(x)
        elif name == "bone":
            out.append(x - x[..., parents, :])
        else:  # motion: the change to the next frame; the last frame has none
            out.append(torch.cat([x[:, :, 1:] - x[:, :, :-1], torch.zeros_like(x[:, :, :1])], dim=2))
    return torch.cat(out, dim=-1) if len(out) > 1 else out[0]


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
        self.parents = joint_parents(layout)
        v, c = layout.n_joints, config.in_channels * len(config.streams)
        self.input_norm = nn.BatchNorm1d(v * c)
        blocks, c_in = [], c
        for c_out, stride in zip(config.channels, config.strides):
            blocks.append(STGCNBlock(c_in, c_out, adjacency, stride, config.temporal_kernel, config.dropout))
            c_in = c_out
        self.blocks = nn.ModuleList(blocks)
        if config.head == "classifier":
            self.embed = nn.Sequential(nn.Linear(c_in, config.embed_dim), nn.ReLU(inplace=True))
            self.classifier = nn.Sequential(nn.Dropout(config.dropout), nn.Linear(config.embed_dim, config.n_classes))
        else:
            self.embed = nn.Linear(c_in, config.embed_dim)
            self.text_projection = nn.Linear(config.text_dim, config.embed_dim)
            self.log_scale = nn.Parameter(torch.tensor(math.log(10.0)))  # cosine logits x scale (learned)
            # the training classes' text embeddings (n_classes, members, text_dim), set by the trainer
            self.register_buffer("class_text", torch.zeros(config.n_classes, config.text_members, config.text_dim))

    def embedding(self, x: torch.Tensor) -> torch.Tensor:
        """(N, M, T, V, 3) joints -> (N, embed_dim): non-negative (after ReLU), like pooled ST-GCN features,
        with the classifier head; unit length with the text head (the space its cosines live in; as a
        feature it is scaled, see `feature_scale`)."""
        n, m, t, v, _ = x.shape
        present = (x.abs().sum(dim=(2, 3, 4)) > 0).to(x.dtype)  # (N, M)
        present[:, 0] = 1.0  # the first body always counts, so an all-zero input still has a mean
        x = input_streams(x, self.config.streams, self.parents)
        c = x.shape[-1]
        h = x.reshape(n * m, t, v * c).transpose(1, 2)  # (NM, VC, T)
        h = self.input_norm(h).view(n * m, v, c, t).permute(0, 2, 3, 1)  # (NM, C, T, V)
        for block in self.blocks:
            h = block(h)
        pooled = self.embed(h.mean(dim=(2, 3))).view(n, m, -1)
        emb = (pooled * present[..., None]).sum(1) / present.sum(1, keepdim=True)
        return nn.functional.normalize(emb, dim=-1) if self.config.head == "text" else emb

    def prototypes(self, text: torch.Tensor) -> torch.Tensor:
        """Class texts (C, D) or (C, M, D) -> unit prototypes (C, embed_dim); several descriptions of a
        class are averaged after the projection (head "text")."""
        proto = nn.functional.normalize(self.text_projection(text), dim=-1)
        if proto.dim() == 3:
            proto = nn.functional.normalize(proto.mean(1), dim=-1)
        return proto

    def text_logits(self, emb: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        """Scaled cosine logits of embeddings (of any length) against the prototypes of any class texts
        (head "text")."""
        return self.log_scale.exp() * nn.functional.normalize(emb, dim=-1) @ self.prototypes(text).T

    def description_logits(self, emb: torch.Tensor, text: torch.Tensor) -> torch.Tensor:
        """Scaled cosine logits (B, C, M) of embeddings against each of M descriptions of C classes,
        text (C, M, D), one by one (not averaged; head "text")."""
        desc = nn.functional.normalize(self.text_projection(text), dim=-1)
        return self.log_scale.exp() * torch.einsum("be,cme->bcm", nn.functional.normalize(emb, dim=-1), desc)

    @property
    def feature_scale(self) -> float:
        """What the embedding is multiplied by as a feature (a pack's, a bundle's): 1 for the classifier
        head; sqrt(embed_dim) for the text head's unit embeddings, so that a dimension varies on the scale
        of 1, as SA-DVAE's reconstruction loss expects (measured on UTD-MHAD 22/5: SA-DVAE ZSL 22 -> 48)."""
        return math.sqrt(self.config.embed_dim) if self.config.head == "text" else 1.0

    def forward(self, x: torch.Tensor, class_text: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Embedding and logits over the training classes (with the text head, `class_text` may give
        other texts for them, e.g. one drawn description per class during training)."""
        emb = self.embedding(x)
        if self.config.head == "classifier":
            return emb, self.classifier(emb)
        return emb, self.text_logits(emb, self.class_text if class_text is None else class_text)
