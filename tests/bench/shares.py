"""Class shares of the labels on the WRENCH training splits (LF matrices): does a label model lean to one class? (run on demand)

    python tests/bench/shares.py      # -> tests/bench/RESULTS_shares.md; Snorkel's rows need the bench extra

Each model is fitted on the training split and labels it (argmax; ties to the lowest class); `dev` rows also get the
validation split's gold labels (Y_dev), as the accuracy table does. Shares are over all training items and over
the items some LF voted on; the gap is the largest difference from the gold shares, in points. The soft columns
weigh each item by its probabilities instead (the mean of `predict_proba`): the class shares an end model trained on
soft labels sees.
"""
import datetime
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from jobs import fit_predict, load_wrench_set  # noqa: E402
from run import WS_SETS  # noqa: E402

MODELS = [("LabelModel()", "ours_lm", False), ("LabelModel(), Y_dev", "ours_lm", True), ("majority vote", "ours_mv", False),
          ("DawidSkene", "ours_ds", False), ("Snorkel LabelModel", "snorkel_lm", False), ("Snorkel LabelModel, Y_dev", "snorkel_lm", True)]


def rows():
    for name in WS_SETS:
        sets, k = load_wrench_set(name)
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


if __name__ == "__main__":
    table = pd.DataFrame(list(rows())).fillna("")
    markdown = "\n".join(["| " + " | ".join(table.columns) + " |", "|---" * len(table.columns) + "|"] +
                          ["| " + " | ".join(map(str, r)) + " |" for r in table.itertuples(index=False)])
    out = Path(__file__).parent / "RESULTS_shares.md"
    out.write_text(f"# Class shares of the labels on the WRENCH training splits\n\n{__doc__.split(chr(10), 3)[3].strip()}\n\n"
                   f"Measured {datetime.date.today()} (2 CPU cores).\n\n{markdown}\n")
    print(out.read_text())
