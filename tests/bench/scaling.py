"""Time of fit + predict_proba against the number of threads (`parallel(n_jobs)`), on a one-coin binary crowd (run on demand).

    python tests/bench/scaling.py 1e6 100 1,2        # n items, m sources, the n_jobs to compare (first = baseline) [reps]

n_jobs=1 also holds the BLAS to one thread (the whole pass on one core); the probabilities must not depend on n_jobs.
"""
import contextlib
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

from crowd_ws.engine import parallel
from crowd_ws.label_model import LabelModel, DawidSkene
n, m = int(float(sys.argv[1])), int(sys.argv[2])
jobs = [int(j) for j in sys.argv[3].split(",")]
reps = int(sys.argv[4]) if len(sys.argv) > 4 else 2
rng = np.random.default_rng(0)
y = rng.integers(0, 2, n)
acc = rng.uniform(0.55, 0.9, m)
L = np.where(rng.random((n, m), dtype=np.float32) < acc, y[:, None], 1 - y[:, None]).astype(np.int8)
L[rng.random((n, m), dtype=np.float32) < 0.5] = -1  # each source answers half the items
del y
for name, mk in (("LabelModel()", lambda: LabelModel(2)), ("DawidSkene", lambda: DawidSkene(2)), ("LabelModel mc", lambda: LabelModel(2, estimator="mc"))):
    res = {}
    for rep in range(reps):
        for j in jobs:
            with parallel(j), (threadpool_limits(1) if j == 1 else contextlib.nullcontext()):
                t = time.perf_counter(); P = mk().fit(L).predict_proba(L); dt = time.perf_counter() - t
            res.setdefault(j, []).append(dt)
            if rep == 0 and j == jobs[0]: P0 = P
            elif rep == 0: print(f"  max |P(n_jobs={j}) - P(n_jobs={jobs[0]})| = {np.abs(P - P0).max():.1e}", flush=True)
    best = {j: min(v) for j, v in res.items()}
    print(f"{name} {n:.0e} x {m}: " + ", ".join(f"n_jobs={j}: {best[j]:.2f} s" for j in jobs) + f"; speed-up {best[jobs[0]] / best[jobs[-1]]:.2f}x", flush=True)
