"""The distributed engine on a dask.distributed LocalCluster: appliers and label models match in-memory results."""
import numpy as np
import pandas as pd
import pytest

dask = pytest.importorskip("dask")
distributed = pytest.importorskip("dask.distributed")
import dask.array as da
import dask.dataframe as dd

from crowd_ws.apply import DaskLFApplier, PandasLFApplier, PandasParallelLFApplier
from crowd_ws.data import make_crowd
from crowd_ws.label_model import DawidSkene, LabelModel, MajorityLabelVoter
from crowd_ws.lf import crowd_worker_lfs, labeling_function, preprocessor

PICKLED = {"n": 0}


class CountedTable(dict):
    "A lookup table resource that counts how often it is serialised (shipped) in this process."
    def __reduce__(self):
        PICKLED["n"] += 1
        return (CountedTable, (dict(self),))


@preprocessor(memoize=True)
def n_words(x):
    x.n_words = len(str(x.text).split())
    return x


@labeling_function(pre=[n_words])
def lf_long(x):
    return 1 if x.n_words > 3 else -1


@labeling_function(resources={"table": CountedTable({w: 0 for w in ("rain", "storm", "cold")})})
def lf_bad_weather(x, table):
    return next((table[w] for w in str(x.text).split() if w in table), -1)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    c = distributed.Client(cluster)
    c.register_plugin  # noqa: B018  (the client is ready)
    yield c
    c.close()
    cluster.close()


def _frame(n=400, seed=0):
    rng = np.random.default_rng(seed)
    words = np.array(["sun", "rain", "storm", "warm", "cold", "day", "clouds"])
    text = [" ".join(rng.choice(words, rng.integers(1, 7))) for _ in range(n)]
    return pd.DataFrame({"tweet_id": np.arange(n), "text": text})


def test_dask_applier_equals_pandas_applier(client):
    import cloudpickle, sys
    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # this test module is not importable on workers
    df = _frame()
    crowd = pd.DataFrame({"tweet_id": np.repeat(df.tweet_id.values[::2], 2), "worker_id": np.tile([1, 2], len(df) // 2),
                          "answer": np.tile([1, 0], len(df) // 2)}).set_index("tweet_id")
    lfs = [lf_long, lf_bad_weather] + crowd_worker_lfs(crowd, min_answers=5)
    expected, meta = PandasLFApplier(lfs).apply(df, progress_bar=False, return_meta=True)
    ddf = dd.from_pandas(df, npartitions=8)
    PICKLED["n"] = 0
    got, got_meta = DaskLFApplier(lfs).apply(ddf, client=client, return_meta=True)
    np.testing.assert_array_equal(got, expected)
    assert got_meta.faults == meta.faults and got_meta.fault_counts.tolist() == meta.fault_counts.tolist()
    # the resources went out once (one scatter, broadcast to the workers), not once per partition
    assert 1 <= PICKLED["n"] < 8


@labeling_function()
def lf_fragile(x):
    return 1 // (len(str(x.text)) % 3)  # ZeroDivisionError on some rows, 1 or 0 on the others


def test_pandas_parallel_applier_in_processes():
    "Snorkel's PandasParallelLFApplier with its default scheduler (processes): the pandas applier's matrix and faults, rows in order."
    import cloudpickle, sys
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    df = _frame(300).set_axis(np.random.default_rng(1).permutation(300))  # an unsorted index
    lfs = [lf_long, lf_bad_weather, lf_fragile]
    expected, meta = PandasLFApplier(lfs).apply(df, progress_bar=False, fault_tolerant=True, return_meta=True)
    assert meta.faults and (expected[:, 2] == -1).any()  # the fragile LF did fault somewhere
    got, got_meta = PandasParallelLFApplier(lfs).apply(df, n_parallel=3, fault_tolerant=True, return_meta=True)
    np.testing.assert_array_equal(got, expected)
    assert got_meta.faults == meta.faults
    with pytest.raises(ZeroDivisionError):
        PandasParallelLFApplier(lfs).apply(df, n_parallel=2)  # not fault tolerant: the LF's own error


def test_dask_label_models_match_in_memory(client):
    c = make_crowd(20_000, 12, cardinality=3, seed=2)
    Ld = da.from_array(c.L, chunks=(2_500, 12))
    for est in ("auto", "mc", "mv", "wawa"):  # the default committee, matrix completion and the vote-share members all stream
        lm, lm_d = LabelModel(3, estimator=est).fit(c.L, seed=0), LabelModel(3, estimator=est).fit(Ld, seed=0)
        assert lm_d.estimator_ == est
        # Dask adds the same float32 terms in another order (blocks of 2,500 rows, then a tree of sums). The worst case
        # of a 20,000-term sum is sum_rtol(20_000) = 1.2e-3; rounding errors that are independent and unbiased (the
        # probabilistic bound of Higham & Mary, SIAM J. Sci. Comput. 2019) stay within 10 sqrt(n) u = 8.4e-5 but with
        # probability 2 exp(-50): rtol 1e-4 holds on any kernel and still catches a lost block (1/8 of the rows)
        np.testing.assert_allclose(lm_d.confusions_, lm.confusions_, rtol=1e-4, atol=1e-7)
        P = lm_d.predict_proba(Ld)
        assert isinstance(P, da.Array)
        np.testing.assert_allclose(P.compute(), lm.predict_proba(c.L), atol=1e-5)
    assert LabelModel(3, estimator="select").fit(Ld, seed=0).estimator_ == "mc"  # choosing needs rows in memory
    rng = np.random.default_rng(0)  # LFs voting one class each: the class balance is assumed uniform on a Dask L too
    y, t = rng.integers(3, size=4_000), np.array([0, 0, 0, 1, 1, 1])
    L_lf = np.where(rng.random((4_000, 6)) < np.where(y[:, None] == t[None], 0.5, 0.06), t[None], -1)
    lm, lm_d = LabelModel(3).fit(L_lf), LabelModel(3).fit(da.from_array(L_lf, chunks=(1_000, 6)))
    assert lm.class_balance_from_ == lm_d.class_balance_from_ == "uniform"
    np.testing.assert_allclose(lm_d.predict_proba(da.from_array(L_lf, chunks=(1_000, 6))).compute(), lm.predict_proba(L_lf), atol=1e-5)
    ds, ds_d = DawidSkene(3).fit(c.L), DawidSkene(3).fit(Ld)
    assert ds.n_iter_ == ds_d.n_iter_
    np.testing.assert_allclose(ds_d.predict_proba(Ld).compute(), ds.predict_proba(c.L), atol=1e-5)
    np.testing.assert_allclose(MajorityLabelVoter(3).predict_proba(Ld).compute(), MajorityLabelVoter(3).predict_proba(c.L))


def test_dask_bad_values_are_reported_from_the_cluster(client):
    L = np.zeros((1_000, 4), dtype=np.int64)
    L[777, 2] = 9
    with pytest.raises(ValueError, match=r"values \[9\] in column\(s\) 2"):
        LabelModel(2).fit(da.from_array(L, chunks=(100, 4)))


def test_dask_dataframe_of_labels(client):
    # three classes with class-dependent errors: the committee's usual members (see test_dask_label_models_match_in_memory)
    c = make_crowd(5_000, 5, cardinality=3, seed=1)
    ddf = dd.from_pandas(pd.DataFrame(c.L.astype(np.int64), columns=[f"lf{j}" for j in range(5)]), npartitions=4)
    # 5,000-row sums in another order: within 10 sqrt(n) u = 4.2e-5 (see test_dask_label_models_match_in_memory)
    lm_d, lm_m = LabelModel(3).fit(ddf), LabelModel(3).fit(c.L)
    assert lm_d.members_ == lm_m.members_ == ("ds", "hierarchical", "mace", "wawa", "mv")
    np.testing.assert_allclose(lm_d.confusions_, lm_m.confusions_, rtol=1e-4, atol=1e-7)


def _by_value(name):
    "On a worker: pickle this test module by value too, if the worker can import it (else it only ever receives it)."
    import cloudpickle, importlib
    try: cloudpickle.register_pickle_by_value(importlib.import_module(name))
    except ImportError: pass


def test_lazy_label_matrix_never_gathered(client):
    "lazy=True: L as a Dask array on the cluster; the default label model fits on it and predicts lazily, as in memory."
    import cloudpickle, sys
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    # a worker that passes the LFs on pickles them again: by value as here, or (importing this module itself) it could
    # not, and dask.distributed then waits for that transfer forever
    client.run(_by_value, __name__)
    df = _frame(2_000)
    lfs = [lf_long, lf_bad_weather, lf_fragile]
    expected = PandasLFApplier(lfs, cardinality=2).apply(df, progress_bar=False, fault_tolerant=True)
    L = DaskLFApplier(lfs, cardinality=2).apply(dd.from_pandas(df, npartitions=4), fault_tolerant=True, lazy=True)
    assert isinstance(L, da.Array) and L.dtype == np.int8
    np.testing.assert_array_equal(L.compute(), expected)
    P = LabelModel(2).fit(L).predict_proba(L)
    assert isinstance(P, da.Array)
    # other sums of the same votes (float32 blocks on the cluster, float64 over the distinct rows in memory), so an EM
    # member may stop one step earlier or later: within 1e-3, as 12_label_model's Dask check explains
    np.testing.assert_allclose(P.compute(), LabelModel(2).fit(expected).predict_proba(expected), atol=1e-3)
