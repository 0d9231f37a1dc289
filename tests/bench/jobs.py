"""One benchmark measurement per process: `python jobs.py '<json spec>'` prints one JSON line of results.

Each job runs in a fresh process so that peak memory is its own: after the input is built, the kernel's peak-RSS
counter is reset (/proc/self/clear_refs), and "peak above input" is the new peak minus the RSS at that moment.
"""
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

HERE = Path(__file__).resolve().parent
BENCH_DATA = HERE.parents[2] / "shared" / "data" / "bench"
WEATHER = Path(os.environ.get("CROWD_WS_DATA") or HERE.parents[2] / "shared" / "data" / "weather")


# ---- memory --------------------------------------------------------------------------------------------------

def _status(key):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"): return int(line.split()[1]) / 1024  # MB
    return float("nan")


def reset_peak():
    "Reset the peak-RSS counter to the current RSS; return the current RSS in MB."
    try: Path("/proc/self/clear_refs").write_text("5")
    except OSError: pass
    return _status("VmRSS")


def peak_above(base):
    return max(0.0, _status("VmHWM") - base)


# ---- data ----------------------------------------------------------------------------------------------------

def load_crowd_set(name):
    "A crowd set as (L, gold per row (-1 = none), k); classes from the answers and gold; (item, worker) repeats keep the last answer."
    import warnings
    from crowd_ws.core import encode_answers, to_dense
    d = BENCH_DATA / name
    ans = pd.read_csv(d / "answers.csv", dtype={"item": str, "worker": str})
    gold = pd.read_csv(d / "gold.csv", dtype={"item": str})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the repeated answers are counted in the README of the data
        L, items, _, classes = encode_answers(ans, classes=sorted(set(ans.label) | set(gold.label)))
    y = pd.Series(pd.Index(classes).get_indexer(gold.label), index=gold["item"]).reindex(items).fillna(-1).astype(int).values
    return to_dense(L), y, len(classes)


def load_wrench_set(name):
    "A wrench_* set as dict of (L, y) for train/valid/test, and k."
    d = BENCH_DATA / name
    out = {}
    for split in ("train", "valid", "test"):
        df = pd.read_csv(d / f"{split}.csv")
        out[split] = (df.filter(like="lf").values.astype(np.int64), df.y.values.astype(int))
    k = len(json.loads((d / "label_names.json").read_text()))
    return out, k


def load_set(ds):
    "(L, gold, k) of a crowd set or a weather_* table (the wrench_* sets have splits: `load_wrench_set`)."
    return load_weather_set(ds.split("_", 1)[1]) if ds.startswith("weather_") else load_crowd_set(ds)


def weather_gold_agreement():
    "Share of tweets whose gold `sentiment` is the trust-weighted plurality of their 20 answers, and the share where it is the plain plurality."
    a = pd.read_csv(WEATHER / "weather-non-agg-DFE.csv")
    g = pd.read_csv(WEATHER / "weather-evaluated-agg-DFE.csv").set_index("tweet_id").sentiment
    def plurality(weights):
        w = a.assign(w=weights).groupby(["tweet_id", "emotion"]).w.sum().reset_index()
        return w.loc[w.groupby("tweet_id").w.idxmax()].set_index("tweet_id").emotion.reindex(g.index)
    return float((plurality(a.trust.values) == g).mean()), float((plurality(np.ones(len(a))) == g).mean())


def heldout_vote_agreement(L, k, model, seeds=3):
    "Gold-free score of a model class: each answer dealt at random to one of two halves; the model fitted on one half labels the items; the share of the other half's answers equal to those labels (both ways, `seeds` deals)."
    r, c = np.nonzero(L >= 0)
    out = []
    for s in range(seeds):
        half = np.random.default_rng(s).random(len(r)) < 0.5
        for keep in (half, ~half):
            A = L.copy()
            A[r[~keep], c[~keep]] = -1
            labels = model(k).fit(A).predict_proba(A).argmax(1)
            out.append(float((L[r[~keep], c[~keep]] == labels[r[~keep]]).mean()))
    return float(np.mean(out))


def load_weather_set(subset):
    "The full weather crowd table as (L, gold, k): 5 classes, or only Positive/Negative items and answers."
    from crowd_ws.data import load_crowd_answers
    from crowd_ws.lf import crowd_label_matrix
    a = load_crowd_answers(WEATHER)
    k = 5
    if subset == "posneg":
        a = a[a.gold.isin([0, 1])]
        labels, k = (0, 1), 2
    else:
        labels = range(5)
    items = pd.unique(a["item"])
    L = crowd_label_matrix(a, items, labels=labels, split=False, min_answers=0)
    y = a.groupby("item").gold.first().reindex(items).values
    return L, y, k


def to_long(L):
    "Crowd-Kit's input: a long table task, worker, label of the votes of L (dense, or CSR storing label + 1)."
    if sp.issparse(L):
        C = sp.coo_matrix(L)
        return pd.DataFrame({"task": C.row, "worker": C.col, "label": C.data - 1})
    r, c = np.nonzero(L != -1)
    return pd.DataFrame({"task": r, "worker": c, "label": L[r, c]})


def rank_within(keys):
    "Each element's position within its run of equal keys (keys sorted): [5, 5, 7, 7, 7] -> [0, 1, 0, 1, 2]."
    first = np.r_[0, np.flatnonzero(np.diff(keys)) + 1]
    return np.arange(len(keys)) - np.repeat(first, np.diff(np.r_[first, len(keys)]))


def split_workers(L, size, seed=0):
    "The same votes with each worker's answers dealt at random to new workers of at most `size` answers: CSR, label + 1."
    rng = np.random.default_rng(seed)
    r, c = np.nonzero(L != -1)
    v = L[r, c]
    order = np.lexsort((rng.random(len(r)), c))  # each worker's answers in random order
    r, c, v = r[order], c[order], v[order]
    rank = rank_within(c)  # position within its worker
    new = np.unique(c.astype(np.int64) * (rank.max() + 1) + rank // size, return_inverse=True)[1]
    return sp.csr_matrix((v + 1, (r, new)), shape=(L.shape[0], new.max() + 1))


THINNINGS = ("cap3", "cap5", "half_workers", "no_top_workers")


def thin(L, kind, seed=0):
    """The crowd set L (dense, -1 = abstain) with answers taken away, a stand-in for sets nobody tuned to: each item's
    answers capped at 3 or 5 (a random choice), a random half of the workers removed, or the most active fifth of
    the workers removed (deterministic)."""
    rng = np.random.default_rng(seed)
    r, c = np.nonzero(L != -1)
    M = L.copy()
    if kind in ("cap3", "cap5"):
        order = np.lexsort((rng.random(len(r)), r))  # each item's answers in random order
        drop = order[rank_within(r[order]) >= int(kind[3:])]
        M[r[drop], c[drop]] = -1
    elif kind == "half_workers": M[:, rng.permutation(L.shape[1])[: L.shape[1] // 2]] = -1
    elif kind == "no_top_workers": M[:, np.argsort(-(L != -1).sum(0), kind="stable")[: max(1, L.shape[1] // 5)]] = -1
    else: raise ValueError(kind)
    return M


def job_thinned(spec):
    "Accuracy of several of our models, and of Crowd-Kit's, on one thinned crowd set (items left without answers are not scored)."
    ds = spec["dataset"]
    L, y, k = load_set(ds)
    if sp.issparse(L): L = np.asarray(L.todense()) - 1  # CSR of label + 1
    M = thin(L, spec["kind"], spec["seed"])
    keep = (M != -1).any(1)
    M, y = M[keep], y[keep]
    P = {m: fit_predict(m, M, M, k) for m in spec["models"]}
    return {"items": int(keep.sum()), "answers": int((M != -1).sum()), **{m: accuracy(P[m], y, k) for m in P},
            **{m + "@lowest": accuracy(P[m], y, k, "lowest") for m in P if m in ("ours_mv", "ours_lm")}}


# LF matrices nobody tuned to: threshold rules on scikit-learn's bundled tables (the second failure family of #12)


def load_table(name):
    "(X, y): a scikit-learn bundled table by name ('digits', 'breast_cancer', ...), or make_classification with k classes ('synthetic<k>')."
    from sklearn import datasets
    if name.startswith("synthetic"):
        k = int(name[len("synthetic"):])
        return datasets.make_classification(4000, 40, n_informative=8, n_redundant=4, n_classes=k, n_clusters_per_class=2,
                                            class_sep=2.0, random_state=k)
    d = getattr(datasets, f"load_{name}")()
    return d.data, d.target


def lf_set(table, n_lfs, conds, seed, targets="random", design=150, min_precision=0.6, min_coverage=0.03):
    """A WRENCH-like label set from a table: one-sided LFs "vote class c when x_j > t (and x_j' < t' ...)", each
    rule grown greedily (`conds` conditions) for the highest precision on a labelled design sample of `design` train
    rows, kept if that precision is at least `min_precision`. Rules on the same features overlap, so LF errors are
    correlated, as hand-written LFs' are. `targets`: each LF's class drawn at random (classes with no good rule end
    up with no LF) or in turn ("round"). Returns ({"train"|"valid"|"test": (L, y)}, k, the LFs' classes); 55/15/30 split."""
    X, y = load_table(table)
    k = int(y.max()) + 1
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(y))
    cut = [int(0.55 * len(y)), int(0.7 * len(y))]
    parts = dict(zip(("train", "valid", "test"), np.split(idx, cut)))
    des = rng.choice(parts["train"], min(design, len(parts["train"])), replace=False)
    Xd, yd = X[des], y[des]
    lfs, tries = [], 0
    while len(lfs) < n_lfs and tries < 50 * n_lfs:
        tries += 1
        c = (len(lfs) + tries // 20) % k if targets == "round" else int(rng.integers(k))
        rule, fires = [], np.ones(len(yd), bool)
        for j in rng.choice(X.shape[1], conds, replace=False):
            best = None
            for t in np.unique(np.quantile(Xd[:, j], [0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9])):
                for sign in (1, -1):
                    f = fires & (sign * Xd[:, j] > sign * t)
                    if f.mean() < min_coverage: continue
                    if best is None or (yd[f] == c).mean() > best[0]: best = ((yd[f] == c).mean(), (int(j), float(t), sign), f)
            if best is None: break
            rule.append(best[1]); fires = best[2]
        if len(rule) == conds and (yd[fires] == c).mean() >= min_precision: lfs.append((c, rule))
    def apply(Xs):
        L = np.full((len(Xs), len(lfs)), -1)
        for i, (c, rule) in enumerate(lfs):
            fires = np.ones(len(Xs), bool)
            for j, t, sign in rule: fires &= sign * Xs[:, j] > sign * t
            L[fires, i] = c
        return L
    return {part: (apply(X[ix]), y[ix]) for part, ix in parts.items()}, k, [c for c, _ in lfs]


def job_lfsets(spec):
    "Accuracy on the test split of one generated LF set: ours and Snorkel's LabelModel without dev labels and with them."
    sets, k, classes = lf_set(spec["table"], spec["n_lfs"], spec["conds"], spec["seed"], spec["targets"])
    (L, _), (L_dev, Y_dev), (L_test, y) = sets["train"], sets["valid"], sets["test"]
    covered = (L_test != -1).any(1)
    out = {"lfs": len(classes), "k": k, "coverage": float(covered.mean())}
    if not classes: return out
    for m in spec["models"]:
        dev = m.endswith("_dev")
        base = m[:-4] if dev else m
        P = fit_predict(base, L, L_test, k, Y_dev=Y_dev if dev else None, L_dev=L_dev if dev else None)
        out[m] = accuracy(P, y, k)
        if base in ("ours_mv", "ours_lm"):  # issue #12's rule; and on the items some LF covers (the others get one constant guess each)
            out[m + "@lowest"], out[m + "@lowest_covered"] = accuracy(P, y, k, "lowest"), accuracy(P, np.where(covered, y, -1), k, "lowest")
    return out


# ---- models --------------------------------------------------------------------------------------------------

def fit_predict(model, L_fit, L_pred, k, seed=0, Y_dev=None, L_dev=None):
    "Probabilities (n_pred, k) of one model, fitted on L_fit (transductive peers fit on L_fit + L_pred)."
    from crowd_ws import label_model as ours
    if model == "ours_mv": return ours.MajorityLabelVoter(k).predict_proba(L_pred)
    if model == "ours_lm":  # the default: chooses its estimator (by dev accuracy when the dev votes and labels are given)
        return ours.LabelModel(k).fit(L_fit, Y_dev=Y_dev, L_dev=L_dev if Y_dev is not None else None, seed=seed).predict_proba(L_pred)
    if model == "ours_lm_mc": return ours.LabelModel(k, estimator="mc").fit(L_fit, Y_dev=Y_dev, seed=seed, em_steps=0).predict_proba(L_pred)
    if model == "ours_ds": return ours.DawidSkene(k).fit(L_fit).predict_proba(L_pred)
    if model in ("ours_oc", "ours_mace", "ours_hier"):
        cls = {"ours_oc": ours.OneCoinDawidSkene, "ours_mace": ours.MACE, "ours_hier": ours.HierarchicalDawidSkene}[model]
        return cls(k).fit(L_fit).predict_proba(L_pred)
    if model == "ours_wawa": return ours.Wawa(k).fit(L_fit).predict_proba(L_pred)
    if model == "ours_glad": return ours.GLAD(k).fit(L_fit).predict_proba(L_pred)
    if model == "snorkel_lm":
        from snorkel.labeling.model import LabelModel
        m = LabelModel(cardinality=k, verbose=False)
        m.fit(L_fit, Y_dev=Y_dev, seed=seed, progress_bar=False)
        return m.predict_proba(L_pred)
    if model.startswith("crowdkit_"):
        from crowdkit import aggregation as agg
        same = L_fit is L_pred
        L_all = L_pred if same else np.concatenate([L_fit, L_pred])
        df = to_long(L_all)
        if model == "crowdkit_mace_sorted":  # the same votes ordered by worker: Crowd-Kit 1.4.2's MACE depends on the row order
            df, model = df.sort_values(["worker", "task"], kind="stable"), "crowdkit_mace"
        if model == "crowdkit_wawa":  # Crowd-Kit's own Wawa.fit + _apply without the scikit-learn check that fails with sklearn >= 1.6
            from crowdkit.aggregation.utils import get_accuracy
            skills = get_accuracy(df, true_labels=agg.MajorityVote().fit(df).labels_, by="worker")
            P = agg.MajorityVote().fit(df, skills=skills).probas_
        else:
            algo = {"crowdkit_ds": lambda: agg.DawidSkene(n_iter=100), "crowdkit_glad": lambda: agg.GLAD(),
                    "crowdkit_ocds": lambda: agg.OneCoinDawidSkene(n_iter=100), "crowdkit_mace": lambda: agg.MACE(random_state=seed),
                    "crowdkit_mmsr": lambda: agg.MMSR(random_state=seed), "crowdkit_mv": lambda: agg.MajorityVote()}[model]()
            if hasattr(algo, "fit_predict_proba"): P = algo.fit_predict_proba(df)
            else:  # MMSR gives hard labels only
                hard = algo.fit_predict(df)
                P = pd.DataFrame(np.eye(k)[hard.values.astype(int)], index=hard.index, columns=range(k))
        full = np.full((L_all.shape[0], k), 1.0 / k)
        cols = [c for c in P.columns if 0 <= int(c) < k]
        full[np.ix_(P.index.values.astype(int), np.array(cols, dtype=int))] = P[cols].values
        return full if same else full[len(L_fit):]
    raise ValueError(model)


def accuracy(P, y, k, ties="random"):
    "Accuracy on the items with gold labels; ties broken by the 'random' rule of `probs_to_preds`, or to the lowest tied label (`ties='lowest'`: issue #12's rule for MV, and the published MV figures')."
    from crowd_ws.analysis import probs_to_preds
    keep = y != -1
    P = np.asarray(P, float)[keep]
    pred = probs_to_preds(P, tie_break_policy="random") if ties == "random" else (np.abs(P - P.max(1, keepdims=True)) < 1e-5).argmax(1)
    return float((pred == y[keep]).mean())


def calibration(P, y):
    "ECE (10 bins) and Brier score on the items with gold labels."
    from crowd_ws.analysis import metric_score
    keep = y != -1
    P = np.clip(np.asarray(P, float)[keep], 0, None)
    P = P / P.sum(1, keepdims=True)
    return {m: metric_score(y[keep], probs=P, metric=m) for m in ("ece", "brier")}


# ---- jobs ----------------------------------------------------------------------------------------------------

def _preimport(model):
    "Import the model's library before timing (a long-lived process has paid this already)."
    import crowd_ws.label_model  # noqa: F401
    if model.startswith("snorkel"): import snorkel.labeling.model, torch  # noqa: F401,E401
    if model.startswith("crowdkit"): import crowdkit.aggregation  # noqa: F401


def job_accuracy(spec):
    ds, model, k = spec["dataset"], spec["model"], None
    Y_dev = L_dev = None
    if not ds.startswith("wrench_"): L, y, k = load_set(ds); L_fit = L_pred = L
    else:
        sets, k = load_wrench_set(ds)
        (L_fit, _), (L_pred, y), (L_dev, Y_dev) = sets["train"], sets["test"], sets["valid"]
    if spec.get("split"): L_fit = L_pred = split_workers(L_fit, spec["split"])  # crowd sets only
    _preimport(model)
    t0 = time.perf_counter()
    P = fit_predict(model, L_fit, L_pred, k, Y_dev=Y_dev if model in ("ours_lm", "ours_lm_mc", "snorkel_lm") else None, L_dev=L_dev)
    seconds = time.perf_counter() - t0
    return {"accuracy": accuracy(P, y, k), "accuracy_lowest": accuracy(P, y, k, "lowest"), "seconds": seconds, "workers": int(L_fit.shape[1]), **calibration(P, y)}


def timed(run, repeats):
    "(seconds, peak MB above the input, last result) of `repeats` calls of `run` in this process."
    secs, mems, out = [], [], None
    for _ in range(repeats):
        out = None  # free the previous run's output before measuring the next
        base = reset_peak(); t0 = time.perf_counter()
        out = run()
        secs.append(time.perf_counter() - t0); mems.append(peak_above(base))
    return secs, mems, out


def job_lf_analysis_speed(spec):
    "`LFAnalysis(L).lf_summary(Y)` time and peak memory above the input (ours or Snorkel's), on a make_crowd matrix."
    from crowd_ws.data import make_crowd
    c = make_crowd(spec["n"], spec["m"], cardinality=spec["k"], seed=spec.get("seed", 0))
    y, L = c.y, c.L.astype(np.int64)
    del c
    if spec["model"] == "snorkel": from snorkel.labeling import LFAnalysis
    else: from crowd_ws.analysis import LFAnalysis
    secs, mems, summary = timed(lambda: LFAnalysis(L).lf_summary(Y=y), spec.get("repeats", 3))
    return {"seconds": float(np.median(secs)), "all_seconds": secs, "peak_mb": mems[0], "coverage": float(summary["Coverage"].mean())}


def job_label_model_speed(spec):
    "Fit + predict time and peak memory above the input, `repeats` times in this process (input built once)."
    from crowd_ws.data import make_crowd
    n, m, k, model = spec["n"], spec["m"], spec["k"], spec["model"]
    c = make_crowd(n, m, cardinality=k, seed=spec.get("seed", 0))
    y, L = c.y, c.L.astype(np.int64)  # int64, as appliers produce it, for every library
    del c
    voted = (L != -1).any(1)  # Crowd-Kit only sees items with votes: score every model on those
    _preimport(model)
    if model.startswith("crowdkit_"):
        from crowdkit import aggregation as agg
        data = to_long(L); del L
        run = lambda: agg.DawidSkene(n_iter=100).fit_predict_proba(data)
    else:
        run = lambda: fit_predict(model, L, L, k)
    secs, mems, P = timed(run, spec.get("repeats", 3))
    if model.startswith("crowdkit_"):
        P = P.reindex(columns=range(k), fill_value=0.0).sort_index()
        preds, truth = P.values.argmax(1), y[P.index.values]
    else:
        preds, truth = P.argmax(1)[voted], y[voted]
    return {"seconds": float(np.median(secs)), "all_seconds": secs, "peak_mb": mems[0],  # the first run: later ones may reuse memory the process kept
            "accuracy": float((preds == truth).mean())}


def _tutorial_lfs(lib, workers_only):
    "The tutorial's 139 (or 136 worker) LFs written with `lib`'s classes; the same Python functions for both."
    from crowd_ws.data import load_data
    crowd_answers, df_train, df_dev, df_test = load_data(WEATHER)
    from crowd_ws import lf as ours
    from textblob import TextBlob
    g = crowd_answers.groupby("worker_id")
    worker_dicts = {w: dict(zip(d.index, d.answer)) for w, d in ((w, g.get_group(w)) for w in g.groups) if len(d) > 10}

    def f_pos(x, worker_dict): return 1 if worker_dict.get(x.tweet_id) == 1 else -1
    def f_neg(x, worker_dict): return 0 if worker_dict.get(x.tweet_id) == 0 else -1
    if lib == "ours":
        LF, pre, text_lfs = ours.LabelingFunction, ours.textblob_polarity, ours.weather_text_lfs()
    else:  # the same Python functions (crowd_ws.lf's TextBlob LFs) in Snorkel's classes
        from snorkel.labeling import LabelingFunction as LF
        from snorkel.preprocess import LambdaPreprocessor
        pre = LambdaPreprocessor(ours.textblob_polarity.name, ours.textblob_polarity.f, memoize=True)
        text_lfs = [LF(lf.name, f=lf.f, pre=[pre]) for lf in ours.weather_text_lfs()]
    # unique names: Snorkel 0.10's applier refuses the tutorial's duplicate names
    lfs = [LF(f"worker_{w}_{tag}", f=f, resources={"worker_dict": d})
           for f, tag in ((f_pos, "pos"), (f_neg, "neg")) for w, d in worker_dicts.items()]
    if not workers_only: lfs = text_lfs + lfs
    TextBlob("warm up the lexicon").polarity
    return lfs, pre, df_train, df_dev


def _bare_loop(lfs, pre, df):
    """The user's own code alone: TextBlob on every row and every LF function called with its resources in a bare
    loop over prebuilt data points (no framework, no checks, no memo). No applier that calls these Python functions
    once per row can be faster: the ceiling of any applier's ratio to Snorkel."""
    from types import SimpleNamespace
    rows = [SimpleNamespace(**r) for r in df.to_dict("records")]
    plain, with_pre = [(lf.f, lf.resources) for lf in lfs if not lf.pre], [lf.f for lf in lfs if lf.pre]
    def run():
        for x in rows:
            if with_pre:
                z = pre.f(SimpleNamespace(**vars(x)))
                for f in with_pre: f(z)
            for f, r in plain: f(x, **r)
    return run


def job_lf_compare(spec):
    """Our PandasLFApplier and Snorkel's on the tutorial's LFs (the same Python functions), timed in alternation in
    one process so that both see the same machine: `rounds` rounds, each contender once per round in rotating order,
    medians reported. 'cold' clears the TextBlob memo before each run, 'warm' runs once before. With all 139 LFs,
    cold, two more contenders: the bare loop above, and the crowd_ws way (`crowd_label_matrix` for the 136 worker
    columns, the applier for the 3 TextBlob LFs). Every contender's matrix is checked equal to ours."""
    import warnings
    from crowd_ws.apply import PandasLFApplier
    from crowd_ws.lf import crowd_label_matrix
    from snorkel.labeling import PandasLFApplier as SnorkelLFApplier
    from crowd_ws.data import load_data
    workers_only, cold = spec["lfs"] == "workers", spec["cache"] == "cold"
    ours, ours_pre, df, _ = _tutorial_lfs("ours", workers_only)
    theirs, their_pre, _, _ = _tutorial_lfs("snorkel", workers_only)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a_ours, a_theirs = PandasLFApplier(ours), SnorkelLFApplier(theirs)
        runners = {"ours": (ours_pre.cache_clear, lambda: a_ours.apply(df, progress_bar=False)),
                   "snorkel": (their_pre.reset_cache, lambda: a_theirs.apply(df, progress_bar=False))}
        if cold and not workers_only:
            crowd_answers, a_tb = load_data(WEATHER)[0], PandasLFApplier(ours[:3])
            runners["bare_loop"] = (lambda: None, _bare_loop(ours, ours_pre, df))
            runners["idiom"] = (ours_pre.cache_clear, lambda: np.hstack([a_tb.apply(df, progress_bar=False),
                                                                         crowd_label_matrix(crowd_answers, df.tweet_id)]))
        ref = runners["ours"][1]()
        for name, (clear, run) in runners.items():
            if name != "bare_loop": clear(); assert (np.asarray(run()) == ref).all(), f"{name} gives another matrix"
        names, times = list(runners), {name: [] for name in runners}
        for r in range(spec.get("rounds", 7)):
            for name in names[r % len(names):] + names[:r % len(names)]:
                clear, run = runners[name]
                if cold: clear()
                else: run()
                t0 = time.perf_counter(); run(); times[name].append(time.perf_counter() - t0)
    return {"shape": list(ref.shape), **{name: {"rows_per_s": len(df) / float(np.median(t))} for name, t in times.items()}}


def job_crowd_matrix(spec):
    from crowd_ws.data import make_crowd
    from crowd_ws.lf import crowd_label_matrix
    c = make_crowd(spec["n"], spec["m"], seed=0)
    ans = c.answers
    items = np.arange(spec["n"])
    times = []
    for _ in range(spec.get("repeats", 3)):
        t0 = time.perf_counter()
        L = crowd_label_matrix(ans, items, labels=(0, 1), split=False, min_answers=0)
        times.append(time.perf_counter() - t0)
    assert (L == c.L).all()
    return {"seconds": float(np.median(times)), "answers": int(len(ans))}


def job_pipeline(spec):
    "The tutorial's labelling pipeline: apply 139 LFs to train and dev, LF summary, LabelModel fit, predict."
    import warnings
    lib = spec["lib"]
    t0 = time.perf_counter()
    lfs, pre, df_train, df_dev = _tutorial_lfs(lib, False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if lib == "ours":
            from crowd_ws.analysis import LFAnalysis, probs_to_preds
            from crowd_ws.apply import PandasLFApplier
            from crowd_ws.label_model import LabelModel
        else:
            from snorkel.analysis import metric_score  # noqa: F401
            from snorkel.labeling import LFAnalysis, PandasLFApplier
            from snorkel.labeling.model import LabelModel
            from snorkel.utils import probs_to_preds
        applier = PandasLFApplier(lfs)
        L_train, L_dev = applier.apply(df_train, progress_bar=False), applier.apply(df_dev, progress_bar=False)
        LFAnalysis(L_dev, lfs).lf_summary(df_dev.sentiment.values)
        lm = LabelModel(cardinality=2, verbose=False)
        lm.fit(L_train, n_epochs=100, seed=123, log_freq=20, l2=0.1, lr=0.01)
        acc = float((probs_to_preds(lm.predict_proba(L_dev)) == df_dev.sentiment.values).mean())
        lm.predict_proba(L_train)
    return {"seconds": time.perf_counter() - t0, "dev_accuracy": acc}


def job_end_model_seeds(spec):
    "Fine-tuned encoder on the tutorial, several seeds (test accuracy)."
    import warnings
    from crowd_ws.apply import PandasLFApplier, weather_extra
    from crowd_ws.data import load_data
    from crowd_ws.end_model import TransformerClassifier
    from crowd_ws.label_model import LabelModel
    from crowd_ws.lf import busy_workers, weather_text_lfs
    lfs, pre, df_train, df_dev = _tutorial_lfs("ours", False)
    crowd_answers, _, _, df_test = load_data(WEATHER)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        L_train = PandasLFApplier(lfs).apply(df_train, progress_bar=False)
        used = set(df_train.tweet_id) | set(df_dev.tweet_id) | set(df_test.tweet_id)
        extra, L_extra = weather_extra(weather_text_lfs(), busy_workers(crowd_answers), used, path=WEATHER)
    lm = LabelModel(2).fit(L_train, n_epochs=100, seed=123, l2=0.1, lr=0.01)
    texts = list(df_train.tweet_text) + list(extra.tweet_text)
    L_all = np.concatenate([L_train, L_extra])
    Q = lm.predict_proba(L_all)
    accs = []
    for seed in spec["seeds"]:
        clf = TransformerClassifier(epochs=2, lr=1e-4, train_layers=3, seed=seed).fit(texts, Q, L=L_all)
        accs.append(clf.score(list(df_test.tweet_text), df_test.sentiment.values))
    return {"accuracies": accs}


JOBS = {"lfsets": job_lfsets, "accuracy": job_accuracy, "label_model_speed": job_label_model_speed,
        "lf_analysis_speed": job_lf_analysis_speed, "lf_compare": job_lf_compare,
        "crowd_matrix": job_crowd_matrix, "pipeline": job_pipeline, "end_model_seeds": job_end_model_seeds, "thinned": job_thinned}

if __name__ == "__main__":
    spec = json.loads(sys.argv[1])
    print(json.dumps(JOBS[spec["job"]](spec)))
