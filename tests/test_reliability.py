"""No silent wrong answers, no lost model files, no hangs: one test per case of issue #14, numbered as there."""
import http.server
import json
import os
import shutil
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import crowd_ws.base as base
from crowd_ws.analysis import LFAnalysis, metric_score
from crowd_ws.apply import DaskLFApplier, PandasLFApplier
from crowd_ws.core import check_L
from crowd_ws.data import WEATHER_FILES, download, load_data, read_table, weather_files
from crowd_ws.end_model import SoftLabelClassifier, TransformerClassifier
from crowd_ws.text_encoder import TextEncoder
from crowd_ws.label_model import GLAD, DawidSkene, LabelModel, MajorityClassVoter, MajorityLabelVoter, Wawa
from crowd_ws.lf import DataPoint, crowd_label_matrix, labeling_function, preprocessor
from crowd_ws.utils import generate_simple_label_matrix

WEATHER = Path(__file__).resolve().parents[2] / "shared" / "data" / "weather"
MODELS = (LabelModel, DawidSkene, Wawa, GLAD, MajorityLabelVoter, MajorityClassVoter)


def _L(n=300, m=5, k=2, seed=0):
    return generate_simple_label_matrix(n, m, k, seed=seed)[2]


# 1. save() over an existing model is atomic: a failed write leaves the old model and no stray file
def test_1_failed_save_keeps_the_old_model(tmp_path, monkeypatch):
    L = _L()
    path = tmp_path / "model.npz"
    old = LabelModel(2).fit(L, seed=0)
    old.save(path)
    before = path.read_bytes()

    def disk_full(f, **arrays):
        f.write(b"half a model")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(base.np, "savez", disk_full)
    with pytest.raises(OSError, match="No space left"):
        LabelModel(2).fit(L, seed=1).save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before and sorted(os.listdir(tmp_path)) == ["model.npz"]
    np.testing.assert_array_equal(LabelModel.load(path).predict_proba(L), old.predict_proba(L))


# 2. the weather CSVs are verified wherever they come from
def _truncated_copy(folder):
    folder.mkdir(parents=True)
    shutil.copy(WEATHER / "weather-evaluated-agg-DFE.csv", folder)
    lines = (WEATHER / "weather-non-agg-DFE.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (folder / "weather-non-agg-DFE.csv").write_text("".join(lines[:100]), encoding="utf-8")


@pytest.mark.skipif(not WEATHER.exists(), reason="needs ../shared/data/weather")
def test_2_user_folder_with_other_bytes_is_named(tmp_path):
    _truncated_copy(tmp_path / "mine")
    with pytest.warns(UserWarning, match="weather-non-agg-DFE.csv is not the pinned copy"):
        weather_files(tmp_path / "mine")


@pytest.mark.skipif(not WEATHER.exists(), reason="needs ../shared/data/weather")
def test_2_damaged_cache_is_fetched_again(tmp_path, monkeypatch):
    monkeypatch.delenv("CROWD_WS_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    _truncated_copy(tmp_path / "crowd_ws" / "weather")
    with pytest.warns(UserWarning, match="is damaged"):
        files = weather_files(base_url=WEATHER.as_uri() + "/")
    f = files["weather-non-agg-DFE.csv"]
    from crowd_ws.data import sha256sum
    assert sha256sum(f) == WEATHER_FILES["weather-non-agg-DFE.csv"]


# 3. hard labels with -1 are never a class: dropped with a warning
def test_3_abstained_hard_labels_are_dropped():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    y = (X[:, 0] > 0).astype(int)
    y_abst = np.where(rng.random(200) < 0.3, -1, y)
    with pytest.warns(UserWarning, match=r"\d+ of 200 items have the hard label -1"):
        m = SoftLabelClassifier().fit(X, y_abst)
    keep = y_abst != -1
    ref = SoftLabelClassifier().fit(X[keep], y_abst[keep])
    assert m.k_ == 2  # -1 did not become a third class
    np.testing.assert_allclose(m.predict_proba(X), ref.predict_proba(X))


# 4. memo keys are exact: arrays that differ in one element deep inside are different points
def test_4_memo_key_is_exact_content():
    calls = []

    @preprocessor(memoize=True)
    def total(x):
        calls.append(1)
        x.total = float(x.v.sum())
        return x

    a = np.zeros(5000)
    b = a.copy()
    b[2500] = 1e-9
    assert total(DataPoint(v=a)).total != total(DataPoint(v=b)).total
    assert len(calls) == 2 and total.cache_size == 2


# 5. each LF sees the point as its preprocessors made it, whatever other LFs do to it
def test_5_mutations_do_not_leak_between_lfs_and_rows():
    @preprocessor(memoize=True)
    def with_list(x):
        x.seen = []
        return x

    def grab(x):
        x.seen.append(1)
        return 1 if len(x.seen) == 1 else 0

    lfs = [labeling_function(name=f"lf{i}", pre=[with_list])(grab) for i in range(3)]
    df = pd.DataFrame({"t": ["same", "same"]})
    assert PandasLFApplier(lfs).apply(df, progress_bar=False).tolist() == [[1, 1, 1], [1, 1, 1]]


# 6. no match between the answer table and the requested ids or labels because of their types is an error naming them
def test_6_crowd_label_matrix_type_mismatch():
    answers = pd.DataFrame({"item": [1, 1, 2], "worker": ["a", "b", "a"], "label": [1, 0, 1]})
    with pytest.raises(ValueError, match="no answer matches the requested items: they are \\['str'\\]"):
        crowd_label_matrix(answers, ["1", "2"], min_answers=0)
    strings = answers.assign(label=["pos", "neg", "pos"])
    with pytest.raises(ValueError, match="no answer matches the requested labels"):
        crowd_label_matrix(strings, [1, 2], min_answers=0)


# 7. TransformerClassifier checks its labels before loading any model
@pytest.mark.parametrize("Y, msg", [(np.array([[np.nan, 1.0], [0.5, 0.5]]), "NaN"),
                                    (np.array([[0.7, 0.7], [0.5, 0.5]]), "sum to 1"),
                                    (np.array([-1, -1]), "no training items")])
def test_7_transformer_refuses_bad_labels(Y, msg):
    tc = TransformerClassifier(model="no-such-org/no-such-model")  # loading it would fail differently
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match=msg):
            tc.fit(["a tweet", "another"], Y)
    with pytest.raises(ValueError, match="no training items"):
        tc.fit([], np.zeros((0, 2)))


# 8. every sparse format; unsigned dtypes never wrap -1 into 255
@pytest.mark.filterwarnings("ignore::scipy.sparse.SparseEfficiencyWarning")  # building the DIA input itself warns
@pytest.mark.parametrize("fmt", ["coo", "bsr", "csc", "lil", "dok", "dia"])
def test_8_any_sparse_format(fmt):
    L = _L()
    S = sp.csr_matrix(L + 1).asformat(fmt)
    # every format is converted to CSR first, so the fits differ only where the dense L takes float32 block passes and
    # the CSR the float64 vote matrix: sums of at most len(L) terms, within 10 sqrt(n) u (Higham & Mary 2019) of each other
    tol = 10 * np.sqrt(len(L)) * 2.0 ** -24
    np.testing.assert_allclose(LabelModel(2).fit(S, seed=0).predict_proba(S), LabelModel(2).fit(L, seed=0).predict_proba(L), atol=tol)
    assert LFAnalysis(S).label_coverage() == LFAnalysis(L).label_coverage()


def test_8_unsigned_input():
    L = _L()
    with pytest.raises(ValueError, match="255"):
        check_L(L.astype(np.uint8))  # -1 cast to uint8 is 255: refused with the reason
    with pytest.raises(ValueError, match="255"):
        LFAnalysis(L.astype(np.uint8))
    S = sp.csr_matrix((L + 1).astype(np.uint8))  # label + 1 in an unsigned sparse matrix is fine
    np.testing.assert_array_equal(check_L(S).toarray(), L + 1)


# 9. arguments are used correctly or refused
@pytest.mark.parametrize("make, kw, msg", [
    (lambda: LabelModel(2), dict(n_epochs=-1), "n_epochs"),
    (lambda: LabelModel(2), dict(prec_init=1.5), "prec_init"),
    (lambda: LabelModel(2), dict(prec_init=0), "prec_init"),
    (lambda: MajorityLabelVoter(2), dict(Y_dev=[0, 1]), "takes only L"),
])
def test_9_fit_arguments(make, kw, msg):
    with pytest.raises((ValueError, TypeError), match=msg):
        make().fit(_L(), **kw)


@pytest.mark.parametrize("kw, msg", [(dict(n_iter=-1), "n_iter"), (dict(smoothing=-0.1), "smoothing"),
                                     (dict(smoothing=float("nan")), "smoothing")])
def test_9_dawid_skene_settings(kw, msg):
    with pytest.raises(ValueError, match=msg):
        DawidSkene(2, **kw)


def test_9_used_not_ignored():
    L = _L()
    assert MajorityClassVoter(2).fit(L, Y_dev=[1, 1, 1, 0]).predict(L[:3]).tolist() == [1, 1, 1]
    three = labeling_function(name="three", cardinality=2)(lambda x: 2)
    with pytest.raises(ValueError, match="LF 'three' returned 2, outside -1 .. 1"):
        PandasLFApplier([three]).apply(pd.DataFrame({"a": [1]}), progress_bar=False)
    probs = np.array([[0.9, 0.1], [0.2, 0.8]])
    with pytest.raises(ValueError, match="filter_dict"):
        metric_score(np.array([0, -1]), probs=probs, metric="brier")
    for bad in (np.array([[np.nan, 1], [0.2, 0.8]]), probs * 2):
        with pytest.raises(ValueError, match="sum to 1"):
            metric_score(np.array([0, 1]), probs=bad, metric="brier")
    with pytest.raises(ValueError, match="n_dev must be a whole number >= 0"):
        load_data(n_dev=-5)


# 10. an edited model file is refused on load, naming the file and the field
def _edit(path, out, **changes):
    with np.load(path, allow_pickle=False) as z:
        arrays = {a: z[a] for a in z.files}
    meta = json.loads(str(arrays.pop("__meta__")))
    meta.update(changes.pop("meta", {}))
    arrays.update(changes)
    np.savez(out, __meta__=np.array(json.dumps(meta)), **arrays)
    return out


def test_10_validated_on_load(tmp_path):
    path = LabelModel(2).fit(_L(), seed=0).save(tmp_path / "lm.npz")
    with np.load(path) as z:
        mu = z["_mu"]
    nan_mu = mu.copy()
    nan_mu[0, 0] = np.nan
    cases = [(dict(_mu=nan_mu), "non-finite"), (dict(_p=np.array([0.0, 1.0])), "class balance"),
             (dict(meta={"format": 99}), "model format 99"), (dict(_p=np.array([0.2, 0.3, 0.5])), "do not fit cardinality")]
    for i, (change, msg) in enumerate(cases):
        bad = _edit(path, tmp_path / f"bad{i}.npz", **change)
        with pytest.raises(ValueError, match=msg) as e:
            LabelModel.load(bad)
        assert f"bad{i}.npz" in str(e.value)


# 11. cardinality is checked in every constructor
@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("k", [0, -1, 2.5, "2", None, True])
def test_11_cardinality(model, k):
    with pytest.raises((ValueError, TypeError), match="cardinality"):
        model(k)


# 12. misuse gives our messages, not numpy's or Python's
def test_12_misuse():
    L = _L()
    for model in (LabelModel(2), DawidSkene(2), Wawa(2), GLAD(2)):
        with pytest.raises(ValueError, match="not fitted"):
            model.get_weights()
        with pytest.raises(AttributeError):  # what code written before the check caught
            model.get_weights()
    lm = LabelModel(2).fit(L, seed=0)
    assert lm.score(L.tolist(), [0] * len(L))["accuracy"] >= 0  # a list of rows is a label matrix
    with pytest.raises(ValueError, match="log_freq"):
        LabelModel(2).fit(L, log_freq=0)
    with pytest.raises(ValueError, match="lr must be"):
        LabelModel(2).fit(L, lr=-0.01)
    mv = MajorityLabelVoter(2)
    L_ties = np.array([[0, 1], [1, 1], [0, 0], [1, 0]])
    f1 = mv.score(L_ties, [0, 1, 0, 1], metrics=("f1",))["f1"]  # the ties abstain and are left out
    assert f1 == 1.0


# 13. odd label-matrix containers, duplicate columns, huge labels, Dask misuse
def test_13_object_and_nullable_inputs():
    L = np.array([[0, -1], [1, 1]])
    np.testing.assert_array_equal(check_L(L.astype(object)), L)
    np.testing.assert_array_equal(check_L(pd.DataFrame(L).astype("Int64")), L)
    with pytest.raises(ValueError, match="missing"):
        check_L(pd.DataFrame({"a": [0, None]}, dtype="Int64"))
    with pytest.raises(ValueError):
        check_L(np.array([[0, "x"]], dtype=object))


def test_13_bad_frames_and_labels():
    lf = labeling_function(name="lf_a")(lambda x: 1)
    with pytest.raises(ValueError, match="duplicate column names"):
        PandasLFApplier([lf]).apply(pd.DataFrame([[1, 2]], columns=["a", "a"]), progress_bar=False)
    huge = labeling_function(name="huge")(lambda x: 2 ** 70)
    with pytest.raises(ValueError, match="LF 'huge' returned 1180591620717411303424"):
        PandasLFApplier([huge]).apply(pd.DataFrame({"a": [1]}), progress_bar=False)
    with pytest.raises(TypeError, match="use PandasLFApplier"):
        DaskLFApplier([lf]).apply(pd.DataFrame({"a": [1]}))


def test_13_dask_errors_name_the_index():
    dd = pytest.importorskip("dask.dataframe")
    df = pd.DataFrame({"t": ["a", "b", "", "d"]}, index=[10, 11, 12, 13])
    first = labeling_function(name="first")(lambda x: 1 if x.t[0] == "a" else 0)
    with pytest.raises(IndexError) as e:
        DaskLFApplier([first]).apply(dd.from_pandas(df, npartitions=2))
    assert "on index 12 (row 0 of its partition)" in e.value.__notes__[-1]


# 14. columns named like DataPoint methods
def test_14_columns_named_copy_get_keys():
    @preprocessor()
    def n_chars(x):
        x.n = len(x.text)
        return x

    lf = labeling_function(name="long", pre=[n_chars])(lambda x: 1 if x.n > 3 else 0)
    df = pd.DataFrame({"text": ["sunny", "hi"], "copy": ["a", "b"], "get": [1, 2], "keys": [3, 4]})
    L, meta = PandasLFApplier([lf]).apply(df, progress_bar=False, fault_tolerant=True, return_meta=True)
    assert L.tolist() == [[1], [0]] and meta.faults == {}


# 15. garbage files and wrong paths are named, never answered with pickle advice
def test_15_garbage_files(tmp_path, monkeypatch):
    junk = tmp_path / "junk.npz"
    junk.write_bytes(os.urandom(256))
    with pytest.raises(ValueError, match="not a crowd_ws model file") as e:
        LabelModel.load(junk)
    assert "pickle" not in str(e.value)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(ValueError, match="empty.csv is not a readable CSV"):
        read_table(empty, ["a"])
    binary = tmp_path / "binary.csv"
    binary.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(ValueError, match="binary.csv"):
        read_table(binary, ["a"])
    with pytest.raises(NotADirectoryError, match="not a file"):
        load_data(path=empty)
    monkeypatch.setenv("CROWD_WS_DATA", str(empty))
    with pytest.raises(NotADirectoryError, match="CROWD_WS_DATA"):
        load_data()


# 16. a damaged or wrong-dimension embedding cache is rebuilt with a warning
@pytest.mark.parametrize("damage", ["garbage", "wrong_dim"])
def test_16_embedding_cache_rebuilt(tmp_path, damage):
    enc = TextEncoder(cache_dir=tmp_path)
    good = enc.encode(["sunny day", "rain"])
    f, = enc._cache_folder().glob("*.npy")  # the one shard written
    if damage == "garbage":
        f.write_bytes(b"\x00" * 100)
    else:
        np.save(f, np.zeros(1, [("key", "S40"), ("emb", "<f4", (7,))]))
    with pytest.warns(UserWarning, match="embedding cache .* is unusable"):
        again = TextEncoder(cache_dir=tmp_path).encode(["sunny day", "rain"])
    np.testing.assert_allclose(again, good, atol=1e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TextEncoder(cache_dir=tmp_path).encode(["sunny day"])  # the rebuilt cache reads cleanly (no warning)


# 16b. a model saved again in its folder never gets the earlier weights' cached vectors back
def test_16b_embedding_cache_follows_the_weights(tmp_path):
    import torch
    from transformers import AutoModel
    from crowd_ws.text_encoder import default_encoder_path
    folder, texts = tmp_path / "encoder", ["sunny day", "rain"]
    shutil.copytree(default_encoder_path(), folder)
    before = TextEncoder(model=folder, cache_dir=tmp_path / "cache").encode(texts)
    model = AutoModel.from_pretrained(folder)
    with torch.no_grad(): model.embeddings.word_embeddings.weight.mul_(2)
    model.save_pretrained(folder)  # a new fine-tuning run, saved where the last one was
    with pytest.warns(UserWarning, match="made with other weights"):
        after = TextEncoder(model=folder, cache_dir=tmp_path / "cache").encode(texts)
    # the new weights' vectors (the cache embeds its new texts in another order in the batch: float32 rounding only)
    np.testing.assert_allclose(after, TextEncoder(model=folder).encode(texts), atol=1e-5)
    assert not np.allclose(after, before)


# 16c. processes sharing one cache folder: each finds what the others wrote, and none loses another's vectors
def _fake_embed(texts):
    return np.array([[len(t), t.count("7")] * 192 for t in texts], np.float32)


def _encode_in_process(folder, start, out):
    enc = TextEncoder(cache_dir=folder)
    enc._embed = _fake_embed  # a stand-in model: the cache is under test
    got = [enc.encode([f"text {i}" for i in range(j, j + 5)]) for j in range(start, start + 300, 3)]
    out.put(all(np.array_equal(g, _fake_embed([f"text {i}" for i in range(j, j + 5)]))
                for g, j in zip(got, range(start, start + 300, 3))))


def test_16c_embedding_cache_shared_by_processes(tmp_path):
    import multiprocessing
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    TextEncoder(cache_dir=tmp_path)._hidden_size()  # transformers imported once, before the processes fork
    procs = [ctx.Process(target=_encode_in_process, args=(tmp_path, start, out)) for start in (0, 150, 151)]
    try:
        for p in procs:
            p.start()
        results = [out.get(timeout=120) for _ in procs]
        for p in procs:
            p.join(timeout=60)
    finally:  # never leave a process behind, whatever failed
        for p in procs:
            if p.is_alive():
                p.kill()
    assert results == [True, True, True] and all(p.exitcode == 0 for p in procs)
    enc = TextEncoder(cache_dir=tmp_path)
    enc._embed = None  # every text any process embedded is in the folder: nothing is embedded again
    texts = [f"text {i}" for i in range(453)]  # 0-301, 150-451, 151-452
    np.testing.assert_array_equal(enc.encode(texts), _fake_embed(texts))


# 17. a LabelModel fit that would take hours is refused up front, with an alternative
def test_17_huge_cardinality_refused_fast():
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=r"use DawidSkene\(1000\)"):
        LabelModel(1000).fit(np.random.default_rng(0).integers(-1, 1000, (2000, 10)))
    assert time.perf_counter() - t0 < 5
    assert DawidSkene(1000).fit(np.random.default_rng(0).integers(-1, 1000, (2000, 10))).predict_proba(np.zeros((1, 10), int)).shape == (1, 1000)


# 18. a server that trickles one byte at a time is given up on after the deadline
class _Trickle(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        try:
            for _ in range(1000):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.2)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *a):
        pass


def test_18_download_deadline(tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Trickle)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        t0 = time.perf_counter()
        with pytest.raises(OSError, match="not complete after 2 s"):
            download(f"http://127.0.0.1:{server.server_port}/f.csv", tmp_path / "f.csv", timeout=5, deadline=2)
        assert time.perf_counter() - t0 < 6
        assert list(tmp_path.iterdir()) == []  # no partial file left
    finally:
        server.shutdown()
        server.server_close()
