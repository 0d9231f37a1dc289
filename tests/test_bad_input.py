"""Bad input meets clear errors that name the problem: LFs, appliers, analysis, label models, model files."""
import json
import re
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from crowd_ws.analysis import LFAnalysis, metric_score, probs_to_preds
from crowd_ws.apply import PandasLFApplier
from crowd_ws.label_model import GLAD, BaseLabelModel, DawidSkene, LabelModel, MajorityLabelVoter, Wawa
from crowd_ws.lf import LabelingError, labeling_function, preprocessor

DF = pd.DataFrame({"text": ["sunny", "rain", "", "storm"]}, index=[10, 11, 12, 13])


@labeling_function()
def lf_sun(x):
    return 1 if "sun" in x.text else -1


@labeling_function()
def lf_first_char(x):
    return 0 if x.text[0] == "r" else -1  # raises IndexError on the empty text


def test_non_integer_output_names_lf_and_data_point():
    @labeling_function()
    def lf_float(x):
        return 1.0

    with pytest.raises(LabelingError, match=r"LF 'lf_float' returned 1\.0 \(float\).*sunny"):
        PandasLFApplier([lf_sun, lf_float]).apply(DF, progress_bar=False)


def test_none_output_is_an_error_not_an_abstain():
    @labeling_function()
    def lf_forgot_return(x):
        pass

    with pytest.raises(LabelingError, match="lf_forgot_return.*NoneType"):
        PandasLFApplier([lf_forgot_return]).apply(DF, progress_bar=False)


def test_label_above_cardinality():
    @labeling_function()
    def lf_three(x):
        return 3

    with pytest.raises(LabelingError, match=r"lf_three.*outside -1 \.\. 1"):
        PandasLFApplier([lf_three], cardinality=2).apply(DF, progress_bar=False)


def test_raising_lf_names_lf_column_and_row():
    # the LF's own exception, type kept (Snorkel users' except clauses), with a note naming LF, column and row
    with pytest.raises(IndexError) as e:
        PandasLFApplier([lf_sun, lf_first_char]).apply(DF, progress_bar=False)
    assert e.value.__notes__[0].startswith("in LF 'lf_first_char' (column 1) on index 12 (row 2)")


def test_fault_tolerant_abstains_and_counts():
    L, meta = PandasLFApplier([lf_sun, lf_first_char]).apply(DF, progress_bar=False, fault_tolerant=True, return_meta=True)
    assert L.tolist() == [[1, -1], [-1, 0], [-1, -1], [-1, -1]]
    assert meta.faults == {"lf_first_char": 1}  # Snorkel's layout: the LFs that faulted
    assert meta.fault_counts.to_dict() == {"lf_sun": 0, "lf_first_char": 1}


def test_failing_preprocessor_is_named():
    @preprocessor()
    def pre_len(x):
        x.n = 10 // len(x.text)
        return x

    @labeling_function(pre=[pre_len])
    def lf_len(x):
        return 1 if x.n > 2 else -1

    with pytest.raises(ZeroDivisionError) as e:
        PandasLFApplier([lf_len]).apply(DF, progress_bar=False)
    assert "in preprocessor 'pre_len'" in e.value.__notes__[0] and "column 0) on index 12 (row 2)" in e.value.__notes__[1]
    L, meta = PandasLFApplier([lf_len, lf_sun]).apply(DF, progress_bar=False, fault_tolerant=True, return_meta=True)
    assert meta.faults == {"lf_len": 1} and L[2].tolist() == [-1, -1]


def test_preprocessor_returning_none():
    @preprocessor()
    def pre_none(x):
        x.y = 1

    with pytest.raises(ValueError, match="preprocessor 'pre_none' returned None"):  # ValueError, as in Snorkel
        labeling_function(pre=[pre_none])(lambda x: 1)(DF.iloc[0])


def test_duplicate_names_warned_and_kept_apart():
    twin = labeling_function(name="lf_sun")(lambda x: 0)
    with pytest.warns(UserWarning, match=r"\['lf_sun'\]"):
        applier = PandasLFApplier([lf_sun, twin])
    L = applier.apply(DF, progress_bar=False)
    assert L[:, 0].tolist() == [1, -1, -1, -1] and L[:, 1].tolist() == [0, 0, 0, 0]
    s = LFAnalysis(L, applier.lfs).lf_summary(np.array([1, 0, 0, 0]))
    assert s.index.tolist() == ["lf_sun", "lf_sun"] and s.Correct.tolist() == [1, 3]


def test_empty_dataframe_gives_empty_matrix():
    L = PandasLFApplier([lf_sun, lf_first_char]).apply(DF.iloc[:0], progress_bar=False)
    assert L.shape == (0, 2) and L.dtype == np.int64


def test_no_lfs_and_wrong_inputs():
    with pytest.raises(ValueError, match="at least one"):
        PandasLFApplier([])
    with pytest.raises(TypeError, match="LabelingFunction"):
        PandasLFApplier([lambda x: 1])
    with pytest.raises(TypeError, match=r"got one LabelingFunction \('lf_sun'\): write \[lf_sun\]"):
        PandasLFApplier(lf_sun)
    with pytest.raises(TypeError, match="DataFrame"):
        PandasLFApplier([lf_sun]).apply(DF.text, progress_bar=False)


def test_input_dataframe_not_modified():
    @preprocessor()
    def pre_mutates(x):
        x.text = x.text.upper()
        return x

    @labeling_function(pre=[pre_mutates])
    def lf_upper(x):
        return 1 if x.text.isupper() else -1

    before = DF.copy()
    PandasLFApplier([lf_upper, lf_sun]).apply(DF, progress_bar=False)
    pd.testing.assert_frame_equal(DF, before)


@pytest.mark.parametrize("L", [np.array([[0, -2], [1, -1]]), sp.csr_matrix(np.array([[0, -2], [1, -1]]) + 1)])
def test_analysis_rejects_values_below_minus_one(L):
    with pytest.raises(ValueError, match=r"values \[-2\] in column\(s\) 1"):
        LFAnalysis(L)


def test_analysis_names_lf_holding_bad_value():
    with pytest.raises(ValueError, match=r"column\(s\) 1 \(lf_first_char\)"):
        LFAnalysis(np.array([[0, -5]]), [lf_sun, lf_first_char])
    with pytest.raises(ValueError, match=r"Number of LFs \(1\) does not match the number of columns of L \(2\)"):
        LFAnalysis(np.array([[0, -1]]), [lf_sun])


def test_zero_coverage_lf_no_warning_no_nan():
    L = np.array([[0, -1], [1, -1]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = LFAnalysis(L).lf_summary(np.array([0, 1]))
    assert not s.drop(columns="Polarity").isna().any().any()
    assert s.loc[1, "Emp. Acc."] == 0 and s.loc[1, "Coverage"] == 0  # no LFs given: a RangeIndex, as Snorkel


def test_metrics_bad_input():
    with pytest.raises(ValueError, match="unknown metric"):
        metric_score([0], [0], metric="auc")
    with pytest.raises(ValueError, match="needs probs"):
        metric_score([0, 1], [0, 1], metric="roc_auc")
    with pytest.raises(ValueError, match="NaN"):
        probs_to_preds(np.array([[np.nan, 1.0]]))


# ---- label models -------------------------------------------------------------------------------------------

def _toy(n=600, m=4, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    L = np.where(rng.random((n, m)) < 0.8, y[:, None], 1 - y[:, None])
    L[rng.random((n, m)) < 0.3] = -1
    return L, y


MODELS = [lambda: LabelModel(2), lambda: DawidSkene(2), lambda: Wawa(2), lambda: GLAD(2), lambda: MajorityLabelVoter(2)]


@pytest.mark.parametrize("make", MODELS)
def test_label_model_rejects_bad_L(make):
    L, _ = _toy()
    with pytest.raises(ValueError, match="2-D"):
        make().fit(L[:, 0])
    with pytest.raises(ValueError, match="integer"):
        make().fit(L.astype(float) + 0.5)
    bad = L.copy(); bad[3, 2] = 2
    with pytest.raises(ValueError, match=r"values \[2\] in column\(s\) 2"):
        make().fit(bad)
    bad[3, 2] = -3
    with pytest.raises(ValueError, match=r"values \[-3\] in column\(s\) 2"):
        make().fit(bad)
    sparse_bad = sp.csr_matrix(np.where(L == 1, 3, L + 1))  # stores label 2
    with pytest.raises(ValueError, match=r"values \[2\]"):
        make().fit(sparse_bad)


@pytest.mark.parametrize("make", MODELS[:4])
def test_nothing_to_fit(make):
    "A model that learns from L refuses one with no rows or no sources, instead of returning its prior for every item."
    L, _ = _toy()
    with pytest.raises(ValueError, match="has no rows"):
        make().fit(L[:0])
    with pytest.raises(ValueError, match="has no columns"):
        make().fit(L[:, :0])
    assert make().fit(L).predict_proba(L[:0]).shape == (0, 2)  # predicting on no rows is fine


def test_seed_checked_even_when_unused():
    "LabelModel's committee draws nothing at random, yet a seed that could not seed anything is an error, not ignored."
    L, _ = _toy()
    for seed in ("a", 1.5, -1, True):
        with pytest.raises(ValueError, match="seed must be a whole number"):
            LabelModel(2).fit(L, seed=seed)
    LabelModel(2).fit(L, seed=None); LabelModel(2).fit(L, seed=np.int64(4))


@pytest.mark.parametrize("make", MODELS[:4])
def test_predict_with_other_number_of_sources(make):
    L, _ = _toy()
    model = make().fit(L)
    with pytest.raises(ValueError, match="has 3 sources .* fitted on 4"):
        model.predict_proba(L[:, :3])


def test_label_model_few_sources_warns_and_bad_y_dev():
    L, y = _toy(m=2)
    with pytest.warns(UserWarning, match="fewer than 3"):
        LabelModel(2).fit(L)
    L, y = _toy()
    with pytest.raises(ValueError, match=r"Y_dev has labels outside -1 \(abstain\) \.\. 1: \[5\]"):
        LabelModel(2).fit(L, Y_dev=np.array([0, 1, 5]))
    with pytest.raises(ValueError, match="Y has labels outside"):
        LabelModel(2).fit(L).score(L, np.where(y == 1, 7, 0))
    with pytest.raises(ValueError, match="class_balance"):
        LabelModel(2).fit(L, class_balance=[0.5, 0.6])


def test_all_abstain_rows_and_silent_sources():
    L, _ = _toy()
    L = np.concatenate([L, np.full((len(L), 1), -1)], 1)
    L[:7] = -1
    for model in (LabelModel(2).fit(L, class_balance=[0.3, 0.7]), DawidSkene(2).fit(L)):
        P = model.predict_proba(L)
        assert np.isfinite(P).all() and np.allclose(P.sum(1), 1)
        assert np.allclose(P[:7], P[0])


def test_save_load_roundtrip_and_no_pickle(tmp_path):
    L, _ = _toy()
    for model in (LabelModel(2).fit(L, seed=3), DawidSkene(2).fit(L)):
        path = model.save(tmp_path / (type(model).__name__ + ".pkl"))
        assert path == tmp_path / (type(model).__name__ + ".pkl") and path.exists()  # exactly the path given
        back = BaseLabelModel.load(path)
        assert type(back) is type(model)
        np.testing.assert_array_equal(back.predict_proba(L), model.predict_proba(L))
    # a file holding a pickled object array is refused, never unpickled
    evil = tmp_path / "evil.npz"
    np.savez(evil, __meta__=np.array(json.dumps({"class": "LabelModel", "format": 2, "params": {}})), _mu=np.array([object()], dtype=object))
    with pytest.raises(ValueError, match="not a crowd_ws model file") as e:
        LabelModel.load(evil)
    assert "allow_pickle" not in str(e.value)  # never point users at unsafe loading
    # a file claiming an unknown class is refused
    odd = tmp_path / "odd.npz"
    np.savez(odd, __meta__=np.array(json.dumps({"class": "os.system", "format": 2, "params": {}})))
    with pytest.raises(ValueError, match="holds a 'os.system'"):
        BaseLabelModel.load(odd)


def test_same_seed_same_result():
    "The models that draw: the same seed gives the same result, another seed another (so the seed is used)."
    from crowd_ws.label_model import MatrixCompletion, RandomVoter
    L, _ = _toy(seed=5)
    mc = lambda s: MatrixCompletion(2).fit(L, seed=s).predict_proba(L)
    np.testing.assert_array_equal(mc(11), mc(11))
    assert not np.array_equal(mc(11), mc(12))
    rv = lambda s: RandomVoter(2, seed=s).fit(L).predict_proba(L)
    np.testing.assert_array_equal(rv(3), rv(3))
    assert not np.array_equal(rv(3), rv(4))


def test_warnings_name_the_callers_line():
    "A warning raised deep in the library names the user's own line, whichever model or path leads to it."
    from crowd_ws.label_model import Committee, MajorityClassVoter, MatrixCompletion
    from crowd_ws.lf import crowd_label_matrix
    L = np.array([[0, 1, 0], [1, 1, 1], [0, 0, 0], [1, 0, 1]])
    for model in (LabelModel(), Committee(), MatrixCompletion(), MajorityClassVoter()):
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            model.fit(L, Y_dev=np.zeros(5, int))  # no dev label of class 1
        said = [w for w in rec if "Y_dev has no label of class(es) [1]" in str(w.message)]
        assert len(said) == 1 and said[0].filename == __file__, (type(model).__name__, [(w.filename, str(w.message)) for w in rec])
    answers = pd.DataFrame({"item": [1, 2], "worker": ["a", "a"], "label": [1, 0]})
    twice = pd.concat([answers, answers.iloc[:1]])  # worker a answered item 1 twice
    lf = labeling_function(name="same")(lambda x: 0)
    for call, said in [(lambda: crowd_label_matrix(answers, [5, 6], min_answers=0), "no answer matches the 2 requested"),
                       (lambda: DawidSkene(2).fit_predict_proba(twice), "1 repeated (item, worker) answer(s)"),
                       (lambda: LabelModel(device="cuda"), "fits on the CPU"),
                       (lambda: PandasLFApplier([lf, lf]), "LF name(s) used more than once")]:
        with pytest.warns(UserWarning, match=re.escape(said)) as rec:
            call()
        assert [w.filename for w in rec if said in str(w.message)] == [__file__], [(w.filename, str(w.message)) for w in rec]
