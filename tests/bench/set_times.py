"""Fit + predict_proba time of the EM label models on the bench's 12 real label sets (run on demand).

    python tests/bench/set_times.py [reps]    # median of reps (default 3) per model and set -> a markdown table

The sets are those of the accuracy table (run.py section 1: 8 crowds, the WRENCH training splits, the two weather
tables); each model is fitted and predicts in this process, one after another, the sets loaded once.
"""
import statistics
import sys
import time
import warnings

import jobs
from crowd_ws.label_model import DawidSkene, HierarchicalDawidSkene, LabelModel, SymmetricDawidSkene
from run import CROWD_SETS, WEATHER_SETS, WS_SETS

MODELS = [LabelModel, HierarchicalDawidSkene, SymmetricDawidSkene, DawidSkene]


def load(name):
    "(L, k) of a set."
    if name in WS_SETS:
        splits, k = jobs.load_wrench_set(name)
        return splits["train"][0], k
    L, _, k = jobs.load_set(name)
    return L, k


def main(reps):
    warnings.simplefilter("ignore")  # the sets' repeated answers and one-sided LFs are known
    sets = {name: load(name) for name in CROWD_SETS + WS_SETS + WEATHER_SETS}
    print("| set | items x sources, classes | " + " | ".join(M.__name__ for M in MODELS) + " |")
    print("|---|---|" + "---|" * len(MODELS))
    total = [0.0] * len(MODELS)
    for name, (L, k) in sets.items():
        row = []
        for i, M in enumerate(MODELS):
            times = []
            for _ in range(reps):
                t = time.perf_counter(); M(k).fit(L).predict_proba(L); times.append(time.perf_counter() - t)
            total[i] += statistics.median(times); row.append(f"{statistics.median(times):.2f} s")
        print(f"| {name} | {L.shape[0]:,} x {L.shape[1]:,}, {k} | " + " | ".join(row) + " |", flush=True)
    print("| all 12 | | " + " | ".join(f"{t:.2f} s" for t in total) + " |")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
