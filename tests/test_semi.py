"""The supervised (section 4) and semi-supervised (section 5) AAEs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from torch_aae import load_model, resume_run, train_run
from torch_aae.config import RunConfig, config_from_dict, load_config
from torch_aae.errors import ConfigError
from torch_aae.figures import style_grid
from torch_aae.registry import VARIANTS, create_model
from torch_aae.training.checkpoint import load_checkpoint
from torch_aae.training.trainer import Trainer


def _semi_cfg(**extra) -> RunConfig:
    values = {
        "model.variant": "semi_supervised",
        "model.latent_dim": 4,
        "model.encoder_hidden": [32, 32],
        "model.decoder_hidden": [32],
        "model.disc_hidden": [16],
        "data.n_labeled": 20,
        "train.device": "cpu",
        "train.progress": False,
    }
    return RunConfig().replace(**(values | extra))


def _semi_tiny(tiny_cfg, **extra) -> RunConfig:
    return tiny_cfg.replace(
        **{
            "model.variant": "semi_supervised",
            "model.latent_dim": 4,
            "model.encoder_hidden": [64, 64],
            "data.n_labeled": 100,
            "train.best_metric": "val_error_percent",
            "train.eval_every": 1,
        }
        | extra
    )


def _params_by_name(model):
    return {k: v.detach().clone() for k, v in model.named_parameters()}


@pytest.mark.parametrize("phase", ["recon", "disc", "gen", "ce"])
def test_each_semi_supervised_phase_moves_only_its_parameters(phase):
    torch.manual_seed(0)
    cfg = _semi_cfg()
    model = create_model(cfg, 12)
    variant = VARIANTS["semi_supervised"]
    opts = variant.build_optimizers(model, cfg.optim)
    for name, opt in opts.items():  # silence every phase but one
        for group in opt.param_groups:
            group["lr"] = group["lr"] if name == phase else 0.0
    x = torch.rand(8, 12)
    prior = model.prior_batch(8, torch.Generator().manual_seed(0), None)
    labeled = (torch.rand(8, 12), torch.arange(8) % 10)
    before = _params_by_name(model)
    variant.step(model, opts, x, None, prior, cfg, labeled=labeled)
    moved = {k for k, v in model.named_parameters() if not torch.equal(v, before[k])}
    owners = {
        "recon": ("trunk", "head_y", "head_z", "decoder"),
        "disc": ("disc_y", "disc_z"),
        "gen": ("trunk", "head_y", "head_z"),
        "ce": ("trunk", "head_y"),
    }[phase]
    assert moved, f"the {phase} phase moved nothing"
    assert all(k.split(".")[0] in owners for k in moved), sorted(moved)
    if phase in ("disc", "gen"):  # both adversaries (or both heads) take part
        assert {k.split(".")[0] for k in moved} >= (
            {"disc_y", "disc_z"} if phase == "disc" else {"head_y", "head_z"}
        )


def test_semi_supervised_prior_batch_is_one_hot_then_gaussian():
    model = create_model(_semi_cfg(), 12)
    draws = model.prior_batch(5000, torch.Generator().manual_seed(0), None)
    y, z = draws[:, :10], draws[:, 10:]
    assert draws.shape == (5000, 14)
    assert torch.equal(y.sum(1), torch.ones(5000)) and set(y.unique().tolist()) == {0.0, 1.0}
    counts = y.sum(0)
    assert counts.min() > 400 and counts.max() < 600  # uniform over the 10 classes
    assert z.mean().abs() < 0.05 and (z.std() - 1).abs() < 0.05


def test_labeled_batches_come_only_from_labeled_rows():
    cfg = _semi_cfg()
    trainer = Trainer(create_model(cfg, 12), cfg)
    x = torch.arange(60, dtype=torch.float32).repeat(12, 1).T  # row i is all i
    labels = torch.full((60,), -1)
    labels[[3, 17, 42]] = torch.tensor([1, 2, 3])
    trainer._labeled = (x[labels >= 0], labels[labels >= 0])
    xb, yb = trainer._labeled_batch(7)
    rows = xb[:, 0].long().tolist()
    assert set(rows) == {3, 17, 42}  # the whole pool, repeated to fill the batch
    assert all(labels[r] == y for r, y in zip(rows, yb.tolist(), strict=True))


def test_semi_supervised_learns_from_100_labels_and_resumes_exactly(tiny_cfg, tmp_path):
    cfg = _semi_tiny(tiny_cfg, **{"train.epochs": 4, "data.n_train": 2000})
    summary = train_run(cfg, tmp_path / "full")
    records = [json.loads(line) for line in (tmp_path / "full" / "metrics.jsonl").open()]
    assert {"loss_ce", "loss_disc_y", "loss_disc_z", "val_error_percent"} <= set(records[-1])
    assert summary["test"]["error_percent"] < 60  # chance is 90%
    best = json.loads((tmp_path / "full" / "best.json").read_text())
    assert best["metric"] == "val_error_percent"
    assert best["value"] == min(r["val_error_percent"] for r in records)
    for r in records:
        if "val_error_percent" in r:  # the confusion matrix of the same pass of q(y|x)
            cm = np.array(r["val_confusion_matrix"])
            assert cm.shape == (10, 10) and cm.sum() == cfg.data.val_size
            assert 100.0 * (1 - np.trace(cm) / cm.sum()) == pytest.approx(r["val_error_percent"])
    assert (tmp_path / "full" / "figures" / "style_grid.png").is_file()

    train_run(cfg.replace(**{"train.epochs": 2}), tmp_path / "part")
    resume_run(tmp_path / "part", epochs=4)
    full = load_checkpoint(tmp_path / "full")["trainer"]["model"]
    part = load_checkpoint(tmp_path / "part")["trainer"]["model"]
    assert all(torch.equal(full[k], part[k]) for k in full)


def test_supervised_decoder_reads_the_label_and_draws_the_style_grid(tiny_cfg, tmp_path):
    cfg = tiny_cfg.replace(**{"model.variant": "supervised", "model.latent_dim": 5})
    summary = train_run(cfg, tmp_path / "run")
    assert summary["test"]["recon_mse_sum"] > 0
    model = load_model(tmp_path / "run")
    z = torch.zeros(2, 5)
    with torch.no_grad():
        a, b = model.decode(z, torch.tensor([3, 3])), model.decode(z, torch.tensor([3, 8]))
    assert torch.equal(a[0], b[0]) and not torch.equal(a[1], b[1])
    assert style_grid(model, n_styles=3).shape == (30, 784)
    assert (tmp_path / "run" / "figures" / "style_grid.png").is_file()


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["model.variant='semi_supervised'", "prior.type='mixture'"], "prior.type = 'gaussian'"),
        (["model.variant='supervised'", "data.n_labeled=100"], "data.n_labeled = -1"),
        (["model.variant='semi_supervised'", "data.n_labeled=0"], "needs labeled rows"),
        (["train.best_metric='val_error_percent'"], "needs a classifier"),
        (["model.variant='semi_supervised'", "model.encoder_type='gaussian'"], "deterministic"),
        (["model.disc_noise_std=-1"], ">= 0"),
        (["model.variant='clustering'", "data.n_labeled=0", "model.disc_z_noise_std=-1"], ">= 0"),
        (["model.variant='aae'", "model.disc_z_noise_std=0"], "Use model.disc_noise_std"),
        (
            ["model.variant='clustering'", "data.n_labeled=0", "model.y_prior_temperature=-1"],
            ">= 0",
        ),
        (["model.variant='supervised'", "model.y_prior_temperature=0.3"], "has none"),
    ],
)
def test_label_model_config_errors(overrides, message):
    with pytest.raises(ConfigError, match=message):
        load_config(None, overrides)


def test_reproduce_writes_results_and_a_checkpoint_evaluate_recomputes(
    tiny_cfg, tmp_path, capsys, monkeypatch
):
    from torch_aae.cli import main

    cfg = _semi_tiny(tiny_cfg, **{"train.epochs": 1, "data.n_train": 1000})
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "semi_supervised_100.toml").write_text(cfg.to_toml())
    dirs = [f"--{d}-dir={tmp_path / f}" for d, f in [("config", "configs"), ("runs", "runs")]]
    dirs.append(f"--results-dir={tmp_path / 'results'}")
    args = ["reproduce", "semi-supervised", "--labels", "100", "--seeds", "0", "1", *dirs]
    assert main(args) == 0
    result = json.loads((tmp_path / "results" / "semi_supervised_100.json").read_text())
    assert result["paper_value"] == 1.90 and result["seeds"] == [0, 1]
    assert len(result["test_error_percent"]["per_seed"]) == 2
    assert result["target_met"] is False  # two seeds can never meet the 3-seed target
    assert (Path(__file__).resolve().parents[1] / result["details"]).is_file()
    for key in ("val_error_percent", "wall_seconds", "hardware", "command", "commit"):
        assert key in result
    assert (tmp_path / "results" / "semi_supervised_100_error_vs_time.png").stat().st_size > 1000
    seed0 = result["epochs"]["per_seed"][0]
    assert seed0["epochs_trained"] == 1 and seed0["best_epoch"] == 1
    # each checkpoint records the hardware it trained on; the results file reads it from there
    from torch_aae.run import hardware_info

    seed1_run = tmp_path / "runs" / "semi_supervised_100" / "seed1"
    assert load_checkpoint(seed1_run)["hardware"] == hardware_info("cpu")
    assert seed0["hardware"] == hardware_info("cpu") == result["hardware"]
    # and the GEMM precision it trained with ("auto" resolves to one of these)
    precision = load_checkpoint(seed1_run)["matmul_precision"]
    assert precision in ("highest", "medium")
    assert seed0["matmul_precision"] == precision == result["matmul_precision"]
    assert seed0["gemm_rel_error"] == load_checkpoint(seed1_run.parent / "seed0")["gemm_rel_error"]
    # each seed trained with its own seed, hence its own labeled subset
    from torch_aae.run import read_run
    from torch_aae.training.data import load_data

    subsets = []
    for s in (0, 1):
        run_cfg, _ = read_run(tmp_path / "runs" / "semi_supervised_100" / f"seed{s}")
        assert run_cfg.train.seed == s
        subsets.append(load_data(run_cfg.data, run_cfg.train.seed).train_labels >= 0)
    assert int(subsets[0].sum()) == int(subsets[1].sum()) == 100
    assert not torch.equal(subsets[0], subsets[1])

    capsys.readouterr()
    assert main(["evaluate", seed0["checkpoint"], "--split", "test"]) == 0
    recomputed = json.loads(capsys.readouterr().out)
    assert recomputed["error_percent"] == seed0["test_error_percent"]
    assert recomputed["n"] == 10000
    cm = np.array(recomputed["confusion_matrix"])  # rows: true label, columns: predicted
    assert cm.shape == (10, 10) and cm.sum() == 10000
    assert np.array_equal(cm.sum(1), np.bincount(load_data(run_cfg.data, 0).test.y, minlength=10))
    assert 100 * (1 - np.trace(cm) / 10000) == pytest.approx(recomputed["error_percent"])
    # a run directory's classifier gets its confusion matrix too, on any split, and q(y|x)
    # reads each image once for the error and the matrix together
    from torch_aae.semi import SemiSupervisedAAE

    rows = []
    classify = SemiSupervisedAAE.classify
    monkeypatch.setattr(
        SemiSupervisedAAE, "classify", lambda self, x: rows.append(len(x)) or classify(self, x)
    )
    assert main(["evaluate", str(seed1_run), "--split", "val"]) == 0
    monkeypatch.undo()
    scores = json.loads(capsys.readouterr().out)
    assert sum(rows) == len(load_data(run_cfg.data, 1).val.y)
    cm = np.array(scores["confusion_matrix"])
    val_y = load_data(run_cfg.data, 1).val.y
    assert np.array_equal(cm.sum(1), np.bincount(val_y, minlength=10))
    assert 100 * (1 - np.trace(cm) / len(val_y)) == pytest.approx(scores["error_percent"])
    assert scores["split"] == "val" and scores["n_recon"] == len(val_y)

    # the model card and from_pretrained
    from torch_aae import from_pretrained
    from torch_aae.errors import CheckpointError
    from torch_aae.training.trainer import classification_error

    card = (tmp_path / "results" / "checkpoints" / "semi_supervised_100_seed0.md").read_text()
    assert f"test error\n  {seed0['test_error_percent']:.2f}%" in card
    assert "Test error per class (%)**: 0: " in card
    model = from_pretrained("semi_supervised_100_seed0", root=tmp_path / "results" / "checkpoints")
    test = load_data(run_cfg.data, 0).test
    assert classification_error(model, test.x, test.y) == seed0["test_error_percent"]
    with pytest.raises(CheckpointError, match=r"Available: .*semi_supervised_100_seed0"):
        from_pretrained("nope", root=tmp_path / "results" / "checkpoints")

    # --no-train evaluates the runs as they stand and says the result is partial; a run trained
    # elsewhere keeps the hardware its checkpoint names
    from torch_aae.training.checkpoint import save_checkpoint

    ckpt = load_checkpoint(seed1_run)
    save_checkpoint(seed1_run / "checkpoint.pt", {**ckpt, "hardware": "a GPU machine"})
    # a checkpoint from before the precision was recorded: the run's summary.json says it
    ckpt0 = load_checkpoint(tmp_path / "runs" / "semi_supervised_100" / "seed0")
    del ckpt0["matmul_precision"]
    summary0 = tmp_path / "runs" / "semi_supervised_100" / "seed0" / "summary.json"
    summary = json.loads(summary0.read_text())
    summary0.write_text(json.dumps({**summary, "matmul_precision": "medium"}))
    save_checkpoint(tmp_path / "runs" / "semi_supervised_100" / "seed0" / "checkpoint.pt", ckpt0)
    assert main([*args, "--epochs", "3", "--no-train"]) == 0
    result = json.loads((tmp_path / "results" / "semi_supervised_100.json").read_text())
    assert result["complete"] is False and result["epochs"]["per_seed"][0]["epochs_trained"] == 1
    assert [r["hardware"] for r in result["epochs"]["per_seed"]] == [
        hardware_info("cpu"),
        "a GPU machine",
    ]
    assert result["hardware"] == "; ".join(sorted([hardware_info("cpu"), "a GPU machine"]))
    assert result["epochs"]["per_seed"][0]["matmul_precision"] == "medium"
    assert result["matmul_precision"] == "; ".join(sorted({"medium", precision}))

    # a second call continues the same runs instead of starting again
    assert main([*args, "--epochs", "2"]) == 0
    result = json.loads((tmp_path / "results" / "semi_supervised_100.json").read_text())
    assert result["epochs"]["per_seed"][0]["epochs_trained"] == 2
    lines = (tmp_path / "runs" / "semi_supervised_100" / "seed0" / "metrics.jsonl").read_text()
    assert [json.loads(r)["epoch"] for r in lines.splitlines()] == [1, 2]
    # the results file and model card name every command that trained the run, and the export
    assert len(result["epochs"]["per_seed"][0]["train_commands"]) == 2
    card = (tmp_path / "results" / "checkpoints" / "semi_supervised_100_seed0.md").read_text()
    assert card.count("aae reproduce semi-supervised") == 3
    assert "(from epoch 0); then `" in card and "(from epoch 1).\n- **Exported by**: `" in card
    assert "\n\n- **Limits**" not in card

    # --train-only trains and leaves the results file alone (seeds trained side by side)
    capsys.readouterr()
    assert (
        main(
            [
                "reproduce",
                "semi-supervised",
                "--labels",
                "100",
                "--seeds",
                "1",
                *dirs,
                "--epochs",
                "3",
                "--train-only",
            ]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out)["trained"][0]["epochs_trained"] == 3
    assert json.loads((tmp_path / "results" / "semi_supervised_100.json").read_text()) == result
    assert load_checkpoint(seed1_run)["trainer"]["epoch"] == 3
    assert main([*args, "--no-train", "--train-only"]) == 2

    # a changed configuration is not grafted onto runs trained under the old one
    capsys.readouterr()
    assert main([*args, "--epochs", "3", "--set", "loss.recon_weight=0.5"]) == 2
    err = capsys.readouterr().err
    assert "loss.recon_weight = 1.0 in the run, 0.5 now" in err and "--runs-dir" in err
    assert (
        load_checkpoint(tmp_path / "runs" / "semi_supervised_100" / "seed0")["trainer"]["epoch"]
        == 2
    )
    assert json.loads((tmp_path / "results" / "semi_supervised_100.json").read_text()) == result


def test_evaluate_refuses_a_training_checkpoint_as_classifier(tiny_cfg, tmp_path):
    from torch_aae.errors import CheckpointError
    from torch_aae.reproduce import load_classifier

    train_run(tiny_cfg.replace(**{"train.epochs": 1}), tmp_path / "run")
    with pytest.raises(CheckpointError, match="not an exported classifier"):
        load_classifier(tmp_path / "run" / "checkpoint.pt")


@pytest.mark.parametrize("variant", ["semi_supervised", "clustering", "dim_reduction"])
def test_style_noise_reaches_the_decoder_in_training_only(variant):
    """model.style_noise_std: z + N(0, s^2) into the decoder while training; the clean z in
    evaluation, and the adversary's z is never noised."""
    cfg = _semi_cfg(**{"model.variant": variant, "model.style_noise_std": 0.7})
    if variant == "clustering":
        cfg = cfg.replace(**{"data.n_labeled": 0, "model.n_classes": 6})
    model = create_model(cfg, 12)
    seen = []
    forward = model.decoder.forward
    model.decoder.forward = lambda h: (seen.append(h.detach()), forward(h))[1]
    x = torch.rand(4000, 12)
    logits, z = model.encode_yz(x)
    if variant == "dim_reduction":
        clean = logits.softmax(1) @ model.heads + z
    else:
        clean = torch.cat([logits.softmax(1), z], dim=1)
    model.train()
    model.reconstruct(x)
    noise = seen[-1] - clean.detach()
    k = 0 if variant == "dim_reduction" else cfg.model.n_classes
    assert torch.allclose(noise[:, :k], torch.zeros_like(noise[:, :k]), atol=1e-6)  # y as is
    assert abs(noise[:, k:].std().item() - 0.7) < 0.03 and noise[:, k:].mean().abs() < 0.03
    assert torch.equal(model.encode_yz(x)[1], z)  # what the adversary sees: no noise
    model.eval()
    model.reconstruct(x)
    assert torch.allclose(seen[-1], clean.detach(), atol=1e-6)


@pytest.mark.parametrize("variant", ["semi_supervised", "clustering", "dim_reduction"])
def test_hard_decoder_y_feeds_one_hots_with_the_softmax_gradient(variant):
    """model.decoder_y = "hard": the decoder reads the one-hot argmax of q(y|x), and the
    encoder's y head gets the gradient it would get through the softmax (straight-through)."""
    extra = {"data.n_labeled": 0, "model.n_classes": 6} if variant == "clustering" else {}
    grads, inputs = {}, {}
    for mode in ("softmax", "hard"):
        cfg = _semi_cfg(**{"model.variant": variant, "model.decoder_y": mode} | extra)
        torch.manual_seed(0)
        model = create_model(cfg, 12)
        seen = []
        decode = model.decode
        model.decode = lambda z, y, seen=seen, decode=decode: (
            seen.append(y.detach()),
            decode(z, y),
        )[1]
        x = torch.rand(64, 12)
        logits, _ = model.encode_yz(x)
        model.reconstruct(x).pow(2).sum().backward()
        inputs[mode], grads[mode] = seen[-1], model.head_y.weight.grad.clone()
        if mode == "hard":
            one_hot = torch.nn.functional.one_hot(logits.argmax(1), cfg.model.n_classes).float()
            assert torch.equal(inputs[mode], one_hot)
        else:
            assert torch.allclose(inputs[mode], logits.softmax(1).detach())
    assert grads["hard"].abs().sum() > 0  # the y head still learns from the reconstruction
    assert not torch.allclose(grads["hard"], grads["softmax"])  # decoder saw other inputs


def test_hard_decoder_y_needs_a_class_code():
    with pytest.raises(ConfigError, match=r"model.decoder_y = 'hard' sets what the decoder"):
        config_from_dict({"model": {"variant": "aae", "decoder_y": "hard"}})
    with pytest.raises(ConfigError, match=r"decoder_y"):
        config_from_dict({"model": {"variant": "clustering", "decoder_y": "argmax"}})


@pytest.mark.parametrize("disc_z_noise", [None, 0.0, 0.2])
def test_style_adversary_noise_defaults_to_disc_noise_and_can_be_set_apart(disc_z_noise):
    """model.disc_z_noise_std: the style adversary's input noise; unset, disc_noise_std's."""
    cfg = _semi_cfg(**{"model.disc_noise_std": 0.5, "model.disc_z_noise_std": disc_z_noise})
    model = create_model(cfg, 12).train()
    z = torch.zeros(4000, cfg.model.latent_dim)
    seen = []
    for disc in (model.disc_y, model.disc_z):
        forward = disc.net.forward
        disc.net.forward = lambda h, f=forward: (seen.append(h.detach()), f(h))[1]
    model.disc_y(torch.zeros(4000, cfg.model.n_classes))
    model.disc_z(z)
    expected_z = 0.5 if disc_z_noise is None else disc_z_noise
    assert abs(seen[0].std().item() - 0.5) < 0.03
    assert abs(seen[1].std().item() - expected_z) < 0.03


def test_reproduce_no_train_keeps_seeds_trained_elsewhere(tiny_cfg, tmp_path, capsys):
    """--no-train over seeds of which some were trained on another machine: their entries come
    from the results file, their errors recomputed from the committed exported checkpoints."""
    import shutil

    from torch_aae.cli import main

    cfg = _semi_tiny(tiny_cfg, **{"train.epochs": 1, "data.n_train": 1000})
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "semi_supervised_100.toml").write_text(cfg.to_toml())
    dirs = [f"--{d}-dir={tmp_path / f}" for d, f in [("config", "configs"), ("runs", "runs")]]
    dirs.append(f"--results-dir={tmp_path / 'results'}")
    args = ["reproduce", "semi-supervised", "--labels", "100", *dirs]
    results = tmp_path / "results" / "semi_supervised_100.json"
    assert main([*args, "--seeds", "0", "1"]) == 0
    first = json.loads(results.read_text())
    # a results file from before the GEMM precision was recorded
    for key in ("matmul_precision", "gemm_rel_error"):
        del first["epochs"]["per_seed"][0][key]
    results.write_text(json.dumps(first))
    # seed 0's run leaves this machine; its log is kept elsewhere
    runs = tmp_path / "runs" / "semi_supervised_100"
    shutil.move(runs / "seed0", tmp_path / "elsewhere")
    log = tmp_path / "elsewhere" / "metrics.jsonl"
    capsys.readouterr()
    assert main([*args, "--seeds", "0", "1", "--no-train", "--seed-log", f"0={log}"]) == 0
    assert "seed 0: no run in this runs directory; keeping its recorded entry" in (
        capsys.readouterr().out
    )
    merged = json.loads(results.read_text())
    old0, new0 = first["epochs"]["per_seed"][0], merged["epochs"]["per_seed"][0]
    assert new0["recorded_entry"] is True and new0["metrics_log"] == str(log)
    for key in ("test_error_percent", "val_error_percent", "best_epoch", "wall_seconds"):
        assert new0[key] == old0[key]
    assert merged["test_error_percent"]["per_seed"] == first["test_error_percent"]["per_seed"]
    assert merged["seeds"] == [0, 1] and "recorded_entry" not in merged["epochs"]["per_seed"][1]
    assert new0["matmul_precision"] is None and new0["gemm_rel_error"] is None
    precision = merged["epochs"]["per_seed"][1]["matmul_precision"]
    assert merged["matmul_precision"] == "; ".join(sorted({"None", precision}))

    # a seed neither on this machine nor in the results file is refused, the file untouched
    assert main([*args, "--seeds", "0", "1", "2", "--no-train"]) == 2
    assert "records no seed 2" in capsys.readouterr().err
    assert json.loads(results.read_text()) == merged
    # an exported checkpoint that does not give the recorded error is refused
    ckpts = tmp_path / "results" / "checkpoints"
    saved = (ckpts / "semi_supervised_100_seed0.pt").read_bytes()
    tampered = json.loads(results.read_text())
    tampered["epochs"]["per_seed"][0]["test_error_percent"] += 5
    results.write_text(json.dumps(tampered))
    assert main([*args, "--seeds", "0", "1", "--no-train"]) == 2
    assert "not the one the file describes" in capsys.readouterr().err
    assert json.loads(results.read_text()) == tampered
    (ckpts / "semi_supervised_100_seed0.pt").unlink()
    assert main([*args, "--seeds", "0", "1", "--no-train"]) == 2
    assert "exported checkpoint" in capsys.readouterr().err
    (ckpts / "semi_supervised_100_seed0.pt").write_bytes(saved)
    # a malformed --seed-log, or one for a seed not asked for
    assert main([*args, "--seeds", "0", "1", "--no-train", "--seed-log", "zero"]) == 2
    assert "SEED=PATH" in capsys.readouterr().err
    assert main([*args, "--seeds", "1", "--no-train", "--seed-log", f"0={log}"]) == 2
    assert "not in --seeds" in capsys.readouterr().err


def test_reproduce_reports_a_seed_from_its_exported_classifier(tiny_cfg, tmp_path, capsys):
    """--seed-export: a seed trained elsewhere (its own runs folder, since gone) enters the
    results file from its exported classifier alone, with the same numbers as from its run;
    exports that lack the run's record or were trained with another config are refused before
    anything is written."""
    import shutil

    from torch_aae.cli import main
    from torch_aae.reproduce import evaluate_classifier, export_classifier, run_record

    cfg = _semi_tiny(tiny_cfg, **{"train.epochs": 2, "data.n_train": 1000})
    (tmp_path / "configs").mkdir()
    config = tmp_path / "configs" / "semi_supervised_100.toml"
    config.write_text(cfg.to_toml())
    dirs = [f"--{d}-dir={tmp_path / f}" for d, f in [("config", "configs"), ("runs", "runs")]]
    dirs.append(f"--results-dir={tmp_path / 'results'}")
    args = ["reproduce", "semi-supervised", "--labels", "100", *dirs]
    results = tmp_path / "results" / "semi_supervised_100.json"
    assert main([*args, "--seeds", "0"]) == 0
    # seed 1 trained as a trial run elsewhere, exported with its record, then the run is gone
    trial = tmp_path / "trial_s1"
    assert main(["train", str(config), "--out", str(trial), "--set", "train.seed=1"]) == 0
    record = run_record(trial)
    export = tmp_path / "exports" / "trial_s1.pt"
    export_classifier(trial / "best.pt", export, {"note": "trial", "record": record})
    val, test = (evaluate_classifier(export, split) for split in ("val", "test"))
    bare = tmp_path / "exports" / "bare_s1.pt"
    export_classifier(trial / "best.pt", bare, {"note": "no record"})
    log = tmp_path / "exports" / "trial_s1_metrics.jsonl"
    shutil.copyfile(trial / "metrics.jsonl", log)
    shutil.rmtree(trial)
    before = results.read_text()
    ckpt = tmp_path / "results" / "checkpoints" / "semi_supervised_100_seed1.pt"

    refused = [
        ([f"1={bare}"], ["--no-train"], "no 'record' in its metadata"),
        ([f"2={export}"], ["--no-train"], "train.seed = 1 in the run, 2 now"),
        ([f"1={export}"], [], "add --no-train"),
        ([f"1={tmp_path / 'missing.pt'}"], ["--no-train"], "no such file"),
        ([f"1={export}", "zero"], ["--no-train"], "SEED=PATH"),
    ]
    for exports, extra, message in refused:
        flags = [f for e in exports for f in ("--seed-export", e)]
        assert main([*args, "--seeds", "0", "1", "2", *extra, *flags]) == 2
        assert message in capsys.readouterr().err
        assert results.read_text() == before and not ckpt.exists()

    flags = ["--no-train", "--seed-export", f"1={export}", "--seed-log", f"1={log}"]
    capsys.readouterr()
    assert main([*args, "--seeds", "0", "1", *flags]) == 0
    assert f"seed 1: no run in this runs directory; taking the exported checkpoint '{export}'" in (
        capsys.readouterr().out
    )
    merged = json.loads(results.read_text())
    entry = merged["epochs"]["per_seed"][1]
    assert merged["seeds"] == [0, 1] and entry["seed"] == 1
    assert entry["test_error_percent"] == test["error_percent"]
    assert entry["val_error_percent"] == val["error_percent"]
    assert merged["test_error_percent"]["per_seed"][1] == test["error_percent"]
    for key in ("best_epoch", "epochs_trained", "wall_seconds", "hardware", "run"):
        assert entry[key] == record[key]
    assert entry["train_commands"] == [c["command"] for c in record["train_commands"]]
    assert entry["metrics_log"] == str(log) and entry["exported_from"] == str(export)
    copied = load_checkpoint(ckpt)
    assert copied["meta"]["seed"] == 1 and copied["meta"]["exported_from"] == str(export)
    assert evaluate_classifier(ckpt, "test")["error_percent"] == test["error_percent"]
    assert "seed 1." in ckpt.with_suffix(".md").read_text()  # its model card
    # a seed with both a run here and an export is refused: which one would be meant?
    assert main([*args, "--seeds", "0", "--no-train", "--seed-export", f"0={export}"]) == 2
    assert "also has a run" in capsys.readouterr().err


def test_label_seed_keeps_the_labeled_subset_while_the_init_seed_varies(tiny_cfg, tmp_path):
    from torch_aae.reproduce import reproduce
    from torch_aae.training.data import load_data

    cfg = tiny_cfg.replace(**{"data.n_labeled": 50})
    labeled = {}
    for seed, label_seed in [(0, None), (1, None), (1, 0), (7, 0), (0, 3)]:
        run = cfg.replace(**{"train.seed": seed, "data.label_seed": label_seed})
        labeled[seed, label_seed] = load_data(run.data, run.train.seed).train_labels
    assert int((labeled[0, None] >= 0).sum()) == 50
    # unset: the subset follows train.seed; set: it follows data.label_seed alone
    assert not torch.equal(labeled[0, None], labeled[1, None])
    assert torch.equal(labeled[1, 0], labeled[0, None])
    assert torch.equal(labeled[7, 0], labeled[0, None])
    assert not torch.equal(labeled[0, 3], labeled[0, None])
    with pytest.raises(ConfigError, match="label_seed must be >= 0"):
        cfg.replace(**{"data.label_seed": -1})
    # a reproduction draws each seed's own subset, so a fixed one is refused before any training
    with pytest.raises(ConfigError, match="every seed the same labeled subset"):
        reproduce(
            "semi_supervised",
            "100",
            [0, 1],
            runs_dir=tmp_path / "runs",
            results_dir=tmp_path / "results",
            overrides=["data.label_seed=0"],
        )
    assert not (tmp_path / "runs").exists() and not (tmp_path / "results").exists()


@pytest.mark.parametrize("variant", ["semi_supervised", "clustering", "dim_reduction"])
def test_relaxed_y_prior_draws_lie_on_the_simplex_near_uniformly_chosen_vertices(variant):
    """model.y_prior_temperature: the categorical adversary's real samples are Concrete draws
    (on the simplex, almost never exactly one-hot, every category equally likely to lead); at 0 they
    are the paper's one-hots, drawn from the same random stream as before the option."""
    k = 8
    extra = {"model.n_classes": k, "model.latent_dim": 2 if variant == "dim_reduction" else 4}
    if variant != "semi_supervised":
        extra["data.n_labeled"] = 0
    n = 40000
    draws = {}
    for t in (0.0, 0.2, 1.0):
        cfg = _semi_cfg(**{"model.variant": variant, "model.y_prior_temperature": t} | extra)
        model = create_model(cfg, 12)
        draws[t] = model.prior_batch(n, torch.Generator().manual_seed(0), None)[:, :k]
    exact = draws[0.0]
    assert torch.equal(exact.sum(1), torch.ones(n)) and set(exact.unique().tolist()) == {0.0, 1.0}
    expected = torch.randint(k, (n,), generator=torch.Generator().manual_seed(0))
    assert torch.equal(exact.argmax(1), expected)
    for t in (0.2, 1.0):
        y = draws[t]
        assert torch.allclose(y.sum(1), torch.ones(n), atol=1e-5) and (y >= 0).all()
        assert (y.max(1).values < 1).float().mean() > 0.9  # float32 rounds a few to 1
        share = torch.bincount(y.argmax(1), minlength=k) / n
        assert (share - 1 / k).abs().max() < 0.01
    # a lower temperature draws closer to the vertices (Concrete(uniform, t): the mean largest
    # coordinate falls from ~0.9 at t = 0.2 towards 1/k as t grows)
    sharp, soft = draws[0.2].max(1).values.mean(), draws[1.0].max(1).values.mean()
    assert 0.85 < sharp < 0.97 and soft < 0.6


@pytest.mark.parametrize("variant", ["semi_supervised", "clustering", "dim_reduction"])
@pytest.mark.parametrize("where", ["trunk", "encoder", "autoencoder"])
def test_batch_norm_normalises_the_codes_over_the_batch_and_not_the_discriminators(variant, where):
    """model.batch_norm: in training mode the trunk's hidden units are normalised over the
    mini-batch, the logits of q(y|x) and z as well unless "trunk"; the decoder is normalised
    only with "autoencoder"; the discriminators never. In evaluation mode a row's outputs do
    not depend on the rest of its batch."""
    extra = {"data.n_labeled": 0, "model.n_classes": 6} if variant == "clustering" else {}
    cfg = _semi_cfg(**{"model.variant": variant, "model.batch_norm": where} | extra)
    torch.manual_seed(0)
    model = create_model(cfg, 12).train()
    x = torch.rand(256, 12)
    # the trunk's output before its last activation: centred, about unit variance per unit
    # (a little under 1: BatchNorm1d's eps is not small beside the variance at this init)
    pre = model.trunk[0](x)
    assert torch.allclose(pre.mean(0), torch.zeros(pre.shape[1]), atol=1e-5)
    std = pre.std(0, unbiased=False)
    assert ((std > 0.8) & (std < 1.001)).all()
    logits, z = model.encode_yz(x)
    for code in (logits, z):
        centred = torch.allclose(code.mean(0), torch.zeros(code.shape[1]), atol=1e-5)
        unit = torch.allclose(code.std(0, unbiased=False), torch.ones(code.shape[1]), atol=1e-2)
        # unnormalised heads at the N(0, init_std^2) init give codes far from unit variance
        assert (centred and unit) == (where != "trunk")

    def norms(module):
        return sum(isinstance(m, torch.nn.BatchNorm1d) for m in module.modules())

    heads = 0 if where == "trunk" else 1
    assert norms(model.trunk) == 2 and norms(model.head_y) == norms(model.head_z) == heads
    assert norms(model.decoder) == (2 if where == "autoencoder" else 0)  # hidden + output
    assert norms(model.disc_y) == norms(model.disc_z) == 0
    # the running statistics make evaluation row-wise
    model.eval()
    assert torch.allclose(model.classify(x)[:3], model.classify(x[:3]), atol=1e-5)
    assert torch.allclose(model.reconstruct(x)[:3], model.reconstruct(x[:3]), atol=1e-5)


@pytest.mark.parametrize("where", ["trunk", "autoencoder"])
def test_batch_norm_model_trains_exports_and_evaluates(tiny_cfg, tmp_path, where):
    """A semi-supervised run with batch norm learns, and its exported classifier (trunk, q(y|x)
    head and their running statistics) gives the run's own test error."""
    from torch_aae.reproduce import evaluate_classifier, export_classifier

    cfg = _semi_tiny(
        tiny_cfg, **{"train.epochs": 3, "data.n_train": 2000, "model.batch_norm": where}
    )
    summary = train_run(cfg, tmp_path / "run")
    assert summary["test"]["error_percent"] < 60  # chance is 90%
    path = export_classifier(tmp_path / "run", tmp_path / "clf.pt", {})
    weights = load_checkpoint(path)["weights"]
    assert any(k.endswith("running_var") for k in weights)
    # integer buffers are kept exactly (in float16 a step count above 65504 would be inf)
    state = load_checkpoint(tmp_path / "run")["trainer"]["model"]
    tracked = [k for k in weights if k.endswith("num_batches_tracked")]
    assert tracked and all(
        weights[k].dtype == torch.int64 and torch.equal(weights[k], state[k]) for k in tracked
    )
    scores = evaluate_classifier(path, split="test", data_dir=cfg.data.data_dir)
    assert abs(scores["error_percent"] - summary["test"]["error_percent"]) < 1.0


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"model": {"variant": "aae", "batch_norm": "encoder"}}, "model.batch_norm = 'none'"),
        ({"model": {"variant": "aae", "batch_norm": "trunk"}}, "model.batch_norm = 'none'"),
        (
            {
                "model": {"variant": "clustering", "batch_norm": "encoder"},
                "train": {"batch_size": 1},
            },
            "at least 2 rows",
        ),
        ({"model": {"variant": "clustering", "batch_norm": "decoder"}}, "batch_norm"),
    ],
)
def test_batch_norm_config_errors(overrides, message):
    with pytest.raises(ConfigError, match=message):
        config_from_dict(overrides)
