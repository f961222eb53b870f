"""The hand-written training step against the plainly written autograd objective, and model pieces."""
import math

import pytest
import torch

from sadvae.model import ModelConfig, expand_scalar_noise, kl_to_standard_normal, reference_loss
from sadvae.schedule import LossWeights
from sadvae.train import TrainConfig, Trainer


def make_trainer(mode, K=2, F=12, D=20, S=6, R=2):
    cfg = ModelConfig(feature_dim=F, text_dim=D, semantic_dim=S, style_dim=R, mode=mode)
    trainer = Trainer(cfg, TrainConfig(semantic_dim=S, style_dim=R, lr=1e-3), seeds=list(range(K)),
                      device=torch.device("cpu"))
    # random (non-zero) biases so every branch of the backward pass matters
    g = torch.Generator().manual_seed(123)
    with torch.no_grad():
        for flat in (trainer.vae, trainer.dis):
            for name, view in flat.param.items():
                if name.endswith("bias"):
                    view.copy_(torch.randn(view.shape, generator=g) * 0.3)
    return cfg, trainer


@pytest.mark.parametrize("mode", ["reference", "clean"])
@pytest.mark.parametrize("weights", [LossWeights(0.0, 0.0, 0.0, 0.0), LossWeights(0.02, 0.01, 1.0, 0.01),
                                     LossWeights(0.05, 0.03, 0.5, 0.2)])
def test_handwritten_step_matches_autograd(mode, weights):
    cfg, trainer = make_trainer(mode)
    K, B = trainer.K, 7
    g = torch.Generator().manual_seed(7)
    x = torch.rand(K, B, cfg.feature_dim, generator=g) * 2
    t = torch.randn(K, B, cfg.text_dim, generator=g)
    t = t / t.norm(dim=-1, keepdim=True)
    shape_x = (K, B, 2) if cfg.scalar_noise else (K, B, cfg.latent_dim)
    shape_t = (K, B, 1) if cfg.scalar_noise else (K, B, cfg.semantic_dim)
    nx, nt = torch.randn(shape_x, generator=g), torch.randn(shape_t, generator=g)
    if cfg.scalar_noise:
        nx_full = expand_scalar_noise(nx, [cfg.semantic_dim, cfg.style_dim])
        nt_full = expand_scalar_noise(nt, [cfg.semantic_dim])
    else:
        nx_full, nt_full = nx, nt
    trainer._latent_noise = lambda B_, blocks: [nx_full, nt_full]

    vae = {n: v.clone().requires_grad_(True) for n, v in trainer.vae.param.items()}
    dis = {n: v.clone() for n, v in trainer.dis.param.items()}
    terms = reference_loss(vae, dis, x, t, nx_full, nt_full, weights, cfg)
    terms["total"].backward()
    readings = trainer.step(x, t, weights, update_discriminator=False, want_losses=True)
    for name, p in vae.items():
        torch.testing.assert_close(trainer.vae.grad[name], p.grad, rtol=1e-4, atol=1e-6, msg=name)
    # the logged readings are the same terms (averaged over replicas)
    assert readings["skeleton_recon"] == pytest.approx(float(terms["skeleton_recon"].detach()) / K, rel=1e-4)
    assert readings["text_kl"] == pytest.approx(float(terms["text_kl"].detach()) / K, rel=1e-4)


def test_discriminator_step_matches_autograd():
    cfg, trainer = make_trainer("clean")
    K, B, S, H = trainer.K, 9, cfg.semantic_dim, cfg.latent_dim
    g = torch.Generator().manual_seed(3)
    mu, std = torch.randn(K, B, H, generator=g), torch.rand(K, B, H, generator=g) + 0.1
    tmu, tstd = torch.randn(K, B, S, generator=g), torch.rand(K, B, S, generator=g) + 0.1
    noise = [torch.randn(K, B, H, generator=g), torch.randn(K, B, H, generator=g)]
    trainer._latent_noise = lambda B_, blocks: noise
    before = {n: v.clone().requires_grad_(True) for n, v in trainer.dis.param.items()}
    # replay the permutations the step will draw
    states = [gen.get_state() for gen in trainer.generators]
    order = torch.stack([torch.rand((4, B), generator=gen) for gen in trainer.generators]).argsort(-1)
    for gen, st in zip(trainer.generators, states):
        gen.set_state(st)
    trainer._discriminator_step(mu, std, tmu, tstd, weight=0.3)

    from sadvae.model import discriminator
    real_s = mu + noise[0] * std
    real_t = torch.cat([tmu + noise[1][..., :S] * tstd, mu[..., S:] + noise[1][..., S:] * std[..., S:]], -1)
    loss = 0
    for k in range(K):
        shuf_s = torch.cat([real_s[k, order[k, 0], :S], real_s[k, order[k, 1], S:]], -1)
        shuf_t = torch.cat([real_t[k, order[k, 2], :S], real_t[k, order[k, 3], S:]], -1)
        params_k = {n: v[k:k + 1] for n, v in before.items()}
        bce = torch.nn.functional.binary_cross_entropy
        def d(a):
            return discriminator(params_k, a.unsqueeze(0))[0]
        ls = (bce(d(real_s[k]), torch.ones(B, 1)) + bce(d(shuf_s), torch.zeros(B, 1))) / 2
        lt = (bce(d(real_t[k]), torch.ones(B, 1)) + bce(d(shuf_t), torch.zeros(B, 1))) / 2
        loss = loss + 0.3 * (ls + lt) / 2
    loss.backward()
    for name, p in before.items():
        torch.testing.assert_close(trainer.dis.grad[name], p.grad, rtol=1e-4, atol=1e-7, msg=name)


def test_kl_against_hand_computed_value():
    mu = torch.tensor([[1.0, 0.0], [0.5, -0.5]])
    logvar = torch.tensor([[0.0, math.log(2.0)], [0.0, 0.0]])
    # per row: 0.5 * sum(mu^2 + var - 1 - logvar)
    row0 = 0.5 * (1 + 0 + (1 - 1 - 0) + (2 - 1 - math.log(2.0)))
    row1 = 0.5 * (0.25 + 0.25)
    assert float(kl_to_standard_normal(mu, logvar)) == pytest.approx((row0 + row1) / 2)


def test_scalar_noise_repeats_one_number_per_block():
    noise = torch.tensor([[[1.5, -2.0]]])
    out = expand_scalar_noise(noise, [3, 2])
    assert out.tolist() == [[[1.5, 1.5, 1.5, -2.0, -2.0]]]


def test_shapes_and_independent_replicas():
    cfg, trainer = make_trainer("reference", K=3)
    assert trainer.vae.param["skeleton_encoder.weight"].shape == (3, 2 * cfg.latent_dim, cfg.feature_dim)
    assert trainer.vae.param["text_decoder.weight"].shape == (3, cfg.text_dim, cfg.semantic_dim)
    assert trainer.dis.param["discriminator.hidden.weight"].shape == (3, cfg.latent_dim // 4, cfg.latent_dim)
    w = trainer.vae.param["skeleton_encoder.weight"]
    assert not torch.equal(w[0], w[1])  # one seed per replica
    bound = 0.5 * math.sqrt(6.0 / (cfg.feature_dim + cfg.latent_dim))
    assert float(w.abs().max()) <= bound


def test_flat_adam_matches_torch_adam():
    from sadvae.train import FlatAdam
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
    from sadvae.zsl import classifier_logits, train_softmax_classifier
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
