"""Several of the user's threads or processes at once: label models fitted side by side, a memoised preprocessor shared
by threads, fitted models pickled for another process."""
import pickle
import sys
import threading
import time
import warnings

import numpy as np
import pandas as pd
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import crowd_ws.crowdkit  # noqa: F401  (registers its models too)
from crowd_ws.apply import PandasLFApplier
from crowd_ws.base import label_models
from crowd_ws.data import make_crowd
from crowd_ws.label_model import DawidSkene, LabelModel
from crowd_ws.lf import labeling_function, preprocessor


def blas_threads():
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def side_by_side(work, n_threads=3):
    "Run `work(t)` in n_threads threads at once; their results, and the first error raised in any."
    out, errors = [None] * n_threads, []
    def run(t):
        try: out[t] = work(t)
        except Exception as e: errors.append(e)
    threads = [threading.Thread(target=run, args=(t,)) for t in range(n_threads)]
    for t in threads: t.start()
    for t in threads: t.join()
    if errors: raise errors[0]
    return out


def test_fits_in_several_threads_match_a_lone_fit_and_leave_the_blas_as_found():
    # each fit runs its passes on two threads and holds the BLAS to one thread meanwhile; fits that overlap used to
    # leave it there for good when the last to end gave back the limit it found (the other fit's), 1 run in 3
    L = make_crowd(100_000, 30, cardinality=2, seed=3).L
    with threadpool_limits(2):
        before = blas_threads()
        alone = [DawidSkene(2).fit(L).predict_proba(L), LabelModel(2).fit(L).predict_proba(L)]
        runs = side_by_side(lambda t: [[DawidSkene(2).fit(L).predict_proba(L), LabelModel(2).fit(L).predict_proba(L)]
                                       for _ in range(2)])
        assert blas_threads() == before
    for run in runs:
        for fits in run:
            for got, want in zip(fits, alone): np.testing.assert_array_equal(got, want)  # blocks added in one order


def test_threaded_dask_scheduler_shares_a_memo():
    "Dask's threaded scheduler applies one set of LFs in several threads: a small memo, evicting all the time, holds."
    pytest.importorskip("dask")
    import dask.dataframe as dd
    from crowd_ws.apply import DaskLFApplier

    @preprocessor(memoize=True, maxsize=3)
    def words(x):
        x.words = str(x.text).split(); return x

    @labeling_function(pre=[words])
    def rainy(x): return 0 if "rain" in x.words else -1

    @labeling_function(pre=[words])
    def sunny(x): return 1 if "sun" in x.words else -1

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"text": [" ".join(rng.choice(["sun", "rain", "day", "wind"], 3)) for _ in range(4_000)]})
    expected = PandasLFApplier([rainy, sunny]).apply(df, progress_bar=False)
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # threads take turns often, so that a race in the memo would show
    try: got = DaskLFApplier([rainy, sunny]).apply(dd.from_pandas(df, npartitions=8), scheduler="threads")
    finally: sys.setswitchinterval(switch)
    np.testing.assert_array_equal(got, expected)


def test_choosing_an_estimator_leaves_other_threads_warnings_alone():
    ("estimator='select' and the choice by dev labels fit many candidates; none may silence warnings meanwhile (Python's "
     "warnings filters are the whole process's: another thread's warnings were lost while candidates were fitted)")
    c = make_crowd(20_000, 10, cardinality=2, seed=5)
    stop, said = threading.Event(), []
    def chatter():
        while not stop.is_set():
            warnings.warn("from another thread", UserWarning); said.append(1); time.sleep(0.001)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        other = threading.Thread(target=chatter); other.start()
        try:
            LabelModel(2, estimator="select").fit(c.L, log_freq=5)  # matrix completion among the candidates
            LabelModel(2).fit(c.L, Y_dev=c.y[:500], L_dev=c.L[:500])
        finally: stop.set(); other.join()
    assert len(said) > 10 and sum(str(w.message) == "from another thread" for w in caught) == len(said)
    # the options that change nothing are still said, once, for the model kept
    assert sum("log_freq" in str(w.message) for w in caught) == 1


@pytest.mark.parametrize("name", sorted(label_models()))
def test_fitted_models_pickle_for_another_process(name):
    "multiprocessing, joblib and Dask pickle what they ship: a fitted model goes and predicts the same there."
    L = make_crowd(2_000, 10, cardinality=2, seed=0).L
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # some models say which of their defaults do not suit this crowd
        model = label_models()[name](2).fit(L)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(model)).predict_proba(L), model.predict_proba(L))
