"""The plotting helpers write valid PNG files; the manifold grid has the documented layout."""

from __future__ import annotations

from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest
from scipy.stats import norm

from torch_aae import plots

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _check_png(path: Path, min_side: int = 50) -> np.ndarray:
    assert path.is_file() and path.stat().st_size > 100
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    img = mpimg.imread(path)
    assert img.ndim == 3 and min(img.shape[:2]) >= min_side
    return img


def test_plot_latent_labels_and_prior(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    codes = rng.normal(size=(300, 4))
    labels = rng.integers(0, 10, size=300)
    out = plots.plot_latent(
        codes,
        labels,
        rng.normal(size=(2000, 4)),
        tmp_path / "sub" / "latent.png",
        title="codes",
        class_names=[f"c{i}" for i in range(10)],
        max_points=200,
    )
    assert out == tmp_path / "sub" / "latent.png"
    img = _check_png(out)
    assert img[..., :3].std() > 0.05  # something was drawn


def test_plot_latent_without_labels_or_prior(tmp_path: Path) -> None:
    codes = np.random.default_rng(1).normal(size=(50, 2))
    _check_png(plots.plot_latent(codes, None, None, tmp_path / "a.png"))
    with pytest.raises(ValueError):
        plots.plot_latent(codes[:, :1], None, None, tmp_path / "b.png")


def test_plot_image_grid_size(tmp_path: Path) -> None:
    images = np.random.default_rng(2).random((400, 784))
    img = _check_png(plots.plot_image_grid(images, tmp_path / "grid.png", n_cols=20))
    # 20 x 20 images of 28 px with 1 px gaps, drawn about twice as large: a square picture
    assert img.shape[0] == pytest.approx(img.shape[1], rel=0.02)


def test_plot_reconstructions_and_manifold(tmp_path: Path) -> None:
    x = np.random.default_rng(3).random((12, 64))
    _check_png(plots.plot_reconstructions(x, 1 - x, tmp_path / "rec.png", image_shape=(8, 8), n=10))
    _check_png(plots.plot_manifold(x[:9], 3, tmp_path / "man.png", image_shape=(8, 8)), 40)
    with pytest.raises(ValueError):
        plots.plot_manifold(x, 3, tmp_path / "bad.png", image_shape=(8, 8))


def test_tabular_data_is_rejected(tmp_path: Path) -> None:
    tabular = np.random.default_rng(4).random((10, 13))
    with pytest.raises(ValueError, match="13 features"):
        plots.plot_image_grid(tabular, tmp_path / "t.png")
    with pytest.raises(ValueError, match="image_shape"):
        plots.plot_reconstructions(tabular, tabular, tmp_path / "r.png")
    assert not (tmp_path / "t.png").exists()


def test_manifold_grid_layout() -> None:
    n = 4
    grid = plots.manifold_grid(n)
    assert grid.shape == (n * n, 2)
    values = norm.ppf(np.linspace(0.5 / n, 1 - 0.5 / n, n))
    np.testing.assert_allclose(grid[:n, 0], values)  # first row: x left to right
    np.testing.assert_allclose(grid[:n, 1], values[-1])  # first row is the top (highest y)
    np.testing.assert_allclose(grid[::n, 1], values[::-1])  # rows from top to bottom
    np.testing.assert_allclose(grid[-1], [values[-1], values[0]])  # bottom right


def test_manifold_grid_custom_icdf() -> None:
    grid = plots.manifold_grid(2, icdf=lambda p: 10 * p)
    np.testing.assert_allclose(grid, [[2.5, 7.5], [7.5, 7.5], [2.5, 2.5], [7.5, 2.5]])


def test_plot_curves_skips_missing(tmp_path: Path) -> None:
    records = [
        {"epoch": 1, "loss": 1.0, "acc": 0.5},
        {"epoch": 2, "loss": 0.5},
        {"epoch": 3, "loss": None, "acc": 0.7},
    ]
    out = plots.plot_curves(records, ["loss", "acc", "absent"], tmp_path / "c.png")
    _check_png(out)


def test_seed_colours_are_distinct_up_to_twenty_and_beyond():
    for n in (1, 10, 11, 20, 25):
        colours = plots.seed_colours(n)
        assert len(colours) == n
        assert len(set(colours)) == n, n


def test_error_vs_time_takes_per_series_styles(tmp_path):
    series = {"seed 0 val": ([0.1, 0.2], [5.0, 4.0]), "seed 0 test": ([0.1, 0.2], [5.5, 4.2])}
    styles = {"seed 0 test": {"linestyle": "--", "color": "red"}}
    out = plots.plot_error_vs_time(series, tmp_path / "curve.png", target=1.9, styles=styles)
    img = _check_png(out)
    # the styled series is drawn in pure red, a colour no default series line has
    red = (img[..., 0] > 0.9) & (img[..., 1] < 0.1) & (img[..., 2] < 0.1)
    assert red.sum() > 20
    plain = _check_png(plots.plot_error_vs_time(series, tmp_path / "plain.png", target=1.9))
    assert ((plain[..., 0] > 0.9) & (plain[..., 1] < 0.1) & (plain[..., 2] < 0.1)).sum() == 0
    with pytest.raises(ValueError, match="2 times but 1 errors"):
        plots.plot_error_vs_time({"bad": ([0.1, 0.2], [5.0])}, tmp_path / "bad.png")


def test_error_vs_time_labels_the_log_axis_with_plain_numbers(tmp_path, monkeypatch):
    labels: list[str] = []

    def keep_labels(fig, path):
        fig.canvas.draw()
        ax = fig.axes[0]
        labels.extend(t.get_text() for t in ax.get_yticklabels(which="both") if t.get_text())
        return real_save(fig, path)

    real_save = plots._save
    monkeypatch.setattr(plots, "_save", keep_labels)
    series = {"seed 0": ([0.1, 0.2, 0.3], [35.0, 22.0, 18.0])}
    plots.plot_error_vs_time(series, tmp_path / "curve.png", target=4.1)
    assert labels, "no y tick labels drawn"
    assert not any("times" in t or "^" in t for t in labels), labels
    assert {"10", "20", "30"} <= set(labels), labels
