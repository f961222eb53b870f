"""The settings of a skeleton encoder that `sadvae features` and `sadvae fit` share: preprocessing,
the ST-GCN's shape and its training, each declared once (their flags are generated from here)."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..settings import setting
from .stgcn import STREAMS
from .training import EncoderTraining, default_training


@dataclass(kw_only=True)
class EncoderSettings:
    frames: int = setting(32, "frames per sequence after resampling (default 32)", group="encoder")
    bodies: int | None = setting(None, "bodies per frame (default: most in the data, at most 2)", group="encoder")
    center: str = setting("first", "subtract the body centre of the first frame (default) or of every frame",
                          choices=("first", "frame", "none"), group="encoder")
    align_view: bool = setting(False, "rotate each sequence so that the body stands up along +y and faces the same "
                               "way (sensors with other axes, cameras at other angles)", group="encoder")
    max_seconds: float | None = setting(None, "keep at most this many seconds of each sequence (the centred window; "
                                        "default: all of it)", group="encoder")
    channels: tuple[int, ...] = setting((16, 32, 32, 64, 64), "channels of the ST-GCN blocks (default 16,32,32,64,64)",
                                        group="encoder")
    strides: tuple[int, ...] = setting((1, 2, 1, 2, 1), "temporal strides (default 1,2,1,2,1)", group="encoder")
    embed_dim: int = setting(256, "feature width (default 256)", group="encoder")
    streams: tuple[str, ...] = setting(("joint", "bone", "motion"), "input streams fused at the input, among "
                                       f"{','.join(STREAMS)} (default all three)", group="encoder")
    training: EncoderTraining = field(default_factory=default_training)  # the flags: cli.main._encoder_training
