"""Run directories: train, checkpoint every epoch, resume, and reload a trained model.

A run directory holds ``config.toml`` (resolved), ``checkpoint.pt`` (weights, optimizer and RNG
states), ``metrics.jsonl`` (one record per epoch), ``summary.json`` and ``figures/``.
"""

from __future__ import annotations

import functools
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import torch

from torch_aae.config import RunConfig, config_from_dict, model_kind, tomllib
from torch_aae.device import resolve_device
from torch_aae.distributed import (
    any_rank,
    init_distributed,
    leave_process_group,
    local_device,
    max_weight_difference,
)
from torch_aae.errors import CheckpointError, ConfigError, NonFiniteError, TrainingInterrupted
from torch_aae.figures import make_figures
from torch_aae.model import AdversarialAutoencoder
from torch_aae.registry import create_model
from torch_aae.training.checkpoint import load_checkpoint, save_checkpoint
from torch_aae.training.data import DataBundle, load_data
from torch_aae.training.trainer import HEADLINE_METRICS, Trainer

CHECKPOINT = "checkpoint.pt"


def hardware_info(device: torch.device | str = "cpu") -> str:
    """One line naming the CPU (and GPU), core count and torch version."""
    return _hardware_line(torch.device(device).type)


@functools.cache
def _hardware_line(device_type: str) -> str:
    """:func:`hardware_info`, read once per process (checkpoints ask for it every epoch)."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    text = f"{cpu}, {os.cpu_count()} cores, torch {torch.__version__}"
    if device_type == "cuda":
        text += f", GPU {torch.cuda.get_device_name()}"
    return text


def git_commit(cwd: str | Path | None = None) -> str | None:
    """The short commit of the checkout holding this package (or ``cwd``), with ``-dirty``
    appended when tracked files under that folder (the package's own code) differ from it, so
    that a number recorded from uncommitted code does not name a commit that did not produce
    it; None outside a git checkout."""
    where = Path(cwd) if cwd is not None else Path(__file__).parent
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            cwd=where,
        ).stdout.strip()
        if not head:
            return None
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no", "--", "."],
            capture_output=True,
            text=True,
            timeout=5,
            cwd=where,
        ).stdout.strip()
        return f"{head}-dirty" if changed else head
    except (OSError, subprocess.SubprocessError):
        return None


def _prepare_dir(run_dir: Path, overwrite: bool) -> None:
    if run_dir.exists() and any(run_dir.iterdir()):
        if not overwrite:
            raise CheckpointError(
                f"Output directory '{run_dir}' already exists and is not empty. Continue it with "
                f"`aae train --resume {run_dir}`, choose another --out, or pass --overwrite."
            )
        shutil.rmtree(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)


def build_model(cfg: RunConfig, data_dim: int) -> AdversarialAutoencoder:
    torch.manual_seed(cfg.train.seed)
    return create_model(cfg, data_dim)


def _check_labels(model: AdversarialAutoencoder, data: DataBundle, cfg: RunConfig) -> None:
    if not model.needs_labels:
        return
    labels = data.train_labels
    conditioned = cfg.model.variant == "aae"  # label into D, not a label-reading model
    if labels is None:
        what = (
            "model.label_conditioning = 'one_hot'"
            if conditioned
            else f"model.variant = '{cfg.model.variant}'"
        )
        raise ConfigError(
            f"{what} needs labels, but this dataset has none or data.n_labeled = 0; give labels "
            "(data.label_key)" + (" or set label_conditioning = 'none'." if conditioned else ".")
        )
    if labels.max() >= model.n_classes:
        key = "prior.n_components" if conditioned else "model.n_classes"
        raise ConfigError(
            f"Labels go up to {int(labels.max())} but the model has {model.n_classes} classes;"
            f" set {key} = {int(labels.max()) + 1}."
        )


def train_run(
    cfg: RunConfig, run_dir: str | Path, *, overwrite: bool = False, command: str | None = None
) -> dict[str, Any]:
    """Train a new run in ``run_dir`` (refused if it exists, unless ``overwrite``)."""
    run_dir = Path(run_dir)
    data = load_data(cfg.data, cfg.train.seed)  # fail on bad data before touching run_dir
    device = local_device(resolve_device(cfg.train.device))
    info = init_distributed(device)
    model = build_model(cfg, data.data_dim).to(device)
    _check_labels(model, data, cfg)
    error = None
    if info.is_main:
        try:
            _prepare_dir(run_dir, overwrite)
            (run_dir / "config.toml").write_text(cfg.to_toml())
        except CheckpointError as err:
            error = err
    if any_rank(error is not None, info):
        raise error or CheckpointError(f"Process 0 could not prepare '{run_dir}'; see its message.")
    trainer = Trainer(model, cfg, info)
    _checkpoint(trainer, data, run_dir, 0.0)  # step 0: resumable even if killed in epoch 1
    return _fit(trainer, data, run_dir, wall_before=0.0, command=command)


def resume_run(
    run_dir: str | Path,
    *,
    epochs: int | None = None,
    data_dir: str | None = None,
    command: str | None = None,
) -> dict[str, Any]:
    """Continue ``run_dir`` from its last checkpoint (to ``epochs``, reading data from
    ``data_dir``, when given)."""
    run_dir = Path(run_dir)
    cfg, ckpt = read_run(run_dir)
    changes = {"train.epochs": epochs, "data.data_dir": data_dir}
    changes = {k: v for k, v in changes.items() if v is not None}
    if changes:
        cfg = cfg.replace(**changes)
        (run_dir / "config.toml").write_text(cfg.to_toml())
    data = load_data(cfg.data, cfg.train.seed)
    device = local_device(resolve_device(cfg.train.device))
    info = init_distributed(device)
    model = create_model(cfg, int(ckpt["data_dim"])).to(device)
    trainer = Trainer(model, cfg, info)
    trainer.load_state_dict(ckpt["trainer"])
    if info.is_main:
        _truncate_metrics(run_dir / "metrics.jsonl", trainer.epoch)
    return _fit(trainer, data, run_dir, wall_before=float(ckpt["wall_seconds"]), command=command)


def read_run(run_dir: str | Path) -> tuple[RunConfig, dict[str, Any]]:
    """The resolved config and the checkpoint of a run directory (or a checkpoint file)."""
    ckpt = load_checkpoint(run_dir)
    try:
        cfg = config_from_dict(tomllib.loads(ckpt["config"]))
    except (KeyError, tomllib.TOMLDecodeError) as err:
        raise CheckpointError(f"Checkpoint in '{run_dir}' has no valid config: {err}") from None
    return cfg, ckpt


def best_checkpoint(run_dir: str | Path) -> Path:
    """``RUN/best.pt``, the epoch chosen on validation; a clear error where the run has none."""
    path = Path(run_dir) / "best.pt"
    if not path.is_file():
        raise CheckpointError(
            f"'{run_dir}' has no best.pt (runs keep one once they have a validation score); "
            "use --checkpoint last."
        )
    return path


def load_model(run_dir: str | Path, device: str = "cpu") -> AdversarialAutoencoder:
    """The trained model of a run directory or checkpoint file, in eval mode."""
    cfg, ckpt = read_run(run_dir)
    model = create_model(cfg, int(ckpt["data_dim"]))
    model.load_state_dict(ckpt["trainer"]["model"])
    return model.to(resolve_device(device)).eval()


def _truncate_metrics(path: Path, epoch: int) -> None:
    """Drop records written after the checkpoint (a crash between the two writes)."""
    if path.is_file():
        lines = [ln for ln in path.read_text().splitlines() if ln]
        kept = [ln for ln in lines if json.loads(ln)["epoch"] <= epoch]
        path.write_text("".join(ln + "\n" for ln in kept))


def _checkpoint(trainer: Trainer, data: DataBundle, run_dir: Path, wall: float) -> None:
    """Save the trainer's state, refusing to overwrite a good checkpoint with non-finite weights."""
    bad = [n for n, p in trainer.model.named_parameters() if not torch.isfinite(p).all()]
    if bad:
        raise NonFiniteError(
            f"Weights {', '.join(bad[:3])} are not finite at step {trainer.step}; the last good "
            "checkpoint is kept. Lower the learning rates or set train.on_nonfinite = 'rollback'."
        )
    if not trainer.dist.is_main:
        return
    save_checkpoint(
        run_dir / CHECKPOINT,
        {
            "config": trainer.cfg.to_toml(),
            "data_dim": data.data_dim,
            "trainer": trainer.state_dict(),
            "wall_seconds": wall,
            "hardware": hardware_info(trainer.device),
            # the GEMM precision in force ("highest": fp32; "medium": what the backend allows)
            # and the GEMM error measured under it (~1e-7: fp32 maths; ~1e-3: bf16 inputs)
            "matmul_precision": trainer.matmul_precision,
            "gemm_rel_error": trainer.gemm_rel_error,
        },
    )


def recorded_in_run(ckpt: dict, run_dir: str | Path, key: str):
    """A setting the run last trained with (``"matmul_precision"``, ``"gemm_rel_error"``): from
    its checkpoint, else (checkpoints written before it was recorded) from the run's
    summary.json; None where neither says."""
    if key in ckpt:
        return ckpt[key]
    summary = Path(run_dir) / "summary.json"
    if summary.is_file():
        return json.loads(summary.read_text()).get(key)
    return None


class _StopRequest:
    """While active, SIGINT and SIGTERM only set a flag; training checks it between steps."""

    def __init__(self) -> None:
        self.signal: int | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _StopRequest:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, frame) -> None:
        self.signal = signum

    def __exit__(self, *exc) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


MAX_ROLLBACKS = 3


COMMANDS_FILE = "commands.jsonl"


def _record_command(run_dir: Path, command: str | None, epoch: int) -> None:
    """Append the command that (re)starts training at ``epoch`` to RUN/commands.jsonl."""
    line = {"command": command, "from_epoch": epoch, "time": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    with open(run_dir / COMMANDS_FILE, "a") as f:
        f.write(json.dumps(line) + "\n")


def run_commands(run_dir: str | Path) -> list[dict[str, Any]]:
    """The commands that trained ``run_dir``, oldest first, each with the epoch it started from.

    Runs older than RUN/commands.jsonl give the last command in their summary.json (with
    ``from_epoch`` None), or nothing."""
    run_dir = Path(run_dir)
    path = run_dir / COMMANDS_FILE
    if path.is_file():
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    summary = run_dir / "summary.json"
    if summary.is_file():
        command = json.loads(summary.read_text()).get("command")
        if command:
            return [{"command": command, "from_epoch": None}]
    return []


def _fit(
    trainer: Trainer, data: DataBundle, run_dir: Path, *, wall_before: float, command: str | None
) -> dict[str, Any]:
    cfg = trainer.cfg
    device = trainer.device
    if trainer.dist.is_main:
        _record_command(run_dir, command, trainer.epoch)
    x = data.train.x.to(device)
    labels = data.train_labels.to(device) if trainer.model.needs_labels else None
    val = data.val if len(data.val.x) else None
    start = time.perf_counter()
    every = cfg.train.checkpoint_every
    rollbacks = 0

    def elapsed() -> float:
        return wall_before + time.perf_counter() - start

    use_board = cfg.train.logger == "tensorboard" and trainer.dist.is_main
    board = _tensorboard(run_dir) if use_board else None
    with _StopRequest() as stop:

        def after_step() -> bool:
            stop_now = any_rank(stop.signal is not None, trainer.dist)
            if every and trainer.step % every == 0 and not stop_now:
                _checkpoint(trainer, data, run_dir, elapsed())
            return stop_now

        while trainer.epoch < cfg.train.epochs:
            t0 = time.perf_counter()
            try:
                record = trainer.train_epoch(x, labels, after_step)
            except NonFiniteError:
                if cfg.train.on_nonfinite != "rollback" or rollbacks == MAX_ROLLBACKS:
                    raise
                rollbacks += 1
                trainer.load_state_dict(load_checkpoint(run_dir / CHECKPOINT)["trainer"])
                trainer.scale_lr(0.5)
                print(
                    f"non-finite loss: rolled back to step {trainer.step}, lr halved "
                    f"({rollbacks}/{MAX_ROLLBACKS})",
                    file=sys.stderr,
                    flush=True,
                )
                continue
            if record is None:  # SIGINT / SIGTERM: save where we are and stop cleanly
                _checkpoint(trainer, data, run_dir, elapsed())
                raise TrainingInterrupted(
                    f"Stopped by a signal at step {trainer.step} (epoch "
                    f"{trainer.epoch + 1}); checkpoint saved. Continue with "
                    f"`aae train --resume {run_dir}`."
                )
            if not trainer.dist.is_main:
                continue  # process 0 evaluates, logs and checkpoints
            record = {"epoch": trainer.epoch, "step": trainer.step, **record}
            record["epoch_seconds"] = time.perf_counter() - t0
            last = trainer.epoch == cfg.train.epochs
            if val is not None and (trainer.epoch % cfg.train.eval_every == 0 or last):
                # a classifier's validation confusion matrix too (rows: true label), so that
                # when a confusion between two classes forms can be read from the log
                scores = trainer.evaluate(
                    val.x.to(device), val.y, confusion=model_kind(cfg) == "classifier"
                )
                record |= {f"val_{k}": v for k, v in scores.items()}
                if data.test is not None and model_kind(cfg) == "classifier":
                    # logged to draw error-versus-time curves; never used to choose anything
                    record["test_error_percent"] = trainer.error_percent(
                        data.test.x.to(device), data.test.y
                    )
            record["wall_seconds"] = round(elapsed(), 1)
            with open(run_dir / "metrics.jsonl", "a") as f:
                f.write(json.dumps(record) + "\n")
            if board is not None:
                for key, value in record.items():
                    if isinstance(value, (int, float)) and key not in ("epoch", "step"):
                        board.add_scalar(key, value, trainer.epoch)
                board.flush()
            _checkpoint(trainer, data, run_dir, elapsed())
            _keep_copies(run_dir, trainer, record)
            print(_epoch_line(record), file=sys.stderr, flush=True)
    if board is not None:
        board.close()
    return finish_run(trainer, data, run_dir, elapsed(), command)


def _tensorboard(run_dir: Path):
    """A TensorBoard writer for ``run_dir/tensorboard``."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise ConfigError(
            "train.logger = 'tensorboard' needs the tensorboard package: "
            "pip install 'torch-aae[tensorboard]' (or set train.logger = 'jsonl')."
        ) from None
    return SummaryWriter(log_dir=str(run_dir / "tensorboard"))


def _keep_copies(run_dir: Path, trainer: Trainer, record: dict[str, Any]) -> None:
    """Keep the last ``keep_last`` epoch checkpoints and the best one by ``best_metric``."""
    cfg = trainer.cfg.train
    latest = run_dir / CHECKPOINT
    if cfg.keep_last:
        folder = run_dir / "checkpoints"
        folder.mkdir(exist_ok=True)
        _atomic_copy(latest, folder / f"epoch-{trainer.epoch:05d}.pt")
        for old in sorted(folder.glob("epoch-*.pt"))[: -cfg.keep_last]:
            old.unlink()
    value = record.get(cfg.best_metric)
    if value is None:
        return
    best_file = run_dir / "best.json"
    best = json.loads(best_file.read_text()) if best_file.is_file() else None
    if best is None or value < best["value"]:
        _atomic_copy(latest, run_dir / "best.pt")
        _atomic_write(
            best_file,
            json.dumps({"metric": cfg.best_metric, "value": value, "epoch": trainer.epoch}) + "\n",
        )


def _atomic_copy(src: Path, dst: Path) -> None:
    tmp = dst.with_name(f".{dst.name}.tmp")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _epoch_line(record: dict[str, Any]) -> str:
    parts = [f"{k}={record[k]:.4g}" for k in HEADLINE_METRICS if k in record]
    return f"epoch {record['epoch']} ({record['epoch_seconds']:.1f}s) " + " ".join(parts)


def finish_run(
    trainer: Trainer, data: DataBundle, run_dir: Path, wall: float, command: str | None
) -> dict[str, Any]:
    """Final held-out numbers on validation and test, the figures, and ``summary.json``."""
    weight_gap = max_weight_difference(trainer.model, trainer.dist)
    leave_process_group(trainer.dist)  # the last collective of the run
    if not trainer.dist.is_main:
        return {"rank": trainer.dist.rank}
    cfg = trainer.cfg
    summary: dict[str, Any] = {
        "config": cfg.to_dict(),
        "epochs": trainer.epoch,
        "steps": trainer.step,
        "seed": cfg.train.seed,
        "wall_seconds": round(wall, 1),
        "hardware": hardware_info(trainer.device),
        "matmul_precision": trainer.matmul_precision,
        "gemm_rel_error": trainer.gemm_rel_error,
        "processes": trainer.dist.world_size,
        "max_weight_difference_across_processes": weight_gap,
        "command": command,
        "commands": run_commands(run_dir),  # every command that trained the run, oldest first
        "commit": git_commit(),
    }
    for name in ("val", "test"):
        part = getattr(data, name)
        if part is not None and len(part.x):
            scores = trainer.evaluate(part.x.to(trainer.device), part.y)
            summary[name] = scores
    # the numbers above are the last epoch's; best.pt holds the epoch chosen on validation
    if (run_dir / "best.json").is_file():
        summary["best"] = {**json.loads((run_dir / "best.json").read_text()), "file": "best.pt"}
    figures = make_figures(trainer.model, data, run_dir, seed=cfg.train.seed)
    summary["figures"] = [str(p.relative_to(run_dir)) for p in figures]
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary
