"Nothing the user gave is changed: ids kept as written, answers read as labels, outputs replaced only on success, model files checked at load."
import contextlib
import os
import subprocess
import sys
import uuid
import warnings

import numpy as np
import pandas as pd
import pytest

from crowd_ws.cli import aggregate_answers, main
from crowd_ws.data import make_crowd
from crowd_ws.label_model import GLAD, DawidSkene, HierarchicalDawidSkene, LabelModel, MajorityLabelVoter, Wawa


def _answers(tmp_path, rows, name="answers.csv"):
    f = tmp_path / name
    f.write_text("item,worker,label\n" + "".join(",".join(r) + "\n" for r in rows))
    return f


def test_ids_are_text_as_written(tmp_path):
    # '007' and '7' are two items, '01' and '1' two workers, '0042' stays '0042'; 'NA' is an id, not a missing value
    rows = [("007", "01", "a"), ("007", "1", "a"), ("7", "01", "b"), ("7", "1", "b"), ("0042", "01", "a"), ("NA", "1", "b")]
    src, out, wk = _answers(tmp_path, rows), tmp_path / "labels.csv", tmp_path / "workers.csv"
    with _warnings("error"):  # a 'repeated answers' warning would mean ids were merged
        res = aggregate_answers(src, out, model="MajorityLabelVoter", workers=wk)
    back = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert back.item.tolist() == ["007", "7", "0042", "NA"]
    assert back.label.tolist() == ["a", "b", "a", "b"]
    assert pd.read_csv(wk, dtype=str).worker.tolist() == ["01", "1"]
    assert len(res) == 4


@contextlib.contextmanager
def _warnings(action:str):
    "Warnings turned into errors ('error') or not shown ('ignore') within the block."
    with warnings.catch_warnings():
        warnings.simplefilter(action)
        yield


@pytest.mark.parametrize("codes", [("10", "20"), ("1001", "1002"), ("1", "2"), ("a", "b")])
def test_answers_are_labels_whatever_their_spelling(tmp_path, codes):
    c = make_crowd(200, 6, cardinality=2, seed=3)
    spelled = np.array(codes)[c.answers.label]
    src = tmp_path / "answers.csv"
    c.answers.assign(label=spelled).to_csv(src, index=False)
    out = tmp_path / "labels.csv"
    res = aggregate_answers(src, out, model="GLAD", probs=True)
    back = pd.read_csv(out, dtype=str)
    assert back.columns.tolist() == ["item", "label", "confidence", f"p_{codes[0]}", f"p_{codes[1]}"]  # two classes, no empty p_0
    ref = aggregate_answers(_spelled(tmp_path, c, ("a", "b")), tmp_path / "ref.csv", model="GLAD")
    np.testing.assert_array_equal(res.confidence.to_numpy(), ref.confidence.to_numpy())  # the same answers, the same confidence


def _spelled(tmp_path, c, codes):
    f = tmp_path / "ab.csv"
    c.answers.assign(label=np.array(codes)[c.answers.label]).to_csv(f, index=False)
    return f


def test_failed_run_changes_no_output(tmp_path):
    src = _answers(tmp_path, [("t1", "w1", "a"), ("t1", "w2", "b"), ("t2", "w1", "a")])
    out = tmp_path / "labels.csv"
    out.write_text("old labels\n")
    rc = main(["aggregate", str(src), "--out", str(out), "--workers", str(tmp_path / "missing" / "w.csv"), "--quiet"])
    assert rc == 1
    assert out.read_text() == "old labels\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers.csv", "labels.csv"]  # no stray temporary file


def test_outputs_follow_umask_and_keep_their_mode(tmp_path):
    src = _answers(tmp_path, [("t1", "w1", "a"), ("t1", "w2", "b"), ("t2", "w1", "a")])
    out, wk = tmp_path / "labels.csv", tmp_path / "workers.csv"
    wk.write_text("old\n"); os.chmod(wk, 0o664)
    old = os.umask(0o022)
    try:
        aggregate_answers(src, out, model="Wawa", workers=wk)
        model = tmp_path / "m.npz"
        Wawa(2).fit(np.array([[0, 1], [1, 1]])).save(model)
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o644
    assert model.stat().st_mode & 0o777 == 0o644
    assert wk.stat().st_mode & 0o777 == 0o664


def test_sigterm_while_writing_leaves_no_temporary_file(tmp_path):
    # the command turns SIGTERM into an exit that cleans up: here the signal arrives while the output is half written
    code = f"""
import os, signal
from pathlib import Path
from crowd_ws.core import write_files_atomic
from crowd_ws.cli import _exit_on_sigterm
def half(f): f.write(b"half"); os.kill(os.getpid(), signal.SIGTERM); f.write(b"never")
with _exit_on_sigterm(): write_files_atomic({{Path({str(tmp_path / "labels.csv")!r}): half}})
"""
    (tmp_path / "labels.csv").write_text("old\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 143, p.stderr
    assert sorted(f.name for f in tmp_path.iterdir()) == ["labels.csv"]  # no hidden .labels.csv.*.part
    assert (tmp_path / "labels.csv").read_text() == "old\n"


@pytest.mark.filterwarnings("error::RuntimeWarning")  # nor a log(0) warning on the way
def test_zero_smoothing_gives_no_nan():
    c = make_crowd(1_000, 8, cardinality=3, coverage=0.4, seed=2)
    ds = DawidSkene(3, smoothing=0, prior_votes=0).fit(c.L)
    P = ds.predict_proba(c.L)
    assert np.isfinite(P).all() and np.allclose(P.sum(1), 1)
    assert (P.argmax(1) == c.y).mean() > 0.8
    L = np.array([[0, 0, 1], [1, 1, 1], [0, 1, 0], [1, 0, 0]])  # three classes, nobody votes class 2: its confusion column has no counts
    P = DawidSkene(3, smoothing=0, prior_votes=0).fit(L).predict_proba(L)
    assert np.isfinite(P).all() and np.allclose(P.sum(1), 1) and (P.argmax(1) == [0, 1, 0, 0]).all()


def test_unsaveable_ids_refused_at_fit():
    ans = pd.DataFrame({"item": [1, 1, 2], "worker": [uuid.UUID(int=1), uuid.UUID(int=2), uuid.UUID(int=1)], "label": ["a", "b", "a"]})
    with pytest.raises(TypeError, match=r"worker id UUID\('00000000-0000-0000-0000-000000000001'\) \(UUID\) cannot be saved"):
        DawidSkene(2).fit_predict(ans)
    DawidSkene(2).fit_predict(ans.assign(worker=ans.worker.astype(str)))  # as text: fine


def _saved(tmp_path, model, L):
    return model.fit(L).save(tmp_path / "m.npz")


@pytest.fixture
def L():
    return make_crowd(500, 6, cardinality=2, seed=4).L


def test_empty_model_file_named(tmp_path):
    f = tmp_path / "empty.npz"; f.write_bytes(b"")
    with pytest.raises(ValueError, match="empty.npz is not a crowd_ws model file"):
        DawidSkene.load(f)


@pytest.mark.parametrize("model, drop", [(DawidSkene(2), "_log_theta"), (Wawa(2), "weights_"), (GLAD(2), "alpha_")])
def test_missing_array_named_at_load(tmp_path, L, model, drop):
    f = _saved(tmp_path, model, L)
    with np.load(f) as z: kept = {a: z[a] for a in z.files if a != drop}
    np.savez(f, **kept)
    with pytest.raises(ValueError, match=rf"lacks \['{drop}'\]"):
        type(model).load(f)


def _edit(f, **arrays):
    with np.load(f) as z: kept = {a: z[a] for a in z.files}
    kept.update(arrays)
    np.savez(f, **kept)


@pytest.mark.filterwarnings("error::RuntimeWarning")  # refused with a ValueError, not warned of first
def test_out_of_range_parameters_refused_at_load(tmp_path, L):
    f = _saved(tmp_path, DawidSkene(2), L)
    with np.load(f) as z: lt = z["_log_theta"]
    _edit(f, _log_theta=lt + 1)
    with pytest.raises(ValueError, match="log theta holds values above 0"):
        DawidSkene.load(f)
    g = _saved(tmp_path, GLAD(2), L)
    with np.load(g) as z: alpha = z["alpha_"]
    _edit(g, alpha_=np.full_like(alpha, 1e308))
    with pytest.raises(ValueError, match="not finite or do not sum to 1"):
        GLAD.load(g)


def test_failed_load_into_a_model_leaves_it_as_it_was(tmp_path, L):
    ds = DawidSkene(2).fit(L)
    before = ds.predict_proba(L)
    f = _saved(tmp_path, DawidSkene(2, smoothing=0.5), L)
    with np.load(f) as z: lt = z["_log_theta"]
    _edit(f, _log_theta=lt + 1)
    with pytest.raises(ValueError):
        ds.load(f)
    np.testing.assert_array_equal(ds.predict_proba(L), before)
    assert ds.smoothing == 0.01


def test_majority_voter_weights_survive_save(tmp_path, L):
    mv = MajorityLabelVoter(2).fit(L)
    assert MajorityLabelVoter.load(mv.save(tmp_path / "mv.npz")).get_weights().tolist() == mv.get_weights().tolist() == [1.0] * 6


def test_worker_quality_with_many_classes(tmp_path):
    # 300 distinct free-text answers: no k x k confusion per worker (300 x 300 columns), accuracy alone
    rng = np.random.default_rng(0)
    ans = pd.DataFrame({"item": rng.integers(0, 2_000, 5_000).astype(str), "worker": rng.integers(0, 100, 5_000).astype(str),
                        "label": [f"v{i}" for i in rng.integers(0, 300, 5_000)]})
    src = tmp_path / "free.csv"; ans.to_csv(src, index=False)
    res = aggregate_answers(src, tmp_path / "labels.csv", model="MajorityLabelVoter", workers=tmp_path / "w.csv")
    assert len(res) == ans.item.nunique()
    assert pd.read_csv(tmp_path / "w.csv").columns.tolist() == ["worker", "n_answers", "accuracy"]


@pytest.mark.parametrize("m, k", [(240, 10), (2_100, 2)])
def test_many_one_sided_lfs_fit(m, k):
    # more one-sided LFs than the evidence's sample of sources (m x (k - 1) > 2,000): was a broadcasting error
    rng = np.random.default_rng(0)
    n, t = 3_000, np.arange(m) % k
    y = rng.integers(0, k, n)
    L = np.where(rng.random((n, m)) < np.where(y[:, None] == t[None], 0.2, 0.01), t[None], -1).astype(np.int8)
    for model in (LabelModel(k), HierarchicalDawidSkene(k)):
        P = model.fit(L).predict_proba(L)
        assert np.isfinite(P).all() and (P.argmax(1) == y).mean() > 0.9


def test_one_lf_changing_a_cell_leaves_the_dataframe_alone():
    from crowd_ws.apply import PandasLFApplier
    from crowd_ws.lf import labeling_function

    @labeling_function()
    def lf_pops(x):
        x.tokens.append("extra"); x.scores["seen"] = 1; x.vec[0] = 9
        return 1

    df = pd.DataFrame({"tokens": [["a", "b"], ["c"]], "scores": [{"s": 0}, {"s": 1}], "vec": [np.zeros(2), np.ones(2)]})
    PandasLFApplier([lf_pops]).apply(df, progress_bar=False)
    assert df.tokens.tolist() == [["a", "b"], ["c"]] and df.scores.tolist() == [{"s": 0}, {"s": 1}]
    assert df.vec[0].tolist() == [0, 0] and df.vec[1].tolist() == [1, 1]


@pytest.mark.parametrize("option, value", [("n_epochs", 10), ("lr", 0.5), ("l2", 0.1), ("optimizer", "adam"), ("seed", 7),
                                           ("log_freq", 5), ("prec_init", 0.8), ("momentum", 0.5), ("em_steps", 0), ("mu_eps", 0.4),
                                           ("lr_scheduler", "linear"), ("lr_scheduler_config", {"warmup_steps": 2}),
                                           ("optimizer_config", {"sgd_config": {"momentum": 0.8}})])
def test_committee_names_the_options_it_does_not_use(option, value):
    "The default committee fits by EM: a matrix-completion option it is given changes nothing, and a warning names it."
    c = make_crowd(500, 6, seed=1)
    plain = LabelModel(2).fit(c.L).predict_proba(c.L)
    with pytest.warns(UserWarning, match=rf"does not use \['{option}'\]"):
        lm = LabelModel(2).fit(c.L, **{option: value})
    np.testing.assert_array_equal(lm.predict_proba(c.L), plain)
    mc = lambda **kw: LabelModel(2, estimator="mc").fit(c.L, **kw).predict_proba(c.L)
    if option not in ("log_freq", "seed"):  # matrix completion uses it (log_freq only logs; seed: see the tutorial)
        assert not np.array_equal(mc(**{option: value}), mc())


def _expected_accuracy(L, P):
    "Each source's expected accuracy under posteriors P on its votes, and its number of votes."
    votes = L != -1
    right = np.where(votes, P[np.arange(len(L))[:, None], np.maximum(L, 0)], 0)
    return right.sum(0) / np.maximum(votes.sum(0), 1), votes.sum(0)


@pytest.mark.parametrize("name", ["zheng_d_product", "dog", "wrench_youtube"])
def test_default_weights_describe_its_own_predictions(name):
    "get_weights of the default model: each source's expected accuracy under the model's own predict_proba (sources with 50+ votes)."
    from pathlib import Path
    d = Path(__file__).resolve().parents[2] / "shared" / "data" / "bench" / name
    if not d.is_dir(): pytest.skip(f"no {d}")
    if name.startswith("wrench"):
        df = pd.read_csv(d / "train.csv"); L = df.filter(like="lf").to_numpy().astype(np.int64); k = int(L.max()) + 1
    else:
        from crowd_ws.core import encode_answers, to_dense
        with _warnings("ignore"):  # repeated answers in these sets are counted in their README
            S, _, _, classes = encode_answers(pd.read_csv(d / "answers.csv", dtype={"item": str, "worker": str}))
        L, k = to_dense(S), len(classes)
    lm = LabelModel(k).fit(L)
    acc, n = _expected_accuracy(L, lm.predict_proba(L))
    busy = n >= 50
    assert busy.sum() >= 3
    np.testing.assert_allclose(lm.get_weights()[busy], acc[busy], atol=0.02)


