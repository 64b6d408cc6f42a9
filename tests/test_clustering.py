"""Unsupervised clustering (paper section 6): the scores and the model."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from torch_aae import train_run
from torch_aae.cli import main
from torch_aae.clustering import (
    cluster_labels_by_confidence,
    cluster_scores,
    cluster_scores_from_logits,
    hungarian_accuracy,
    log_odds,
)


def _one_hot(assign, k, confidence=0.9):
    q = np.full((len(assign), k), (1 - confidence) / (k - 1))
    q[np.arange(len(assign)), assign] = confidence
    return q


def test_a_relabelled_perfect_clustering_scores_perfectly():
    y = np.repeat(np.arange(10), 20)
    perm = np.random.default_rng(0).permutation(10)
    q = _one_hot(perm[y], 10)
    s = cluster_scores(q, y, q, y)
    assert s["error_percent"] == 0 and s["majority_error_percent"] == 0
    assert s["hungarian_accuracy"] == 1 and s["nmi"] == pytest.approx(1)
    assert s["ari"] == pytest.approx(1) and s["n_clusters_used"] == 10


def test_mean_confidence_tells_a_soft_code_from_confident_clusters():
    y = np.repeat(np.arange(4), 5)
    q_sharp, q_soft = _one_hot(y, 4, confidence=0.97), _one_hot(y, 4, confidence=0.3)
    # both assign every row to the same cluster, so the error cannot tell them apart
    sharp, soft = cluster_scores(q_sharp, y, q_sharp, y), cluster_scores(q_soft, y, q_soft, y)
    assert sharp["error_percent"] == soft["error_percent"] == 0
    assert sharp["mean_confidence"] == pytest.approx(0.97)
    assert soft["mean_confidence"] == pytest.approx(0.3)


def test_paper_rule_takes_the_label_of_the_most_confident_reference_row():
    # cluster 0 holds mostly 7s, but its single most confident member is a 1
    q_ref = np.array([[0.6, 0.4], [0.6, 0.4], [0.99, 0.01], [0.2, 0.8]])
    y_ref = np.array([7, 7, 1, 3])
    assert cluster_labels_by_confidence(q_ref, y_ref).tolist() == [1, 3]
    s = cluster_scores(q_ref, y_ref, q_ref, y_ref)
    assert s["error_percent"] == 50.0  # the two 7s are called 1
    assert s["majority_error_percent"] == 25.0  # majority: cluster 0 -> 7, only the 1 is wrong


def test_log_odds_are_the_log_odds_and_keep_ranking_where_q_rounds_to_one():
    logits = np.array([[2.0, 0.0, -1.0], [0.5, 0.4, 0.3], [40.0, 0.0, 0.0], [80.0, 0.0, 0.0]])
    q = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    odds = log_odds(logits)
    np.testing.assert_allclose(odds[:2], np.log(q[:2] / (1 - q[:2])), rtol=1e-12)
    assert q[2, 0] == q[3, 0] == 1.0  # both round to 1.0 in float64 ...
    assert odds[3, 0] > odds[2, 0] > 35  # ... but their log-odds still rank them
    with pytest.raises(ValueError, match="at least 2 clusters"):
        log_odds(np.zeros((3, 1)))


def test_paper_rule_names_a_saturated_cluster_from_its_truly_most_confident_row():
    # every row of cluster 0 has q(y=0|x) = 1.0 in float32; the first is a 7, the most
    # confident (largest margin) a 1: the rule must take the 1, not the first tied row
    logits = np.array([[30.0, 0.0], [60.0, 0.0], [45.0, 0.0], [0.0, 3.0]], dtype=np.float32)
    y = np.array([7, 1, 7, 3])
    q32 = torch.from_numpy(logits).softmax(1).numpy()
    assert (q32[:3, 0] == 1.0).all()
    assert cluster_labels_by_confidence(q32, y).tolist() == [7, 3]  # ties go to the first row
    s = cluster_scores_from_logits(logits, y, logits, y)
    assert s["error_percent"] == 50.0  # cluster 0 named 1: both 7s wrong
    assert s["majority_error_percent"] == 25.0
    assert s["mean_confidence"] == pytest.approx((3 + 1 / (1 + np.exp(-3.0))) / 4)


def test_more_clusters_than_labels():
    y = np.repeat(np.arange(3), 10)
    assign = y * 2 + np.arange(30) % 2  # every label split over two clusters
    q = _one_hot(assign, 6)
    s = cluster_scores(q, y, q, y)
    assert s["error_percent"] == 0  # several clusters may share a label under the paper rule
    assert hungarian_accuracy(assign, y) == pytest.approx(0.5)  # one-to-one: half unmatched


def test_clustering_run_and_reproduction(tiny_cfg, tmp_path, capsys):
    cfg = tiny_cfg.replace(
        **{
            "model.variant": "clustering",
            "model.n_classes": 16,
            "model.latent_dim": 4,
            "model.encoder_hidden": [64, 64],
            "data.n_labeled": 0,
            "train.best_metric": "val_cluster_error_percent",
            "train.eval_every": 1,
            "train.epochs": 1,
        }
    )
    summary = train_run(cfg, tmp_path / "run")
    for key in ("cluster_error_percent", "cluster_nmi", "cluster_hungarian_accuracy"):
        assert key in summary["test"]
    assert "error_percent" not in summary["test"]  # cluster ids are not labels
    assert (tmp_path / "run" / "figures" / "clusters.png").stat().st_size > 1000

    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "clustering_16.toml").write_text(cfg.to_toml())
    args = [
        "reproduce",
        "clustering",
        "--clusters",
        "16",
        "--seeds",
        "0",
        f"--config-dir={tmp_path / 'configs'}",
        f"--runs-dir={tmp_path / 'runs'}",
        f"--results-dir={tmp_path / 'results'}",
    ]
    assert main(args) == 0
    result = json.loads((tmp_path / "results" / "clustering_16.json").read_text())
    assert result["setting"] == "16" and result["labels"] == 0 and result["paper_value"] == 9.55
    seed0 = result["epochs"]["per_seed"][0]
    assert {"nmi", "ari", "majority_error_percent"} <= set(seed0["test_scores"])
    capsys.readouterr()
    assert main(["evaluate", seed0["checkpoint"], "--split", "test"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["error_percent"] == seed0["test_error_percent"]


def test_reproduce_needs_its_setting(capsys):
    assert main(["reproduce", "clustering"]) == 2
    assert "--clusters" in capsys.readouterr().err
