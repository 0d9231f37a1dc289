"""Scale: a million items, correct results, memory bounded by the votes rather than by n x m x k.

No timing asserts here (speed lives in tests/bench); these tests check that the large-input code paths
(block streaming, sparse input, chunked prediction, vectorised matrix building) give the same answers as the
small-input ones, and that the label model's working memory does not grow like a dense n x (m*k) one-hot.
"""
import tracemalloc

import numpy as np
import pytest
import scipy.sparse as sp

from crowd_ws.core import to_sparse
from crowd_ws.data import make_crowd
from crowd_ws.label_model import DawidSkene, LabelModel, MajorityLabelVoter, dawid_skene_posterior
from crowd_ws.lf import crowd_label_matrix

N, M = 1_000_000, 100


@pytest.fixture(scope="module")
def crowd():
    return make_crowd(N, M, cardinality=2, seed=7)


def test_million_answers_matrix_matches_generator(crowd):
    "The crowd label matrix built from ~35 million answers equals the generator's own L, item by item."
    L = crowd_label_matrix(crowd.answers, np.arange(N), labels=(0, 1), split=False, min_answers=0)
    assert L.shape == (N, M)
    np.testing.assert_array_equal(L, crowd.L)
    S = crowd_label_matrix(crowd.answers.iloc[:1_000_000], np.arange(N), labels=(0, 1), split=False, min_answers=0, sparse=True)
    assert sp.issparse(S) and S.nnz == 1_000_000


def _peak_mb(fn):
    "Peak memory traced by tracemalloc (numpy and scipy report their buffers to it) while fn runs, in MB."
    tracemalloc.start()
    try:
        out = fn()
        return out, tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def test_label_model_million_by_hundred_sparse(crowd):
    "LabelModel on a sparse 10^6 x 100 matrix: near the true-parameter posterior, memory far below a dense one-hot."
    S = to_sparse(crowd.L)
    lm = LabelModel(cardinality=2)
    _, fit_mb = _peak_mb(lambda: lm.fit(S, seed=0))
    probs, pred_mb = _peak_mb(lambda: lm.predict_proba(S))
    dense_onehot_mb = N * M * 2 * 8 / 2**20  # what a dense float64 indicator matrix would need: 1526 MB
    # the default committee fits its Dawid-Skene-family members on the one-hot vote matrix (a float64 and an int32 per
    # vote: 408 MB for these 35.7 million votes) plus, per EM step, three work arrays per item and model (the E-step's
    # products, posteriors and their weighted copy: n x models x classes, float64) for its 4 EM models (three members
    # and the symmetric probe): a memory bounded by the votes and the items, well under half the dense one-hot here
    votes_mb, item_mb, models = S.nnz * 12 / 2**20, N * 2 * 8 / 2**20, 4
    assert fit_mb < votes_mb + 3 * models * item_mb < 0.4 * dense_onehot_mb, (fit_mb, votes_mb, item_mb)
    assert pred_mb < dense_onehot_mb / 4, (pred_mb, dense_onehot_mb)
    assert probs.shape == (N, 2) and np.isfinite(probs).all() and np.allclose(probs.sum(1), 1)
    voted = (crowd.L != -1).any(1)
    oracle = dawid_skene_posterior(crowd.L, crowd.confusions, crowd.class_balance).argmax(1)
    acc = lambda p: float((p[voted] == crowd.y[voted]).mean())
    assert acc(probs.argmax(1)) >= acc(oracle) - 0.005
    # the same model from the dense matrix gives the same probabilities: both are converted to dense int blocks, and
    # each row's log-odds are the same float32 products of its 100 indicators; a GEMM kernel cuts a taller block into
    # more rows of tiles, not the sum over sources into other pieces, so each row sums in the same order (checked
    # under OpenBLAS's SkylakeX, Haswell and Prescott kernels): equal but for float64 rounding in the softmax
    np.testing.assert_allclose(lm.predict_proba(crowd.L[:50_000]), probs[:50_000], rtol=1e-6, atol=1e-9)


def test_dawid_skene_and_majority_vote_million_rows(crowd):
    S = to_sparse(crowd.L)
    voted = (crowd.L != -1).any(1)
    ds = DawidSkene(cardinality=2).fit(S)
    mv = MajorityLabelVoter(cardinality=2)
    acc_ds = float((ds.predict(S)[voted] == crowd.y[voted]).mean())
    acc_mv = float((mv.predict(S, tie_break_policy="random")[voted] == crowd.y[voted]).mean())
    assert acc_ds > acc_mv, (acc_ds, acc_mv)  # sources differ in accuracy: weighting them must beat counting votes
    # with ~350,000 votes per worker the learned confusion matrices are close to the generator's
    assert np.abs(ds.confusions_ - crowd.confusions).max() < 0.02
