"""Dimensionality reduction with cluster heads (paper section 7)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from torch_aae import load_model, train_run
from torch_aae.config import RunConfig, load_config
from torch_aae.errors import ConfigError
from torch_aae.figures import circle_projection
from torch_aae.registry import VARIANTS, create_model


def _cfg(**extra) -> RunConfig:
    values = {
        "model.variant": "dim_reduction",
        "model.latent_dim": 2,
        "model.n_classes": 4,
        "model.encoder_hidden": [16, 16],
        "model.decoder_hidden": [16],
        "model.disc_hidden": [8],
        "data.n_labeled": 20,
        "train.device": "cpu",
    }
    return RunConfig().replace(**(values | extra))


def test_representation_is_heads_plus_style():
    model = create_model(_cfg(), 12).eval()
    x = torch.rand(5, 12)
    logits, z = model.encode_yz(x)
    r = model.represent(x)
    assert r.shape == (5, 2)
    assert torch.allclose(r, logits.softmax(1) @ model.heads + z, atol=1e-6)
    with torch.no_grad():  # decode(z, y) reads the head of label y plus the style
        y = torch.tensor([0, 1, 2, 3, 0])
        expected = model.decoder(model.heads[y] + z)
        assert torch.allclose(model.decode(z, y), expected, atol=1e-6)


def test_head_cost_penalises_only_pairs_closer_than_the_threshold():
    model = create_model(_cfg(**{"model.head_threshold": 1.0}), 12)
    with torch.no_grad():
        model.heads.copy_(torch.tensor([[0.0, 0.0], [0.25, 0.0], [5.0, 0.0], [0.0, 5.0]]))
    assert model.head_cost().item() == pytest.approx(0.75)  # only the first pair, 1 - 0.25
    model.head_cost().backward()
    assert model.heads.grad[0, 0] > 0 and model.heads.grad[1, 0] < 0  # pushed apart
    assert torch.all(model.heads.grad[2:] == 0)


def test_fixed_heads_are_scale_times_identity_and_do_not_train():
    cfg = _cfg(**{"model.latent_dim": 4, "model.fixed_heads_scale": 10.0})
    model = create_model(cfg, 12)
    assert torch.equal(model.heads, 10 * torch.eye(4))
    assert "heads" not in dict(model.named_parameters())
    assert model.head_cost().item() == 0
    proj = circle_projection(4, 4)
    on_circle = (model.heads.numpy() @ proj) / 10
    assert np.allclose(np.linalg.norm(on_circle, axis=1), 1)
    with pytest.raises(ConfigError, match="n_classes"):
        load_config(None, ["model.variant='dim_reduction'", "model.fixed_heads_scale=10"])


def test_heads_move_with_the_reconstruction_phase_only():
    cfg = _cfg()
    model = create_model(cfg, 12)
    variant = VARIANTS["dim_reduction"]
    opts = variant.build_optimizers(model, cfg.optim)
    assert set(opts) == {"recon", "disc", "gen", "ce"}
    assert any(p is model.heads for g in opts["recon"].param_groups for p in g["params"])
    for name in ("disc", "gen", "ce"):
        assert all(p is not model.heads for g in opts[name].param_groups for p in g["params"])


@pytest.mark.parametrize("n_labeled, kind", [(100, "classifier"), (0, "clusterer")])
def test_dim_reduction_runs_with_and_without_labels(tiny_cfg, tmp_path, n_labeled, kind):
    best = "val_error_percent" if kind == "classifier" else "val_cluster_error_percent"
    cfg = tiny_cfg.replace(
        **{
            "model.variant": "dim_reduction",
            "model.latent_dim": 2,
            "model.n_classes": 10 if n_labeled else 12,
            "model.encoder_hidden": [64, 64],
            "data.n_labeled": n_labeled,
            "train.best_metric": best,
            "train.epochs": 1,
        }
    )
    summary = train_run(cfg, tmp_path / "run")
    key = "error_percent" if kind == "classifier" else "cluster_error_percent"
    assert 0 <= summary["test"][key] <= 100
    assert (tmp_path / "run" / "figures" / "representation.png").stat().st_size > 1000
    model = load_model(tmp_path / "run")
    assert model.kind == kind and model.needs_labels == (kind == "classifier")


@pytest.mark.parametrize("dim", [3, 5])
def test_representation_figure_of_learned_heads_above_two_dims(tmp_path, monkeypatch, dim):
    from torch_aae import figures, plots

    model = create_model(_cfg(**{"model.latent_dim": dim}), 12).eval()
    x, y = torch.rand(40, 12), torch.arange(40) % 4
    drawn = {}
    for name in ("plot_latent", "plot_latent_3d"):
        real = getattr(plots, name)

        def spy(codes, *args, _real=real, _name=name, **kw):
            drawn[_name] = (np.asarray(codes), kw["markers"])
            return _real(codes, *args, **kw)

        monkeypatch.setattr(plots, name, spy)
    path = figures._representation_figure(model, x, y, tmp_path / "r.png")
    assert path.stat().st_size > 1000
    codes, heads = drawn["plot_latent_3d" if dim == 3 else "plot_latent"]
    width = 3 if dim == 3 else 2
    assert heads.shape == (4, width) and codes.shape == (40, width)
    if dim == 3:  # drawn as it is
        assert np.allclose(codes, model.represent(x).detach().numpy(), atol=1e-6)
    else:  # projected on its principal axes: the variance of the projection is maximal
        r = model.represent(x).detach().numpy()
        top2 = np.sort(np.linalg.eigvalsh(np.cov(r.T)))[-2:].sum()
        assert np.var(codes, axis=0, ddof=1).sum() == pytest.approx(top2, rel=1e-4)


@pytest.mark.parametrize(("dim", "xlabel"), [(2, "r[0]"), (5, "principal axis 1 of r")])
def test_representation_figure_names_its_axes(tmp_path, monkeypatch, dim, xlabel):
    from matplotlib.axes import Axes

    from torch_aae import figures

    model = create_model(_cfg(**{"model.latent_dim": dim}), 12).eval()
    x, y = torch.rand(40, 12), torch.arange(40) % 4
    names = []
    real = Axes.set_xlabel
    monkeypatch.setattr(
        Axes, "set_xlabel", lambda ax, s, *a, **k: (names.append(s), real(ax, s, *a, **k))[1]
    )
    figures._representation_figure(model, x, y, tmp_path / "r.png")
    assert names == [xlabel]
