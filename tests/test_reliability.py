"""Stops, kills and numerical failures lose nothing and resume exactly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from torch_aae import resume_run, train_run
from torch_aae.errors import NonFiniteError
from torch_aae.training.checkpoint import load_checkpoint


def _weights(run_dir):
    return load_checkpoint(run_dir)["trainer"]["model"]


def _same(a, b):
    return all(torch.equal(a[k], b[k]) for k in a)


def _long_cfg(tiny_cfg):
    # 12 steps per epoch of a tiny model; long enough to be stopped in the middle
    return tiny_cfg.replace(
        **{"train.epochs": 30, "train.checkpoint_every": 5, "train.eval_every": 100}
    )


def _train_in_subprocess(cfg, run_dir):
    script = (
        "import sys; from torch_aae.config import config_from_dict, tomllib; "
        "from torch_aae.run import train_run; "
        "cfg = config_from_dict(tomllib.loads(sys.stdin.read())); "
        f"train_run(cfg, {str(run_dir)!r})"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    proc.stdin.write(cfg.to_toml())
    proc.stdin.close()
    return proc


def _wait_for_mid_epoch_checkpoint(run_dir, proc, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        try:
            state = load_checkpoint(run_dir)["trainer"]
            if state["epoch"] >= 2 and state["batch_in_epoch"] > 0:
                return
        except Exception:  # not written yet
            pass
        time.sleep(0.02)
    pytest.fail("training finished or timed out before a mid-epoch checkpoint appeared")


def test_sigkill_mid_epoch_then_resume_matches_uninterrupted(tiny_cfg, tmp_path):
    cfg = _long_cfg(tiny_cfg)
    proc = _train_in_subprocess(cfg, tmp_path / "killed")
    _wait_for_mid_epoch_checkpoint(tmp_path / "killed", proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    state = load_checkpoint(tmp_path / "killed")["trainer"]
    assert state["epoch"] < 30, "the process finished before it was killed"
    resume_run(tmp_path / "killed")
    train_run(cfg, tmp_path / "whole")
    assert _same(_weights(tmp_path / "killed"), _weights(tmp_path / "whole"))


def test_sigterm_saves_checkpoint_and_says_how_to_resume(tiny_cfg, tmp_path):
    cfg = _long_cfg(tiny_cfg)
    proc = _train_in_subprocess(cfg, tmp_path / "stopped")
    _wait_for_mid_epoch_checkpoint(tmp_path / "stopped", proc)
    proc.send_signal(signal.SIGTERM)
    err = proc.stderr.read()
    proc.wait(timeout=60)
    assert proc.returncode != 0
    assert "aae train --resume" in err and "Traceback" in err  # raised TrainingInterrupted
    resume_run(tmp_path / "stopped")
    train_run(cfg, tmp_path / "whole")
    assert _same(_weights(tmp_path / "stopped"), _weights(tmp_path / "whole"))


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_through_cli_exits_cleanly(tiny_cfg, data_dir, tmp_path, sig):
    run = tmp_path / "run"
    args = [
        sys.executable,
        "-m",
        "torch_aae.cli",
        "train",
        "--out",
        str(run),
        "--no-progress",
        "--data-dir",
        str(data_dir),
    ]
    for key, value in {
        "data.n_train": 600,
        "data.val_size": 200,
        "model.encoder_hidden": "[64]",
        "model.decoder_hidden": "[64]",
        "model.disc_hidden": "[32]",
        "train.epochs": 30,
        "train.batch_size": 50,
        "train.checkpoint_every": 5,
        "data.download": "false",
    }.items():
        args += ["--set", f"{key}={value}"]
    proc = subprocess.Popen(args, stderr=subprocess.PIPE, text=True)
    _wait_for_mid_epoch_checkpoint(run, proc)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert f"aae train --resume {run}" in err and "Traceback" not in err


def test_nonfinite_loss_stops_naming_phase_and_keeps_checkpoint(tiny_cfg, tmp_path):
    cfg = tiny_cfg.replace(**{"optim.lr_recon": 1e12, "train.epochs": 3})
    with pytest.raises(
        NonFiniteError, match=r"(reconstruction|discriminator|generator) phase at step \d+"
    ):
        train_run(cfg, tmp_path / "run")
    ckpt = load_checkpoint(tmp_path / "run")
    assert all(torch.isfinite(v).all() for v in ckpt["trainer"]["model"].values())


def test_rollback_lowers_lr_then_gives_up(tiny_cfg, tmp_path, capsys):
    cfg = tiny_cfg.replace(
        **{"optim.lr_recon": 1e12, "train.epochs": 3, "train.on_nonfinite": "rollback"}
    )
    with pytest.raises(NonFiniteError):
        train_run(cfg, tmp_path / "run")
    assert capsys.readouterr().err.count("rolled back") == 3


def test_rollback_recovers_when_a_lower_lr_is_stable(tiny_cfg, tmp_path):
    # SGD at lr 0.2 on the summed squared error diverges on MNIST; halved a few times it trains
    cfg = tiny_cfg.replace(
        **{
            "optim.lr_recon": 0.4,
            "optim.momentum_recon": 0.9,
            "train.epochs": 3,
            "train.on_nonfinite": "rollback",
            "model.init_std": 0.1,
        }
    )
    try:
        summary = train_run(cfg, tmp_path / "run")
    except NonFiniteError:
        pytest.skip("this lr did not diverge-then-recover on this platform")
    assert summary["epochs"] == 3


def test_keeps_last_n_and_best(tiny_cfg, tmp_path):
    cfg = tiny_cfg.replace(**{"train.epochs": 4, "train.keep_last": 2, "train.eval_every": 1})
    train_run(cfg, tmp_path / "run")
    kept = sorted(p.name for p in (tmp_path / "run" / "checkpoints").iterdir())
    assert kept == ["epoch-00003.pt", "epoch-00004.pt"]
    import json

    best = json.loads((tmp_path / "run" / "best.json").read_text())
    records = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    values = [r["val_recon_mse_sum"] for r in records]
    assert best["value"] == min(values) and best["epoch"] == 1 + values.index(min(values))
    assert load_checkpoint(tmp_path / "run" / "best.pt")["trainer"]["epoch"] == best["epoch"]
    assert not list((tmp_path / "run").glob(".*tmp"))


def test_full_disk_keeps_previous_checkpoint(tmp_path, monkeypatch):
    import errno

    from torch_aae.errors import CheckpointError
    from torch_aae.training import checkpoint

    path = tmp_path / "checkpoint.pt"
    checkpoint.save_checkpoint(path, {"value": torch.tensor([1.0])})

    def full_disk(obj, f):
        f.write(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkpoint.torch, "save", full_disk)
    with pytest.raises(CheckpointError, match="No space left"):
        checkpoint.save_checkpoint(path, {"value": torch.tensor([2.0])})
    monkeypatch.undo()
    assert load_checkpoint(path)["value"].item() == 1.0
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.pt"]


def test_checkpoint_with_code_or_wrong_version_is_refused(tmp_path):
    import pickle

    from torch_aae.errors import CheckpointError

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    with open(tmp_path / "evil.pt", "wb") as f:
        pickle.dump({"format_version": 1, "x": Evil()}, f, protocol=2)  # as torch.save writes
    with pytest.raises(CheckpointError, match="pickled code"):
        load_checkpoint(tmp_path / "evil.pt")
    torch.save({"format_version": 99}, tmp_path / "future.pt")
    with pytest.raises(CheckpointError, match="format 99"):
        load_checkpoint(tmp_path / "future.pt")


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_cli_damaged_idx_file_exits_with_message_and_creates_nothing(
    data_dir, tmp_path, capsys, damage
):
    import shutil

    from torch_aae.cli import main

    copy = tmp_path / "data" / "mnist"
    shutil.copytree(data_dir / "mnist", copy)
    target = copy / "train-labels-idx1-ubyte.gz"
    raw = bytearray(target.read_bytes())
    if damage == "truncate":
        raw = raw[: len(raw) // 2]
    else:
        import gzip

        raw = bytearray(gzip.decompress(bytes(raw)))
        raw[100] ^= 0xFF
        raw = bytearray(gzip.compress(bytes(raw)))
    target.write_bytes(bytes(raw))
    args = [
        "train",
        "--data-dir",
        str(tmp_path / "data"),
        "--out",
        str(tmp_path / "run"),
        "--set",
        "data.download=false",
        "--set",
        "train.epochs=1",
    ]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "train-labels-idx1-ubyte" in err and "Traceback" not in err
    if damage == "flip":
        assert "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5" in err
    assert not (tmp_path / "run").exists()


def test_cli_output_into_a_closed_pipe_exits_quietly():
    # `aae evaluate RUN | head`: the reader closes the pipe early; no traceback, exit status 1
    code = (
        "import sys; from torch_aae import cli; "
        "cli.COMMANDS['evaluate'] = lambda args: print('x' * 1_000_000); "
        "sys.exit(cli.main(['evaluate', 'some_run']))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout.read(10) == b"x" * 10
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 1, err
    assert "Traceback" not in err and "BrokenPipe" not in err


def test_git_commit_marks_uncommitted_changes_to_tracked_files(tmp_path):
    from torch_aae.run import git_commit

    assert git_commit(tmp_path) is None  # not a checkout
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(tmp_path)]
    subprocess.run([*git, "init", "-q"], check=True)
    (tmp_path / "a.txt").write_text("one\n")
    subprocess.run([*git, "add", "a.txt"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "a"], check=True)
    head = subprocess.run(
        [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    (tmp_path / "b.txt").write_text("untracked\n")  # untracked files do not count
    assert git_commit(tmp_path) == head
    (tmp_path / "a.txt").write_text("two\n")
    assert git_commit(tmp_path) == f"{head}-dirty"
