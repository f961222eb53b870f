"""The hand-written training step against the plainly written autograd objective, and model pieces."""
import math

import pytest
import torch

from sadvae.methods import TRAINED, Batch, TrainConfig
from sadvae.methods.sadvae_fast import HandStep
from sadvae.methods.training import AutogradStep
from sadvae.methods.vae import kl_to_standard_normal
from sadvae.methods.schedule import LossWeights


def make_method(mode, method="sadvae", K=2, F=12, D=20, S=6, R=2, lr=1e-3):
    cfg = TrainConfig(semantic_dim=S, style_dim=R, lr=lr, mode=mode, method=method)
    module = TRAINED[method](F, D, cfg, seeds=list(range(K)), device=torch.device("cpu"))
    # random (non-zero) biases so every branch of the backward pass matters
    g = torch.Generator().manual_seed(123)
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name.endswith("bias"):
                p.copy_(torch.randn(p.shape, generator=g) * 0.3)
    return module


def random_batch(module, B=7, seed=7):
    g = torch.Generator().manual_seed(seed)
    cfg = module.config
    x = torch.rand(module.K, B, cfg.feature_dim, generator=g) * 2
    t = torch.randn(module.K, B, cfg.text_dim, generator=g)
    return Batch(x, t / t.norm(dim=-1, keepdim=True), torch.zeros(module.K, B, dtype=torch.long))


WEIGHTS = [LossWeights(0.0, 0.0, 0.0, 0.0), LossWeights(0.02, 0.01, 1.0, 0.01), LossWeights(0.05, 0.03, 0.5, 0.2)]


@pytest.mark.parametrize("mode", ["reference", "clean"])
@pytest.mark.parametrize("weights", WEIGHTS)
@pytest.mark.parametrize("method,update_discriminator", [("sadvae", False), ("sadvae", True), ("no-tc", True),
                                                         ("naive", False)])
def test_fast_path_equals_autograd_on_the_module(mode, weights, method, update_discriminator):
    """The hand-written step computes the module's autograd gradients (discriminator first where it is
    updated, the VAE loss then reading the updated discriminator) and makes the same Adam update."""
    fast_module, plain_module = make_method(mode, method), make_method(mode, method)
    fast, plain = HandStep(fast_module), AutogradStep(plain_module, lr=1e-3)
    got = fast.step(random_batch(fast_module), weights, update_discriminator, want_losses=True)
    want = plain.step(random_batch(plain_module), weights, update_discriminator, want_losses=True)
    for name, p in plain_module.named_parameters():
        group = fast.dis if name.startswith("discriminator.") else fast.vae
        if p.grad is None:  # not trained this step (the discriminator without an update)
            assert not name.startswith("discriminator.") or not (update_discriminator and method == "sadvae")
            continue
        torch.testing.assert_close(group.grad[name], p.grad, rtol=1e-4, atol=1e-6, msg=name)
    for (name, a), (_, b) in zip(fast_module.named_parameters(), plain_module.named_parameters()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6, msg=name)  # after the step
    for term in set(got) | set(want):  # a term not computed is missing or NaN
        a, b = got.get(term, math.nan), want.get(term, math.nan)
        assert a == pytest.approx(b, rel=1e-4, abs=1e-7, nan_ok=True), term


def test_fast_path_is_offered_only_for_the_exact_objective():
    assert make_method("reference", "sadvae").fast_path() is not None
    assert make_method("reference", "fs-vae").fast_path() is None  # its own loss: autograd
    assert make_method("reference", "msf").fast_path() is not None  # the naive objective on fused text


def test_dis_updates_and_tc_are_skipped_by_the_ablations():
    for method in ("no-tc", "naive"):
        module = make_method("clean", method)
        assert module.discriminator_loss(random_batch(module), WEIGHTS[2]) is None
        module.sample_noise(batch := random_batch(module))
        assert "tc" not in module.loss(batch, WEIGHTS[2])


def test_kl_against_hand_computed_value():
    mu = torch.tensor([[1.0, 0.0], [0.5, -0.5]])
    logvar = torch.tensor([[0.0, math.log(2.0)], [0.0, 0.0]])
    # per row: 0.5 * sum(mu^2 + var - 1 - logvar)
    row0 = 0.5 * (1 + 0 + (1 - 1 - 0) + (2 - 1 - math.log(2.0)))
    row1 = 0.5 * (0.25 + 0.25)
    assert float(kl_to_standard_normal(mu, logvar)) == pytest.approx((row0 + row1) / 2)


def test_scalar_noise_repeats_one_number_per_block():
    """QUIRK_SCALAR_NOISE as the method draws it: one number per sample and latent block."""
    reference, clean = make_method("reference", K=2), make_method("clean", K=2)
    assert reference.config.scalar_noise and not clean.config.scalar_noise
    semantic, style = torch.split(reference.latent_noise(4, [[3, 2]])[0], [3, 2], dim=-1)
    assert semantic.shape == (2, 4, 3) and style.shape == (2, 4, 2)
    assert torch.equal(semantic, semantic[..., :1].expand_as(semantic))
    assert torch.equal(style, style[..., :1].expand_as(style))
    assert not torch.equal(semantic[..., 0], style[..., 0])  # the two blocks draw their own numbers
    free = clean.latent_noise(4, [[3, 2]])[0]
    assert not torch.equal(free[..., :3], free[..., :1].expand(2, 4, 3))  # one number per dimension


def test_shapes_and_independent_replicas():
    module = make_method("reference", K=3)
    cfg, params = module.config, dict(module.named_parameters())
    assert params["skeleton_encoder.weight"].shape == (3, 2 * cfg.latent_dim, cfg.feature_dim)
    assert params["text_decoder.weight"].shape == (3, cfg.text_dim, cfg.semantic_dim)
    assert params["discriminator.hidden.weight"].shape == (3, cfg.latent_dim // 4, cfg.latent_dim)
    w = params["skeleton_encoder.weight"].detach()
    assert not torch.equal(w[0], w[1])  # one seed per replica
    bound = 0.5 * math.sqrt(6.0 / (cfg.feature_dim + cfg.latent_dim))
    assert float(w.abs().max()) <= bound


def test_flat_adam_matches_torch_adam():
    from sadvae.methods.optim import FlatAdam
    g = torch.Generator().manual_seed(0)
    a = torch.nn.Parameter(torch.randn(50, generator=g))
    b = torch.nn.Parameter(a.detach().clone())
    ours, theirs = FlatAdam(a, 1e-2), torch.optim.Adam([b], lr=1e-2)
    for _ in range(5):
        grad = torch.randn(50, generator=g)
        a.grad = grad.clone()
        b.grad = grad.clone()
        ours.step()
        theirs.step()
    torch.testing.assert_close(a.data, b.data)


@pytest.mark.parametrize("relu", [True, False])
@pytest.mark.parametrize("scalar", [True, False])
@pytest.mark.parametrize("members", [1, 3])
def test_handwritten_classifier_training_matches_autograd(relu, scalar, members):
    from sadvae.methods.classifier import classifier_logits, train_softmax_classifier
    g = torch.Generator().manual_seed(1)
    K, U, S, per = 2, 4, 6, 30
    G = U * members  # sample groups: class c, description j is group c*members + j
    w0 = torch.randn(K, U, S, generator=g) * 0.3
    mu, std = torch.randn(K, G, S, generator=g), torch.rand(K, G, S, generator=g) + 0.2
    noise = torch.randn(K, per, G, 1 if scalar else S, generator=g)
    group_class = torch.arange(U).repeat_interleave(members)
    w_ours, b_ours = train_softmax_classifier(w0.clone(), mu, std, noise, steps=25, lr=1e-2, logits_relu=relu,
                                              group_class=group_class if members > 1 else None)
    z = (mu.unsqueeze(1) + noise * std.unsqueeze(1)).reshape(K, per * G, S)  # sample j*G + g is of group g
    target = group_class.repeat(per)
    w = w0.clone().requires_grad_(True)
    b = torch.zeros(K, U, requires_grad=True)
    opt = torch.optim.Adam([w, b], lr=1e-2)
    for _ in range(25):
        logits = classifier_logits(w, b, z, relu)
        loss = sum(torch.nn.functional.cross_entropy(logits[k], target) for k in range(K))
        opt.zero_grad()
        loss.backward()
        opt.step()
    torch.testing.assert_close(w_ours, w.detach(), rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(b_ours, b.detach(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("scalar", [True, False])
def test_classifier_fit_by_autograd_equals_the_fast_fit(scalar):
    from sadvae.methods.classifier import fit_classifier
    g = torch.Generator().manual_seed(4)
    mu, logvar = torch.randn(2, 5, 3, 6, generator=g), torch.randn(2, 5, 3, 6, generator=g) * 0.2
    fits = [fit_classifier(mu, logvar, [torch.Generator().manual_seed(s) for s in (1, 2)], scalar_noise=scalar,
                           logits_relu=scalar, samples_per_class=40, steps=30, fast=fast) for fast in (True, False)]
    for a, b in zip(*fits):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
