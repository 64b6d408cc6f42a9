"""``aae report RUN``: one self-contained HTML page per run (config, numbers, curves, every
figure, and the paper's number where the run has one). Images are embedded as base64, so the page
can be mailed or archived as one file; it loads nothing from the network."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

from torch_aae.config import model_kind
from torch_aae.errors import CheckpointError
from torch_aae.run import read_run

_CSS = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
td, th { border: 1px solid #ccc; padding: 4px 10px; text-align: left; font-size: 14px; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; font-size: 13px; }
figure { display: inline-block; margin: 0.5em; vertical-align: top; }
figcaption { text-align: center; font-size: 13px; color: #555; }
img { max-width: 520px; border: 1px solid #eee; }
"""

# Numbers shown first when present, in this order.
_KEY_NUMBERS = (
    "error_percent",
    "cluster_error_percent",
    "cluster_nmi",
    "cluster_ari",
    "recon_mse_sum",
    "c2st_accuracy",
    "mmd2",
    "mmd_p_value",
)


def paper_value(cfg) -> tuple[str, float] | None:
    """(what, the paper's test error in %) for a run whose setting the paper reports."""
    from torch_aae.reproduce import PAPER

    variant, kind = cfg.model.variant, model_kind(cfg)
    if kind == "classifier":
        n = cfg.data.n_labeled
        setting = "all" if n == -1 else str(n)
        table = PAPER["semi_supervised" if variant == "semi_supervised" else "dim_reduction"]
        if setting in table and (variant == "semi_supervised" or cfg.model.latent_dim == 2):
            return f"test error (%), {setting} labels", table[setting][0]
    if kind == "clusterer":
        m = str(cfg.model.n_classes)
        if variant == "clustering" and m in PAPER["clustering"]:
            return f"test error (%), {m} clusters", PAPER["clustering"][m][0]
        key = f"clusters_{m}"
        if variant == "dim_reduction" and key in PAPER["dim_reduction"]:
            return f"test error (%), {m} clusters", PAPER["dim_reduction"][key][0]
    return None


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    name = html.escape(path.stem.replace("_", " "))
    return (
        f'<figure><img alt="{name}" src="data:image/png;base64,{data}">'
        f"<figcaption>{name}</figcaption></figure>"
    )


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return html.escape(str(v))


def _numbers_table(summary: dict[str, Any]) -> str:
    splits = [s for s in ("val", "test") if isinstance(summary.get(s), dict)]
    if not splits:
        return "<p>No final numbers yet: the run has not finished (see the curves).</p>"
    keys = [k for k in _KEY_NUMBERS if any(k in summary[s] for s in splits)]
    keys += sorted({k for s in splits for k in summary[s]} - set(keys))
    head = "".join(f"<th>{'validation' if s == 'val' else 'test'}</th>" for s in splits)
    rows = "".join(
        f"<tr><td>{html.escape(k)}</td>"
        + "".join(f"<td>{_fmt(summary[s].get(k, ''))}</td>" for s in splits)
        + "</tr>"
        for k in keys
    )
    return f"<table><tr><th>number</th>{head}</tr>{rows}</table>"


def write_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write ``run_dir/report.html`` (or ``out``) and return its path."""
    run_dir = Path(run_dir)
    if not (run_dir / "config.toml").is_file():
        raise CheckpointError(f"'{run_dir}' is not a run directory (no config.toml).")
    cfg, ckpt = read_run(run_dir)
    summary_path = run_dir / "summary.json"
    summary = json.loads(summary_path.read_text()) if summary_path.is_file() else {}
    epochs_done = int(ckpt["trainer"]["epoch"])
    info = {
        "variant": cfg.model.variant,
        "epochs": f"{epochs_done} of {cfg.train.epochs}",
        "seed": cfg.train.seed,
        "wall time (s)": round(float(ckpt.get("wall_seconds", 0.0)), 1),
        "hardware": summary.get("hardware", "not recorded yet (run unfinished)"),
        "command": summary.get("command"),
        "commit": summary.get("commit"),
    }
    best = run_dir / "best.json"
    if best.is_file():
        b = json.loads(best.read_text())
        info["best epoch"] = f"{b['epoch']} ({b['metric']} = {b['value']:.4g})"
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>torch-aae run {html.escape(run_dir.name)}</title><style>{_CSS}</style></head>",
        f"<body><h1>Run <code>{html.escape(str(run_dir))}</code></h1>",
        "<table>"
        + "".join(f"<tr><th>{k}</th><td>{_fmt(v)}</td></tr>" for k, v in info.items())
        + "</table>",
        "<h2>Final numbers</h2>",
        _numbers_table(summary),
    ]
    paper = paper_value(cfg)
    if paper is not None:
        what, value = paper
        ours = summary.get("test", {}).get(
            "error_percent", summary.get("test", {}).get("cluster_error_percent")
        )
        ours_text = f"{ours:.2f}" if isinstance(ours, float) else "not evaluated yet"
        parts.append(
            "<h2>Against the paper</h2><table><tr><th></th><th>paper</th><th>this run</th></tr>"
            f"<tr><td>{html.escape(what)}</td><td>{value}</td><td>{ours_text}</td></tr></table>"
        )
    figures = sorted((run_dir / "figures").glob("*.png"))
    parts.append("<h2>Figures</h2>" + ("".join(_img(p) for p in figures) or "<p>none yet</p>"))
    parts.append(f"<h2>Config</h2><pre>{html.escape(cfg.to_toml())}</pre></body></html>")
    out = Path(out) if out else run_dir / "report.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(parts))
    return out
