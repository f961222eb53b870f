"""Video files into skeletons with MediaPipe Pose: 33 world landmarks per frame, in metres.

Frames are decoded with OpenCV and passed to MediaPipe Pose (BlazePose, `model_complexity` 1, the
full model; 0 and 2, lite and heavy, only where their model files have been put beside it: the wheel
does not ship them and MediaPipe would download them), which tracks one person from frame to frame.
Its *world* landmarks are 3-D points in metres with the origin at the midpoint of the hips in every
frame (so the body's path across the room is not recorded), x to the right of the image, y down and
z away from the camera; the depth is the model's guess from one camera, not a measurement.

They are turned into the project's convention (right-handed, y up, as Kinect) by a half turn about the
camera's axis, x -> -x and y -> -y; the layout is `layouts.MEDIAPIPE33` ("left" is the person's left),
which maps onto the shared space `body-16` by joint name.

Frames where MediaPipe finds no person are filled by linear interpolation in time between the
nearest frames that have one (held at the ends); a video with no person in any frame is an error.
MediaPipe Pose follows one person: in a video of several, it follows whoever it finds first.

The extra ``pip install "sadvae[video]"`` installs MediaPipe 0.10.14, the last release whose wheel
ships the pose models (later ones download them at run time); nothing here downloads anything.
"""
from __future__ import annotations

import os
import sys
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..errors import SadvaeError
from .layouts import MEDIAPIPE33
from .skeletons import SkeletonFormatError, SkeletonSet, labels_by_name

__all__ = ["VIDEO_SUFFIXES", "VideoSkeleton", "read_video_file", "read_video", "video_available"]

VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm")
POSE_MODELS = (0, 1, 2)  # MediaPipe Pose's model_complexity: lite, full, heavy
DEFAULT_POSE_MODEL = 1  # the one landmark model that MediaPipe 0.10.14's wheel ships
POSE_MODEL_FILES = {0: "pose_landmark_lite.tflite", 1: "pose_landmark_full.tflite", 2: "pose_landmark_heavy.tflite"}
FALLBACK_FPS = 30.0  # when the container records no frame rate
EXTRA = 'pip install "sadvae[video]"'
# y down, z away from the camera -> y up, right-handed: a half turn about the camera's axis
TO_Y_UP = np.array([-1.0, -1.0, 1.0])


@dataclass
class VideoSkeleton:
    joints: np.ndarray   # (T, 1, 33, 3) float32 world landmarks in metres, y up, in layout mediapipe-33
    fps: float           # the video's frame rate
    frames: int          # frames decoded
    found: int           # frames in which MediaPipe found a person (the others are interpolated)
    path: str = ""


def video_available() -> bool:
    """Whether OpenCV and MediaPipe Pose are installed (the video extra)."""
    try:
        _modules(None)
    except SadvaeError:
        return False
    return True


def _modules(path):
    """(cv2, mediapipe's pose solution); a clear error naming the extra when they are not installed."""
    os.environ.setdefault("GLOG_minloglevel", "2")  # MediaPipe's C++ log lines on every start
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    where = f"{path}: " if path is not None else ""
    try:
        import cv2
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from mediapipe.python.solutions import pose
    except ImportError as exc:
        missing = (exc.name or "them").split(".")[0]
        raise SadvaeError(f"{where}reading video needs OpenCV and MediaPipe Pose, found {missing} missing: {EXTRA}") \
            from None
    return cv2, pose


@contextmanager
def _native_log_silenced():
    """Yield a stream for our own messages while the file descriptor 2 that MediaPipe's C++ code and
    TensorFlow Lite write their start-up lines to goes to /dev/null; restored afterwards."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (an embedding host): nothing to silence
        yield sys.stderr
        return
    stream = os.fdopen(os.dup(saved), "w", buffering=1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # protobuf's deprecation warning on every frame
            yield stream
    finally:
        stream.flush()
        os.dup2(saved, 2)
        os.close(saved)
        stream.close()


def _check_pose_model(model_complexity: int) -> None:
    """MediaPipe fetches a landmark model missing from its package at first use; refuse instead (the
    0.10.14 wheel ships only the full model, 1), naming the file to put in place."""
    import mediapipe

    name = POSE_MODEL_FILES[model_complexity]
    folder = Path(mediapipe.__file__).parent / "modules" / "pose_landmark"
    if not (folder / name).is_file():
        raise SadvaeError(f"--pose-model {model_complexity}: expected MediaPipe's {name} in {folder} (nothing is "
                          f"downloaded; the wheel ships only --pose-model {DEFAULT_POSE_MODEL}), found no such file")


def _fill_missing(points: np.ndarray, found: np.ndarray) -> np.ndarray:
    """(T, V, 3) with rows where `found` is False replaced by linear interpolation over time (held at ends)."""
    if found.all():
        return points
    t = np.arange(len(points))
    known = np.flatnonzero(found)
    flat = points[known].reshape(len(known), -1)
    filled = np.stack([np.interp(t, known, flat[:, k]) for k in range(flat.shape[1])], axis=1)
    return filled.reshape(points.shape)


def read_video_file(path, *, model_complexity: int = DEFAULT_POSE_MODEL, max_frames: int | None = None,
                    progress: bool = False) -> VideoSkeleton:
    """One video -> MediaPipe Pose's world landmarks in every frame (see the module docstring).

    `max_frames` reads only the first frames (a quick look). Errors name the file: not a file, a file
    OpenCV cannot open or decode, no person in any frame."""
    path = Path(path)
    if model_complexity not in POSE_MODELS:
        raise SadvaeError(f"--pose-model: expected one of {', '.join(map(str, POSE_MODELS))} (MediaPipe Pose's "
                          f"model_complexity), found {model_complexity!r}")
    if not path.is_file():
        raise SkeletonFormatError(path, "a video file", "a folder" if path.exists() else "no such file")
    cv2, pose_solution = _modules(path)
    _check_pose_model(model_complexity)
    with _native_log_silenced() as stream:  # FFmpeg's and MediaPipe's native log lines
        capture = cv2.VideoCapture(str(path))
        try:
            if not capture.isOpened():
                raise SkeletonFormatError(path, "a video OpenCV can open (" + ", ".join(VIDEO_SUFFIXES) + ")",
                                          "a file it cannot read (not a video, damaged, or a codec it lacks)")
            fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
            fps = fps if np.isfinite(fps) and 0 < fps < 1000 else FALLBACK_FPS
            total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0) or None
            if max_frames is not None:
                total = min(total or max_frames, max_frames)
            points, found = [], []
            with tqdm(total=total, desc=f"pose {path.name}", unit="frame", disable=not progress, file=stream) as bar, \
                    pose_solution.Pose(static_image_mode=False, model_complexity=model_complexity) as estimator:
                while max_frames is None or len(points) < max_frames:
                    ok, frame = capture.read()
                    if not ok:
                        break
                    result = estimator.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
                    landmarks = result.pose_world_landmarks
                    if landmarks is None:
                        points.append(np.full((MEDIAPIPE33.n_joints, 3), np.nan))
                        found.append(False)
                    else:
                        points.append(np.array([(p.x, p.y, p.z) for p in landmarks.landmark], dtype=np.float64))
                        found.append(True)
                    bar.update(1)
        finally:
            capture.release()
    if not points:
        raise SkeletonFormatError(path, "a video with frames OpenCV can decode", "no decodable frame")
    found = np.asarray(found)
    if not found.any():
        raise SkeletonFormatError(path, "a person in at least one frame (MediaPipe Pose)",
                                  f"none in {len(points)} frames")
    joints = _fill_missing(np.stack(points), found) * TO_Y_UP
    return VideoSkeleton(joints=joints[:, None].astype(np.float32), fps=fps, frames=len(points),
                         found=int(found.sum()), path=str(path))


def video_files(path: Path) -> tuple[list[Path], Path]:
    """The videos to read (sorted; a folder is searched recursively) and the folder a labels CSV names them from."""
    if path.is_file():
        return [path], path.parent
    if not path.is_dir():
        raise SkeletonFormatError(path, "a video file or a folder of them", "no such file or folder")
    files = sorted((p for p in path.rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES and p.is_file()),
                   key=lambda p: p.relative_to(path).as_posix())
    if not files:
        raise SkeletonFormatError(path, f"a folder holding videos ({', '.join(VIDEO_SUFFIXES)}; searched "
                                  "recursively)", "none")
    return files, path


def describe(video: VideoSkeleton) -> str:
    """One line for the user: how many frames had a person, and that one person is followed."""
    missing = video.frames - video.found
    return (f"{video.path}: a pose in {video.found} of {video.frames} frames"
            + (f" ({missing} interpolated)" if missing else "")
            + f" at {video.fps:g} fps; MediaPipe Pose follows one person")


def read_video(path, *, labels=None, class_names=None, progress: bool = False,
               model_complexity: int = DEFAULT_POSE_MODEL, log=None) -> SkeletonSet:
    """One video, or every video under a folder, as a SkeletonSet in layout mediapipe-33.

    Labels from a ``file,class`` CSV (`labels=`, as for BVH), else each file's stem; videos of another
    frame rate than the first are resampled to it. `log` receives one line per video (`describe`)."""
    from .bvh import FileLabels
    from .preprocess import resample_rate

    files, root = video_files(Path(path))
    label_of = FileLabels(labels, root, sidecars=False)
    sequences, names, fps = [], [], None
    for file in files:
        video = read_video_file(file, model_complexity=model_complexity, progress=progress)
        if log is not None:
            log(describe(video))
        fps = video.fps if fps is None else fps
        joints = video.joints
        if abs(video.fps - fps) > 1e-6 * fps:
            joints = resample_rate(joints.astype(np.float64), video.fps, fps).astype(np.float32)
        sequences.append(joints)
        names.append(label_of(file)[0])
    classes, labels = labels_by_name(files, names, class_names)
    return SkeletonSet(sequences=sequences, labels=labels,
                       class_names=classes, layout=MEDIAPIPE33.name, subjects=None,
                       sample_ids=[f.stem for f in files], fps=fps)
