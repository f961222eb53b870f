"""Generated motions with texts: body-part movements and everyday actions drawn by a small kinematic model.

Three real datasets give an encoder about sixty actions to tie motion to text; a new name is placed
by the few it learnt. `synthetic_source` adds generated ones: each class is one movement of one body
part or of the whole body ("raise the left arm out to the side", "kick forward with the right leg",
"walk backward") or one everyday action or gesture ("drink from a cup", "swing a golf club", "walk up the
stairs"), drawn for many bodies, speeds, sizes and repetitions, with two phrasings in our own words. A
generated action carries to real recordings of the same action, not to other actions (docs/results.md), so
the list is meant to grow towards the actions users name. The motions are coarse (joint angles moved by
smooth curves, feet kept on the ground, a little sensor noise), but every one of them says which limb moves
where, which the real datasets say only through their own few actions.

The model: the shared joint set (body-16, `layouts.SHARED`), metres, 30 frames a second, y up, the
body's right along +x and its front along -z (how `preprocess.align_view` leaves real recordings),
then a random turn about the vertical and a random place, as a sensor would see it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..errors import SadvaeError
from .layouts import SHARED, get_layout
from .skeletons import SkeletonSet

FPS = 30.0
_J = {name: i for i, name in enumerate(get_layout(SHARED).joints)}
_UP = np.array([0.0, 1.0, 0.0])
_FRONT = np.array([0.0, 0.0, -1.0])


def _rotation(a, axis: int):
    """(..., 3, 3) rotations by angles a (radians) about coordinate axis 0, 1 or 2, the sign chosen so that
    about y a positive angle turns the front (-z) towards +x, about x it bends the upper body forward
    (towards -z), and about z it leans the upper body towards its right (+x)."""
    i, j = ((1, 2), (2, 0), (0, 1))[axis]
    c, s = np.cos(a), np.sin(a)
    r = np.zeros(np.shape(a) + (3, 3))
    r[..., axis, axis] = 1.0
    r[..., i, i] = r[..., j, j] = c
    r[..., i, j], r[..., j, i] = s, -s
    return r


def _other(side: str) -> str:
    return "left" if side == "right" else "right"


def _unit(v):
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


class Pose:
    """Joint angles over T frames (every field a (T,) array, radians; zeros: standing, arms down).

    Arms (side `left` / `right`): `elev` lifts the upper arm from hanging (0) through level (pi/2) to
    overhead (pi); `azim` turns it from the front (0) out to the side (pi/2), negative across the body;
    `elbow` bends the forearm (0 straight) towards the front and up, `twist` turns that bend about the
    upper arm. Legs: `hip` swings the thigh forward (negative: back), `abduct` out to the side, `knee`
    bends the shank back. Body: `pitch` bends forward, `roll` leans to the right, `yaw` turns; `waist` turns
    the upper body alone (like `yaw`, the hips staying); `x`, `z` move the body (metres, in the frame it started
    in), `lift` raises it off the ground (a jump)."""

    FIELDS = ("pitch", "roll", "yaw", "waist", "x", "z", "lift")
    LIMB = ("elev", "azim", "elbow", "twist", "hip", "abduct", "knee")

    def __init__(self, t: np.ndarray):
        self.t = t
        for f in self.FIELDS:
            setattr(self, f, np.zeros_like(t))
        for side in ("left", "right"):
            for f in self.LIMB:
                setattr(self, f"{side}_{f}", np.zeros_like(t))

    def set(self, side: str, field: str, value) -> None:
        sides = ("left", "right") if side == "both" else (side,)
        for s in sides:
            setattr(self, f"{s}_{field}", np.broadcast_to(value, self.t.shape).astype(np.float64))


@dataclass(frozen=True)
class Body:
    """One performer's proportions (metres)."""

    lengths: dict

    @classmethod
    def draw(cls, rng: np.random.Generator) -> "Body":
        size = rng.uniform(0.82, 1.15)
        base = {"pelvis_spine": 0.10, "spine_neck": 0.32, "neck_head": 0.17, "shoulder": 0.17, "upper_arm": 0.28,
                "forearm": 0.25, "hip": 0.09, "thigh": 0.43, "shank": 0.41}
        return cls({k: v * size * rng.uniform(0.92, 1.08) for k, v in base.items()})


def _arm(pose: Pose, side: str, shoulder, torso, body: Body):
    sign = 1.0 if side == "right" else -1.0
    elev, azim = getattr(pose, f"{side}_elev"), getattr(pose, f"{side}_azim")
    elbow, twist = getattr(pose, f"{side}_elbow"), getattr(pose, f"{side}_twist")
    local = np.stack([sign * np.sin(elev) * np.sin(azim), -np.cos(elev), -np.sin(elev) * np.cos(azim)], -1)
    d1 = np.einsum("tij,tj->ti", torso, local)
    ref = np.einsum("tij,j->ti", torso, _FRONT + _UP)
    bend0 = ref - np.sum(d1 * ref, -1, keepdims=True) * d1  # front and up, square to the upper arm
    flat = np.linalg.norm(bend0, axis=-1) < 1e-3  # the arm points that way: bend towards the body's front
    bend0[flat] = np.einsum("tij,j->ti", torso[flat], _FRONT)
    bend0 = _unit(bend0)
    bend = np.cos(twist)[:, None] * bend0 + np.sin(twist)[:, None] * np.cross(d1, bend0)
    d2 = np.cos(elbow)[:, None] * d1 + np.sin(elbow)[:, None] * bend
    e = shoulder + body.lengths["upper_arm"] * d1
    return e, e + body.lengths["forearm"] * d2


def _leg(pose: Pose, side: str, hip, heading, body: Body):
    sign = 1.0 if side == "right" else -1.0
    flex, abduct, knee = getattr(pose, f"{side}_hip"), getattr(pose, f"{side}_abduct"), getattr(pose, f"{side}_knee")
    local = np.stack([sign * np.sin(abduct), -np.cos(flex) * np.cos(abduct), -np.sin(flex) * np.cos(abduct)], -1)
    d1 = np.einsum("tij,tj->ti", heading, local)
    shin = np.stack([sign * np.sin(abduct), -np.cos(flex - knee) * np.cos(abduct),
                     -np.sin(flex - knee) * np.cos(abduct)], -1)
    d2 = np.einsum("tij,tj->ti", heading, shin)
    k = hip + body.lengths["thigh"] * d1
    return k, k + body.lengths["shank"] * d2


def joints(pose: Pose, body: Body) -> np.ndarray:
    """(T, 16, 3) positions of the shared joints, the lower foot on the ground (y = 0)."""
    t = len(pose.t)
    heading = _rotation(pose.yaw, 1)
    torso = heading @ _rotation(pose.waist, 1) @ _rotation(pose.pitch, 0) @ _rotation(pose.roll, 2)
    L = body.lengths
    out = np.zeros((t, len(_J), 3))
    pelvis = np.zeros((t, 3))
    spine = pelvis + L["pelvis_spine"] * torso[:, :, 1]
    neck = spine + L["spine_neck"] * torso[:, :, 1]
    head = neck + L["neck_head"] * torso[:, :, 1]
    for name, p in (("pelvis", pelvis), ("spine", spine), ("neck", neck), ("head", head)):
        out[:, _J[name]] = p
    for side, sign in (("left", -1.0), ("right", 1.0)):
        shoulder = neck + sign * L["shoulder"] * torso[:, :, 0] - 0.03 * torso[:, :, 1]
        elbow, wrist = _arm(pose, side, shoulder, torso, body)
        hip = pelvis + sign * L["hip"] * heading[:, :, 0] - 0.04 * _UP
        knee, ankle = _leg(pose, side, hip, heading, body)
        for name, p in (("shoulder", shoulder), ("elbow", elbow), ("wrist", wrist), ("hip", hip), ("knee", knee),
                        ("ankle", ankle)):
            out[:, _J[f"{side}_{name}"]] = p
    ground = np.minimum(out[:, _J["left_ankle"], 1], out[:, _J["right_ankle"], 1])
    out[:, :, 1] -= ground[:, None] - 0.07  # the ankle joint sits about 7 cm above the floor
    out[:, :, 1] += pose.lift[:, None]
    out[:, :, 0] += pose.x[:, None]
    out[:, :, 2] += pose.z[:, None]
    return out


# --- how a movement unfolds in time (t runs from 0 to 1 over the clip) -----------------------------

def _once(t, rng, hold=None):
    """0 -> 1 -> 0: a smooth rise, a hold, a smooth fall, placed at random within the clip."""
    start = rng.uniform(0.05, 0.2)
    rise = rng.uniform(0.15, 0.25)
    hold = rng.uniform(0.1, 0.3) if hold is None else hold
    end = min(start + 2 * rise + hold, 0.98)
    up = np.clip((t - start) / rise, 0, 1)
    down = np.clip((end - t) / rise, 0, 1)
    return 0.5 - 0.5 * np.cos(np.pi * np.minimum(up, down))


def _ramp(t, rng):
    """0 -> 1 and stay: a change of state (sit down)."""
    start, length = rng.uniform(0.05, 0.3), rng.uniform(0.3, 0.55)
    x = np.clip((t - start) / length, 0, 1)
    return 0.5 - 0.5 * np.cos(np.pi * x)


def _cycles(t, rng, low=1.5, high=4.0):
    """(phase in radians, envelope): a repeated movement of low..high cycles."""
    n = rng.uniform(low, high)
    env = np.clip(np.minimum(t, 1 - t) / 0.08, 0, 1)
    return 2 * np.pi * n * t + rng.uniform(0, 0.3), env


def _rep(t, rng, low=1.5, high=4.0):
    """0 -> 1 -> 0 repeated: (1 - cos) / 2 of the cycles' phase."""
    phase, env = _cycles(t, rng, low, high)
    return env * (0.5 - 0.5 * np.cos(phase))


def _amp(rng, scale=1.0):
    return scale * rng.uniform(0.8, 1.15)


def _step_cycle(pose: Pose, phase, env, stride=0.45, knee=0.9, arms=0.35):
    """Legs and arms of a gait at the given phase: thighs swing in opposition, knees bend in swing."""
    for side, shift in (("left", 0.0), ("right", np.pi)):
        p = phase + shift
        pose.set(side, "hip", env * stride * np.sin(p))
        pose.set(side, "knee", env * knee * np.clip(np.sin(p + 0.9), 0, None))
        pose.set(side, "elev", env * arms * -np.sin(p) * 0.6 + 0.08)
        pose.set(side, "elbow", 0.25 + 0.15 * env)


# --- the movements --------------------------------------------------------------------------------

def _raise_forward(side):
    def draw(pose, t, rng):
        e = _once(t, rng)
        pose.set(side, "elev", e * _amp(rng, np.pi / 2))
        pose.set(side, "azim", rng.uniform(-0.1, 0.15))
    return draw


def _raise_side(side):
    def draw(pose, t, rng):
        e = _once(t, rng)
        pose.set(side, "elev", e * _amp(rng, np.pi / 2))
        pose.set(side, "azim", rng.uniform(1.35, 1.6))
    return draw


def _raise_overhead(side):
    def draw(pose, t, rng):
        e = _once(t, rng)
        pose.set(side, "elev", e * min(_amp(rng, 2.8), 3.0))
        pose.set(side, "azim", rng.uniform(0.2, 0.6))
        pose.set(side, "elbow", e * rng.uniform(0.0, 0.3))
    return draw


def _wave(side):
    def draw(pose, t, rng):
        e = _once(t, rng, hold=rng.uniform(0.3, 0.5))
        phase, _ = _cycles(t, rng, 3, 7)
        pose.set(side, "elev", e * rng.uniform(1.9, 2.4))
        pose.set(side, "azim", rng.uniform(0.8, 1.3))
        pose.set(side, "elbow", e * rng.uniform(0.5, 0.9))
        pose.set(side, "twist", e * _amp(rng, 0.7) * np.sin(phase))
    return draw


def _punch(side):
    def draw(pose, t, rng):
        pose.set(side, "elev", _amp(rng, 1.45))
        pose.set(side, "azim", rng.uniform(-0.2, 0.1))
        pose.set(side, "elbow", 2.1 - 2.0 * _rep(t, rng, 1.5, 4))
        pose.set(_other(side), "elev", rng.uniform(0.9, 1.3))
        pose.set(_other(side), "elbow", rng.uniform(1.8, 2.2))
    return draw


def _curl(side):
    def draw(pose, t, rng):
        pose.set(side, "elev", rng.uniform(0.0, 0.2))
        pose.set(side, "elbow", _rep(t, rng, 2, 5) * _amp(rng, 2.2))
    return draw


def _clap(pose, t, rng):
    r = _rep(t, rng, 3, 7)
    pose.set("both", "elev", rng.uniform(1.1, 1.45))
    pose.set("both", "azim", 0.8 - r * rng.uniform(0.85, 1.0))
    pose.set("both", "elbow", rng.uniform(0.4, 0.8))


def _push(pose, t, rng):
    pose.set("both", "elev", rng.uniform(1.3, 1.6))
    pose.set("both", "azim", rng.uniform(0.0, 0.2))
    pose.set("both", "elbow", 1.9 - 1.8 * _rep(t, rng, 1, 3))


def _swipe(side, towards):
    """The arm level in front, swept across towards the body's other side or out to its own."""
    def draw(pose, t, rng):
        e = _once(t, rng, hold=0.05)
        inward = (towards == "left") == (side == "right")
        start, end = (1.3, -0.6) if inward else (-0.6, 1.3)
        sweep = np.clip((t - t[np.argmax(e > 0.5)]) / rng.uniform(0.15, 0.3), 0, 1)
        pose.set(side, "elev", e * rng.uniform(1.3, 1.6))
        pose.set(side, "azim", start + (end - start) * sweep)
    return draw


def _circle(side):
    def draw(pose, t, rng):
        e = _once(t, rng, hold=rng.uniform(0.3, 0.5))
        phase, _ = _cycles(t, rng, 1, 3)
        direction = rng.choice([-1.0, 1.0])
        pose.set(side, "elev", e * (1.45 + 0.45 * np.cos(phase)))
        pose.set(side, "azim", e * (0.1 + 0.5 * direction * np.sin(phase)))
        pose.set(side, "elbow", e * 0.3)
    return draw


def _throw(side):
    def draw(pose, t, rng):
        windup = _once(t, rng, hold=0.1)
        at = rng.uniform(0.45, 0.65)
        release = 0.5 + 0.5 * np.tanh((t - at) / 0.03)
        pose.set(side, "elev", windup * (2.8 - 1.6 * release))
        pose.set(side, "azim", windup * (0.9 - 0.8 * release))
        pose.set(side, "elbow", windup * (1.8 - 1.6 * release))
        pose.pitch = release * windup * rng.uniform(0.1, 0.3)
    return draw


def _held_arms(hold, elev, azim, elbow=None):
    """Both arms brought to one pose and held there (`hold`: (low, high) share of the clip); each angle drawn
    per clip from its (low, high) range; no elbow range: straight arms."""
    def draw(pose, t, rng):
        e = _once(t, rng, hold=rng.uniform(*hold))
        for field, span in (("elev", elev), ("azim", azim), ("elbow", elbow)):
            if span is not None:
                pose.set("both", field, e * rng.uniform(*span))
    return draw


def _bow(pose, t, rng):
    pose.pitch = _once(t, rng) * _amp(rng, 0.9)
    pose.set("both", "elev", pose.pitch * 0.9)


def _lean(side):
    def draw(pose, t, rng):
        pose.roll = _once(t, rng) * _amp(rng, 0.35) * (1 if side == "right" else -1)
        pose.set(_other(side), "elev", np.abs(pose.roll) * 1.5)
    return draw


def _kick(side):
    def draw(pose, t, rng):
        e = _once(t, rng, hold=0.02)
        pose.set(side, "hip", e * _amp(rng, 1.25))
        pose.set(side, "knee", 3.12 * e * (1 - e))  # bent on the way up and down, straight at the top
        pose.set("both", "elev", e * 0.3)
        pose.pitch = -e * 0.1
    return draw


def _knee_up(side):
    def draw(pose, t, rng):
        e = _once(t, rng)
        pose.set(side, "hip", e * _amp(rng, 1.45))
        pose.set(side, "knee", e * _amp(rng, 1.8))
    return draw


def _squat(pose, t, rng):
    d = _rep(t, rng, 1, 3) * _amp(rng, 1.0)
    pose.set("both", "hip", d * 1.3)
    pose.set("both", "knee", d * 2.1)
    pose.pitch = d * 0.45
    pose.set("both", "elev", d * rng.uniform(0.0, 1.5))


def _sit_down(pose, t, rng):
    d = _ramp(t, rng)
    pose.set("both", "hip", d * 1.5)
    pose.set("both", "knee", d * 1.55)
    pose.pitch = d * (0.3 - 0.1 * d)


def _stand_up(pose, t, rng):
    _sit_down(pose, t, rng)
    for field in ("left_hip", "right_hip", "left_knee", "right_knee", "pitch"):
        setattr(pose, field, getattr(pose, field)[::-1].copy())


def _jump(pose, t, rng):
    phase, env = _cycles(t, rng, 1, 4)
    s = np.sin(phase)
    pose.lift = env * np.clip(s, 0, None) * _amp(rng, 0.25)
    crouch = env * np.clip(-s, 0, None)
    pose.set("both", "hip", crouch * 0.6)
    pose.set("both", "knee", crouch * 1.0)
    pose.set("both", "elev", env * (0.3 + 0.4 * s))


def _jumping_jacks(pose, t, rng):
    phase, env = _cycles(t, rng, 2, 5)
    open_ = env * (0.5 - 0.5 * np.cos(phase))
    pose.set("both", "elev", open_ * _amp(rng, 2.7))
    pose.set("both", "azim", 1.5)
    pose.set("both", "abduct", open_ * 0.3)
    pose.lift = env * np.abs(np.sin(phase)) * 0.08


def _lunge(side):
    def draw(pose, t, rng):
        e = _once(t, rng)
        pose.set(side, "hip", e * _amp(rng, 1.0))
        pose.set(side, "knee", e * 1.2)
        pose.set(_other(side), "hip", -e * 0.5)
        pose.set(_other(side), "knee", e * 0.9)
        pose.z = -e * rng.uniform(0.25, 0.45)
    return draw


def _march(pose, t, rng):
    phase, env = _cycles(t, rng, 2, 5)
    for side, shift in (("left", 0.0), ("right", np.pi)):
        up = env * np.clip(np.sin(phase + shift), 0, None)
        pose.set(side, "hip", up * _amp(rng, 1.0))
        pose.set(side, "knee", up * 1.4)
        pose.set(side, "elev", env * 0.5 * np.clip(np.sin(phase + shift + np.pi), 0, None))


def _locomote(direction, speed_range, run=False):
    """Walking or running along `direction` ("forward", "backward", "left", "right")."""
    def draw(pose, t, rng):
        seconds = (len(t) - 1) / FPS
        speed = rng.uniform(*speed_range)
        cadence = (2.6 if run else 1.8) * rng.uniform(0.9, 1.1)  # strides a second
        env = np.clip(t / 0.1, 0, 1)
        phase = 2 * np.pi * cadence * seconds * t
        _step_cycle(pose, phase, env, stride=0.75 if run else 0.45, knee=1.6 if run else 0.9,
                    arms=0.7 if run else 0.35)
        if run:
            pose.set("both", "elbow", 1.5)
            pose.pitch = env * 0.15
            pose.lift = env * 0.05 * np.abs(np.sin(phase))
        dist = np.cumsum(env) / FPS * speed
        if direction in ("left", "right"):
            for side in ("left", "right"):
                pose.set(side, "hip", getattr(pose, f"{side}_hip") * 0.3)
                pose.set(side, "abduct", env * 0.18 * np.abs(np.sin(phase / 2 + (side == "left") * np.pi / 2)))
            pose.x = dist * (1 if direction == "right" else -1)
        else:
            pose.z = -dist if direction == "forward" else dist
            if direction == "backward":
                for side in ("left", "right"):
                    pose.set(side, "hip", -getattr(pose, f"{side}_hip"))
    return draw


def _jog_in_place(pose, t, rng):
    phase, env = _cycles(t, rng, 4, 8)
    _step_cycle(pose, phase, env, stride=0.5, knee=1.4, arms=0.6)
    pose.set("both", "elbow", 1.5)
    pose.lift = env * 0.04 * np.abs(np.sin(phase))


def _turn(pose, t, rng):
    phase, env = _cycles(t, rng, 1.5, 3)
    _step_cycle(pose, phase, env, stride=0.15, knee=0.6, arms=0.1)
    pose.yaw = _ramp(t, rng) * rng.choice([-1.0, 1.0]) * rng.uniform(2.6, 3.4)


# --- the hand placed by its position: everyday actions and gestures ----------------------------------

# where a hand goes, and roughly where its elbow sits meanwhile (a hint: the wrist is matched, the elbow only as near
# as the arm's lengths allow), relative to the neck in the upper body's own frame (x the body's right, y up, z back),
# for the right arm (the left mirrors x), metres for a body of the mean size
_SPOTS = {  # name: (wrist, elbow)
    "mouth": ((0.02, 0.09, -0.13), (0.24, -0.27, -0.10)), "ear": ((0.11, 0.13, -0.02), (0.38, -0.12, -0.10)),
    "crown": ((0.04, 0.29, -0.03), (0.38, 0.12, -0.06)), "face": ((0.03, 0.13, -0.15), (0.20, -0.25, -0.16)),
    "forehead": ((0.05, 0.19, -0.12), (0.42, -0.02, -0.10)), "hip": ((0.24, -0.40, 0.0), (0.40, -0.24, 0.06)),
    "watch": ((0.02, -0.18, -0.32), (0.20, -0.30, -0.10)),
}
_NOMINAL = Body({"pelvis_spine": 0.10, "spine_neck": 0.32, "neck_head": 0.17, "shoulder": 0.17, "upper_arm": 0.28,
                 "forearm": 0.25, "hip": 0.09, "thigh": 0.43, "shank": 0.41})
_IK: dict = {}


def _arm_angles(side: str, spot: str):
    """(elev, azim, elbow, twist) that put the `side` wrist at `_SPOTS[spot]`, the elbow near its hint (the mean
    body; the same angles serve every body): least squares on the arm's own forward kinematics."""
    if (side, spot) not in _IK:
        from scipy.optimize import least_squares

        sign = np.array([1.0 if side == "right" else -1.0, 1.0, 1.0])
        wrist_at, elbow_at = (np.array(p) * sign for p in _SPOTS[spot])
        shoulder = np.array([[sign[0] * _NOMINAL.lengths["shoulder"], -0.03, 0.0]])

        def residual(a):
            pose = Pose(np.zeros(1))
            for field, value in zip(("elev", "azim", "elbow", "twist"), a):
                pose.set(side, field, value)
            elbow, wrist = _arm(pose, side, shoulder, np.eye(3)[None], _NOMINAL)
            return np.r_[wrist[0] - wrist_at, 0.2 * (elbow[0] - elbow_at)]

        fit = least_squares(residual, x0=[0.8, 0.4, 1.8, 0.0], bounds=([0.0, -1.5, 0.0, -3.1], [3.1, 3.1, 2.9, 3.1]))
        _IK[(side, spot)] = fit.x
    return _IK[(side, spot)]


def _hand_to(pose: Pose, side: str, spot: str, env, rng):
    """Bring the `side` hand ("both": each) to a spot of the body, `env` (0..1) of the way from hanging."""
    for s in (("left", "right") if side == "both" else (side,)):
        angles = _arm_angles(s, spot) + rng.normal(0, 0.05, 4)
        for field, value in zip(("elev", "azim", "elbow", "twist"), angles):
            pose.set(s, field, env * value)


def _hand(rng) -> str:
    """The hand a one-handed action uses: the right three times in four."""
    return "right" if rng.random() < 0.75 else "left"


def _at_spot(spot, both=False, hold=None, wiggle=None):
    """One hand (or both) to a spot and held there (`hold`: (low, high) share of the clip), `wiggle` (field,
    amount, (low, high) cycles): a small repeated movement while there (brushing, combing, scratching)."""
    def draw(pose, t, rng):
        sides = ("left", "right") if both else (_hand(rng),)
        e = _once(t, rng, hold=rng.uniform(*hold) if hold else None)
        for side in sides:
            _hand_to(pose, side, spot, e, rng)
        if wiggle is not None:
            field, amount, cycles = wiggle
            phase, _ = _cycles(t, rng, *cycles)
            there = np.clip((e - 0.8) / 0.2, 0, 1)
            for side in sides:
                pose.set(side, field, getattr(pose, f"{side}_{field}") + there * amount * np.sin(phase))
    return draw


def _eat(pose, t, rng):
    side = _hand(rng)
    r = _rep(t, rng, 2, 4)
    _hand_to(pose, side, "mouth", r, rng)


def _look_at_watch(pose, t, rng):
    side = "left" if rng.random() < 0.75 else "right"
    e = _once(t, rng, hold=rng.uniform(0.3, 0.5))
    _hand_to(pose, side, "watch", e, rng)
    pose.pitch = e * rng.uniform(0.05, 0.2)


def _salute(pose, t, rng):
    e = _once(t, rng, hold=rng.uniform(0.2, 0.4))
    _hand_to(pose, "right", "forehead", np.clip(e * 1.6, 0, 1), rng)


# --- arm gestures ---------------------------------------------------------------------------------

def _point(pose, t, rng):
    side = _hand(rng)
    e = _once(t, rng, hold=rng.uniform(0.2, 0.45))
    pose.set(side, "elev", e * rng.uniform(1.4, 1.9))
    pose.set(side, "azim", e * rng.uniform(-0.3, 0.7))
    pose.set(side, "elbow", e * rng.uniform(0.0, 0.15))


def _hammer(pose, t, rng):
    side = _hand(rng)
    e = _once(t, rng, hold=rng.uniform(0.35, 0.5))
    r = _rep(t, rng, 3, 7)
    pose.set(side, "elev", e * (rng.uniform(0.6, 0.9) + 0.3 * r))
    pose.set(side, "azim", e * rng.uniform(0.0, 0.4))
    pose.set(side, "elbow", e * (1.1 + 1.0 * r))
    pose.pitch = e * rng.uniform(0.1, 0.3)


def _knock(pose, t, rng):
    side = _hand(rng)
    e = _once(t, rng, hold=rng.uniform(0.3, 0.45))
    phase, _ = _cycles(t, rng, 3, 6)
    taps = np.clip((e - 0.8) / 0.2, 0, 1) * np.clip(np.sin(phase), 0, None) ** 2
    pose.set(side, "elev", e * rng.uniform(1.0, 1.3) - 0.15 * taps)
    pose.set(side, "azim", e * rng.uniform(0.1, 0.4))
    pose.set(side, "elbow", e * 1.9 - 0.5 * taps)


def _shake_hands(pose, t, rng):
    e = _once(t, rng, hold=rng.uniform(0.35, 0.5))
    phase, _ = _cycles(t, rng, 2, 4)
    shake = np.clip((e - 0.8) / 0.2, 0, 1) * 0.15 * np.sin(phase)
    pose.set("right", "elev", e * rng.uniform(0.6, 0.8) + shake)
    pose.set("right", "azim", e * rng.uniform(-0.1, 0.2))
    pose.set("right", "elbow", e * rng.uniform(0.6, 0.9))
    pose.z = -e * rng.uniform(0.0, 0.25)


def _beckon(pose, t, rng):
    side = _hand(rng)
    e = _once(t, rng, hold=rng.uniform(0.35, 0.5))
    r = _rep(t, rng, 2, 5)
    pose.set(side, "elev", e * rng.uniform(0.9, 1.3))
    pose.set(side, "azim", e * rng.uniform(0.0, 0.4))
    pose.set(side, "elbow", e * (0.3 + 1.5 * r))


def _catch(pose, t, rng):
    reach = _once(t, rng, hold=0.05)
    grab = _ramp(t, rng) * reach
    pose.set("both", "elev", reach * (rng.uniform(1.3, 1.6) - 0.5 * grab))
    pose.set("both", "azim", reach * 0.15)
    pose.set("both", "elbow", reach * (0.2 + 1.6 * grab))


def _pull(pose, t, rng):
    e = _once(t, rng, hold=rng.uniform(0.35, 0.5))
    r = _rep(t, rng, 1, 3)
    pose.set("both", "elev", e * (rng.uniform(1.2, 1.5) - 0.4 * r))
    pose.set("both", "azim", e * rng.uniform(0.0, 0.2))
    pose.set("both", "elbow", e * (0.1 + 1.7 * r))
    pose.pitch = -e * r * rng.uniform(0.1, 0.25)


def _arm_circles(pose, t, rng):
    e = _once(t, rng, hold=rng.uniform(0.4, 0.55))
    phase, _ = _cycles(t, rng, 3, 6)
    pose.set("both", "elev", e * (np.pi / 2 + 0.3 * np.sin(phase)))
    pose.set("both", "azim", e * (1.45 + 0.3 * np.cos(phase)))


def _cheer(pose, t, rng):
    e = _once(t, rng, hold=rng.uniform(0.35, 0.5))
    r = _rep(t, rng, 2, 5)
    pose.set("both", "elev", e * (rng.uniform(2.5, 2.9) - 0.6 * r))
    pose.set("both", "azim", e * rng.uniform(0.3, 0.8))
    pose.set("both", "elbow", e * (0.2 + 1.4 * r))


def _hug(pose, t, rng):
    e = _once(t, rng, hold=rng.uniform(0.3, 0.5))
    close = np.clip((e - 0.5) / 0.5, 0, 1)
    pose.set("both", "elev", e * rng.uniform(1.2, 1.5))
    pose.set("both", "azim", e * (0.9 - 1.3 * close))
    pose.set("both", "elbow", e * (0.3 + 1.0 * close))
    pose.z = -e * rng.uniform(0.1, 0.3)


def _hands_up(pose, t, rng):
    e = _once(t, rng, hold=rng.uniform(0.35, 0.55))
    for side, sign in (("left", -1.0), ("right", 1.0)):
        pose.set(side, "elev", e * rng.uniform(1.4, 1.7))
        pose.set(side, "azim", e * rng.uniform(1.3, 1.6))
        pose.set(side, "elbow", e * rng.uniform(1.4, 1.7))
        pose.set(side, "twist", e * sign * np.pi / 4)


def _swing(hands, strokes):
    """A swing through `strokes`: (share of the clip, where the hands point: phi (radians, + to the body's right),
    elev, elbow, waist turn), the shares rising from 0 to 1; one hand or both (`hands`)."""
    def draw(pose, t, rng):
        side = _hand(rng) if hands == "one" else "right"
        mirror = 1.0 if side == "right" else -1.0
        start, length = rng.uniform(0.05, 0.2), rng.uniform(0.65, 0.8)
        u = np.clip((t - start) / length, 0, 1)
        at = np.array([s[0] for s in strokes])
        curve = np.array([np.interp(u, at, [s[k] for s in strokes]) for k in range(1, 5)])
        phi, elev, elbow, waist = curve * _amp(rng)
        fade = np.clip(np.minimum(t - start, start + length + 0.15 - t) / 0.1, 0, 1)
        arms = (side,) if hands == "one" else ("left", "right")
        for s in arms:
            own = mirror * (1.0 if s == "right" else -1.0)
            pose.set(s, "elev", fade * elev)
            pose.set(s, "azim", fade * own * phi)
            pose.set(s, "elbow", fade * elbow)
        pose.waist = fade * mirror * waist
    return draw


def _tennis_serve(pose, t, rng):
    side = _hand(rng)
    toss = _once(t, rng, hold=0.1)
    hit = 0.5 + 0.5 * np.tanh((t - rng.uniform(0.5, 0.65)) / 0.04)
    pose.set(_other(side), "elev", toss * (2.7 - 1.8 * hit))
    pose.set(side, "elev", toss * (2.5 + 0.4 * hit) * (1 - 0.6 * hit))
    pose.set(side, "azim", toss * (1.0 - 0.9 * hit))
    pose.set(side, "elbow", toss * 2.0 * (1 - hit))
    pose.pitch = toss * (-0.15 + 0.45 * hit)


def _bowl(pose, t, rng):
    side = _hand(rng)
    u = np.clip((t - rng.uniform(0.05, 0.2)) / rng.uniform(0.6, 0.75), 0, 1)
    swing = np.interp(u, [0, 0.35, 0.7, 1.0], [0.0, -1.3, 1.3, 0.4])  # back, then through and up in front
    pose.set(side, "elev", np.abs(swing))
    pose.set(side, "azim", np.where(swing < 0, np.pi, 0.0))
    step = np.clip((u - 0.3) / 0.4, 0, 1) * np.clip((1.3 - u) / 0.3, 0, 1)
    front = _other(side)
    pose.set(front, "hip", step * 1.0)
    pose.set(front, "knee", step * 1.3)
    pose.set(side, "hip", -step * 0.4)
    pose.set(side, "knee", step * 0.8)
    pose.pitch = step * rng.uniform(0.4, 0.6)
    pose.z = -step * rng.uniform(0.3, 0.6)


def _shoot_basketball(pose, t, rng):
    e = _once(t, rng, hold=0.05)
    push = 0.5 + 0.5 * np.tanh((t - t[np.argmax(e > 0.9)]) / 0.05) if (e > 0.9).any() else e
    dip = e * (1 - push)
    pose.set("both", "elev", e * (0.9 + 1.7 * push))
    pose.set("both", "azim", e * (-0.2 + 0.3 * push))
    pose.set("both", "elbow", e * (2.2 - 1.9 * push))
    pose.set("both", "hip", dip * 0.6)
    pose.set("both", "knee", dip * 1.0)
    pose.lift = e * push * np.clip(1 - t, 0, 1) * rng.uniform(0.0, 0.15)


def _trace(points):
    """The straight arm draws a figure in the air before the body: `points` (across, up), radians from
    pointing straight ahead at shoulder height, taken in order at an even speed."""
    pts = np.asarray(points, dtype=np.float64)

    def draw(pose, t, rng):
        side = _hand(rng)
        mirror = 1.0 if side == "right" else -1.0
        e = _once(t, rng, hold=rng.uniform(0.45, 0.6))
        inside = np.flatnonzero(e > 0.95)
        u = np.zeros_like(t) if len(inside) < 2 else np.clip((t - t[inside[0]]) / (t[inside[-1]] - t[inside[0]]), 0, 1)
        seg = np.r_[0, np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))]
        s = u * seg[-1]
        size = _amp(rng)
        across, up = np.interp(s, seg, pts[:, 0]) * size, np.interp(s, seg, pts[:, 1]) * size
        pose.set(side, "elev", e * (np.pi / 2 + up))
        pose.set(side, "azim", e * mirror * across)
        pose.set(side, "elbow", e * 0.25)
    return draw


# --- the whole body -------------------------------------------------------------------------------

def _pick_up(pose, t, rng):
    e = _once(t, rng, hold=0.05)
    holding = (t > t[np.argmax(e)]).astype(np.float64)
    pose.pitch = e * rng.uniform(1.0, 1.3)
    pose.set("both", "hip", e * rng.uniform(0.8, 1.3))
    pose.set("both", "knee", e * rng.uniform(1.0, 1.8))
    sides = ("left", "right") if rng.random() < 0.4 else (_hand(rng),)
    for side in sides:  # the arm reaches straight down to the floor, then comes up bent, holding the object
        pose.set(side, "elev", pose.pitch * 1.05 + holding * (1 - e) * 0.5)
        pose.set(side, "elbow", holding * (1 - e) * 1.2)


def _carry(pose, t, rng):
    _locomote("forward", (0.6, 1.2))(pose, t, rng)
    pose.set("both", "elev", rng.uniform(0.6, 0.9))
    pose.set("both", "azim", rng.uniform(-0.2, 0.1))
    pose.set("both", "elbow", rng.uniform(1.2, 1.6))


def _touch_toes(pose, t, rng):
    e = _once(t, rng, hold=rng.uniform(0.15, 0.3))
    pose.pitch = e * _amp(rng, 1.35)
    pose.set("both", "elev", pose.pitch * 0.95)  # the arms hang straight down to the feet
    pose.set("both", "knee", e * rng.uniform(0.0, 0.3))


def _kneel(pose, t, rng):
    d = _ramp(t, rng)
    front = _hand(rng)
    pose.set(front, "hip", d * 1.5)
    pose.set(front, "knee", d * 1.5)
    pose.set(_other(front), "hip", -d * 0.1)
    pose.set(_other(front), "knee", d * 1.65)


def _fall(pose, t, rng):
    start, length = rng.uniform(0.15, 0.4), rng.uniform(0.1, 0.2)
    d = np.clip((t - start) / length, 0, 1) ** 2
    pose.set("both", "hip", d * rng.uniform(0.7, 1.1))
    pose.set("both", "knee", d * rng.uniform(2.0, 2.5))
    pose.pitch = d * rng.uniform(0.9, 1.3)
    pose.set("both", "elev", d * rng.uniform(1.0, 1.5))
    pose.z = -d * rng.uniform(0.1, 0.4)


def _side_kick(pose, t, rng):
    side = _hand(rng)
    e = _once(t, rng, hold=0.02)
    pose.set(side, "abduct", e * _amp(rng, 0.9))
    pose.set(side, "knee", 1.5 * e * (1 - e))
    pose.roll = -e * (0.35 if side == "right" else -0.35)


def _hop(pose, t, rng):
    side = _hand(rng)
    phase, env = _cycles(t, rng, 2, 5)
    pose.set(_other(side), "hip", env * rng.uniform(0.2, 0.5))
    pose.set(_other(side), "knee", env * rng.uniform(1.2, 1.7))
    pose.set(side, "knee", env * 0.35 * np.clip(-np.sin(phase), 0, None))
    pose.lift = env * np.clip(np.sin(phase), 0, None) * rng.uniform(0.08, 0.15)
    pose.set("both", "elev", env * rng.uniform(0.2, 0.6))


def _jump_forward(pose, t, rng):
    at, air = rng.uniform(0.35, 0.55), rng.uniform(0.12, 0.18)
    crouch = np.exp(-((t - at + air) / 0.1) ** 2) + np.exp(-((t - at - air) / 0.1) ** 2) * 0.8
    flight = np.clip(1 - ((t - at) / air) ** 2, 0, None)
    pose.lift = flight * rng.uniform(0.15, 0.3)
    pose.z = -np.clip((t - at + air) / (2 * air), 0, 1) * rng.uniform(0.6, 1.2)
    pose.set("both", "hip", crouch * 0.8 + flight * 0.5)
    pose.set("both", "knee", crouch * 1.2 + flight * 0.6)
    pose.pitch = crouch * 0.4
    pose.set("both", "elev", np.clip(crouch * -1.0 + flight * 2.0, 0, None))
    pose.set("both", "azim", np.where(crouch > flight, np.pi, 0.0))


def _walk_circle(pose, t, rng):
    seconds = (len(t) - 1) / FPS
    cadence = 1.8 * rng.uniform(0.9, 1.1)
    env = np.clip(t / 0.1, 0, 1)
    _step_cycle(pose, 2 * np.pi * cadence * seconds * t, env)
    pose.yaw = rng.choice([-1.0, 1.0]) * 2 * np.pi * rng.uniform(0.6, 1.0) * t
    step = env * rng.uniform(0.7, 1.1) / FPS
    pose.x = np.cumsum(step * np.sin(pose.yaw))
    pose.z = np.cumsum(-step * np.cos(pose.yaw))


def _stairs(pose, t, rng):
    seconds = (len(t) - 1) / FPS
    phase = 2 * np.pi * 0.9 * rng.uniform(0.8, 1.1) * seconds * t
    env = np.clip(t / 0.1, 0, 1)
    _step_cycle(pose, phase, env, stride=0.7, knee=1.5, arms=0.3)
    steps = phase / np.pi  # a step every half cycle
    pose.lift = env * rng.uniform(0.15, 0.19) * (np.floor(steps) + (0.5 - 0.5 * np.cos(np.pi * (steps % 1))))
    pose.z = -env * steps * rng.uniform(0.25, 0.32)
    pose.pitch = env * 0.15


def _stagger(pose, t, rng):
    _locomote("forward", (0.4, 0.8))(pose, t, rng)
    phase, env = _cycles(t, rng, 1, 2.5)
    pose.roll = env * rng.uniform(0.15, 0.3) * np.sin(phase)
    pose.x = env * rng.uniform(0.15, 0.35) * np.sin(phase)
    pose.set("both", "azim", env * 0.9 * np.abs(np.sin(phase)))
    pose.set("both", "elev", env * 0.6 * np.abs(np.sin(phase)))


def _twist_waist(pose, t, rng):
    e = _once(t, rng, hold=rng.uniform(0.5, 0.6))
    _hand_to(pose, "both", "hip", e, rng)
    phase, _ = _cycles(t, rng, 1.5, 3)
    pose.waist = np.clip((e - 0.8) / 0.2, 0, 1) * _amp(rng, 0.7) * np.sin(phase)


def _sides(make, text, desc):
    return [(text.format(side=s), desc.format(side=s), make(s)) for s in ("left", "right")]


# (class name, a sentence, the movement): written in our own words, one movement per class
MOVEMENTS: list[tuple[str, str, Callable]] = [
    *_sides(_raise_forward, "raise the {side} arm forward", "lifts the straight {side} arm to shoulder height in "
            "front of the body, then lowers it"),
    *_sides(_raise_side, "raise the {side} arm to the side", "lifts the {side} arm sideways until it is level "
            "with the shoulder, then lowers it"),
    *_sides(_raise_overhead, "raise the {side} hand above the head", "reaches the {side} hand up high above the "
            "head and brings it down again"),
    ("raise both hands above the head", "lifts both arms straight up over the head, then lowers them",
     lambda pose, t, rng: _raise_overhead("both")(pose, t, rng)),
    *_sides(_wave, "wave the {side} hand", "holds the {side} hand up and swings it from side to side"),
    ("wave both hands", "holds both hands up and swings them from side to side",
     lambda pose, t, rng: _wave("both")(pose, t, rng)),
    *_sides(_punch, "punch forward with the {side} fist", "keeps the fists up and jabs the {side} fist "
            "straight ahead, again and again"),
    *_sides(_curl, "curl the {side} arm", "bends the {side} elbow to bring the hand up to the shoulder and "
            "straightens it, several times"),
    ("curl both arms", "bends both elbows to bring the hands up to the shoulders and straightens them",
     lambda pose, t, rng: _curl("both")(pose, t, rng)),
    ("clap the hands", "claps the palms together in front of the chest several times", _clap),
    ("push forward with both hands", "pushes both hands straight out in front of the chest", _push),
    *_sides(lambda s: _swipe(s, "left"), "swipe the {side} hand to the left", "sweeps the level {side} arm "
            "across in front of the body towards the left"),
    *_sides(lambda s: _swipe(s, "right"), "swipe the {side} hand to the right", "sweeps the level {side} arm "
            "across in front of the body towards the right"),
    *_sides(_circle, "draw a circle with the {side} hand", "moves the {side} hand round in a big circle in the "
            "air in front of the body"),
    *_sides(_throw, "throw with the {side} arm", "brings the {side} hand back behind the head and flings it "
            "forward to throw"),
    ("cross the arms over the chest", "folds both forearms across the front of the chest and holds them",
     _held_arms((0.3, 0.5), elev=(1.2, 1.5), azim=(-0.7, -0.5), elbow=(1.8, 2.2))),
    ("bend forward at the waist", "bows the upper body forward and straightens up again", _bow),
    *_sides(_lean, "lean to the {side}", "tilts the upper body sideways towards the {side} and back upright"),
    *_sides(_kick, "kick forward with the {side} leg", "swings the {side} foot forward and up in a quick kick"),
    *_sides(_knee_up, "raise the {side} knee", "lifts the {side} knee up in front to hip height and puts the "
            "foot down"),
    ("squat down and stand up", "bends both knees to lower the hips and rises again", _squat),
    ("sit down", "bends the knees and lowers the hips back as if onto a chair, and stays there", _sit_down),
    ("stand up", "rises from a seat to standing", _stand_up),
    ("jump in place", "crouches a little and jumps straight up, landing on the same spot", _jump),
    ("jumping jacks", "jumps while spreading the legs and swinging the arms up over the head, then back together",
     _jumping_jacks),
    *_sides(_lunge, "lunge forward with the {side} leg", "takes a long step forward with the {side} foot and "
            "bends both knees deeply"),
    ("march in place", "lifts the knees high one after the other without moving forward", _march),
    ("jog in place", "runs on the spot with bent arms", _jog_in_place),
    ("walk forward", "walks ahead in a straight line", _locomote("forward", (0.9, 1.5))),
    ("walk backward", "walks backwards, stepping behind", _locomote("backward", (0.4, 0.8))),
    ("walk to the left", "steps sideways towards the left", _locomote("left", (0.3, 0.6))),
    ("walk to the right", "steps sideways towards the right", _locomote("right", (0.3, 0.6))),
    ("run forward", "runs ahead quickly", _locomote("forward", (2.5, 4.0), run=True)),
    ("turn around", "turns the whole body round to face the other way, stepping on the spot", _turn),
]

# Everyday actions and gestures, added 2026-12-07: hands brought to the body, arm gestures, sports swings, figures
# drawn in the air and whole-body actions, from a general vocabulary of human actions; one hand (the right three
# times in four) where the name does not say which.
MOVEMENTS += [
    ("drink from a cup", "raises a cup to the mouth with one hand, drinks, and lowers it", _at_spot("mouth")),
    ("eat a snack", "brings food to the mouth with one hand several times", _eat),
    ("talk on the phone", "holds a phone to the ear with one hand", _at_spot("ear", hold=(0.4, 0.6))),
    ("brush the teeth", "holds a toothbrush at the mouth and moves it from side to side",
     _at_spot("mouth", hold=(0.4, 0.6), wiggle=("azim", 0.25, (4, 8)))),
    ("comb the hair", "runs one hand over the top of the head from front to back, again and again",
     _at_spot("crown", hold=(0.4, 0.6), wiggle=("elev", 0.25, (2, 4)))),
    ("scratch the head", "puts one hand on the head and scratches it",
     _at_spot("crown", hold=(0.3, 0.5), wiggle=("elbow", 0.12, (4, 8)))),
    ("wipe the face", "rubs the face with both hands",
     _at_spot("face", both=True, hold=(0.3, 0.5), wiggle=("elev", 0.2, (2, 4)))),
    ("put both hands on the head", "places both hands on top of the head and keeps them there",
     _at_spot("crown", both=True, hold=(0.3, 0.5))),
    ("put the hands on the hips", "rests both hands on the hips, elbows out",
     _at_spot("hip", both=True, hold=(0.3, 0.5))),
    ("salute", "raises the right hand smartly to the forehead and holds it", _salute),
    ("look at the wristwatch", "raises one forearm in front of the chest and looks at the wrist", _look_at_watch),
    ("point at something", "stretches one arm out to point ahead", _point),
    ("hammer a nail", "strikes down again and again with one hand as if holding a hammer", _hammer),
    ("knock on a door", "raises one hand and raps the knuckles forward a few times", _knock),
    ("shake hands", "reaches the right hand forward at waist height and shakes it up and down", _shake_hands),
    ("beckon someone over", "holds one hand forward and waves it back towards the body to call someone over",
     _beckon),
    ("catch a ball", "reaches both hands forward and pulls them in to the chest as if catching something", _catch),
    ("pull with both hands", "grips something in front with both hands and pulls it back towards the body", _pull),
    ("aim a gun with both hands", "holds both hands together out in front at eye level, aiming",
     _held_arms((0.35, 0.55), elev=(1.4, 1.6), azim=(-0.45, -0.3), elbow=(0.1, 0.3))),
    ("swing the arms in circles", "holds both arms out to the sides and turns them in small circles", _arm_circles),
    ("stretch the arms out to the sides", "spreads both straight arms out level with the shoulders and holds them",
     _held_arms((0.3, 0.5), elev=(1.45, 1.65), azim=(1.4, 1.6))),
    ("cheer with both arms up", "throws both arms up over the head and pumps the fists", _cheer),
    ("hug someone", "opens both arms and wraps them round in front of the chest as if embracing a person", _hug),
    ("put the hands up", "raises both hands beside the head, elbows bent, palms forward, as if surrendering",
     _hands_up),
    ("swing a tennis racket", "turns the body and swings one arm from the side across the front of the body",
     _swing("one", [(0, 1.3, 1.2, 0.4, 0.5), (0.45, 1.9, 1.3, 0.3, 0.7), (0.75, -0.2, 1.4, 0.2, -0.3),
                    (1.0, -0.9, 1.6, 0.6, -0.6)])),
    ("serve a tennis ball", "tosses with one hand, brings the other arm up behind the head and swings it over",
     _tennis_serve),
    ("swing a golf club", "holds both hands low together, turns to swing them up behind the shoulder and "
     "then down and through", _swing("both", [(0, 0.0, 0.5, 0.1, 0.0), (0.3, 0.2, 0.5, 0.1, 0.0),
                                              (0.6, 1.2, 2.2, 0.9, 0.8), (0.8, -0.1, 0.6, 0.1, -0.2),
                                              (1.0, -1.0, 2.1, 0.8, -0.8)])),
    ("swing a baseball bat", "holds both hands up by the shoulder, then turns and swings them level round "
     "the body", _swing("both", [(0, 1.0, 1.9, 1.9, 0.5), (0.45, 1.2, 2.0, 1.9, 0.6), (0.7, 0.0, 1.4, 0.4, -0.2),
                                  (1.0, -1.1, 1.5, 1.0, -0.8)])),
    ("bowl a ball", "swings one arm back and then forward low while stepping and bending forward to roll a ball",
     _bowl),
    ("shoot a basketball", "bends the knees with both hands at the chest and pushes them up and forward to shoot",
     _shoot_basketball),
    ("draw an X in the air", "draws a large cross in the air with one straight arm",
     _trace([(-0.5, 0.4), (0.5, -0.4), (0.5, 0.4), (-0.5, -0.4)])),
    ("draw a triangle in the air", "draws a large triangle in the air with one straight arm",
     _trace([(0.0, 0.45), (0.5, -0.35), (-0.5, -0.35), (0.0, 0.45)])),
    ("pick something up from the floor", "bends down, picks an object up off the floor and straightens up with it",
     _pick_up),
    ("carry a box", "walks while holding a box in front of the body with both arms", _carry),
    ("touch the toes", "bends forward at the hips with straight legs and reaches down to the feet", _touch_toes),
    ("kneel down", "lowers one knee to the ground and stays kneeling", _kneel),
    ("fall down", "suddenly collapses to the ground", _fall),
    ("kick to the side", "swings one leg out sideways in a kick", _side_kick),
    ("hop on one foot", "lifts one foot and hops up and down on the other", _hop),
    ("jump forward", "crouches, swings the arms and jumps forward with both feet", _jump_forward),
    ("walk in a circle", "walks round in a circle", _walk_circle),
    ("walk up the stairs", "climbs a flight of stairs step by step", _stairs),
    ("stagger", "walks unsteadily, swaying from side to side as if dizzy", _stagger),
    ("twist the waist", "puts the hands on the hips and turns the upper body left and right", _twist_waist),
]


def synthetic_skeletons(per_class: int = 20, performers: int = 10, seed: int = 0,
                        noise: float = 0.012) -> tuple[SkeletonSet, list[list[str]]]:
    """`per_class` clips of every movement of MOVEMENTS by `performers` generated bodies (each clip 1.5 to 4
    s at 30 fps, a random speed, size, timing and amount, a random turn and place, and Gaussian noise of
    `noise` metres on every joint), and each class's texts (its name and a sentence). Deterministic in
    `seed`."""
    if per_class < 1 or performers < 1:
        raise SadvaeError(f"synthetic motions: expected at least one clip a class and one performer, found "
                          f"{per_class} and {performers}")
    rng = np.random.default_rng(seed)
    bodies = [Body.draw(rng) for _ in range(performers)]
    sequences, labels, subjects, ids = [], [], [], []
    for c, (name, _, draw) in enumerate(MOVEMENTS):
        for i in range(per_class):
            p = i % performers
            frames = int(round(rng.uniform(1.5, 4.0) * FPS))
            t = np.linspace(0.0, 1.0, frames)
            pose = Pose(t)
            draw(pose, t, rng)
            pose.pitch = pose.pitch + rng.normal(0, 0.03) + 0.02 * np.sin(2 * np.pi * rng.uniform(0.2, 0.6) * t)
            seq = joints(pose, bodies[p])
            turn = _rotation(rng.uniform(-np.pi, np.pi), 1)
            seq = seq @ turn.T + np.array([rng.uniform(-1, 1), 0.0, rng.uniform(-3.5, -2.0)])
            seq = seq + rng.normal(0, noise, seq.shape)
            sequences.append(seq[:, None].astype(np.float32))
            labels.append(c)
            subjects.append(p + 1)
            ids.append(f"{name.replace(' ', '_')}_{i:03d}")
    skeletons = SkeletonSet(sequences=sequences, labels=np.asarray(labels, dtype=np.int64),
                            class_names=[m[0] for m in MOVEMENTS], layout=SHARED,
                            subjects=np.asarray(subjects, dtype=np.int64), sample_ids=ids, fps=FPS)
    return skeletons, [[name, f"a person {desc}"] for name, desc, _ in MOVEMENTS]


def synthetic_source(per_class: int = 20, seed: int = 0):
    """The generated motions as one more training dataset (`data.sources.Source`, named `synthetic`):
    training material only (nothing of it held out, its classes never drawn for validation)."""
    from .sources import Source

    skeletons, texts = synthetic_skeletons(per_class, seed=seed)
    return Source(skeletons, "synthetic", texts, "generated motions' names and sentences", train_only=True)
