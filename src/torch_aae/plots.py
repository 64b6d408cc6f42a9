"""Figures as PNG files: latent codes over the prior, image grids, reconstructions, the manifold
grid (paper Fig. 2e) and training curves.

Figures are drawn with matplotlib's object-oriented API on an Agg canvas (no pyplot, so the
global backend and pyplot's figure registry are left alone). Every ``plot_*`` function writes a
PNG to ``path`` (creating parent directories), releases the figure and returns ``Path(path)``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import LogFormatter
from scipy.stats import norm

from torch_aae.errors import DataError

__all__ = [
    "ImageShapeError",
    "manifold_grid",
    "plot_curves",
    "plot_error_vs_time",
    "plot_image_grid",
    "plot_latent",
    "plot_latent_panels",
    "plot_manifold",
    "plot_reconstructions",
]

_DPI = 100


class ImageShapeError(DataError, ValueError):
    """Data that cannot be shown as images of the requested shape (e.g. tabular data)."""


def _new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), dpi=_DPI)
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, path: str | os.PathLike[str]) -> Path:
    """Write ``fig`` as a PNG to ``path`` (parents created), release it, return the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        fig.savefig(out, format="png", dpi=_DPI)
    finally:
        fig.clear()
    return out


def _as_images(images: np.ndarray, image_shape: Sequence[int], name: str) -> np.ndarray:
    """``images`` (n, prod(image_shape)) or (n, *image_shape) as float (n, *image_shape) in [0, 1].

    Raises:
        ImageShapeError: (a ``ValueError``) when the feature count does not fit ``image_shape``.
    """
    shape = tuple(int(s) for s in image_shape)
    if len(shape) not in (2, 3) or (len(shape) == 3 and shape[2] not in (3, 4)):
        raise ImageShapeError(
            f"image_shape must be (height, width) or (height, width, 3|4), got {shape}"
        )
    a = np.asarray(images, dtype=np.float64)
    if a.ndim < 2 or a.shape[0] == 0:
        raise ImageShapeError(f"{name} must have shape (n, features) with n >= 1, got {a.shape}")
    n_features = int(np.prod(a.shape[1:]))
    expected = int(np.prod(shape))
    if n_features != expected:
        raise ImageShapeError(
            f"{name} have {n_features} features per example, but image_shape "
            f"{'x'.join(map(str, shape))} needs {expected}: only image data can be plotted as "
            f"images (tabular data cannot); pass the right image_shape."
        )
    a = a.reshape((a.shape[0], *shape))
    return np.clip(np.nan_to_num(a, nan=0.0), 0.0, 1.0)


def _tile(images: np.ndarray, n_cols: int, pad: int = 1, fill: float = 1.0) -> np.ndarray:
    """Tile images (n, h, w[, c]) into one array, row-major, with ``pad`` pixels between them.

    Returns:
        Array of shape (rows * (h + pad) + pad, n_cols * (w + pad) + pad[, c]), where
        rows = ceil(n / n_cols); unused cells are filled with ``fill``.
    """
    n, h, w = images.shape[:3]
    extra = images.shape[3:]
    n_rows = math.ceil(n / n_cols)
    cells = np.full((n_rows * n_cols, h, w, *extra), fill, dtype=np.float64)
    cells[:n] = images
    cells = cells.reshape(n_rows, n_cols, h, w, *extra)
    widths = [(0, 0), (0, 0), (pad, 0), (pad, 0)] + [(0, 0)] * len(extra)
    cells = np.pad(cells, widths, constant_values=fill)
    grid = cells.transpose(0, 2, 1, 3, *range(4, 4 + len(extra)))
    grid = grid.reshape(n_rows * (h + pad), n_cols * (w + pad), *extra)
    tail = [(0, pad), (0, pad)] + [(0, 0)] * len(extra)
    return np.pad(grid, tail, constant_values=fill)


def _show_grid(grid: np.ndarray, path: str | os.PathLike[str], title: str) -> Path:
    """Show one tiled array (H, W[, c]) in a figure without axes and write it to ``path``."""
    height, width = grid.shape[:2]
    long_side = max(height, width)
    # about 2 screen pixels per image pixel; small grids at least ~400 px, large at most ~1600
    scale = min(max(2.0, 400.0 / long_side), 1600.0 / long_side)
    title_in = 0.4 if title else 0.0
    fig_w = max(width * scale / _DPI, 1.0)
    fig_h = height * scale / _DPI + title_in
    fig = _new_figure(fig_w, fig_h)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0 - title_in / fig_h))
    ax.imshow(grid, cmap="gray", vmin=0.0, vmax=1.0, interpolation="nearest", aspect="auto")
    ax.set_axis_off()
    if title:
        fig.suptitle(title, fontsize=10, y=1.0 - 0.05 / fig_h, va="top")
    return _save(fig, path)


def plot_image_grid(
    images: np.ndarray,
    path: str | os.PathLike[str],
    *,
    image_shape: Sequence[int] = (28, 28),
    n_cols: int = 10,
    title: str = "",
) -> Path:
    """Images in a grid, ``n_cols`` per row, without axes.

    Args:
        images: shape (n, prod(image_shape)) (or (n, *image_shape)), values in [0, 1]
            (clipped).
        path: PNG file to write.
        image_shape: (height, width) of one image, or (height, width, 3) for colour.
        n_cols: images per row (fewer when n is smaller).
        title: optional figure title.

    Raises:
        ImageShapeError: (a ``ValueError``) when the feature count is not prod(image_shape).
    """
    imgs = _as_images(images, image_shape, "images")
    if n_cols < 1:
        raise ValueError(f"n_cols must be >= 1, got {n_cols}")
    return _show_grid(_tile(imgs, min(int(n_cols), len(imgs))), path, title)


def plot_reconstructions(
    x: np.ndarray,
    x_hat: np.ndarray,
    path: str | os.PathLike[str],
    *,
    image_shape: Sequence[int] = (28, 28),
    n: int = 10,
    n_cols: int = 10,
    title: str = "",
) -> Path:
    """The first ``n`` originals and their reconstructions in row pairs (originals on top).

    Args:
        x: originals, shape (N, prod(image_shape)), values in [0, 1].
        x_hat: reconstructions, same shape as ``x``.
        path: PNG file to write.
        image_shape: (height, width) of one image.
        n: number of examples shown (at most N).
        n_cols: examples per row pair.
        title: figure title; default "top: original, bottom: reconstruction".

    Raises:
        ImageShapeError: (a ``ValueError``) when the feature count is not prod(image_shape).
    """
    a = _as_images(x, image_shape, "x")
    b = _as_images(x_hat, image_shape, "x_hat")
    if a.shape != b.shape:
        raise ValueError(f"x and x_hat must have the same shape, got {a.shape} and {b.shape}")
    if n < 1 or n_cols < 1:
        raise ValueError(f"n and n_cols must be >= 1, got {n} and {n_cols}")
    k = min(int(n), len(a))
    cols = min(int(n_cols), k)
    rows = math.ceil(k / cols)
    blank = np.ones((rows * cols - k, *a.shape[1:]))
    a = np.concatenate([a[:k], blank]).reshape(rows, 1, cols, *a.shape[1:])
    b = np.concatenate([b[:k], blank]).reshape(rows, 1, cols, *b.shape[1:])
    pairs = np.concatenate([a, b], axis=1).reshape(2 * rows * cols, *a.shape[3:])
    return _show_grid(_tile(pairs, cols), path, title or "top: original, bottom: reconstruction")


def manifold_grid(n: int, *, icdf: Callable[[np.ndarray], Any] | None = None) -> np.ndarray:
    """Points on the n x n percentile grid of a 2-D prior (for the manifold figure, Fig. 2e).

    Percentiles p = linspace(0.5 / n, 1 - 0.5 / n, n) are mapped through ``icdf`` on each axis.

    Args:
        n: grid size per axis.
        icdf: inverse CDF of one coordinate's marginal, mapping an array of probabilities (n,)
            to values (n,); default ``scipy.stats.norm.ppf`` (standard normal). If it rejects a
            numpy array with TypeError, it is called again with a torch tensor (so a prior's
            torch ``icdf`` works as is); tensors it returns are converted to numpy.

    Returns:
        Array (n * n, 2) of (x, y) points; row-major: rows from top (highest y) to bottom,
        within a row columns from left (lowest x) to right. Point r * n + c is at
        (icdf(p)[c], icdf(p)[n - 1 - r]).
    """
    n = int(n)
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    p = np.linspace(0.5 / n, 1.0 - 0.5 / n, n)
    if icdf is None:
        values = norm.ppf(p)
    else:
        try:
            values = icdf(p)
        except TypeError:
            import torch

            values = icdf(torch.as_tensor(p))
        if hasattr(values, "detach"):
            values = values.detach().cpu().numpy()
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    if values.shape != (n,):
        raise ValueError(f"icdf must return {n} values for {n} probabilities, got {values.shape}")
    xs, ys = np.meshgrid(values, values[::-1])
    return np.stack([xs.ravel(), ys.ravel()], axis=1)


def plot_manifold(
    images: np.ndarray,
    n: int,
    path: str | os.PathLike[str],
    *,
    image_shape: Sequence[int] = (28, 28),
    title: str = "",
) -> Path:
    """Decoded images of the :func:`manifold_grid` points as one seamless n x n image (Fig. 2e).

    Args:
        images: decoder outputs for ``manifold_grid(n)``, shape (n * n, prod(image_shape)), in
            the same order (rows from high to low y, columns from low to high x).
        n: grid size per axis.
        path: PNG file to write.
        image_shape: (height, width) of one image.
        title: optional figure title.

    Raises:
        ImageShapeError: (a ``ValueError``) when the feature count is not prod(image_shape).
    """
    imgs = _as_images(images, image_shape, "images")
    if len(imgs) != n * n:
        raise ValueError(f"plot_manifold needs n*n = {n * n} images, got {len(imgs)}")
    return _show_grid(_tile(imgs, n, pad=0), path, title)


def _label_name(label: Any, class_names: Sequence[str] | Mapping[Any, str] | None) -> str:
    if class_names is None:
        return str(label)
    if isinstance(class_names, Mapping):
        return str(class_names.get(label, label))
    if isinstance(label, (int, np.integer)) and 0 <= int(label) < len(class_names):
        return str(class_names[int(label)])
    return str(label)


def _points_and_labels(
    z: np.ndarray, labels: Any, max_points: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """Checked labels (one per point), and at most ``max_points`` points (a fixed-seed subset)."""
    if labels is not None:
        labels = np.asarray(labels).reshape(-1)
        if len(labels) != len(z):
            raise ValueError(f"labels must have {len(z)} entries, got {len(labels)}")
    if len(z) > max_points > 0:
        keep = np.sort(np.random.default_rng(0).choice(len(z), size=max_points, replace=False))
        z, labels = z[keep], None if labels is None else labels[keep]
    return z, labels


def _draw_latent(
    ax,
    codes,
    labels,
    prior_samples,
    title,
    class_names,
    max_points,
    markers,
    axis_names=("z[0]", "z[1]"),
) -> None:
    """Draw the latent scatter of :func:`plot_latent` on ``ax``."""
    z = np.asarray(codes, dtype=np.float64)
    if z.ndim != 2 or z.shape[1] < 2:
        raise ValueError(f"codes must have shape (n, d) with d >= 2, got {z.shape}")
    dim = z.shape[1]
    z, labels = _points_and_labels(z, labels, max_points)
    prior = np.empty((0, 2))
    if prior_samples is not None:
        prior = np.asarray(prior_samples, dtype=np.float64)
        if prior.ndim != 2 or prior.shape[1] < 2:
            raise ValueError(f"prior_samples must have shape (m, d) with d >= 2, got {prior.shape}")
        prior = prior[:, :2]
        prior = prior[np.all(np.isfinite(prior), axis=1)]
    z = z[:, :2]
    marks = np.empty((0, 2)) if markers is None else np.asarray(markers, dtype=np.float64)[:, :2]
    xlim, ylim = _limits(z, prior, marks)

    if len(prior):
        ax.hist2d(prior[:, 0], prior[:, 1], bins=120, range=(xlim, ylim), cmap="Greys", zorder=0)
    size = 4.0 if len(z) > 1000 else 10.0
    if labels is None:
        ax.scatter(z[:, 0], z[:, 1], s=size, c="tab:blue", alpha=0.7, linewidths=0, zorder=1)
    else:
        cmap = colormaps["tab10"]
        for i, value in enumerate(np.unique(labels)):
            sel = labels == value
            ax.scatter(
                z[sel, 0],
                z[sel, 1],
                s=size,
                color=cmap(i % 10),
                alpha=0.8,
                linewidths=0,
                label=_label_name(value.item() if hasattr(value, "item") else value, class_names),
                zorder=1,
            )
        ax.legend(
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            markerscale=3.0,
            fontsize=8,
            frameon=False,
        )
    if len(marks):
        ax.scatter(marks[:, 0], marks[:, 1], s=60, c="black", marker="x", zorder=2)
    ax.set_xlim(xlim)
    ax.set_ylim(ylim)
    ax.set_xlabel(axis_names[0])
    ax.set_ylabel(axis_names[1])
    full_title = title
    if dim > 2:
        note = f"(first 2 of {dim} dims)"
        full_title = f"{title} {note}" if title else note
    if full_title:
        ax.set_title(full_title, fontsize=10)


def plot_latent_panels(
    panels: Sequence[Mapping[str, Any]],
    path: str | os.PathLike[str],
    *,
    class_names: Sequence[str] | Mapping[Any, str] | None = None,
    max_points: int = 5000,
) -> Path:
    """Several latent scatters side by side (paper Fig. 2: AAE beside VAE). Each panel is a
    mapping with ``codes``, ``labels``, ``prior_samples`` and ``title`` as in :func:`plot_latent`.
    """
    if not panels:
        raise ValueError("plot_latent_panels needs at least one panel")
    fig = _new_figure(6.0 * len(panels), 5.5)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, p in zip(axes, panels, strict=True):
        _draw_latent(
            ax,
            p["codes"],
            p.get("labels"),
            p.get("prior_samples"),
            p.get("title", ""),
            class_names,
            max_points,
            None,
        )
    fig.tight_layout()
    return _save(fig, path)


def _limits(*arrays: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
    """Padded (xlim, ylim) covering the finite points of every (n, 2) array."""
    pts = np.concatenate([np.empty((0, 2)), *arrays], axis=0)
    pts = pts[np.all(np.isfinite(pts), axis=1)]
    if len(pts) == 0:
        return (-1.0, 1.0), (-1.0, 1.0)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    span = np.maximum(hi - lo, 1e-6)
    lo, hi = lo - 0.05 * span, hi + 0.05 * span
    return (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1]))


def plot_latent(
    codes: np.ndarray,
    labels: np.ndarray | None,
    prior_samples: np.ndarray | None,
    path: str | os.PathLike[str],
    *,
    title: str = "",
    class_names: Sequence[str] | Mapping[Any, str] | None = None,
    max_points: int = 5000,
    markers: np.ndarray | None = None,
    axis_names: Sequence[str] = ("z[0]", "z[1]"),
) -> Path:
    """Scatter of codes coloured by label over the prior's density (Figs. 2a/2b, 4a/4c).

    The prior's density is a grey-scale 2-D histogram of ``prior_samples`` in the background;
    both share axis limits covering all points. Only the first two code dimensions are drawn
    (the title says so when there are more).

    Args:
        codes: held-out codes, shape (n, d) with d >= 2.
        labels: class per code, shape (n,), or None (one colour).
        prior_samples: samples of p(z), shape (m, d') with d' >= 2, or None (no background).
        path: PNG file to write.
        title: figure title.
        class_names: legend names, indexed by integer label (sequence) or keyed by label
            (mapping); default: the label values.
        max_points: at most this many codes are drawn (a fixed-seed random subset).
        markers: points drawn as black crosses on top, shape (k, >= 2) (e.g. cluster heads).
        axis_names: the x and y axis labels (e.g. ``("r[0]", "r[1]")`` for a representation).
    """
    if len(axis_names) != 2:
        raise ValueError(f"axis_names must name 2 axes, got {len(axis_names)}")
    fig = _new_figure(7.0, 6.0)
    ax = fig.add_subplot(1, 1, 1)
    _draw_latent(
        ax, codes, labels, prior_samples, title, class_names, max_points, markers, axis_names
    )
    fig.tight_layout()
    return _save(fig, path)


def plot_latent_3d(
    codes: np.ndarray,
    labels: np.ndarray | None,
    path: str | os.PathLike[str],
    *,
    title: str = "",
    max_points: int = 5000,
    markers: np.ndarray | None = None,
) -> Path:
    """3-D scatter of (n, 3) codes coloured by label, ``markers`` (k, 3) as black crosses
    (the paper's 3-D representations, section 7)."""
    z = np.asarray(codes, dtype=np.float64)
    if z.ndim != 2 or z.shape[1] != 3:
        raise ValueError(f"codes must have shape (n, 3), got {z.shape}")
    z, labels = _points_and_labels(z, labels, max_points)
    fig = _new_figure(7.0, 6.0)
    ax = fig.add_subplot(1, 1, 1, projection="3d")
    cmap = colormaps["tab10"]
    groups = (
        [(None, np.ones(len(z), bool))]
        if labels is None
        else [(v, labels == v) for v in np.unique(labels)]
    )
    for i, (value, sel) in enumerate(groups):
        name = None if value is None else _label_name(value.item(), None)
        ax.scatter(*z[sel].T, s=3, color=cmap(i % 10), alpha=0.7, linewidths=0, label=name)
    if markers is not None:
        ax.scatter(*np.asarray(markers, dtype=np.float64)[:, :3].T, s=60, c="black", marker="x")
    if labels is not None:
        ax.legend(loc="upper left", markerscale=3.0, fontsize=8, frameon=False)
    ax.set_xlabel("r[0]")
    ax.set_ylabel("r[1]")
    ax.set_zlabel("r[2]")
    if title:
        ax.set_title(title, fontsize=10)
    return _save(fig, path)


def _finite_float(v: Any) -> float | None:
    if isinstance(v, bool) or v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def plot_curves(
    records: Sequence[Mapping[str, Any]],
    keys: Sequence[str],
    path: str | os.PathLike[str],
    *,
    x_key: str = "epoch",
) -> Path:
    """Metrics over training, one subplot per key (stacked, sharing the x axis).

    Args:
        records: metric records (e.g. the rows of ``metrics.jsonl``), each a dict.
        keys: the metrics to plot, one subplot each.
        path: PNG file to write.
        x_key: the record field used as x; a record without it is placed at its position in
            ``records``.

    Records that miss a key (or hold a non-numeric / non-finite value for it) are skipped for
    that key; a key with no values at all gets an empty subplot that says so.
    """
    keys = list(keys)
    if not keys:
        raise ValueError("plot_curves needs at least one key")
    fig = _new_figure(7.0, 1.0 + 1.8 * len(keys))
    axes = fig.subplots(len(keys), 1, sharex=True, squeeze=False)[:, 0]
    for ax, key in zip(axes, keys, strict=True):
        xs, ys = [], []
        for i, rec in enumerate(records):
            y = _finite_float(rec.get(key)) if key in rec else None
            if y is None:
                continue
            x = _finite_float(rec.get(x_key))
            xs.append(float(i) if x is None else x)
            ys.append(y)
        if ys:
            ax.plot(xs, ys, marker="o" if len(ys) <= 30 else None, markersize=3, linewidth=1.2)
        else:
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
        ax.set_ylabel(key, fontsize=8)
        ax.grid(True, alpha=0.3)
    axes[-1].set_xlabel(x_key)
    fig.tight_layout()
    return _save(fig, path)


def seed_colours(n: int) -> list[tuple[float, ...]]:
    """``n`` distinct colours, one per seed: tab10 up to ten, tab20 up to twenty, then a
    continuous map."""
    if n <= 10:
        return [colormaps["tab10"](i) for i in range(n)]
    if n <= 20:
        return [colormaps["tab20"](i) for i in range(n)]
    return [colormaps["viridis"](i / (n - 1)) for i in range(n)]


def plot_error_vs_time(
    series: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    path: str | os.PathLike[str],
    *,
    target: float | None = None,
    title: str = "",
    styles: Mapping[str, Mapping[str, Any]] | None = None,
) -> Path:
    """Error (%) against wall-clock hours, one line per series (e.g. per seed and split).

    Args:
        series: name -> (hours, error_percent), equal lengths.
        path: PNG file to write.
        target: a horizontal reference line (e.g. the paper's number), or None.
        styles: name -> extra ``Axes.plot`` keywords (colour, linestyle) for that series.
    """
    fig = _new_figure(7.0, 4.5)
    ax = fig.subplots()
    for name, (hours, errors) in series.items():
        if len(hours) != len(errors):
            raise ValueError(f"series {name!r}: {len(hours)} times but {len(errors)} errors")
        ax.plot(hours, errors, label=name, linewidth=1.2, **(styles or {}).get(name, {}))
    if target is not None:
        ax.axhline(target, color="black", linestyle="--", linewidth=1, label=f"paper {target}%")
    ax.set_xlabel("wall-clock hours")
    ax.set_ylabel("error (%)")
    ax.set_yscale("log")
    # plain numbers ("30", "2") on the ticks, not the default "3 x 10^1"; minor ticks are
    # labelled only when the axis spans little more than a decade, as by default
    ax.yaxis.set_major_formatter(LogFormatter(labelOnlyBase=False))
    ax.yaxis.set_minor_formatter(LogFormatter(labelOnlyBase=False, minor_thresholds=(2, 0.5)))
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7 if len(series) > 10 else 8, ncol=2 if len(series) > 10 else 1)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return _save(fig, path)
