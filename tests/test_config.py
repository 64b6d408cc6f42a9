from __future__ import annotations

import pytest

from torch_aae.config import (
    RunConfig,
    config_from_dict,
    flat_overrides,
    load_config,
    parse_override,
)
from torch_aae.errors import ConfigError


def test_defaults_round_trip_through_toml(tmp_path):
    cfg = RunConfig().replace(**{"model.latent_dim": 8, "optim.milestones": [3, 7]})
    path = tmp_path / "c.toml"
    path.write_text(cfg.to_toml())
    assert load_config(path) == cfg


def test_shipped_configs_load():
    from pathlib import Path

    configs = sorted((Path(__file__).parents[1] / "configs").glob("*.toml"))
    assert configs, "configs/ is empty"
    for path in configs:
        load_config(path)


def test_unknown_key_suggests_nearest():
    with pytest.raises(ConfigError, match=r"model.latent_dims.*Did you mean 'latent_dim'"):
        config_from_dict({"model": {"latent_dims": 2}})


def test_unknown_section():
    with pytest.raises(ConfigError, match=r"Unknown section '\[modle\]'.*model"):
        config_from_dict({"modle": {}})


def test_bad_choice_lists_valid_choices():
    with pytest.raises(ConfigError, match=r"'gaussian', 'mixture', 'swiss_roll', 'uniform'"):
        config_from_dict({"prior": {"type": "cauchy"}})


@pytest.mark.parametrize(
    "section,key,value,match",
    [
        ("train", "epochs", "ten", "must be of type int"),
        ("train", "epochs", 0, "must be > 0"),
        ("train", "disc_steps", 0, "must be > 0"),
        ("train", "progress", 1, "true or false"),
        ("optim", "lr_recon", True, "must be a number"),
        ("optim", "momentum_adv", 1.5, r"\[0, 1\)"),
        ("model", "encoder_hidden", 1000, "list of int"),
        ("model", "encoder_hidden", [1000, 0], "widths must be > 0"),
        ("model", "init_std", -0.01, r"model.init_std must be >= 0"),
        ("loss", "recon_weight", -1.0, r"loss.recon_weight must be >= 0"),
        ("loss", "adv_weight", -0.5, r"loss.adv_weight must be >= 0"),
        ("loss", "adv_y_weight", -1.0, r"loss.adv_y_weight must be >= 0"),
        ("loss", "adv_y_warmup_epochs", -1.0, r"loss.adv_y_warmup_epochs must be >= 0"),
        ("loss", "recon_y_warmup_epochs", -2.0, r"loss.recon_y_warmup_epochs must be >= 0"),
        ("loss", "ce_weight", -1.0, r"loss.ce_weight must be >= 0"),
    ],
)
def test_bad_values(section, key, value, match):
    with pytest.raises(ConfigError, match=match):
        config_from_dict({section: {key: value}})


def test_style_noise_needs_a_class_code_and_a_non_negative_std():
    with pytest.raises(
        ConfigError, match=r"model.style_noise_std = 0.5 needs a model with a class"
    ):
        config_from_dict({"model": {"variant": "aae", "style_noise_std": 0.5}})
    with pytest.raises(ConfigError, match=r"model.style_noise_std must be >= 0"):
        config_from_dict({"model": {"variant": "clustering", "style_noise_std": -1.0}})


def test_disc_steps_refused_for_the_vae():
    with pytest.raises(ConfigError, match=r"train.disc_steps = 2.*'vae' has no discriminator"):
        config_from_dict({"model": {"variant": "vae"}, "train": {"disc_steps": 2}})


def test_int_accepted_for_float():
    assert config_from_dict({"prior": {"std": 5}}).prior.std == 5.0


def test_two_d_prior_needs_two_d_code():
    with pytest.raises(ConfigError, match="latent_dim = 2"):
        config_from_dict({"prior": {"type": "mixture"}, "model": {"latent_dim": 8}})


def test_label_conditioning_needs_component_prior():
    with pytest.raises(ConfigError, match="mixture"):
        config_from_dict({"model": {"label_conditioning": "one_hot"}})


def test_separate_label_batches_need_label_conditioning():
    with pytest.raises(ConfigError, match="label_conditioning = 'one_hot'"):
        config_from_dict({"train": {"label_batches": "separate"}})


def test_overrides():
    assert parse_override("train.epochs=5") == ("train.epochs", 5)
    assert parse_override("prior.type=mixture") == ("prior.type", "mixture")
    assert parse_override("model.encoder_hidden=[10, 20]") == ("model.encoder_hidden", [10, 20])
    cfg = load_config(None, ["train.epochs=5", "model.encoder_hidden=[10,20]"])
    assert cfg.train.epochs == 5 and cfg.model.encoder_hidden == (10, 20)
    with pytest.raises(ConfigError, match="section.key=value"):
        parse_override("epochs")


def test_flat_overrides():
    assert flat_overrides({"latent_dim": 3, "prior": "uniform"}) == {
        "model.latent_dim": 3,
        "prior.type": "uniform",
    }
    with pytest.raises(ConfigError, match="Did you mean 'epochs'"):
        flat_overrides({"epoch": 3})


def test_bad_toml_file(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[model\nlatent_dim = 2")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "missing.toml")
