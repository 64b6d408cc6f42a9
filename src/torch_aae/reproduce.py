"""Reproductions of the paper's tables: train each seed (or resume it), pick the epoch on the
validation split, export a small classifier checkpoint, and write a results file.

``aae reproduce semi-supervised --labels 100`` trains ``configs/semi_supervised_100.toml`` for
each seed in ``runs/semi_supervised_100/seed<k>`` and writes ``results/semi_supervised_100.json``.
Each seed draws its own class-balanced labeled subset. Stopping: the checkpoint with the lowest
validation error (``best.pt``); the test split is evaluated once, on that checkpoint.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

import numpy as np
import torch

from torch_aae import plots
from torch_aae.clustering import cluster_scores_from_logits
from torch_aae.config import RunConfig, config_from_dict, load_config, model_kind, tomllib
from torch_aae.errors import CheckpointError, ConfigError
from torch_aae.registry import create_model
from torch_aae.run import (
    git_commit,
    hardware_info,
    read_run,
    recorded_in_run,
    resume_run,
    run_commands,
    train_run,
)
from torch_aae.training.checkpoint import load_checkpoint, save_checkpoint
from torch_aae.training.data import load_data
from torch_aae.training.trainer import classifier_scores, cluster_logits

# The paper's test errors (%) and their +/- where printed, per experiment and setting, with the
# best public reimplementation we know of (semi-supervised only). Setting names: a label count,
# a cluster count for clustering, or "clusters_<m>" for the unsupervised dim-reduction model.
PAPER: dict[str, dict[str, tuple[float, float | None]]] = {
    "semi_supervised": {"100": (1.90, 0.10), "1000": (1.60, 0.08), "all": (0.85, 0.02)},  # Table 2
    "clustering": {"16": (9.55, None), "30": (4.10, None)},  # Table 3
    "dim_reduction": {  # section 7, Fig. 11 (2-D representation)
        "1000": (4.20, None),
        "100": (6.08, None),
        "clusters_20": (13.95, None),
    },
}
BEST_PUBLIC = {
    ("semi_supervised", "100"): "about 5 (thadikari, TF, 5000 epochs)",
    ("semi_supervised", "1000"): "2.9",
}
# Where each experiment's settings, what was tried on validation and why, are written up.
DETAILS = {
    "semi_supervised": "docs/semi_supervised.md",
    "clustering": "docs/clustering.md",
    "dim_reduction": "docs/clustering.md",
}
TITLES = {
    "semi_supervised": "semi-supervised MNIST",
    "clustering": "unsupervised clustering of MNIST",
    "dim_reduction": "2-D dimensionality reduction of MNIST",
}

CLASSIFIER_KIND = "semi_supervised_classifier"
_CLASSIFIER_PARTS = ("trunk.", "head_y.")


def export_classifier(run_checkpoint: str | Path, out: str | Path, meta: dict[str, Any]) -> Path:
    """Write what classification needs (trunk and q(y|x) head, float16) with the run's config.

    A few MB instead of the full training checkpoint; :func:`load_classifier` reads it back.
    """
    cfg, ckpt = read_run(run_checkpoint)
    state = ckpt["trainer"]["model"]
    # floats to float16; integer buffers (batch norm's num_batches_tracked) keep their dtype
    weights = {
        k: v.half() if v.is_floating_point() else v
        for k, v in state.items()
        if k.startswith(_CLASSIFIER_PARTS)
    }
    payload = {
        "kind": CLASSIFIER_KIND,
        "config": cfg.to_toml(),
        "data_dim": int(ckpt["data_dim"]),
        "weights": weights,
        "meta": meta,
    }
    return save_checkpoint(out, payload)


def load_classifier(path: str | Path) -> tuple[RunConfig, torch.nn.Module]:
    """The semi-supervised model of an exported classifier checkpoint (float32, eval mode);
    only its ``classify`` is meaningful."""
    payload = load_checkpoint(path)
    if payload.get("kind") != CLASSIFIER_KIND:
        raise CheckpointError(
            f"'{path}' is not an exported classifier checkpoint; pass a run directory to "
            "evaluate a training run."
        )
    cfg = config_from_dict(tomllib.loads(payload["config"]))
    model = create_model(cfg, int(payload["data_dim"]))
    weights = {k: v.float() if v.is_floating_point() else v for k, v in payload["weights"].items()}
    missing, unexpected = model.load_state_dict(weights, strict=False)
    if unexpected or any(k.startswith(_CLASSIFIER_PARTS) for k in missing):
        raise CheckpointError(f"'{path}' does not match its config's network; re-export it.")
    return cfg, model.eval()


def evaluate_classifier(path: str | Path, split: str = "test", data_dir: str | None = None):
    """Recompute the error (%) of an exported classifier on ``split``. For a clustering model,
    every cluster score, with the clusters labelled from the training images (paper rule).
    A classifier's result also holds its confusion matrix (rows: true label)."""
    cfg, model = load_classifier(path)
    if data_dir:
        cfg = cfg.replace(**{"data.data_dir": data_dir})
    data = load_data(cfg.data, cfg.train.seed)
    part = data.split(split)
    out: dict[str, Any] = {"checkpoint": str(path), "split": split, "n": len(part.y)}
    if model_kind(cfg) == "clusterer":
        ref = cluster_logits(model, data.train.x)
        return out | cluster_scores_from_logits(
            ref, data.train.y.numpy(), cluster_logits(model, part.x), part.y.numpy()
        )
    return out | classifier_scores(model, part.x, part.y, cfg.model.n_classes)


def _seed_run(
    cfg: RunConfig, run_dir: Path, epochs: int | None, command: str | None, train: bool = True
) -> dict[str, Any]:
    """Train ``run_dir`` to ``epochs`` (resuming whatever is there); returns its checkpoint.
    With ``train=False`` nothing is trained: the run as it stands is evaluated."""
    target = epochs or cfg.train.epochs
    exists = (run_dir / "checkpoint.pt").is_file()
    if exists:
        _check_same_config(cfg, read_run(run_dir)[0], run_dir)
    if not train:
        if not exists:
            raise CheckpointError(
                f"--no-train, but '{run_dir}' has no run to evaluate and the results file "
                f"records no seed {cfg.train.seed}; train it first, or drop it from --seeds."
            )
    elif exists:
        done = int(load_checkpoint(run_dir)["trainer"]["epoch"])
        if done < target:
            resume_run(run_dir, epochs=target, data_dir=cfg.data.data_dir, command=command)
    else:
        train_run(cfg.replace(**{"train.epochs": target}), run_dir, command=command)
    return load_checkpoint(run_dir)


# Settings a run may change between sessions without changing what it trains.
_FREE_KEYS = {
    "train.epochs",
    "train.progress",
    "train.device",
    "train.logger",
    "train.checkpoint_every",
    "train.keep_last",
    "data.data_dir",
    "data.download",
}


def _check_same_config(cfg: RunConfig, run_cfg: RunConfig, run_dir: Path) -> None:
    """Refuse to continue (or report) a run trained under another configuration."""

    def flat(c: RunConfig) -> dict[str, Any]:
        return {f"{s}.{k}": v for s, sec in c.to_dict().items() for k, v in sec.items()}

    want, have = flat(cfg), flat(run_cfg)
    diff = [
        f"{k} = {have.get(k)!r} in the run, {want.get(k)!r} now"
        for k in sorted(set(want) | set(have))
        if k not in _FREE_KEYS and want.get(k) != have.get(k)
    ]
    if diff:
        raise ConfigError(
            f"'{run_dir}' was trained with another configuration ({'; '.join(diff)}). "
            "Continuing or reporting it would mix the two: move that run aside, or pass "
            "--runs-dir to train this configuration in a fresh folder (or --set the run's values)."
        )


def run_record(run_dir: str | Path) -> dict[str, Any]:
    """What a results file says of a run besides its scores: the epoch chosen on validation,
    epochs trained, wall time, hardware, GEMM precision and the commands that trained it.

    Stored (as ``meta["record"]``) in the classifier exported from the run, so that the seed
    can still be reported (``--seed-export``) where the run itself is gone."""
    run_dir = Path(run_dir)
    ckpt = load_checkpoint(run_dir)
    best = run_dir / "best.pt"
    if not best.is_file():
        raise CheckpointError(f"'{run_dir}' has no best.pt yet; train at least one epoch.")
    return {
        "best_epoch": int(load_checkpoint(best)["trainer"]["epoch"]),
        "epochs_trained": int(ckpt["trainer"]["epoch"]),
        "wall_seconds": round(float(ckpt["wall_seconds"]), 1),
        # where the run last trained (older checkpoints do not say: this machine)
        "hardware": ckpt.get("hardware", hardware_info()),
        "matmul_precision": recorded_in_run(ckpt, run_dir, "matmul_precision"),
        "gemm_rel_error": recorded_in_run(ckpt, run_dir, "gemm_rel_error"),
        "run": str(run_dir),
        "train_commands": run_commands(run_dir),
    }


def _checked_export(cfg: RunConfig, src: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """``--seed-export``: the exported classifier ``src`` and its run record, once it is
    checked to be trained with ``cfg`` (the experiment's config with this seed)."""
    export_cfg, _ = load_classifier(src)
    _check_same_config(cfg, export_cfg, src)
    payload = load_checkpoint(src)
    record = payload["meta"].get("record")
    if not isinstance(record, dict):
        raise CheckpointError(
            f"'{src}' does not record how its run was trained (no 'record' in its metadata). "
            "Export it again from its run with torch_aae.reproduce.export_classifier(RUN/best.pt, "
            "OUT, {'record': run_record(RUN)}), or report the seed from its run in --runs-dir."
        )
    return payload, record


def _seed_entry(
    k: dict[str, Any], cfg: RunConfig, out: Path, record: dict[str, Any], log: str | None
) -> dict[str, Any]:
    """A seed's entry in the results file, and its model card: validation and test error of
    its exported classifier ``out`` (the test split read here, once), with the run's record."""
    val = evaluate_classifier(out, "val", k["data_dir"])
    test = evaluate_classifier(out, "test", k["data_dir"])
    write_model_card(
        out.with_suffix(".md"),
        experiment=k["experiment"],
        setting=k["setting"],
        seed=cfg.train.seed,
        best_epoch=record["best_epoch"],
        epochs_trained=record["epochs_trained"],
        val=val,
        test=test,
        cfg=cfg,
        config_path=k["config_path"],
        command=k["command"],
        train_commands=record["train_commands"],
    )
    return {
        "seed": cfg.train.seed,
        "test_error_percent": test["error_percent"],
        "val_error_percent": val["error_percent"],
        "test_scores": test,
        "best_epoch": record["best_epoch"],
        "epochs_trained": record["epochs_trained"],
        "wall_seconds": record["wall_seconds"],
        "hardware": record["hardware"],
        "matmul_precision": record["matmul_precision"],
        "gemm_rel_error": record["gemm_rel_error"],
        "checkpoint": str(out),
        "run": record["run"],
        "metrics_log": log or str(Path(record["run"]) / "metrics.jsonl"),
        "train_commands": [c["command"] for c in record["train_commands"]],
    }


def reproduce(experiment: str, setting: str, seeds: list[int], **kwargs: Any) -> dict[str, Any]:
    """Train (or resume) every seed of ``configs/<experiment>_<setting>.toml``, then write
    ``results/<experiment>_<setting>.json`` (see the module docstring)."""
    if experiment not in PAPER:
        raise ConfigError(f"Unknown experiment {experiment!r}; use one of {', '.join(PAPER)}.")
    if setting not in PAPER[experiment]:
        raise ConfigError(
            f"{experiment} has no setting {setting!r}; use one of {', '.join(PAPER[experiment])}."
        )
    return _reproduce(experiment, setting, seeds, **kwargs)


def _unsupervised(experiment: str, setting: str) -> bool:
    return experiment == "clustering" or setting.startswith("clusters_")


def _reproduce(
    experiment: str,
    setting: str,
    seeds: list[int],
    *,
    config_dir: str | Path = "configs",
    runs_dir: str | Path = "runs",
    results_dir: str | Path = "results",
    epochs: int | None = None,
    train: bool = True,
    data_dir: str | None = None,
    overrides: list[str] | None = None,
    command: str | None = None,
    write_results: bool = True,
    seed_logs: dict[int, str] | None = None,
    seed_exports: dict[int, str] | None = None,
) -> dict[str, Any]:
    name = f"{experiment}_{setting}"
    if not (train or write_results):
        raise ConfigError("Nothing to do: --no-train and --train-only together; drop one.")
    seed_logs, seed_exports = dict(seed_logs or {}), dict(seed_exports or {})
    for flag, given in (("--seed-log", seed_logs), ("--seed-export", seed_exports)):
        if unknown := sorted(set(given) - set(seeds)):
            raise ConfigError(f"{flag} names seed(s) {unknown} that are not in --seeds {seeds}.")
    if seed_exports and train:
        raise ConfigError(
            "--seed-export reports a seed trained elsewhere and trains nothing; add --no-train."
        )
    config_path = Path(config_dir) / f"{name}.toml"
    extra = list(overrides or [])
    if data_dir:
        extra.append(f'data.data_dir="{data_dir}"')
    base = load_config(config_path, extra + ["train.progress=false"])
    if base.data.label_seed is not None:
        raise ConfigError(
            f"data.label_seed = {base.data.label_seed} would give every seed the same labeled "
            "subset, but a reproduction draws each seed's own; drop it (to keep one subset "
            "across initializations, use `aae train CONFIG --set data.label_seed=K "
            "--set train.seed=S`)."
        )
    results_dir = Path(results_dir)
    # every export is checked before anything is written
    exports = {}
    for seed, src in seed_exports.items():
        if not Path(src).is_file():
            raise CheckpointError(f"--seed-export {seed}={src}: no such file.")
        if (Path(runs_dir) / name / f"seed{seed}" / "checkpoint.pt").is_file():
            raise ConfigError(
                f"--seed-export {seed}={src}, but seed {seed} also has a run in "
                f"'{Path(runs_dir) / name}'; report it from one of them (drop the flag, or pass "
                "another --runs-dir)."
            )
        exports[seed] = _checked_export(base.replace(**{"train.seed": seed}), Path(src))
    # --no-train: seeds whose runs are not on this machine keep their entry in the results file
    recorded = {} if train else _recorded_seeds(results_dir / f"{name}.json")
    entry_args = {
        "experiment": experiment,
        "setting": setting,
        "config_path": config_path,
        "command": command,
        "data_dir": data_dir,
    }
    per_seed = []
    for seed in seeds:
        run_dir = Path(runs_dir) / name / f"seed{seed}"
        cfg = base.replace(**{"train.seed": seed})
        if seed in exports:
            out = results_dir / "checkpoints" / f"{name}_seed{seed}.pt"
            src = Path(seed_exports[seed])
            payload, record = exports[seed]
            if src.resolve() != out.resolve():
                meta = payload["meta"] | {
                    "seed": seed,
                    "epoch": record["best_epoch"],
                    "setting": setting,
                    "exported_from": str(src),
                }
                save_checkpoint(out, payload | {"meta": meta})
            print(
                f"seed {seed}: no run in this runs directory; taking the exported checkpoint "
                f"'{src}' (trained on {record['hardware']}, best epoch {record['best_epoch']})"
            )
            entry = _seed_entry(entry_args, cfg, out, record, seed_logs.get(seed))
            per_seed.append(entry | {"exported_from": str(src)})
            continue
        if not train and not (run_dir / "checkpoint.pt").is_file() and seed in recorded:
            per_seed.append(_recorded_entry(recorded[seed], data_dir, seed_logs.get(seed)))
            continue
        ckpt = _seed_run(cfg, run_dir, epochs, command, train)
        if not write_results:  # train only; a later --no-train call writes the results file
            per_seed.append(
                {"seed": seed, "epochs_trained": int(ckpt["trainer"]["epoch"]), "run": str(run_dir)}
            )
            continue
        record = run_record(run_dir)
        out = results_dir / "checkpoints" / f"{name}_seed{seed}.pt"
        meta = {"seed": seed, "epoch": record["best_epoch"], "setting": setting, "record": record}
        export_classifier(run_dir / "best.pt", out, meta)
        log = seed_logs.get(seed, str(run_dir / "metrics.jsonl"))
        per_seed.append(_seed_entry(entry_args, cfg, out, record, log))
    if not write_results:
        return {"experiment": experiment, "setting": setting, "trained": per_seed}
    paper, paper_sd = PAPER[experiment][setting]
    tests = [r["test_error_percent"] for r in per_seed]
    vals = [r["val_error_percent"] for r in per_seed]
    result = {
        "experiment": experiment,
        "dataset": base.data.dataset,
        "setting": setting,
        "labels": 0 if _unsupervised(experiment, setting) else setting,
        "test_error_percent": {
            "mean": statistics.fmean(tests),
            "sd": statistics.stdev(tests) if len(tests) > 1 else None,
            "per_seed": tests,
        },
        "val_error_percent": {"mean": statistics.fmean(vals), "per_seed": vals},
        "paper_value": paper,
        "paper_sd": paper_sd,
        "best_public_reimplementation": BEST_PUBLIC.get((experiment, setting)),
        "target_met": statistics.fmean(tests) <= paper
        and len(seeds) >= 3
        and all(r["epochs_trained"] >= (epochs or base.train.epochs) for r in per_seed),
        "complete": all(r["epochs_trained"] >= (epochs or base.train.epochs) for r in per_seed),
        "details": DETAILS[experiment],
        "seeds": seeds,
        "epochs": {"configured": epochs or base.train.epochs, "per_seed": per_seed},
        "selection": f"checkpoint with the lowest {base.train.best_metric} (validation split: "
        "the last 10,000 training images)",
        "wall_seconds": round(sum(r["wall_seconds"] for r in per_seed), 1),
        "hardware": "; ".join(sorted({r["hardware"] for r in per_seed})),
        "matmul_precision": "; ".join(sorted({str(r["matmul_precision"]) for r in per_seed})),
        "config": str(config_path),
        "command": command,
        "commit": git_commit(),
    }
    results_dir.mkdir(parents=True, exist_ok=True)
    clusters = setting.removeprefix("clusters_")
    title = f"{TITLES[experiment]}, " + (
        f"{clusters} clusters" if _unsupervised(experiment, setting) else f"{setting} labels"
    )
    curve = _error_curve(per_seed, results_dir / f"{name}_error_vs_time.png", paper, title)
    result["figure"] = str(curve)
    (results_dir / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def _recorded_seeds(path: Path) -> dict[int, dict[str, Any]]:
    """The per-seed entries of an existing results file, by seed (none if there is no file)."""
    if not path.is_file():
        return {}
    return {int(r["seed"]): r for r in json.loads(path.read_text())["epochs"]["per_seed"]}


def _recorded_entry(entry: dict[str, Any], data_dir: str | None, log: str | None):
    """A seed trained elsewhere (its run is not on this machine): its entry in the results file,
    with the validation and test errors recomputed from its exported checkpoint, which must
    give the recorded test error (to within one image in 10,000, for another CPU's arithmetic)."""
    seed, out = entry["seed"], Path(entry["checkpoint"])
    if not out.is_file():
        raise CheckpointError(
            f"Seed {seed}: its run is not on this machine and its exported checkpoint '{out}' "
            "is missing too; restore the checkpoint (git checkout) or drop the seed from --seeds."
        )
    val = evaluate_classifier(out, "val", data_dir)
    test = evaluate_classifier(out, "test", data_dir)
    if abs(test["error_percent"] - entry["test_error_percent"]) > 0.01 + 1e-6:
        raise CheckpointError(
            f"Seed {seed}: '{out}' gives {test['error_percent']:.2f}% test error, the results "
            f"file records {entry['test_error_percent']:.2f}%: the checkpoint is not the one the "
            "file describes. Retrain the seed, or restore the matching checkpoint."
        )
    log = log or entry.get("metrics_log")
    print(
        f"seed {seed}: no run in this runs directory; keeping its recorded entry (trained on "
        f"{entry.get('hardware', 'unrecorded hardware')}), test error recomputed from '{out}'"
    )
    return entry | {
        # files written before these were recorded do not say
        "matmul_precision": entry.get("matmul_precision"),
        "gemm_rel_error": entry.get("gemm_rel_error"),
        "test_error_percent": test["error_percent"],
        "val_error_percent": val["error_percent"],
        "test_scores": test,
        "metrics_log": log,
        "recorded_entry": True,
    }


def _error_curve(per_seed: list[dict[str, Any]], path: Path, paper: float, title: str) -> Path:
    """Validation and test error against wall-clock time, per seed, from the runs' logs (the
    test error is logged for this curve only; nothing is chosen by it). A seed without a log on
    this machine is left out of the figure."""
    series, styles = {}, {}
    colours = plots.seed_colours(len(per_seed))
    for i, r in enumerate(per_seed):
        log = Path(r.get("metrics_log") or Path(r["run"]) / "metrics.jsonl")
        if not log.is_file():
            print(f"seed {r['seed']}: no metrics log at '{log}'; left out of the figure")
            continue
        rows = [json.loads(line) for line in log.open() if line]
        for split in ("val", "test"):
            key = f"{split}_error_percent"
            if key not in rows[-1] and f"{split}_cluster_error_percent" in rows[-1]:
                key = f"{split}_cluster_error_percent"
            pts = [(row["wall_seconds"] / 3600, row[key]) for row in rows if key in row]
            if pts:
                hours, errors = zip(*pts, strict=True)
                name = f"seed {r['seed']} {split}"
                series[name] = (hours, errors)
                # one colour per seed; validation solid, test dashed
                styles[name] = {"color": colours[i], "linestyle": "-" if split == "val" else "--"}
    return plots.plot_error_vs_time(series, path, target=paper, title=title, styles=styles)


def _per_class_line(scores: dict[str, Any]) -> str:
    """The model card's per-class test errors and largest confusion, from a confusion matrix."""
    if "confusion_matrix" not in scores:
        return ""
    cm = np.asarray(scores["confusion_matrix"])
    errors = 100.0 * (1 - np.diag(cm) / np.maximum(cm.sum(1), 1))
    off = cm - np.diag(np.diag(cm))
    true, pred = np.unravel_index(off.argmax(), off.shape)
    per_class = ", ".join(f"{c}: {e:.1f}" for c, e in enumerate(errors))
    return (
        f"- **Test error per class (%)**: {per_class}. Largest confusion: {off[true, pred]} "
        f"test images of class {true} called {pred}.\n"
    )


def _commands_lines(train_commands: list[dict[str, Any]], command: str | None) -> str:
    """Model-card lines: the commands that trained the run, then the one that exported it."""
    trained = [
        f"`{c['command']}`"
        + ("" if c.get("from_epoch") is None else f" (from epoch {c['from_epoch']})")
        for c in train_commands
        if c.get("command")
    ]
    lines = f"- **Trained by**: {'; then '.join(trained) if trained else 'not recorded'}.\n"
    return lines + f"- **Exported by**: `{command}`."


def write_model_card(path: Path, **k: Any) -> Path:
    """A short model card beside an exported checkpoint, from the numbers just measured."""
    experiment, setting, cfg = k["experiment"], k["setting"], k["cfg"]
    paper = PAPER[experiment][setting][0]
    unsup = _unsupervised(experiment, setting)
    data = (
        "no labels (clusters are named by the paper's rule: each takes the label of its most "
        "confident training image)"
        if unsup
        else "all their labels"
        if setting == "all"
        else f"{setting} labels (class-balanced, drawn by seed {k['seed']})"
    )
    name = path.stem
    text = f"""# Model card: `{name}`

- **What**: the q(y|x) classifier of an AAE for {TITLES[experiment]} (paper arXiv 1511.05644,
  {
        "section 6"
        if experiment == "clustering"
        else "section 7"
        if experiment == "dim_reduction"
        else "section 5"
    }): the encoder trunk and the softmax head, float16 weights. Load it with
  `torch_aae.from_pretrained("{name}")`; predict with `model.classify(x).argmax(1)` on
  flattened 28x28 images scaled to [0, 1].
- **Training data**: the first 50,000 MNIST training images with {data}; the last 10,000
  training images are the validation split.
- **Epoch**: {k["best_epoch"]} of {k["epochs_trained"]} trained, chosen by the lowest
  `{cfg.train.best_metric}` (validation split).
- **Numbers**: validation error {k["val"]["error_percent"]:.2f}%, test error
  {k["test"]["error_percent"]:.2f}% (10,000 MNIST test images); paper: {paper}%.
  `aae evaluate {path.with_suffix(".pt")} --split test` recomputes the test error.
{_per_class_line(k["test"])}- **Config**: `{k["config_path"]}`, seed {k["seed"]}.
{_commands_lines(k["train_commands"], k["command"])}
- **Limits**: MNIST digits only; {
        "the target is met"
        if k["test"]["error_percent"] <= paper
        else "the paper's number is not reached"
    } by this seed alone; one seed says little about the
  spread over seeds (see the results file).
"""
    path.write_text(text)
    return path
