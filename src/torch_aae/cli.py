"""The ``aae`` command. It parses arguments and calls the library; nothing else."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

import numpy as np
import torch

from torch_aae.config import load_config
from torch_aae.errors import AAEError, DataError, TrainingInterrupted


def _add_train(sub) -> None:
    p = sub.add_parser("train", help="train an AAE from a TOML config, or resume a run")
    p.add_argument("config", nargs="?", help="TOML config (see configs/); defaults if omitted")
    p.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config value, e.g. --set model.latent_dim=8 (repeatable)",
    )
    p.add_argument("--out", help="run directory to create (default: runs/<config name>)")
    p.add_argument("--data-dir", help="folder with the IDX files (overrides data.data_dir)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing run directory")
    p.add_argument("--resume", metavar="RUN", help="continue the run in RUN from its checkpoint")
    p.add_argument("--epochs", type=int, help="with --resume: train up to this many epochs")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], help="overrides train.device")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--logger",
        choices=["jsonl", "tensorboard"],
        help="tensorboard: also write TensorBoard scalars to RUN/tensorboard (metrics.jsonl always)",
    )


def _add_run_commands(sub) -> None:
    p = sub.add_parser("sample", help="decode prior samples of a trained run")
    p.add_argument("run")
    p.add_argument("-n", type=int, default=100, help="number of samples")
    p.add_argument("--labels", help="comma-separated component per sample (label-conditioned)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help=".npy for arrays, .png for an image grid")

    p = sub.add_parser("encode", help="write the codes of a split (or a file) to .npy")
    p.add_argument("run")
    p.add_argument("--split", default="test", choices=["train", "val", "test"])
    p.add_argument("--input", help="a .npy/.npz/.csv file to encode instead of a split")
    p.add_argument("--data-dir")
    p.add_argument("--out", required=True, help="output .npy (codes, shape (n, latent_dim))")

    p = sub.add_parser("plot", help="(re)draw the figures of a run into RUN/figures")
    p.add_argument("run")
    p.add_argument("--data-dir")
    p.add_argument(
        "--checkpoint",
        choices=["last", "best"],
        default="last",
        help="draw the last epoch's model (default) or best.pt, the epoch chosen on validation "
        "(figures then go to RUN/figures_best)",
    )

    p = sub.add_parser("compare", help="held-out codes of several runs side by side (Fig. 2)")
    p.add_argument("runs", nargs="+", help="finished run directories (e.g. an AAE and a VAE)")
    p.add_argument("--out", required=True, help="PNG file to write")
    p.add_argument(
        "--checkpoint",
        choices=["last", "best"],
        default="last",
        help="draw each run's last epoch (default) or its best.pt, the epoch chosen on validation "
        "(test numbers then computed for that epoch)",
    )
    p.add_argument("--data-dir")

    p = sub.add_parser("evaluate", help="print held-out numbers of a run as JSON")
    p.add_argument("run", help="a run directory, or an exported classifier checkpoint (.pt)")
    p.add_argument(
        "--metric",
        default="prior",
        choices=["prior", "parzen"],
        help="prior: reconstruction error and prior match on --split (a classifier adds its "
        "error and confusion matrix, a clusterer its cluster scores); parzen: the "
        "Parzen-window log-likelihood of --split (paper Table 1): test, or val to choose "
        "between runs (scored on validation images that did not choose sigma)",
    )
    p.add_argument("--split", default="test", choices=["train", "val", "test"])
    p.add_argument("--n-samples", type=int, default=10_000, help="parzen: model samples")
    p.add_argument("--out", help="also write the JSON to this file")
    p.add_argument("--data-dir")


def _add_explore(sub) -> None:
    p = sub.add_parser("explore", help="serve a page on 127.0.0.1 to walk a run's latent space")
    p.add_argument("run")
    p.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0: any free)")
    p.add_argument("--data-dir")


def _add_report(sub) -> None:
    p = sub.add_parser("report", help="write one self-contained HTML page for a run")
    p.add_argument("run")
    p.add_argument("--out", help="HTML file to write (default: RUN/report.html)")


def _add_reproduce(sub) -> None:
    p = sub.add_parser("reproduce", help="reproduce a table of the paper (several seeds)")
    p.add_argument("experiment", choices=["semi-supervised", "clustering", "dim-reduction"])
    p.add_argument(
        "--labels", choices=["100", "1000", "all"], help="semi-supervised, dim-reduction"
    )
    p.add_argument(
        "--clusters", choices=["16", "20", "30"], help="clustering; dim-reduction without labels"
    )
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--epochs", type=int, help="train each seed up to this many epochs")
    p.add_argument(
        "--no-train",
        action="store_true",
        help="train nothing: evaluate the runs as they stand (a partial result says so)",
    )
    p.add_argument(
        "--train-only",
        action="store_true",
        help="train the seeds but write no results file (for seeds trained side by side in "
        "separate processes; write the results afterwards with all seeds and --no-train)",
    )
    p.add_argument(
        "--seed-log",
        action="append",
        default=[],
        metavar="SEED=PATH",
        help="a seed's metrics.jsonl for the error-against-time figure, for a seed whose run "
        "is not on this machine (with --no-train such a seed keeps its entry in the results file)",
    )
    p.add_argument(
        "--seed-export",
        action="append",
        default=[],
        metavar="SEED=PATH",
        help="with --no-train: report a seed whose run is not on this machine from its exported "
        "classifier (one whose metadata holds its run's record); it must have been trained "
        "with this experiment's config and seed, and is copied to RESULTS/checkpoints",
    )
    p.add_argument("--config-dir", default="configs", help="where the experiment configs are")
    p.add_argument("--runs-dir", default="runs")
    p.add_argument("--results-dir", default="results")
    p.add_argument("--data-dir")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aae", description="Adversarial Autoencoders (Makhzani et al., arXiv 1511.05644)"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    _add_train(sub)
    _add_run_commands(sub)
    _add_reproduce(sub)
    _add_report(sub)
    _add_explore(sub)
    return parser


def cmd_train(args) -> None:
    from torch_aae.run import resume_run, train_run

    command = args.command_line
    if args.resume:
        if args.config or args.overrides or args.out:
            raise AAEError("--resume RUN takes its config from RUN; drop the config, --set, --out.")
        summary = resume_run(
            args.resume, epochs=args.epochs, data_dir=args.data_dir, command=command
        )
        run_dir = Path(args.resume)
    else:
        overrides = list(args.overrides)
        if args.data_dir:
            overrides.append(f"data.data_dir={json.dumps(args.data_dir)}")
        if args.no_progress:
            overrides.append("train.progress=false")
        if args.device:
            overrides.append(f"train.device={json.dumps(args.device)}")
        if args.logger:
            overrides.append(f"train.logger={json.dumps(args.logger)}")
        if args.epochs is not None:
            overrides.append(f"train.epochs={args.epochs}")
        cfg = load_config(args.config, overrides)
        run_dir = Path(
            args.out or Path("runs") / (Path(args.config).stem if args.config else "aae")
        )
        summary = train_run(cfg, run_dir, overwrite=args.overwrite, command=command)
    if "rank" in summary:  # not process 0 under torchrun: it reports nothing
        # Leave without interpreter finalization: a gloo worker thread may still be releasing the
        # last collective's tensors, which needs the GIL; if the interpreter is finalizing by
        # then, the process aborts ("terminate called without an active exception", about one
        # exit in ten on 2 CPU cores). This rank has written nothing that needs a clean shutdown.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    print(
        json.dumps(
            {
                "run": str(run_dir),
                "epochs": summary["epochs"],  # test / val: the last epoch's numbers
                "test": summary.get("test"),
                "val": summary.get("val"),
                "best": summary.get("best"),  # the epoch chosen on validation (best.pt)
                "wall_seconds": summary["wall_seconds"],
            },
            indent=2,
        )
    )


def _run_data(run: str, data_dir: str | None):
    from torch_aae.run import read_run
    from torch_aae.training.data import load_data

    cfg, _ = read_run(run)
    if data_dir:
        cfg = cfg.replace(**{"data.data_dir": data_dir})
    return cfg, load_data(cfg.data, cfg.train.seed)


def cmd_sample(args) -> None:
    from torch_aae import plots
    from torch_aae.run import load_model

    model = load_model(args.run)
    labels = None
    if args.labels:
        labels = torch.tensor([int(v) for v in args.labels.split(",")])
        if len(labels) != args.n:
            raise AAEError(f"--labels has {len(labels)} entries but -n is {args.n}; match them.")
    try:
        x = model.sample(args.n, torch.Generator().manual_seed(args.seed), labels).numpy()
    except ValueError as err:
        raise AAEError(f"Cannot sample: {err}") from None
    out = Path(args.out)
    if out.suffix == ".png":
        plots.plot_image_grid(x, out)
    elif out.suffix == ".npy":
        np.save(out, x)
    else:
        raise AAEError(f"--out must end in .npy or .png, got '{out.name}'")
    print(out)


def cmd_encode(args) -> None:
    from torch_aae.api import AAE

    est = AAE.load(args.run)
    if args.input:
        from torch_aae.data.user import load_user_data

        x, _ = load_user_data(args.input)
    else:
        _, data = _run_data(args.run, args.data_dir)
        x = data.split(args.split).x.numpy()
    if x.shape[1] != est.n_features_in_:
        raise DataError(f"Input has {x.shape[1]} features; the model expects {est.n_features_in_}.")
    codes = est.transform(x)
    np.save(args.out, codes)
    print(f"{args.out}: {codes.shape}")


def cmd_plot(args) -> None:
    from torch_aae.figures import make_figures
    from torch_aae.run import best_checkpoint, load_model

    cfg, data = _run_data(args.run, args.data_dir)
    source, folder = Path(args.run), "figures"
    if args.checkpoint == "best":
        source, folder = best_checkpoint(args.run), "figures_best"
    for path in make_figures(load_model(source), data, args.run, cfg.train.seed, folder):
        print(path)


def cmd_compare(args) -> None:
    from torch_aae.figures import compare_runs

    print(compare_runs(args.runs, args.out, args.data_dir, checkpoint=args.checkpoint))


def cmd_evaluate(args) -> None:
    from torch_aae.api import AAE
    from torch_aae.evaluation import evaluate_parzen
    from torch_aae.reproduce import CLASSIFIER_KIND, evaluate_classifier
    from torch_aae.training.checkpoint import load_checkpoint

    if Path(args.run).is_file() and load_checkpoint(args.run).get("kind") == CLASSIFIER_KIND:
        out = evaluate_classifier(args.run, args.split, args.data_dir)
        _print_json(out, args.out)
        return
    _, data = _run_data(args.run, args.data_dir)
    if args.metric == "parzen":
        command = args.command_line
        figure = (
            Path(args.out).with_name(Path(args.out).stem + "_neighbours.png")
            if args.out
            else Path(args.run) / "figures" / "nearest_neighbours.png"
        )
        out = evaluate_parzen(
            args.run,
            data,
            n_samples=args.n_samples,
            split=args.split,
            command=command,
            figure_path=figure,
        )
    else:
        part = data.split(args.split)
        trainer = AAE.load(args.run).trainer_
        scores = trainer.evaluate(part.x, part.y, confusion=True)
        out = {"run": args.run, "split": args.split, **scores}
    _print_json(out, args.out)


def _print_json(out: dict, path: str | None) -> None:
    text = json.dumps(out, indent=2)
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text + "\n")
    print(text)


def cmd_explore(args) -> None:
    from torch_aae.explore import explorer_for_run, make_server

    try:
        server = make_server(explorer_for_run(args.run, args.data_dir), args.port)
    except OSError as err:
        raise AAEError(f"Cannot listen on 127.0.0.1:{args.port} ({err}); try --port 0.") from None
    host, port = server.server_address[:2]
    print(f"Latent explorer on http://{host}:{port}/ (Ctrl-C stops it)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def cmd_report(args) -> None:
    from torch_aae.report import write_report

    print(write_report(args.run, args.out))


def _seed_paths(items: list[str], flag: str, example: str) -> dict[int, str]:
    """{seed: path} of repeated ``flag SEED=PATH`` arguments."""
    out = {}
    for item in items:
        seed, sep, path = item.partition("=")
        if not (sep and seed.strip().isdigit() and path):
            raise AAEError(f"{flag} {item!r}: write it as SEED=PATH, e.g. {example}.")
        out[int(seed)] = path
    return out


def cmd_reproduce(args) -> None:
    from torch_aae.reproduce import reproduce

    if bool(args.labels) == bool(args.clusters):
        raise AAEError(
            f"reproduce {args.experiment} needs exactly one of --labels N (semi-supervised "
            "models) or --clusters M (unsupervised models)."
        )
    setting = args.labels or (
        args.clusters if args.experiment == "clustering" else f"clusters_{args.clusters}"
    )
    seed_logs = _seed_paths(args.seed_log, "--seed-log", "0=runs/seed0.jsonl")
    seed_exports = _seed_paths(args.seed_export, "--seed-export", "5=exports/seed5.pt")
    result = reproduce(
        args.experiment.replace("-", "_"),
        setting,
        args.seeds,
        config_dir=args.config_dir,
        runs_dir=args.runs_dir,
        results_dir=args.results_dir,
        epochs=args.epochs,
        train=not args.no_train,
        data_dir=args.data_dir,
        overrides=args.overrides,
        command=args.command_line,
        write_results=not args.train_only,
        seed_logs=seed_logs,
        seed_exports=seed_exports,
    )
    if args.train_only:
        print(json.dumps(result))
        return
    keys = ("experiment", "test_error_percent", "paper_value", "wall_seconds")
    print(json.dumps({k: result[k] for k in keys}))


COMMANDS = {
    "train": cmd_train,
    "sample": cmd_sample,
    "encode": cmd_encode,
    "plot": cmd_plot,
    "compare": cmd_compare,
    "evaluate": cmd_evaluate,
    "reproduce": cmd_reproduce,
    "report": cmd_report,
    "explore": cmd_explore,
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    args.command_line = "aae " + shlex.join(argv)  # recorded in runs and results files
    try:
        COMMANDS[args.command](args)
    except TrainingInterrupted as err:
        print(str(err), file=sys.stderr)
        return 130
    except AAEError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader of stdout went away (`aae evaluate RUN | head`): stop quietly; point stdout
        # at devnull so that the interpreter's final flush does not raise again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
