"""The settings of a skeleton encoder that `sadvae features` and `sadvae fit` share: preprocessing,
the ST-GCN's shape and its training, each declared once (their flags are generated from here).

No PyTorch here: the command line builds its flags from these without importing it."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import SadvaeError
from ..settings import setting

STREAMS = ("joint", "bone", "motion")  # the encoder's input streams (stgcn.py)
HEADS = ("classifier", "text")  # the encoder's heads (stgcn.py)
OBJECTIVES = ("prototypes", "contrastive")  # the text head's training losses (training.py)
RIVALS = ("all", "dataset")  # the classes a training sample competes with (training.py, sample_groups)


@dataclass
class EncoderTraining:
    epochs: int = setting(60, "most encoder epochs (default 60; early stopping)", group="training")
    batch_size: int = setting(32, "encoder training batch size (default 32)", group="training",
                              option="--encoder-batch-size")
    lr: float = setting(0.05, "SGD learning rate, cosine schedule (default 0.05)", group="training",
                        option="--encoder-lr")
    weight_decay: float = 5e-4
    patience: int = setting(15, "epochs without a better held-out accuracy before stopping (default 15)",
                            group="training")
    augment: bool = setting(True, "no augmentation (random turn, tilt, shear, scale, temporal crop) during training",
                            group="training")
    max_turn_degrees: float = 30.0  # augmentation: turn about the vertical axis
    max_tilt_degrees: float = 0.0  # augmentation: turn about the two other axes
    max_shear: float = 0.0  # augmentation: off-diagonal shear terms within +- this
    max_scale: float = 0.15  # augmentation: scale by 1 +- this
    min_crop: float = 1.0  # augmentation: keep a random window of at least this fraction of the frames
    bone_jitter: float = setting(0.0, "augmentation: scale every bone's length by its own random factor, "
                                 "exp(+- this), so that rigs that place joints elsewhere along a bone agree "
                                 "(default 0: off; 0.4 with several datasets)",
                                 group="training")
    text_smoothing: float = setting(0.0, "text head, prototypes objective: the training target keeps 1 - this on a "
                                    "sample's class and spreads this over its rival classes by their texts' "
                                    "similarity to its class's (default 0: the one-hot target)", group="training")
    objective: str = setting("prototypes", "text head's loss: prototypes (default: cross-entropy over the classes, "
                             "one drawn description each) or contrastive (symmetric InfoNCE: every description of "
                             "a sample's class a positive, and each description against the batch's samples)",
                             choices=OBJECTIVES, group="training", option="--encoder-objective")
    seed: int = setting(0, "seed of the encoder's initialisation, batches and augmentation (default 0)",
                        group="training", option="--encoder-seed")
    device: str = setting("cpu", "auto, cpu, cuda, cuda:1, mps (the command line's default: auto)", group="training")

    def check(self) -> None:
        if self.epochs < 1 or self.batch_size < 1 or self.lr <= 0 or self.patience < 1:
            raise SadvaeError(f"encoder training: expected positive epochs, batch size, lr and patience, found "
                              f"{self.epochs}, {self.batch_size}, {self.lr}, {self.patience}")
        if not 0 <= self.bone_jitter <= 1:
            raise SadvaeError(f"encoder training: expected a bone jitter in [0, 1], found {self.bone_jitter}")
        if not 0 <= self.text_smoothing < 1:
            raise SadvaeError(f"encoder training: expected a text smoothing in [0, 1), found {self.text_smoothing}")
        if self.objective not in OBJECTIVES:
            raise SadvaeError(f"encoder training: expected an objective among {', '.join(OBJECTIVES)}, found "
                              f"{self.objective!r}")


def default_training(**changes) -> EncoderTraining:
    """Encoder training of `sadvae features`: the stronger augmentation (tilt, shear, temporal crop
    besides turn and scale) that small real datasets need; measured on UTD-MHAD (see docs/results.md)."""
    return EncoderTraining(**({"max_tilt_degrees": 9.0, "max_shear": 0.2, "min_crop": 0.7} | changes))




@dataclass(kw_only=True)
class EncoderSettings:
    frames: int = setting(32, "frames per sequence after resampling (default 32)", group="encoder")
    bodies: int | None = setting(None, "bodies per frame (default: most in the data, at most 2)", group="encoder")
    center: str = setting("first", "subtract the body centre of the first frame (default; of every frame for "
                          "several datasets) or of every frame",
                          choices=("first", "frame", "none"), group="encoder")
    align_view: bool = setting(False, "rotate each sequence so that the body stands up along +y and faces the same "
                               "way (sensors with other axes, cameras at other angles; on for several datasets)",
                               group="encoder")
    max_seconds: float | None = setting(None, "keep at most this many seconds of each sequence (the centred window; "
                                        "default: all of it; 3 for several datasets)", group="encoder")
    canonical_bones: bool = setting(False, "give every bone an adult's length in its own direction, so that "
                                    "sensors that place joints differently along a bone agree (shared space "
                                    "body-16 only)", group="encoder")
    channels: tuple[int, ...] = setting((16, 32, 32, 64, 64), "channels of the ST-GCN blocks (default 16,32,32,64,64)",
                                        group="encoder")
    strides: tuple[int, ...] = setting((1, 2, 1, 2, 1), "temporal strides (default 1,2,1,2,1)", group="encoder")
    embed_dim: int = setting(256, "feature width (default 256)", group="encoder")
    streams: tuple[str, ...] = setting(("joint", "bone", "motion"), "input streams fused at the input, among "
                                       f"{','.join(STREAMS)} (default all three)", group="encoder")
    name_prompts: bool = setting(True, "without descriptions, learn the bare class names instead of the names in "
                                 "our templates (text mode prompt; the default)", group="encoder")
    names_in_texts: bool = setting(False, "with descriptions, each class also learns its bare name as one more "
                                   "text drawn in turn, so that a new class asked by its name alone lands nearer its "
                                   "recordings", group="encoder")
    style_texts: bool = setting(False, "where a dataset names each recording's style (Bandai-Namco's sidecars), "
                                "that recording learns its class's texts with the style added ('walk, tired') "
                                "in half its batches, the plain ones in the others", group="encoder")
    rival_classes: str = setting("all", "several datasets: the classes a training recording is scored against, all or "
                                 "only those of its own dataset (so that telling the sensors apart earns nothing; "
                                 "the default with several datasets)", choices=RIVALS, group="encoder")
    training: EncoderTraining = field(default_factory=default_training)  # the flags: cli.main._encoder_training

    def preprocessing(self, skeletons):
        """The Preprocessing of these settings for a SkeletonSet (its layout, bodies and frame rate)."""
        from ..data.preprocess import Preprocessing

        bodies = self.bodies or min(2, max(s.shape[1] for s in skeletons.sequences))
        prep = Preprocessing(layout=skeletons.layout, frames=self.frames, bodies=bodies, center=self.center,
                             align_view=self.align_view, canonical_bones=self.canonical_bones,
                             fps=skeletons.fps if self.max_seconds else None, max_seconds=self.max_seconds)
        prep.check()
        return prep
