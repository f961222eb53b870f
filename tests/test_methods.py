"""The methods sub-package: the registry, FS-VAE's pieces, MSF's fused text, the fast-path switch,
and a new method added in one class."""
import numpy as np
import pytest
import scipy.fft
import torch

from sadvae.methods import METHODS, TRAINED, Method, Replicated, TrainConfig, train_split
from sadvae.methods.fsvae import FSVAE, FrequencyReweight, dct_basis
from sadvae.methods.vae import ModelConfig, encode_skeleton, encode_text
from sadvae.pack.format import load_text
from sadvae.experiment.pipeline import run_all
from sadvae.experiment.config import choose_text_mode, resolve_config

FAST = dict(dataset="tiny", unseen=3, passes=2, semantic_dim=16, style_dim=4, lr=2e-3, seeds=[5], device="cpu")


def small_split(seed=0, n_classes=6, per_class=12, F=10, D=8):
    rng = np.random.default_rng(seed)
    text = rng.standard_normal((n_classes, D)).astype(np.float32)
    y = np.repeat(np.arange(3, n_classes), per_class)
    x = (text[y] @ rng.standard_normal((D, F)) + 0.1 * rng.standard_normal((len(y), F))).astype(np.float32)
    sets = {"unseen": (text[:3] @ rng.standard_normal((D, F))).astype(np.float32)}
    return x, y, text, np.arange(3), sets


def test_registry_names_every_method():
    assert set(METHODS) == {"sadvae", "no-tc", "naive", "fs-vae", "msf", "projection", "anchor"}
    for name, cls in TRAINED.items():
        assert cls.name == name


def test_dct_basis_is_scipys_orthonormal_dct():
    x = np.random.default_rng(0).standard_normal(20)
    basis = dct_basis(20).double().numpy()
    np.testing.assert_allclose(basis @ x, scipy.fft.dct(x, norm="ortho"), atol=1e-6)
    np.testing.assert_allclose(basis @ basis.T, np.eye(20), atol=1e-6)


def test_frequency_reweighting_at_initialisation():
    """256 channels: the three lowest bands amplified (1.30, 1.29, 1.28), the rest damped from 0.43 up
    to 0.69, the last coefficient untouched; the reweighting is x @ A with a symmetric A."""
    r = FrequencyReweight(1, 256)
    m = r.multipliers()[0].detach()
    assert m[0] == pytest.approx(1.3) and m[8] == pytest.approx(1.29) and m[24] == pytest.approx(1.28)
    assert m[25] == pytest.approx(0.43) and m[254] == pytest.approx(0.69) and m[255] == pytest.approx(1.0)
    x = torch.randn(1, 5, 256)
    a = r.matrix().detach()
    torch.testing.assert_close(r(x).detach(), x @ a[0], rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(a[0], a[0].T, rtol=1e-4, atol=1e-5)


def test_fs_vae_stores_encoders_with_the_reweighting_folded_in():
    cfg = TrainConfig(semantic_dim=6, style_dim=0, method="fs-vae")
    module = FSVAE(40, 24, cfg, [1, 2], torch.device("cpu"))
    with torch.no_grad():
        module.skeleton_reweight.band_weight.uniform_(0.5, 1.5)
        module.text_reweight.strength.fill_(0.6)
    x, t = torch.randn(9, 40), torch.nn.functional.normalize(torch.randn(4, 24), dim=-1)
    mcfg = ModelConfig(40, 24, 6, 0, "reference")
    for k in range(2):
        state = {n: v.unsqueeze(0) for n, v in module.replica_state(k).items()}
        with torch.no_grad():
            torch.testing.assert_close(encode_skeleton(state, x, mcfg)[0], module.semantic_mean(x)[k],
                                       rtol=1e-4, atol=1e-5)
            torch.testing.assert_close(encode_text(state, t, mcfg)[0][0], module.class_latents(t)[0][k],
                                       rtol=1e-4, atol=1e-5)


def test_fs_vae_learns_its_reweighting_and_runs_the_four_stages(tiny_pack_master):
    x, y, text, unseen, sets = small_split()
    cfg = TrainConfig(semantic_dim=6, style_dim=0, lr=1e-2, passes=3, batch_size=4, method="fs-vae")
    res = train_split(x, y, text, unseen, sets, cfg, [3], torch.device("cpu"), progress=False)
    assert res.loss_terms[-1] == "alignment" and np.isfinite(res.losses[:, -1]).all()
    run = run_all(resolve_config({**FAST, "resources": str(tiny_pack_master), "method": "fs-vae"}), progress=False)
    assert run.metrics()["method"] == "fs-vae" and np.isfinite(run.summary["zsl_top1"]["mean"])
    module = FSVAE(x.shape[1], text.shape[1], cfg, [3], torch.device("cpu"))
    from sadvae.methods.training import AutogradStep
    from sadvae.methods import Batch
    from sadvae.methods.schedule import LossWeights
    step = AutogradStep(module, 1e-2)
    t = torch.nn.functional.normalize(torch.as_tensor(text[y[:8]]), dim=-1)[None]
    step.step(Batch(torch.as_tensor(x[None, :8]), t, torch.as_tensor(y[None, :8])), LossWeights(0.1, 0.1, 1.0, 0.0),
              False)
    assert module.skeleton_reweight.strength.grad.abs().sum() > 0  # learned, not fixed
    assert module.text_reweight.band_weight.grad.abs().sum() > 0


def test_msf_fuses_every_description_type(tmp_path):
    assert choose_text_mode("msf", ["desc", "lb"])[0] == "lb_desc"
    assert choose_text_mode("sadvae", ["desc", "lb"])[0] == "desc"
    rng = np.random.default_rng(0)
    np.save(tmp_path / "lb_4.npy", rng.standard_normal((4, 5)).astype(np.float32))
    np.save(tmp_path / "desc_4.npy", rng.standard_normal((4, 3, 6)).astype(np.float32))
    fused = load_text(tmp_path, "lb_desc", 4)
    assert fused.shape == (4, 3, 11)
    np.testing.assert_array_equal(fused[:, 1, :5], np.load(tmp_path / "lb_4.npy"))  # the label beside each
    np.testing.assert_array_equal(fused[:, :, 5:], np.load(tmp_path / "desc_4.npy"))


@pytest.mark.slow
def test_fast_path_switch_gives_the_same_probabilities(tiny_pack_master):
    """The hand-written step off: the generic autograd step trains the same model, to float rounding.

    The verdict rests on the probabilities, not on the metrics: the two paths round differently
    (by about 1e-4), and on a tiny pack such a difference can flip a discontinuous choice (the
    pass, the gate's threshold) by a machine's floating-point kernels. Decisions are compared
    only where the margin is far above that rounding."""
    runs = [run_all(resolve_config({**FAST, "resources": str(tiny_pack_master), "fast_path": fast}), progress=False)
            for fast in (True, False)]
    fast, slow = runs
    for stage in ("main", "val"):
        for name, probs in getattr(fast, stage).probs.items():
            other = getattr(slow, stage).probs[name]
            np.testing.assert_allclose(probs, other, atol=2e-3, err_msg=f"{stage} {name}")
            top2 = np.sort(probs, axis=-1)[..., -2:]
            clear = top2[..., 1] - top2[..., 0] > 1e-2  # decided far from a tie
            assert clear.mean() > 0.5, "the check would compare almost nothing"
            np.testing.assert_array_equal(probs.argmax(-1)[clear], other.argmax(-1)[clear])


class Centroid(Method):
    """A method written in one class: a linear map of skeleton features onto their class's text
    embedding, scored by cosine similarity (to show what a new method needs)."""

    name = "centroid"
    loss_terms = ("distance",)

    def __init__(self, feature_dim, text_dim, cfg, seeds, device):
        super().__init__(seeds, device)
        self.project = Replicated(self.K, feature_dim, text_dim, device=device)
        self.reset_parameters()

    def loss(self, batch, weights):
        terms = {"distance": ((self.project(batch.x) - batch.t) ** 2).mean(dim=(-2, -1)).sum()}
        terms["total"] = terms["distance"]
        return terms

    def zsl_probabilities(self, unseen_text, sets):
        with torch.no_grad():
            proto = torch.nn.functional.normalize(unseen_text, dim=-1)
            probs = {name: torch.softmax(10 * torch.nn.functional.normalize(
                self.project(x.expand(self.K, *x.shape)), dim=-1) @ proto.T, -1) for name, x in sets.items()}
        return probs, proto.expand(self.K, *proto.shape), torch.zeros(self.K, len(proto))


def test_a_method_in_one_class_trains_with_the_generic_loop(monkeypatch):
    monkeypatch.setitem(TRAINED, "centroid", Centroid)
    x, y, text, unseen, sets = small_split()
    cfg = TrainConfig(lr=1e-2, passes=4, batch_size=8, method="centroid")
    res = train_split(x, y, text, unseen, sets, cfg, [0, 1], torch.device("cpu"), progress=False)
    assert res.probs["unseen"].shape == (2, 4, 3, 3) and res.loss_terms == ("distance",)
    assert res.losses[-1, 0] < res.losses[0, 0]  # it learns
    assert set(res.weights[0][-1]) == {"project.weight", "project.bias"}


def test_renamed_flags_still_work_and_say_their_new_name(capsys):
    """`sadvae text --model/--mode` are now --text-model/--text-mode (a flag means one thing everywhere)."""
    from sadvae.cli.main import build_parser

    args = build_parser().parse_args(["text", "--classes", "c.txt", "--dataset", "d", "--resources", "r",
                                      "--model", "m", "--mode", "desc"])
    assert args.text_model == "m" and args.text_mode == "desc"
    err = capsys.readouterr().err
    assert "--model is now --text-model" in err and "--mode is now --text-mode" in err


@pytest.mark.parametrize("method,fast", [("fs-vae", True), ("sadvae", False)])
def test_generic_step_resumes_from_a_checkpoint_to_the_same_numbers(tmp_path, monkeypatch, method, fast):
    """The autograd path's checkpoint (parameters, Adam moments per group, generators): a run stopped
    after its first pass and resumed ends exactly where an uninterrupted one does."""
    from sadvae.methods import training

    x, y, text, unseen, sets = small_split()
    cfg = TrainConfig(semantic_dim=6, style_dim=2, lr=1e-2, passes=3, batch_size=4, method=method, fast_path=fast)
    whole = train_split(x, y, text, unseen, sets, cfg, [3, 4], torch.device("cpu"), progress=False)
    save = training._save_checkpoint

    def save_then_stop(path, *args, **kwargs):
        save(path, *args, **kwargs)
        raise KeyboardInterrupt  # as if killed right after the first pass was saved

    checkpoint = str(tmp_path / "main.safetensors")
    monkeypatch.setattr(training, "_save_checkpoint", save_then_stop)
    with pytest.raises(KeyboardInterrupt):
        train_split(x, y, text, unseen, sets, cfg, [3, 4], torch.device("cpu"), progress=False, checkpoint=checkpoint)
    monkeypatch.setattr(training, "_save_checkpoint", save)
    resumed = train_split(x, y, text, unseen, sets, cfg, [3, 4], torch.device("cpu"), progress=False,
                          checkpoint=checkpoint)
    np.testing.assert_array_equal(resumed.probs["unseen"], whole.probs["unseen"])
    for name, value in whole.weights[1][-1].items():
        torch.testing.assert_close(resumed.weights[1][-1][name], value, rtol=0, atol=0)


def test_settings_are_checked_against_their_declaration(tiny_pack_master):
    from sadvae.errors import SadvaeError

    base = {**FAST, "resources": str(tiny_pack_master)}
    with pytest.raises(SadvaeError, match="found unknown semantic_dimm"):
        resolve_config({**base, "semantic_dimm": 8})
    with pytest.raises(SadvaeError, match="expected fast_path to be true or false"):
        resolve_config({**base, "fast_path": "no"})
    with pytest.raises(SadvaeError, match="--method: expected one of sadvae, no-tc, naive, fs-vae, msf"):
        resolve_config({**base, "method": "fsvae"})
    assert resolve_config({**base, "fast_path": False}).fast_path is False


def test_the_settings_list_every_registered_method_and_the_command_line_needs_no_torch():
    import subprocess
    import sys

    from sadvae.methods import config, registry

    assert config.METHODS == registry.METHODS
    code = "import sys; from sadvae.cli.main import build_parser; build_parser(); print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"  # sadvae --help and every command's --help stay fast
