"""Class shares of the labels on the WRENCH training splits (LF matrices): does a label model lean to one class? (run on demand)

    python tests/bench/shares.py      # -> tests/bench/RESULTS_shares.md; Snorkel's rows need the bench extra

Each model is fitted on the training split and labels it (argmax; ties to the lowest class); `dev` rows also get the
validation split's gold labels (Y_dev), as the accuracy table does. Shares are over all training items and over
the items some LF voted on; the gap is the largest difference from the gold shares, in points. The soft columns
weigh each item by its probabilities instead (the mean of `predict_proba`): the class shares an end model trained on
soft labels sees.

The second table does the same on section 1d's generated LF matrices (`jobs.lf_set`: 10 tables x LF budgets, LF
classes at random or in turn, seeds 0-2), summarised per model: the mean and largest gaps over the sets.
"""
import datetime
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from jobs import fit_predict, lf_set, load_wrench_set  # noqa: E402
from run import LFSET_CASES, WS_SETS  # noqa: E402

MODELS = [("LabelModel()", "ours_lm", False), ("LabelModel(), Y_dev", "ours_lm", True), ("majority vote", "ours_mv", False),
          ("DawidSkene", "ours_ds", False), ("Snorkel LabelModel", "snorkel_lm", False), ("Snorkel LabelModel, Y_dev", "snorkel_lm", True)]


def wrench_sets():
    for name in WS_SETS:
        sets, k = load_wrench_set(name)
        yield name, sets, k


def generated_sets():
    for table, n_lfs, conds in LFSET_CASES:
        for targets in ("random", "round"):
            for seed in (0, 1, 2):
                sets, k, classes = lf_set(table, n_lfs, conds, seed, targets)
                if classes: yield f"{table} {n_lfs} {targets} {seed}", sets, k


def rows(sets_of=wrench_sets):
    for name, sets, k in sets_of():
        (L, y), (L_dev, Y_dev) = sets["train"], sets["valid"]
        covered = (L != -1).any(1)
        gold, gold_cov = np.bincount(y, minlength=k) / len(y), np.bincount(y[covered], minlength=k) / covered.sum()
        yield {"set": name, "model": "gold", "shares": gold.round(3).tolist(), "shares, covered": gold_cov.round(3).tolist()}
        for label, model, dev in MODELS:
            try: P = fit_predict(model, L, L, k, Y_dev=Y_dev if dev else None, L_dev=L_dev if dev else None)
            except ImportError: continue  # snorkel not installed
            pred = P.argmax(1)
            share, share_cov = np.bincount(pred, minlength=k) / len(pred), np.bincount(pred[covered], minlength=k) / covered.sum()
            yield {"set": name, "model": label, "shares": share.round(3).tolist(), "shares, covered": share_cov.round(3).tolist(),
                   "gap (points)": round(100 * np.abs(share - gold).max(), 1), "gap, covered": round(100 * np.abs(share_cov - gold_cov).max(), 1),
                   "soft gap": round(100 * np.abs(P.mean(0) - gold).max(), 1),
                   "soft gap, covered": round(100 * np.abs(P[covered].mean(0) - gold_cov).max(), 1),
                   "accuracy": round(float((pred == y).mean()), 3)}


def markdown(table):
    return "\n".join(["| " + " | ".join(map(str, table.columns)) + " |", "|---" * len(table.columns) + "|"] +
                     ["| " + " | ".join(map(str, r)) + " |" for r in table.itertuples(index=False)])


def generated_summary():
    "Mean and largest gaps, and mean accuracy, per model over the generated LF sets."
    t = pd.DataFrame([r for r in rows(generated_sets) if r["model"] != "gold"])
    gaps = ["gap (points)", "gap, covered", "soft gap", "soft gap, covered"]
    out = t.groupby("model", sort=False).agg(sets=("set", "size"), **{f"mean {g}": (g, "mean") for g in gaps},
                                             **{f"largest {g}": (g, "max") for g in gaps[:1] + gaps[2:3]},
                                             accuracy=("accuracy", "mean")).reset_index()
    return out.round({c: 1 for c in out.columns if "gap" in c} | {"accuracy": 3})


if __name__ == "__main__":
    table = pd.DataFrame(list(rows())).fillna("")
    generated = generated_summary()
    out = Path(__file__).parent / "RESULTS_shares.md"
    out.write_text(f"# Class shares of the labels on the WRENCH training splits\n\n{__doc__.split(chr(10), 3)[3].strip()}\n\n"
                   f"Measured {datetime.date.today()} (2 CPU cores).\n\n{markdown(table)}\n\n"
                   f"Generated LF matrices ({generated.sets.max()} sets; gaps in points, accuracy on the training split):\n\n"
                   f"{markdown(generated)}\n")
    print(out.read_text())
