"""``aae report RUN``: one self-contained HTML page."""

from __future__ import annotations

import re

from torch_aae import train_run
from torch_aae.cli import main
from torch_aae.config import RunConfig
from torch_aae.report import paper_value


def test_report_is_one_self_contained_page(tiny_cfg, tmp_path, capsys):
    cfg = tiny_cfg.replace(
        **{
            "model.variant": "semi_supervised",
            "model.latent_dim": 4,
            "model.encoder_hidden": [32, 32],
            "data.n_labeled": 100,
            "train.epochs": 1,
        }
    )
    train_run(cfg, tmp_path / "run")
    assert main(["report", str(tmp_path / "run")]) == 0
    page = (tmp_path / "run" / "report.html").read_text()
    n_figures = len(list((tmp_path / "run" / "figures").glob("*.png")))
    assert n_figures >= 4 and page.count('src="data:image/png;base64,') == n_figures
    assert not re.search(r"(src|href)=['\"]https?://", page)  # nothing fetched from outside
    assert (
        "Against the paper" in page and "1.9" in page and "variant = &quot;semi_supervised" in page
    )
    assert "error_percent" in page


def test_report_refuses_a_folder_that_is_not_a_run(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "not a run directory" in capsys.readouterr().err


def test_paper_values_by_setting():
    base = RunConfig()
    semi = base.replace(**{"model.variant": "semi_supervised", "data.n_labeled": 1000})
    assert paper_value(semi)[1] == 1.60
    clus = base.replace(
        **{"model.variant": "clustering", "model.n_classes": 30, "data.n_labeled": 0}
    )
    assert paper_value(clus)[1] == 4.10
    assert paper_value(base) is None


def test_tensorboard_logger_writes_the_epoch_scalars(tiny_cfg, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    train_run(tiny_cfg.replace(**{"train.logger": "tensorboard"}), tmp_path / "run")
    events = EventAccumulator(str(tmp_path / "run" / "tensorboard"))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    assert {"loss_recon", "loss_disc", "loss_gen", "val_c2st_accuracy"} <= tags
    assert [e.step for e in events.Scalars("loss_recon")] == [1, 2]
