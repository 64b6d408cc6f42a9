from __future__ import annotations

import json
import math

import pytest
import torch

from torch_aae import train_run
from torch_aae.config import ModelConfig, OptimConfig, PriorConfig, RunConfig, config_from_dict
from torch_aae.errors import ConfigError
from torch_aae.losses import kl_monte_carlo, kl_to_gaussian
from torch_aae.priors import GaussianPrior
from torch_aae.training.optim import build_vae_optimizers
from torch_aae.training.phases import vae_step
from torch_aae.vae import VariationalAutoencoder


def test_closed_form_kl_matches_monte_carlo():
    torch.manual_seed(0)
    mean, logvar = torch.randn(4, 3), torch.randn(4, 3) * 0.3
    prior = GaussianPrior(3, std=2.0)
    eps = torch.randn(20_000, 4, 3)
    z = mean + eps * (0.5 * logvar).exp()  # (S, batch, d)
    mc = torch.stack([kl_monte_carlo(zs, mean, logvar, prior.log_prob(zs)) for zs in z]).mean()
    assert kl_to_gaussian(mean, logvar, 2.0).item() == pytest.approx(mc.item(), rel=0.02)
    assert kl_to_gaussian(torch.zeros(2, 3), torch.zeros(2, 3), 1.0).item() == 0.0


def test_vae_step_moves_encoder_and_decoder():
    torch.manual_seed(0)
    cfg = RunConfig().replace(**{"model.variant": "vae", "prior.type": "mixture"})
    model = VariationalAutoencoder(
        12,
        ModelConfig(encoder_hidden=(16,), decoder_hidden=(16,), init_std=0.1),
        PriorConfig(type="mixture"),
    )
    opts = build_vae_optimizers(model, OptimConfig(lr_recon=0.1))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    out = vae_step(model, opts, torch.rand(8, 12), None, None, cfg)
    assert set(out) == {"loss_recon", "loss_kl"} and torch.isfinite(out["loss_kl"])
    moved = {
        k.split(".")[0] for k, v in model.state_dict().items() if not torch.equal(v, before[k])
    }
    assert moved == {"encoder", "decoder"}
    assert model.encoder.kind == "gaussian"


def test_vae_step_descends_the_loss_terms():
    """The training step's losses are ``loss_terms`` at the same draw, and the step lowers them."""
    cfg = RunConfig().replace(**{"model.variant": "vae", "prior.type": "mixture"})
    torch.manual_seed(0)
    model = VariationalAutoencoder(
        12,
        ModelConfig(encoder_hidden=(16,), decoder_hidden=(16,), init_std=0.1),
        PriorConfig(type="mixture"),
    )
    x = torch.rand(64, 12)
    torch.manual_seed(1)
    recon, kl = model.loss_terms(x)
    opts = build_vae_optimizers(model, OptimConfig(lr_recon=0.01, momentum_recon=0.0))
    torch.manual_seed(1)
    out = vae_step(model, opts, x, None, None, cfg)
    assert out["loss_recon"].item() == recon.item() and out["loss_kl"].item() == kl.item()
    torch.manual_seed(1)
    after = sum(model.loss_terms(x))
    assert after.item() < (recon + kl).item()


def test_neg_elbo_best_metric_is_for_vaes_only():
    with pytest.raises(ConfigError, match="val_neg_elbo"):
        config_from_dict({"train": {"best_metric": "val_neg_elbo"}})
    cfg = config_from_dict({"model": {"variant": "vae"}, "train": {"best_metric": "val_neg_elbo"}})
    assert cfg.train.best_metric == "val_neg_elbo"


@pytest.mark.parametrize("prior", ["gaussian", "mixture"])
def test_vae_run(tiny_cfg, tmp_path, prior):
    cfg = tiny_cfg.replace(
        **{
            "model.variant": "vae",
            "prior.type": prior,
            "train.best_metric": "val_neg_elbo",
            "train.eval_every": 1,
        }
    )
    summary = train_run(cfg, tmp_path / "run")
    lines = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    record = json.loads(lines[-1])
    assert record["loss_kl"] >= 0 and "loss_disc" not in record
    # held-out negative ELBO: its two terms, both from one draw per row
    assert record["val_neg_elbo"] == pytest.approx(record["val_elbo_recon"] + record["val_kl"])
    assert record["val_elbo_recon"] > 0 and math.isfinite(record["val_kl"])
    if prior == "gaussian":  # closed-form KL: never negative
        assert record["val_kl"] >= 0
    evaluated = [json.loads(line) for line in lines if "val_neg_elbo" in json.loads(line)]
    best = json.loads((tmp_path / "run" / "best.json").read_text())
    assert best["value"] == min(r["val_neg_elbo"] for r in evaluated)
    assert 0 <= summary["test"]["c2st_accuracy"] <= 1
    assert (tmp_path / "run" / "figures" / "latent.png").is_file()
    if prior == "gaussian":  # Parzen: the paper's Table 1 has an AAE row, not a VAE one
        from torch_aae.evaluation import evaluate_parzen
        from torch_aae.training.data import load_data

        result = evaluate_parzen(tmp_path / "run", load_data(cfg.data), n_samples=200)
        assert result["model"] == "vae" and result["dataset"] == "mnist"
        assert result["paper_value"] is None and result["paper_se"] is None
        assert result["n_samples"] == 200 and math.isfinite(result["test_mean"])


def test_vae_needs_a_prior_density():
    with pytest.raises(ConfigError, match="closed-form density"):
        config_from_dict({"model": {"variant": "vae"}, "prior": {"type": "swiss_roll"}})


def test_compare_draws_aae_beside_vae(tiny_cfg, tmp_path, capsys):
    from torch_aae import train_run
    from torch_aae.cli import main

    train_run(tiny_cfg.replace(**{"train.epochs": 1}), tmp_path / "aae")
    train_run(tiny_cfg.replace(**{"train.epochs": 1, "model.variant": "vae"}), tmp_path / "vae")
    out = tmp_path / "fig2.png"
    assert main(["compare", str(tmp_path / "aae"), str(tmp_path / "vae"), "--out", str(out)]) == 0
    assert out.stat().st_size > 10_000
    # best.pt: the epoch chosen on validation, its test numbers computed for the title
    best = tmp_path / "fig2_best.png"
    args = ["compare", str(tmp_path / "aae"), str(tmp_path / "vae"), "--checkpoint", "best"]
    assert main([*args, "--out", str(best)]) == 0 and best.stat().st_size > 10_000
    (tmp_path / "vae" / "best.pt").unlink()
    assert main([*args, "--out", str(best)]) == 2
    assert "no best.pt" in capsys.readouterr().err
    (tmp_path / "vae" / "summary.json").unlink()
    assert main(["compare", str(tmp_path / "aae"), str(tmp_path / "vae"), "--out", str(out)]) == 2
    assert "no summary.json" in capsys.readouterr().err
