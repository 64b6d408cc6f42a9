from __future__ import annotations

import copy

import pytest
import torch

from torch_aae.config import ModelConfig, OptimConfig, PriorConfig
from torch_aae.losses import disc_loss, gen_loss, recon_loss
from torch_aae.model import AdversarialAutoencoder
from torch_aae.training.optim import build_optimizers
from torch_aae.training.phases import disc_phase, gen_phase, recon_phase


def test_disc_loss_targets_prior_real_codes_fake():
    confident_right = disc_loss(torch.full((4,), 10.0), torch.full((4,), -10.0))
    confident_wrong = disc_loss(torch.full((4,), -10.0), torch.full((4,), 10.0))
    assert confident_right < 1e-3 < 10 < confident_wrong


def test_gen_loss_rewards_codes_called_real():
    assert gen_loss(torch.full((4,), 10.0)) < 1e-3
    assert gen_loss(torch.full((4,), -10.0)) > 9
    # non-saturating: the gradient stays large when D rejects the codes confidently
    logits = torch.full((4,), -10.0, requires_grad=True)
    gen_loss(logits).backward()
    assert (logits.grad < -0.2).all()


def test_recon_loss_sums_features_and_averages_batch():
    x = torch.zeros(2, 3)
    x_hat = torch.tensor([[1.0, 1.0, 0.0], [0.0, 0.0, 2.0]])
    assert recon_loss(x_hat, x, "mse").item() == pytest.approx((2 + 4) / 2)
    p = torch.full((1, 4), 0.5)
    assert recon_loss(p, torch.ones(1, 4), "bce").item() == pytest.approx(4 * 0.6931, rel=1e-3)


def _model(label_conditioning="none"):
    torch.manual_seed(0)
    prior = PriorConfig(type="mixture") if label_conditioning != "none" else PriorConfig()
    cfg = ModelConfig(
        encoder_hidden=(16,),
        decoder_hidden=(16,),
        disc_hidden=(8,),
        label_conditioning=label_conditioning,
        init_std=0.1,
    )
    model = AdversarialAutoencoder(12, cfg, prior)
    return model, build_optimizers(model, OptimConfig(lr_recon=0.1))


def _moved(before, model):
    now = dict(model.named_parameters())
    return {name.split(".")[0] for name, p in before.items() if not torch.equal(p, now[name])}


def _snapshot(model):
    return {k: v.detach().clone() for k, v in model.named_parameters()}


def test_each_phase_moves_only_its_own_parameters():
    model, opts = _model()
    x = torch.rand(8, 12)
    before = _snapshot(model)
    recon_phase(model, opts["recon"], x)
    assert _moved(before, model) == {"encoder", "decoder"}

    before = _snapshot(model)
    z = model.encode(x).z
    disc_phase(model.discriminator, opts["disc"], z, model.prior.sample(8))
    assert _moved(before, model) == {"discriminator"}

    before = _snapshot(model)
    gen_phase(model.discriminator, opts["gen"], z)
    assert _moved(before, model) == {"encoder"}
    # D is trainable again after the generator step
    assert all(p.requires_grad for p in model.discriminator.parameters())


def test_disc_step_lowers_disc_loss_and_gen_step_lowers_gen_loss():
    model, opts = _model()
    x = torch.rand(64, 12)
    z_real = model.prior.sample(64, torch.Generator().manual_seed(0)) * 3 + 2
    for _ in range(20):
        z = model.encode(x).z
        before = disc_loss(model.discriminator(z_real), model.discriminator(z)).item()
        disc_phase(model.discriminator, opts["disc"], z, z_real)
    after = disc_loss(model.discriminator(z_real), model.discriminator(model.encode(x).z)).item()
    assert after < before
    g_before = gen_loss(model.discriminator(model.encode(x).z)).item()
    for _ in range(5):
        gen_phase(model.discriminator, opts["gen"], model.encode(x).z)
    assert gen_loss(model.discriminator(model.encode(x).z)).item() < g_before


def test_shared_encoder_pass_equals_separate_passes():
    """Fusing the D and G steps' encoder pass gives the same update as two passes."""
    model, opts = _model()
    twin = copy.deepcopy(model)
    twin_opts = build_optimizers(twin, OptimConfig(lr_recon=0.1))
    x = torch.rand(8, 12)
    z_real = model.prior.sample(8, torch.Generator().manual_seed(1))
    z = model.encode(x).z
    disc_phase(model.discriminator, opts["disc"], z, z_real)
    gen_phase(model.discriminator, opts["gen"], z)
    disc_phase(twin.discriminator, twin_opts["disc"], twin.encode(x).z.detach(), z_real)
    gen_phase(twin.discriminator, twin_opts["gen"], twin.encode(x).z)
    for a, b in zip(model.parameters(), twin.parameters(), strict=True):
        assert torch.allclose(a, b, atol=1e-7)


def test_label_conditioning_feeds_one_hot_plus_unlabeled_slot():
    model, _ = _model("one_hot")
    cond = model.condition(torch.tensor([3, -1]))
    assert cond.shape == (2, 11)
    assert cond[0, 3] == 1 and cond[0].sum() == 1
    assert cond[1, 10] == 1 and cond[1].sum() == 1
    assert model.discriminator(torch.zeros(2, 2), cond).shape == (2,)


@pytest.mark.parametrize("kind", ["deterministic", "gaussian", "universal"])
def test_encoder_kinds(kind):
    torch.manual_seed(0)
    cfg = ModelConfig(latent_dim=3, encoder_hidden=(16,), decoder_hidden=(16,), encoder_type=kind)
    model = AdversarialAutoencoder(12, cfg, PriorConfig())
    x = torch.rand(5, 12)
    out = model.encode(x)
    assert out.z.shape == out.mean.shape == (5, 3)
    assert torch.equal(model.encode(x, sample=False).z, model.encode(x, sample=False).z)
    stochastic = not torch.equal(model.encode(x).z, model.encode(x).z)
    assert stochastic == (kind != "deterministic")
    assert (out.logvar is not None) == (kind == "gaussian")


def test_min_posterior_std_floors_the_gaussian_encoders_spread():
    from torch_aae.config import RunConfig
    from torch_aae.errors import ConfigError

    torch.manual_seed(0)
    kw = dict(latent_dim=3, encoder_hidden=(16,), decoder_hidden=(16,), encoder_type="gaussian")
    model = AdversarialAutoencoder(12, ModelConfig(**kw, min_posterior_std=0.8), PriorConfig())
    x = torch.rand(1, 12).expand(20000, 12)
    out = model.encode(x)
    learned = model.encoder.net(x[:1]).chunk(2, dim=1)[1].clamp(-12, 8).exp()
    expected = (learned + 0.64).sqrt()
    assert torch.allclose(out.logvar[:1].exp().sqrt(), expected, atol=1e-5)
    assert torch.allclose((out.z - out.mean).std(0), expected[0], rtol=0.03)
    with pytest.raises(ConfigError, match="encoder_type = 'gaussian'"):
        RunConfig().replace(**{"model.min_posterior_std": 0.5})


def _label_cfg(label_batches):
    from torch_aae.config import RunConfig

    return RunConfig().replace(
        **{
            "model.latent_dim": 2,
            "model.encoder_hidden": [16],
            "model.decoder_hidden": [16],
            "model.disc_hidden": [8],
            "model.label_conditioning": "one_hot",
            "prior.type": "mixture",
            "data.n_labeled": 6,
            "train.batch_size": 8,
            "train.label_batches": label_batches,
            "train.device": "cpu",
            "train.progress": False,
        }
    )


@pytest.mark.parametrize("label_batches", ["mixed", "separate"])
def test_label_batches_decide_what_the_discriminator_is_conditioned_on(label_batches, monkeypatch):
    """mixed: each row on its own label; separate: the main batch as unlabeled plus a labeled
    batch of the same size, each labeled code beside a prior draw from its own component."""
    from torch_aae.registry import create_model
    from torch_aae.training.trainer import Trainer

    cfg = _label_cfg(label_batches)
    torch.manual_seed(0)
    trainer = Trainer(create_model(cfg, 12), cfg)
    seen, forward = [], trainer.model.discriminator.forward

    def spy(z, cond=None):
        seen.append((z.detach(), cond.argmax(1)))
        return forward(z, cond)

    monkeypatch.setattr(trainer.model.discriminator, "forward", spy)
    x = torch.rand(16, 12)
    labels = torch.tensor([0, 1, 2, 3, 4, 5] + [-1] * 10)
    trainer.train_epoch(x, labels)  # 2 steps of 8 rows; D called in its step and the G step
    z_d, slots = seen[0]
    if label_batches == "mixed":
        assert len(slots) == 16  # 8 real + 8 fake, each row on its own label or "unlabeled"
        assert set(slots[:8].tolist()) <= set(range(6)) | {10}
    else:
        assert len(slots) == 32  # (8 unlabeled + 8 labeled) real, then the same for fake
        real_slots = slots[:16]
        assert torch.all(real_slots[:8] == 10)  # main batch: the "unlabeled" slot
        assert torch.all(real_slots[8:] < 6)  # labeled batch: the labels of the 6 labeled rows
        z_real_l = z_d[8:16]
        assert torch.equal(trainer.model.prior.component(z_real_l), real_slots[8:])


@pytest.mark.parametrize("variant", ["aae", "semi_supervised"])
def test_disc_steps_take_several_discriminator_steps_each_on_fresh_prior_draws(variant):
    """train.disc_steps = 3: three discriminator steps, then one generator step, per batch; each
    discriminator step sees the batch's codes and its own prior draws."""
    from torch_aae.config import RunConfig
    from torch_aae.registry import create_model
    from torch_aae.training.trainer import Trainer

    cfg = RunConfig().replace(
        **{
            "model.variant": variant,
            "model.latent_dim": 3,
            "model.encoder_hidden": [16],
            "model.decoder_hidden": [16],
            "model.disc_hidden": [8],
            "data.n_labeled": 10 if variant == "semi_supervised" else 0,
            "train.batch_size": 8,
            "train.device": "cpu",
            "train.progress": False,
            "train.disc_steps": 3,
        }
    )
    torch.manual_seed(0)
    trainer = Trainer(create_model(cfg, 12), cfg)
    calls = {"disc": 0, "gen": 0}
    for name in calls:
        opt, step = trainer.optimizers[name], trainer.optimizers[name].step

        def counted(*args, _name=name, _step=step, **kwargs):
            calls[_name] += 1
            return _step(*args, **kwargs)

        opt.step = counted
    real_batches = []
    disc = trainer.model.disc_z if variant == "semi_supervised" else trainer.model.discriminator
    forward = disc.forward

    def spy(z, cond=None):
        if torch.is_grad_enabled() and disc.net[0].weight.requires_grad:  # D's own steps only
            real_batches.append(z[:8].detach().clone())
        return forward(z, cond)

    disc.forward = spy
    x = torch.rand(8, 12)
    labels = torch.tensor([0, 1, 2, 3, 4, 5, 6, 7]) if variant == "semi_supervised" else None
    if variant == "semi_supervised":
        trainer._labeled = (x, labels)
    trainer.train_step(x, labels)
    assert calls == {"disc": 3, "gen": 1}
    assert len(real_batches) == 3
    assert not torch.equal(real_batches[0], real_batches[1])
    assert not torch.equal(real_batches[1], real_batches[2])


def _semi_head_grads(phase: str, epoch: int = 0, batch_in_epoch: int = 0, **overrides):
    """One train_step of a tiny semi-supervised model (2 batches per epoch, at ``epoch`` and
    ``batch_in_epoch``); the gradients of the y and z heads' weights as ``phase``'s optimizer
    ("recon", "gen") steps, and the step's losses."""
    from torch_aae.config import RunConfig
    from torch_aae.registry import create_model
    from torch_aae.training.trainer import Trainer

    cfg = RunConfig().replace(
        **{
            "model.variant": "semi_supervised",
            "model.latent_dim": 3,
            "model.encoder_hidden": [16],
            "model.decoder_hidden": [16],
            "model.disc_hidden": [8],
            "data.n_labeled": 10,
            "train.batch_size": 8,
            "train.device": "cpu",
            "train.progress": False,
        }
        | overrides
    )
    torch.manual_seed(0)
    trainer = Trainer(create_model(cfg, 12), cfg)
    trainer.epoch, trainer.batch_in_epoch, trainer._batches_per_epoch = epoch, batch_in_epoch, 2
    opt, model, seen = trainer.optimizers[phase], trainer.model, {}
    step = opt.step

    def spy(*args, **kwargs):
        seen["y"], seen["z"] = model.head_y.weight.grad.clone(), model.head_z.weight.grad.clone()
        return step(*args, **kwargs)

    opt.step = spy
    torch.manual_seed(1)
    x = torch.rand(8, 12)
    trainer._labeled = (x, torch.arange(8))
    out = trainer.train_step(x, torch.arange(8))
    return seen["y"], seen["z"], out


def _close(a: torch.Tensor, b: torch.Tensor) -> None:
    # the gradients are small (init std 0.01): compare relative to their size, not to atol 1e-5
    torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4 * float(b.abs().max()))


def test_adv_y_weight_scales_the_categorical_generator_gradient_only():
    """loss.adv_y_weight = 3: at the generator step the y head's gradient (reached only through
    the categorical adversary) is three times that of weight 1, the z head's is unchanged."""
    y1, z1, _ = _semi_head_grads("gen", **{"loss.adv_y_weight": 1.0})
    y3, z3, _ = _semi_head_grads("gen", **{"loss.adv_y_weight": 3.0})
    assert y1.abs().sum() > 0 and z1.abs().sum() > 0
    _close(y3, 3 * y1)
    _close(z3, z1)
    assert not torch.allclose(y3, y1, rtol=1e-2, atol=0)


def test_adv_y_warmup_ramps_the_categorical_generator_gradient_from_zero():
    """loss.adv_y_warmup_epochs = 4: the y head's generator gradient is 0 at the first step,
    3/8 of the full one after 1.5 epochs, and the full one from epoch 4; the z head's is never
    scaled."""
    warm = {"loss.adv_y_warmup_epochs": 4.0}
    y_full, z_full, _ = _semi_head_grads("gen", 1, 1)
    assert y_full.abs().sum() > 0
    y0, z0, _ = _semi_head_grads("gen", 0, 0, **warm)
    assert y0.abs().sum() == 0
    _close(z0, z_full)
    _close(_semi_head_grads("gen", 1, 1, **warm)[0], 0.375 * y_full)
    _close(_semi_head_grads("gen", 4, 0, **warm)[0], y_full)


def test_recon_y_warmup_scales_the_reconstruction_gradient_into_qy_only():
    """loss.recon_y_warmup_epochs = 4: at the reconstruction step the y head's gradient (reached
    only through the y the decoder reads) is 0 at the first step and 3/8 of the full one after
    1.5 epochs; the z head's and the reconstruction itself are unchanged."""
    warm = {"loss.recon_y_warmup_epochs": 4.0, "model.init_std": 0.3}
    y_full, z_full, out_full = _semi_head_grads("recon", 1, 1, **{"model.init_std": 0.3})
    assert y_full.abs().sum() > 0
    y0, z0, out0 = _semi_head_grads("recon", 0, 0, **warm)
    assert y0.abs().sum() == 0 and float(out0["loss_recon"]) == float(out_full["loss_recon"])
    torch.testing.assert_close(z0, z_full)
    _close(_semi_head_grads("recon", 1, 1, **warm)[0], 0.375 * y_full)
