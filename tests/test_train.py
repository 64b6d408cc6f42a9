"""End-to-end: real MNIST subsets, tiny networks, the library and the CLI."""

from __future__ import annotations

import json
import shlex

import numpy as np
import pytest
import torch

from torch_aae import AAE, load_model, resume_run, train_run
from torch_aae.cli import main
from torch_aae.errors import CheckpointError, ConfigError
from torch_aae.training.checkpoint import load_checkpoint


def _weights(run_dir):
    return load_checkpoint(run_dir)["trainer"]["model"]


def test_train_run_writes_everything(tiny_cfg, tmp_path):
    summary = train_run(tiny_cfg, tmp_path / "run")
    run = tmp_path / "run"
    for name in ("config.toml", "checkpoint.pt", "metrics.jsonl", "summary.json"):
        assert (run / name).is_file(), name
    for fig in ("latent.png", "manifold.png", "reconstructions.png", "samples.png", "curves.png"):
        assert (run / "figures" / fig).stat().st_size > 1000, fig
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == [1, 2]
    assert {"loss_recon", "loss_disc", "loss_gen", "disc_acc_real", "disc_acc_fake"} <= set(
        records[0]
    )
    assert "val_recon_mse_sum" in records[-1] and "val_c2st_accuracy" in records[-1]
    for split in ("val", "test"):
        assert 0 <= summary[split]["c2st_accuracy"] <= 1
        assert summary[split]["recon_mse_sum"] > 0
    assert summary["test"]["n_recon"] == 10000
    assert summary["hardware"] and summary["wall_seconds"] > 0
    # the summary names the validation-chosen epoch as well as the last one
    best = json.loads((run / "best.json").read_text())
    assert summary["best"] == {**best, "file": "best.pt"} and best["epoch"] in (1, 2)
    assert best["value"] == min(r[best["metric"]] for r in records if best["metric"] in r)


def test_same_seed_same_run(tiny_cfg, tmp_path):
    train_run(tiny_cfg, tmp_path / "a")
    train_run(tiny_cfg, tmp_path / "b")
    train_run(tiny_cfg.replace(**{"train.seed": 1}), tmp_path / "c")
    a, b, c = _weights(tmp_path / "a"), _weights(tmp_path / "b"), _weights(tmp_path / "c")
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_resume_matches_uninterrupted_run(tiny_cfg, tmp_path):
    cfg = tiny_cfg.replace(**{"train.epochs": 3})
    train_run(cfg, tmp_path / "full")
    train_run(cfg.replace(**{"train.epochs": 1}), tmp_path / "part")
    resume_run(tmp_path / "part", epochs=3)
    full, part = _weights(tmp_path / "full"), _weights(tmp_path / "part")
    assert all(torch.equal(full[k], part[k]) for k in full)
    lines = (tmp_path / "part" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in lines] == [1, 2, 3]


def test_existing_run_dir_is_refused_and_kept(tiny_cfg, tmp_path):
    train_run(tiny_cfg, tmp_path / "run")
    before = (tmp_path / "run" / "checkpoint.pt").read_bytes()
    with pytest.raises(CheckpointError, match="--resume"):
        train_run(tiny_cfg, tmp_path / "run")
    assert (tmp_path / "run" / "checkpoint.pt").read_bytes() == before
    train_run(tiny_cfg, tmp_path / "run", overwrite=True)


def _tiny_test_split(cfg):
    from torch_aae.training.data import load_data

    test = load_data(cfg.data, cfg.train.seed).test
    return test.x.float(), test.y


def test_label_conditioned_run(tiny_cfg, tmp_path):
    cfg = tiny_cfg.replace(
        **{"prior.type": "swiss_roll", "model.label_conditioning": "one_hot", "data.n_labeled": 100}
    )
    summary = train_run(cfg, tmp_path / "run")
    assert (tmp_path / "run" / "figures" / "samples.png").is_file()
    assert (tmp_path / "run" / "figures" / "style_sweep.png").is_file()  # paper Fig. 4d
    assert summary["test"]["recon_mse_sum"] > 0
    model = load_model(tmp_path / "run")
    assert model.n_classes == 10
    # the share of test codes on their own label's segment, as the prior assigns them
    own = summary["test"]["label_component_accuracy"]
    assert 0.0 <= own <= 1.0
    x, y = _tiny_test_split(cfg)
    with torch.no_grad():
        z = model.encode(x, sample=False).z
    assert own == pytest.approx(float((model.prior.component(z) == y).float().mean()), abs=1e-6)


def test_estimator_save_load_identical(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 6)).astype(np.float32)
    est = AAE(
        latent_dim=2,
        epochs=2,
        batch_size=50,
        encoder_hidden=[16],
        decoder_hidden=[16],
        disc_hidden=[8],
        decoder_output="linear",
        progress=False,
        device="cpu",
    ).fit(X)
    Z = est.transform(X)
    assert Z.shape == (300, 2)
    assert est.inverse_transform(Z).shape == (300, 6)
    est.save(tmp_path / "m.pt")
    loaded = AAE.load(tmp_path / "m.pt")
    np.testing.assert_array_equal(loaded.transform(X), Z)
    np.testing.assert_array_equal(loaded.sample(5, seed=1), est.sample(5, seed=1))
    assert len(est.history_) == 2


def test_estimator_rejects_bad_arrays():
    from torch_aae.errors import DataError

    with pytest.raises(DataError, match="NaN"):
        AAE(epochs=1).fit(np.array([[0.0, np.nan]]))
    with pytest.raises(DataError, match="2-D"):
        AAE(epochs=1).fit(np.zeros(5))
    with pytest.raises(RuntimeError, match="not fitted"):
        AAE().transform(np.zeros((2, 2)))
    with pytest.raises(ConfigError, match="Unknown parameter"):
        AAE(latnt_dim=3).fit(np.zeros((4, 2)))


def _cli_args(data_dir, out, *extra):
    sets = [
        "data.n_train=600",
        "data.val_size=200",
        "model.encoder_hidden=[64]",
        "model.decoder_hidden=[64]",
        "model.disc_hidden=[32]",
        "train.epochs=1",
        "train.batch_size=50",
        "train.n_eval=200",
        "data.download=false",
    ]
    args = ["train", "--data-dir", str(data_dir), "--out", str(out), "--no-progress"]
    for s in sets:
        args += ["--set", s]
    return args + list(extra)


def test_cli_train_resume_sample_encode_evaluate(data_dir, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(_cli_args(data_dir, run)) == 0
    assert main(["train", "--resume", str(run), "--epochs", "2", "--no-progress"]) == 0
    assert len((run / "metrics.jsonl").read_text().splitlines()) == 2
    # summary.json names both commands that trained the run, as typed, with their start epochs
    commands = json.loads((run / "summary.json").read_text())["commands"]
    assert [c["from_epoch"] for c in commands] == [0, 1]
    assert commands[0]["command"] == "aae " + shlex.join(_cli_args(data_dir, run))
    assert commands[1]["command"] == f"aae train --resume {run} --epochs 2 --no-progress"
    assert main(["sample", str(run), "-n", "20", "--out", str(tmp_path / "s.npy")]) == 0
    assert np.load(tmp_path / "s.npy").shape == (20, 784)
    assert main(["sample", str(run), "-n", "20", "--out", str(tmp_path / "s.png")]) == 0
    assert main(["encode", str(run), "--split", "val", "--out", str(tmp_path / "z.npy")]) == 0
    assert np.load(tmp_path / "z.npy").shape == (200, 2)
    capsys.readouterr()
    assert main(["evaluate", str(run), "--split", "test"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["split"] == "test" and scores["n_recon"] == 10000 and scores["recon_mse_sum"] > 0
    assert main(["plot", str(run)]) == 0
    assert main(["plot", str(run), "--checkpoint", "best"]) == 0  # the validation-chosen epoch
    assert any((run / "figures_best").glob("*.png"))
    out = tmp_path / "parzen.json"
    args = ["evaluate", str(run), "--metric", "parzen", "--n-samples", "300", "--out", str(out)]
    assert main(args) == 0
    result = json.loads(out.read_text())
    assert result["n_samples"] == 300 and result["n_val"] == 200 and result["n_test"] == 10000
    assert np.isfinite(result["test_mean"]) and 0.1 <= result["sigma"] <= 1.0 + 1e-9
    assert result["paper_value"] == 340.0 and result["epochs"] == 2 and result["model"] == "aae"
    assert result["details"] == "docs/likelihood.md"
    assert result["train_commands"] == [c["command"] for c in commands]  # what trained the run
    # where and at which GEMM precision the run trained, from its checkpoint
    from torch_aae.run import hardware_info

    ckpt = load_checkpoint(run)
    assert result["train_hardware"] == ckpt["hardware"] == hardware_info("cpu")
    assert result["train_matmul_precision"] == ckpt["matmul_precision"]
    assert ckpt["matmul_precision"] in ("highest", "medium")
    assert result["train_gemm_rel_error"] == ckpt["gemm_rel_error"]
    assert (tmp_path / "parzen_neighbours.png").stat().st_size > 1000  # paper Fig. 5
    # the validation score for choosing runs: sigma from the first half, scored on the rest
    out_val = tmp_path / "parzen_val.json"
    assert main(args[:-1] + [str(out_val), "--split", "val"]) == 0
    held = json.loads(out_val.read_text())
    assert held["n_val"] == 100 and held["n_val_heldout"] == 100 and "test_mean" not in held
    assert np.isfinite(held["val_heldout_mean"]) and held["split"].startswith("val images 100-199")
    assert held["metric"] == "Parzen-window log-likelihood of the val images (nats)"
    assert main(args[:-1] + [str(tmp_path / "p.json"), "--split", "train"]) == 2
    assert "'val' or 'test'" in capsys.readouterr().err


@pytest.mark.parametrize(
    "extra,message",
    [
        (["--set", "model.latent_dims=3"], "Did you mean 'latent_dim'"),
        (["--set", "prior.type=cauchy"], "'gaussian', 'mixture'"),
        (["--set", "train.epochs=many"], "must be of type int"),
    ],
)
def test_cli_bad_config_exits_nonzero_with_message(data_dir, tmp_path, capsys, extra, message):
    assert main(_cli_args(data_dir, tmp_path / "run", *extra)) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "run").exists()


def test_cli_missing_data_names_places(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("TORCH_AAE_DATA", str(tmp_path / "env"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    args = _cli_args(tmp_path / "empty", tmp_path / "run")
    assert main(args) == 2
    err = capsys.readouterr().err
    assert str(tmp_path / "empty") in err and str(tmp_path / "env") in err
    assert not (tmp_path / "run").exists()


def test_cli_existing_out_refused(data_dir, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(_cli_args(data_dir, run)) == 0
    assert main(_cli_args(data_dir, run)) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(_cli_args(data_dir, run, "--overwrite")) == 0
    (run / "best.pt").unlink()
    capsys.readouterr()
    assert main(["plot", str(run), "--checkpoint", "best"]) == 2
    assert "has no best.pt" in capsys.readouterr().err


def test_corrupt_checkpoint_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "checkpoint.pt").write_bytes(b"not a checkpoint")
    assert main(["sample", str(tmp_path / "run"), "--out", str(tmp_path / "s.npy")]) == 2
    assert "not a readable torch-aae checkpoint" in capsys.readouterr().err


def test_cli_trains_on_user_csv(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 5))
    y = (x[:, 0] > 0).astype(int)
    table = np.column_stack([x, y])
    path = tmp_path / "table.csv"
    np.savetxt(path, table, delimiter=",", header="a,b,c,d,e,label", comments="")
    run = tmp_path / "run"
    args = [
        "train",
        "--out",
        str(run),
        "--no-progress",
        "--set",
        f"data.dataset={json.dumps(str(path))}",
        "--set",
        "data.label_key=label",
        "--set",
        "data.val_size=100",
        "--set",
        "model.decoder_output=linear",
        "--set",
        "model.encoder_hidden=[16]",
        "--set",
        "model.decoder_hidden=[16]",
        "--set",
        "model.disc_hidden=[8]",
        "--set",
        "train.epochs=1",
        "--set",
        "train.batch_size=50",
    ]
    assert main(args) == 0
    summary = json.loads((run / "summary.json").read_text())
    assert "test" not in summary and summary["val"]["n_recon"] == 100
    assert (run / "figures" / "latent.png").is_file()
    assert not (run / "figures" / "samples.png").exists()  # tabular rows are not images
    assert main(["encode", str(run), "--input", str(tmp_path / "x.npy"), "--out", "z.npy"]) == 2
    np.save(tmp_path / "x.npy", x[:, :3].astype(np.float32))
    assert main(["encode", str(run), "--input", str(tmp_path / "x.npy"), "--out", "z.npy"]) == 2
    assert "expects 5" in capsys.readouterr().err
    np.save(tmp_path / "x.npy", x.astype(np.float32))
    out = tmp_path / "z.npy"
    assert main(["encode", str(run), "--input", str(tmp_path / "x.npy"), "--out", str(out)]) == 0
    assert np.load(out).shape == (400, 2)


def test_label_errors(tiny_cfg, tmp_path):
    from torch_aae.errors import DataError

    cond = {"prior.type": "mixture", "model.label_conditioning": "one_hot"}
    with pytest.raises(DataError, match="n_labeled = 100000"):
        train_run(tiny_cfg.replace(**cond, **{"data.n_labeled": 100000}), tmp_path / "a")
    with pytest.raises(ConfigError, match="prior.n_components = 10"):
        train_run(tiny_cfg.replace(**cond, **{"prior.n_components": 5}), tmp_path / "b")
    with pytest.raises(ConfigError, match="needs labels"):
        train_run(tiny_cfg.replace(**cond, **{"data.n_labeled": 0}), tmp_path / "c")
    assert not any((tmp_path / name).exists() for name in "abc")


def test_gemm_error_is_measured_and_recorded(tiny_cfg, tmp_path, monkeypatch):
    """The precision setting alone does not say whether the backend rounded to bf16; the GEMM
    error measured under it does, and runs record it."""
    from torch_aae.device import gemm_relative_error, matmul_is_fp32_accurate

    cpu = torch.device("cpu")
    torch.set_float32_matmul_precision("highest")
    assert gemm_relative_error(cpu) < 1e-6 and matmul_is_fp32_accurate(cpu)
    linear = torch.nn.functional.linear

    def bf16_linear(a, w, b=None):  # a backend that rounds GEMM inputs to bf16
        return linear(a.bfloat16().float(), w.bfloat16().float(), b)

    monkeypatch.setattr(torch.nn.functional, "linear", bf16_linear)
    assert gemm_relative_error(cpu) > 1e-4 and not matmul_is_fp32_accurate(cpu)
    monkeypatch.undo()

    cfg = tiny_cfg.replace(**{"train.epochs": 1, "train.matmul_precision": "highest"})
    summary = train_run(cfg, tmp_path / "run")
    ckpt = load_checkpoint(tmp_path / "run")
    assert ckpt["matmul_precision"] == summary["matmul_precision"] == "highest"
    assert 0 <= ckpt["gemm_rel_error"] == summary["gemm_rel_error"] < 1e-5


@pytest.mark.parametrize("rounds", [False, True])
def test_auto_matmul_keeps_medium_only_when_fp32_accurate_measuring_each_setting_once(
    rounds, monkeypatch
):
    import torch_aae.device as device

    cpu, calls = torch.device("cpu"), []

    def fake_error(dev):
        calls.append(torch.get_float32_matmul_precision())
        return 1e-3 if rounds and calls[-1] == "medium" else 1e-7

    monkeypatch.setattr(device, "gemm_relative_error", fake_error)
    try:
        setting, error = device.configure_matmul("auto", cpu)
    finally:
        torch.set_float32_matmul_precision("highest")
    assert (setting, error) == (("highest", 1e-7) if rounds else ("medium", 1e-7))
    assert calls == (["medium", "highest"] if rounds else ["medium"])
