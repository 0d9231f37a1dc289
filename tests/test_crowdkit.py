"""crowd_ws.crowdkit against Crowd-Kit itself (the `bench` extra): the same numbers on Crowd-Kit's toy and simple tables
and on random ones. Skipped where Crowd-Kit is not installed (CI installs dev, dask and spacy only)."""

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal, assert_series_equal

import crowd_ws.crowdkit as ours

ck = pytest.importorskip("crowdkit.aggregation")

TOY = ours.ysda_toy()[0]  # Crowd-Kit's YSDA toy table
# Crowd-Kit's "simple" table: four good workers, one who always answers "parrot", one careless
_SIMPLE = {"bde3": "eec goose,efb parrot,f03 goose,f05 goose,f02 parrot,f08 parrot", "b17c": "efb parrot,ee8 chicken,f07 parrot,efd chicken,ee4 chicken,f03 goose",
           "a452": "ee8 chicken,eec goose,f05 goose,f02 parrot,f08 parrot", "0f65": "eec goose,ee8 chicken,f03 goose,ee4 chicken",
           "0c3e": "eec parrot,efb parrot,f07 parrot,efd parrot,ee4 parrot,f05 parrot", "e563": "efb parrot,ee8 goose,f02 parrot,f08 parrot,f07 parrot,efd goose"}
SIMPLE = pd.DataFrame([(w, "task-" + ta.split()[0], ta.split()[1]) for w, s in _SIMPLE.items() for ta in s.split(",")], columns=["worker", "task", "label"])
BOOL = pd.DataFrame({"worker": ["w1", "w1", "w2", "w2", "w3", "w3"], "task": ["t1", "t2"] * 3, "label": [True] * 4 + [False] * 2})


def random_table(seed, n=40, m=12, k=3, p=0.5):
    rng = np.random.default_rng(seed)
    y, acc = rng.integers(k, size=n), rng.uniform(0.3, 0.95, m)
    rows = [(f"t{i}", f"w{j}", int(y[i] if rng.random() < acc[j] else rng.integers(k))) for j in range(m) for i in range(n) if rng.random() < p]
    return pd.DataFrame(rows, columns=["task", "worker", "label"])


TABLES = {"toy": TOY, "simple": SIMPLE, "bool": BOOL, "random3": random_table(0), "random2": random_table(1, k=2), "repeats": pd.concat([TOY, TOY[:3]])}


def same(theirs, mine, tol=1e-6):
    "Equal within `tol`, in any row and column order (names and dtypes included)."
    if isinstance(theirs, pd.DataFrame): assert_frame_equal(theirs, mine, check_like=True, atol=tol, rtol=0)
    else: assert_series_equal(theirs.sort_index(), mine.sort_index(), atol=tol, rtol=0)


def same_labels(theirs, mine):
    "Equal labels where Crowd-Kit's probabilities have one highest label (its tie order follows pandas' version)."
    P = theirs.probas_
    unique = (P.to_numpy() >= P.max(1).to_numpy()[:, None] - 1e-12).sum(1) == 1
    assert (theirs.labels_[unique].sort_index() == mine.labels_.loc[P.index[unique]].sort_index()).all()


def tie_free(table) -> bool:
    return bool(((lambda P: (P.to_numpy() == P.max(1).to_numpy()[:, None]).sum(1))(ours.MajorityVote().fit(table).probas_) == 1).all())


@pytest.mark.parametrize("name", TABLES)
def test_majority_vote_and_wawa(name):
    t = TABLES[name]
    a, b = ck.MajorityVote().fit(t), ours.MajorityVote().fit(t)
    same(a.probas_, b.probas_); same_labels(a, b)
    if tie_free(t): same(a.skills_, b.skills_)  # skills count agreement with labels, ties included
    w = ours.Wawa(); w.fit_predict(t)
    if tie_free(t):  # Crowd-Kit's Wawa: the majority vote weighted by its skills (its predict fails under scikit-learn >= 1.6)
        mv = ck.MajorityVote().fit(t, skills=ck.Wawa().fit(t).skills_)
        same(mv.probas_, w.probas_); same(ck.Wawa().fit(t).skills_, w.skills_)


@pytest.mark.parametrize("n_iter", [0, 1, 2, 10, 100])
@pytest.mark.parametrize("name", TABLES)
def test_dawid_skene(name, n_iter):
    t = TABLES[name]
    for theirs, mine, attrs in [(ck.DawidSkene(n_iter), ours.DawidSkene(n_iter), ("probas_", "priors_", "errors_")),
                                (ck.OneCoinDawidSkene(n_iter), ours.OneCoinDawidSkene(n_iter), ("probas_", "priors_", "errors_", "skills_"))]:
        a, b = theirs.fit(t), mine.fit(t)
        for attr in attrs: same(getattr(a, attr), getattr(b, attr))
        np.testing.assert_allclose(b.loss_history_, a.loss_history_, atol=1e-9)
        same_labels(a, b)


@pytest.mark.parametrize("n_iter", [0, 1, 5])
def test_dawid_skene_known_labels_and_initial_errors(n_iter):
    gold = pd.Series({"t1": "yes", "t2": "yes"})
    same(ck.DawidSkene(n_iter).fit(TOY, gold).probas_, ours.DawidSkene(n_iter).fit(TOY, gold).probas_)
    e = pd.DataFrame(np.arange(20.0).reshape(10, 2), columns=["no", "yes"],
                     index=pd.MultiIndex.from_product([["w1", "w2", "w3", "w4", "w5"], ["yes", "no"]], names=["worker", "label"]))
    a = ck.DawidSkene(n_iter, initial_error_strategy="addition").fit(TOY, initial_error=e)
    b = ours.DawidSkene(n_iter, initial_error_strategy="addition").fit(TOY, initial_error=e)
    for attr in ("probas_", "errors_", "priors_"): same(getattr(a, attr), getattr(b, attr))
    p = e / e.groupby("worker").transform("sum")
    a = ck.DawidSkene(n_iter, initial_error_strategy="assign").fit(TOY, initial_error=p)
    b = ours.DawidSkene(n_iter, initial_error_strategy="assign").fit(TOY, initial_error=p)
    for attr in ("probas_", "errors_"): same(getattr(a, attr), getattr(b, attr))


@pytest.mark.parametrize("method", ["vb", "em"])
@pytest.mark.parametrize("name", TABLES)
def test_mace(name, method):
    t = TABLES[name]
    for n_iter in (0, 1, 5, 50):
        a = ck.MACE(n_restarts=2, n_iter=n_iter, method=method).fit(t)
        b = ours.MACE(n_restarts=2, n_iter=n_iter, method=method).fit(t)  # Crowd-Kit's pairing, the default
        np.testing.assert_allclose(b.probas_.to_numpy(), a.probas_.reindex(index=b.probas_.index, columns=b.probas_.columns).to_numpy(), atol=1e-9)
        np.testing.assert_allclose(b.thetas_, a.thetas_, atol=1e-9); np.testing.assert_allclose(b.spamming_, a.spamming_, atol=1e-9)
    definition = ours.MACE(n_iter=5, method=method, crowdkit_pairing=False).fit(t).thetas_
    if name == "toy":  # workers and labels appear in sorted order: the pairing changes nothing
        np.testing.assert_allclose(definition, ck.MACE(n_iter=5, method=method).fit(t).thetas_, atol=1e-9)
    if name == "simple":  # they do not: Crowd-Kit's numbers are not the definition's
        assert np.abs(definition - ck.MACE(n_iter=5, method=method).fit(t).thetas_).max() > 1e-3


GLAD_CASES = [dict(n_iter=n) for n in (0, 1, 2, 5, 100)] + [dict(n_iter=1, tol=-1.0, m_step_max_iter=3, m_step_tol=1e-6)]


@pytest.mark.parametrize("kw", GLAD_CASES, ids=str)
@pytest.mark.parametrize("name", [n for n in TABLES if n != "bool"])  # Crowd-Kit's GLAD fails on boolean labels
def test_glad(name, kw):
    t = TABLES[name]
    a, b = ck.GLAD(**kw).fit(t), ours.GLAD(**kw).fit(t)
    same(a.probas_.rename_axis(columns="label"), b.probas_)  # Crowd-Kit names the columns "variable"
    # Crowd-Kit names the indexes in its M-step (none at n_iter=0); ours always
    same(a.alphas_.rename_axis("worker"), b.alphas_); same(a.betas_.rename_axis("task"), b.betas_); same_labels(a, b)
    assert list(a.alphas_.index) == list(b.alphas_.index) and list(a.betas_.index) == list(b.betas_.index)  # by appearance
    np.testing.assert_allclose(a.loss_history_, b.loss_history_, atol=1e-9, rtol=0)


def test_glad_priors():
    t = TABLES["simple"]
    labels = pd.Series({"goose": 0.5, "parrot": 0.2, "chicken": 0.3})
    workers, tasks = pd.unique(t.worker), pd.unique(t.task)
    kw = dict(labels_priors=labels, alphas_priors_mean=pd.Series(np.linspace(0, 2, len(workers)), index=workers),
              betas_priors_mean=pd.Series(np.linspace(-1, 1, len(tasks)), index=tasks), n_iter=20)
    a, b = ck.GLAD(**kw).fit(t), ours.GLAD(**kw).fit(t)
    same(a.probas_.rename_axis(columns="label"), b.probas_); same(a.alphas_, b.alphas_); same(a.betas_, b.betas_)


def test_empty_tables():
    empty = pd.DataFrame(columns=["task", "worker", "label"])
    for cls in ("MajorityVote", "DawidSkene", "OneCoinDawidSkene", "GLAD", "MACE"):
        assert getattr(ours, cls)().fit(empty).probas_.empty and getattr(ours, cls)().fit(empty).labels_.empty
    same(ck.DawidSkene().fit(empty).priors_, ours.DawidSkene().fit(empty).priors_)
