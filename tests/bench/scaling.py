"""Time of fit + predict_proba (and of `LFAnalysis`) against the number of threads (`parallel(n_jobs)`), on a one-coin
binary crowd (run on demand; memory: `sizes.py`, one process per measurement).

    python tests/bench/scaling.py 1e6 100 1,2 [reps] [bits]   # n items, m sources, the n_jobs to compare (first = baseline)

n_jobs=1 also holds the BLAS to one thread (the whole pass on one core); the probabilities must not depend on n_jobs.
`bits` (e.g. 18) adds one more one-thread run with blocks of 2^bits cells instead of the engine's fixed 2^19, to show
what the fastest one-thread configuration would be (blocks may not depend on n_jobs: results would then differ by
float32 rounding, measured up to 5e-6).
"""
import contextlib
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

import crowd_ws.engine as engine
from crowd_ws.analysis import LFAnalysis
from crowd_ws.engine import parallel
from crowd_ws.label_model import LabelModel, DawidSkene
n, m = int(float(sys.argv[1])), int(sys.argv[2])
jobs = [int(j) for j in sys.argv[3].split(",")]
reps = int(sys.argv[4]) if len(sys.argv) > 4 else 2
configs = [(j, None) for j in jobs] + ([(1, int(sys.argv[5]))] if len(sys.argv) > 5 else [])
rng = np.random.default_rng(0)
y = rng.integers(0, 2, n)
acc = rng.uniform(0.55, 0.9, m)
L = np.where(rng.random((n, m), dtype=np.float32) < acc, y[:, None], 1 - y[:, None]).astype(np.int8)
L[rng.random((n, m), dtype=np.float32) < 0.5] = -1  # each source answers half the items
del y
fixed_rows = engine.block_rows


@contextlib.contextmanager
def block_cells(bits):
    "Blocks of 2^bits cells for the passes inside (None: the engine's own); a measurement aid, not a setting."
    if bits is not None: engine.block_rows = lambda n_cols, budget=1 << bits: fixed_rows(n_cols, budget)
    try: yield
    finally: engine.block_rows = fixed_rows


def label(c): return f"n_jobs={c[0]}" + (f" (2^{c[1]}-cell blocks)" if c[1] else "")


def lf_stats(L):
    a = LFAnalysis(L)
    return np.c_[a.lf_coverages(), a.lf_overlaps(), a.lf_conflicts()]


RUNS = (("LabelModel()", lambda L: LabelModel(2).fit(L).predict_proba(L)), ("DawidSkene", lambda L: DawidSkene(2).fit(L).predict_proba(L)),
        ("LabelModel mc", lambda L: LabelModel(2, estimator="mc").fit(L).predict_proba(L)), ("LFAnalysis", lf_stats))
for name, run in RUNS:
    res = {}
    for rep in range(reps):
        for c in configs:
            with parallel(c[0]), (threadpool_limits(1) if c[0] == 1 else contextlib.nullcontext()), block_cells(c[1]):
                t = time.perf_counter(); P = run(L); dt = time.perf_counter() - t
            res.setdefault(c, []).append(dt)
            if rep == 0 and c == configs[0]: P0 = P
            elif rep == 0: print(f"  max |P({label(c)}) - P({label(configs[0])})| = {np.abs(P - P0).max():.1e}", flush=True)
    best = {c: min(v) for c, v in res.items()}
    base, top = configs[0], (jobs[-1], None)
    print(f"{name} {n:.0e} x {m}: " + ", ".join(f"{label(c)}: {best[c]:.2f} s" for c in configs) +
          f"; speed-up {best[base] / best[top]:.2f}x" +
          (f" ({best[configs[-1]] / best[top]:.2f}x over {label(configs[-1])})" if configs[-1][1] else ""), flush=True)
