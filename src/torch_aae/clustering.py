"""Scoring unsupervised clusters against true labels (paper section 6).

The paper's rule: each cluster takes the true label of its most confident *reference* example
(the one with the largest q(y = k|x)); an evaluated example is predicted as the label of its
cluster, argmax q(y|x). Also reported: majority vote (each cluster takes the most common label of
the reference examples assigned to it), Hungarian matching (the one-to-one assignment of clusters
to labels with the most agreements; with more clusters than labels, the unmatched clusters count
as errors), NMI and ARI. The mean confidence (the mean over evaluated examples of max_k q(y=k|x))
tells a confident clusterer (near 1) from one that uses q(y|x) as a soft, continuous code (near
1/K), a failure that the error alone does not show.

A confident clusterer's q(y = k|x) rounds to exactly 1.0 for thousands of rows (in float32 once
the winning logit leads the others by about 17 nats, in float64 by about 37), and among rows tied
at 1.0 "the most confident" would be whichever comes first. The rule is therefore applied to the
log-odds log q(y=k|x) - log(1 - q(y=k|x)) = l_k - logsumexp_{j != k} l_j, computed from the
logits: an increasing function of q(y = k|x) that does not saturate
(:func:`cluster_scores_from_logits`).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.special import logsumexp, softmax
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score


def log_odds(logits: np.ndarray) -> np.ndarray:
    """(n, K) float64 log q(y=k|x) - log(1 - q(y=k|x)) from the logits of q(y|x): increasing in
    q(y=k|x), and distinct for rows whose q(y=k|x) rounds to 1.0."""
    logits = np.asarray(logits, dtype=np.float64)
    k = logits.shape[1]
    if k < 2:
        raise ValueError(f"log-odds need at least 2 clusters, got {k}")
    out = np.empty_like(logits)
    for c in range(k):
        out[:, c] = logits[:, c] - logsumexp(np.delete(logits, c, axis=1), axis=1)
    return out


def cluster_labels_by_confidence(q_ref: np.ndarray, y_ref: np.ndarray) -> np.ndarray:
    """(K,) label of each cluster: the label of the reference row with the largest q(y=k|x).

    ``q_ref`` may be any score increasing in q(y=k|x), the same function for every cluster
    (:func:`log_odds`, or a negative distance to a centre); ties go to the first row."""
    return np.asarray(y_ref)[np.argmax(q_ref, axis=0)]


def cluster_labels_by_majority(
    q_ref: np.ndarray,
    y_ref: np.ndarray,
    n_classes: int | None = None,
    confidence_ref: np.ndarray | None = None,
) -> np.ndarray:
    """(K,) most common label among the reference rows assigned to each cluster; an empty
    cluster falls back to the confidence rule (on ``confidence_ref``, default ``q_ref``)."""
    y_ref = np.asarray(y_ref)
    k = q_ref.shape[1]
    n_classes = n_classes or int(y_ref.max()) + 1
    assign = np.argmax(q_ref, axis=1)
    counts = np.zeros((k, n_classes), dtype=np.int64)
    np.add.at(counts, (assign, y_ref), 1)
    labels = counts.argmax(axis=1)
    empty = counts.sum(axis=1) == 0
    conf = q_ref if confidence_ref is None else confidence_ref
    labels[empty] = cluster_labels_by_confidence(conf, y_ref)[empty]
    return labels


def hungarian_accuracy(assign: np.ndarray, y: np.ndarray) -> float:
    """Accuracy of the best one-to-one matching of clusters to labels."""
    assign, y = np.asarray(assign), np.asarray(y)
    m = np.zeros((int(assign.max()) + 1, int(y.max()) + 1), dtype=np.int64)
    np.add.at(m, (assign, y), 1)
    rows, cols = linear_sum_assignment(-m)
    return float(m[rows, cols].sum() / len(y))


def cluster_scores(
    q_ref: np.ndarray,
    y_ref: np.ndarray,
    q_eval: np.ndarray,
    y_eval: np.ndarray,
    confidence_ref: np.ndarray | None = None,
) -> dict[str, float]:
    """Every clustering number for ``q_eval`` (n, K) cluster probabilities against ``y_eval``,
    with clusters labelled from the reference rows (``q_ref``, ``y_ref``). ``confidence_ref``
    (default ``q_ref``) is what the paper rule maximises: pass :func:`log_odds` of the logits
    where ``q_ref`` saturates, or use :func:`cluster_scores_from_logits`."""
    y_eval = np.asarray(y_eval)
    conf = q_ref if confidence_ref is None else confidence_ref
    assign = np.argmax(q_eval, axis=1)
    by_conf = cluster_labels_by_confidence(conf, y_ref)[assign]
    by_major = cluster_labels_by_majority(q_ref, y_ref, confidence_ref=conf)[assign]
    return {
        "error_percent": 100.0 * float(np.mean(by_conf != y_eval)),
        "majority_error_percent": 100.0 * float(np.mean(by_major != y_eval)),
        "hungarian_accuracy": hungarian_accuracy(assign, y_eval),
        "nmi": float(normalized_mutual_info_score(y_eval, assign)),
        "ari": float(adjusted_rand_score(y_eval, assign)),
        "n_clusters_used": int(len(np.unique(assign))),
        "mean_confidence": float(np.mean(np.max(q_eval, axis=1))),
    }


def cluster_scores_from_logits(
    logits_ref: np.ndarray, y_ref: np.ndarray, logits_eval: np.ndarray, y_eval: np.ndarray
) -> dict[str, float]:
    """:func:`cluster_scores` from the logits of q(y|x): probabilities in float64, and each
    cluster named from the reference row with the largest log-odds, so that rows whose
    q(y=k|x) rounds to 1.0 are still ranked."""
    q_ref = softmax(np.asarray(logits_ref, dtype=np.float64), axis=1)
    q_eval = softmax(np.asarray(logits_eval, dtype=np.float64), axis=1)
    return cluster_scores(q_ref, y_ref, q_eval, y_eval, confidence_ref=log_odds(logits_ref))
