"""What a second core can buy one `DawidSkene` E+M pass (run on demand): the engine's threads against two ways round
the GIL, to tell a GIL limit from a limit of the shared cache and memory.

    python tests/bench/two_cores.py [n] [m] [reps]    # default 1e6 100 5

One pass (`map_reduce` of `ds_block_many`) over a one-coin binary crowd, best of `reps`, with blocks of 2^18 and
2^19 cells (the engine's), done three ways:
- threads: the engine (`parallel(1)` with the BLAS on one thread, `parallel(2)`);
- processes: two forked workers that inherit L (no copy, no GIL shared), each block's statistics sent back and
  added in block order, so the sums are exactly the one-thread ones;
- gemv: the same pass with one matrix-vector product per column instead of the block products (`engine.dot`):
  less work per block on one core (no packing of the indicators), the same memory traffic.
- fused (only where numba is installed: `pip install numba`; not a dependency of crowd_ws): the same pass compiled as
  one loop over the rows, each row's indicators built in a few registers and never written to memory; timed against
  the engine's pass in alternation, 25 times each, medians (the shared machine's noise moves a best-of-5 by 20-40%).
If two workers take about the same time however the work is split, the limit is shared hardware, not the GIL.
Then whole fits (fit + predict_proba of `DawidSkene`, `LabelModel()` and matrix completion) on one thread, two
threads (the engine) and two processes (a prototype: the engine's passes sent to two workers forked for each fit).
"""
import contextlib
import functools
import multiprocessing as mp
import sys
import time

import numpy as np
from threadpoolctl import threadpool_limits

import crowd_ws.engine as engine
from crowd_ws.base import softmax_rows
from crowd_ws.dawid_skene import ds_block_many
from crowd_ws.engine import indicators, map_reduce, parallel
from crowd_ws.label_model import DawidSkene, LabelModel

try: import numba
except ImportError: numba = None

n, m = int(float(sys.argv[1])) if len(sys.argv) > 1 else 10**6, int(sys.argv[2]) if len(sys.argv) > 2 else 100
reps = int(sys.argv[3]) if len(sys.argv) > 3 else 5
rng = np.random.default_rng(0)
y = rng.integers(0, 2, n)
L = np.where(rng.random((n, m), dtype=np.float32) < rng.uniform(0.55, 0.9, m), y[:, None], 1 - y[:, None]).astype(np.int8)
L[rng.random((n, m), dtype=np.float32) < 0.5] = -1
del y
LPS = np.log([[0.5, 0.5]])
LTS = np.log(np.full((1, 2, m, 2), 0.3)); LTS[0, 0, :, 0] = LTS[0, 1, :, 1] = np.log(0.7)
fixed_rows = engine.block_rows


@contextlib.contextmanager
def block_cells(bits):
    "Blocks of 2^bits cells for the passes inside; a measurement aid."
    engine.block_rows = lambda n_cols, budget=1 << bits: fixed_rows(n_cols, budget)
    try: yield
    finally: engine.block_rows = fixed_rows


def gemv_block(block, ws, lps, lts, w=None):
    "`ds_block_many` (one model, no weights) with a matrix-vector product per column instead of the block products."
    k = lps.shape[1]
    onehots = indicators(block, k, ws)
    z = lps[0] + sum(np.stack([np.dot(I, np.ascontiguousarray(lts[0, a][:, c], np.float32)) for c in range(k)], 1)
                     for a, I in enumerate(onehots))
    T, lz = softmax_rows(z.astype(np.float64))
    T32 = T.astype(np.float32)
    counts = np.stack([np.stack([np.dot(np.ascontiguousarray(T32[:, c]), I) for c in range(k)], 1) for I in onehots])
    return counts.astype(np.float64), T.sum(0), np.array([lz.sum()])


def _fused(L, lp, lt, counts, sums):
    "One E+M pass over the rows of L (int8, -1 abstains): lt, counts (k_vote, k_true, m) float32; the log-likelihood."
    n_rows, m = L.shape; kv, k = lt.shape[0], lt.shape[1]
    z, mask, ll = np.empty(k), np.empty((kv, m), np.float32), 0.0
    for i in range(n_rows):
        for a in range(kv):
            for j in range(m): mask[a, j] = np.float32(L[i, j] == a)
        for c in range(k):
            acc = np.float32(0.0)
            for a in range(kv):
                for j in range(m): acc += lt[a, c, j] * mask[a, j]
            z[c] = lp[c] + acc
        top = z.max()
        z[:] = np.exp(z - top)
        total = z.sum()
        ll += top + np.log(total)
        z /= total
        sums += z
        for a in range(kv):
            for c in range(k):
                zc = np.float32(z[c])
                for j in range(m): counts[a, c, j] += zc * mask[a, j]
    return ll


fused_pass = numba.njit(nogil=True, fastmath=True)(_fused) if numba else None


def fused_block(block, ws, lps, lts, w=None):
    "`ds_block_many` (one model, a dense block, no weights) by the compiled loop, which writes no indicators."
    k = lps.shape[1]
    counts, sums = np.zeros((k, k, block.shape[1]), np.float32), np.zeros(k)
    ll = fused_pass(block, lps[0], np.ascontiguousarray(lts[0].transpose(0, 2, 1), np.float32), counts, sums)
    return counts.astype(np.float64).transpose(0, 2, 1)[None], sums[None], np.array([ll])


def pass_medians(runs=25):
    "The engine's pass and the fused one, 1 and 2 threads, each `runs` times in alternation: medians and spreads."
    ways = {"engine (2^19-cell blocks)": ds_block_many, "fused (numba)": fused_block}
    ref, got = by_threads(ds_block_many, 19, 1), by_threads(fused_block, 19, 2)
    # float32 sums of up to 5,243 rows a block in another order: within n u of each other (engine.sum_rtol)
    tol = engine.sum_rtol(fixed_rows(m, 1 << 19))
    assert all(np.allclose(a, b, rtol=tol, atol=tol * np.abs(b).max()) for a, b in zip(got, ref)), "the same statistics"
    t = {(way, jobs): [] for way in ways for jobs in (1, 2)}
    for _ in range(runs):
        for way, fn in ways.items():
            for jobs in (1, 2):
                t0 = time.perf_counter(); by_threads(fn, 19, jobs); t[way, jobs].append(time.perf_counter() - t0)
    rows = []
    for way in ways:
        one, two = np.array(t[way, 1]), np.array(t[way, 2])
        q1, q3 = np.percentile(one / two, [25, 75])
        rows.append(f"| {way} | {1e3 * np.median(one):.0f} ms | {1e3 * np.median(two):.0f} ms | "
                    f"{np.median(one) / np.median(two):.2f}x | {q1:.2f}-{q3:.2f}x |")
        print(rows[-1], flush=True)
    return rows


def worker_blocks(spans):
    "A forked worker's share of the pass: each block's statistics, in order (L and the parameters come with the fork)."
    ws = engine.Workspace()
    return [ds_block_many(L[a:b], ws, LPS, LTS) for a, b in spans]


def by_processes(pool, bits):
    spans = engine.block_spans(L, fixed_rows(m, 1 << bits))
    per = -(-len(spans) // 8)  # 8 tasks for two workers: the last ones even out
    parts = pool.map(worker_blocks, [spans[i:i + per] for i in range(0, len(spans), per)])
    results, g = [r for part in parts for r in part], engine.task_blocks(len(spans))
    # added as the engine adds: each task's blocks in order, then the tasks in order
    return functools.reduce(engine._add, [functools.reduce(engine._add, results[i:i + g])
                                          for i in range(0, len(results), g)])


WORKERS = {}  # the prototype's fork pool, while a fit runs on it
threads_engine = engine.block_results


def worker_task(task):
    "A forked worker's blocks of one pass: fn on each (with its rows' weights), in order."
    fn, args, spans, weights = task
    sparse, ws = engine.keeps_sparse(L, fn), engine.Workspace()
    return [fn(engine.block(L, s, sparse), ws, *args, **({} if w is None else {"w": w})) for s, w in zip(spans, weights)]


def process_engine(A, fn, args, weights=None, finish=None):
    ("`engine.block_results` on the fork pool for passes over L itself (the workers hold it); else the threads. "
     "`finish` runs on the parent, on the engine's groups of blocks, so that the sums are the threads' own.")
    if "pool" not in WORKERS or A is not L: yield from threads_engine(A, fn, args, weights, finish); return
    spans = engine.block_spans(A, sparse=engine.keeps_sparse(A, fn))
    per = -(-len(spans) // 8)
    tasks = [(fn, args, spans[i:i + per], [None if weights is None else weights[a:b] for a, b in spans[i:i + per]])
             for i in range(0, len(spans), per)]
    results = [r for part in WORKERS["pool"].imap(worker_task, tasks) for r in part]
    if finish is None: yield from results; return
    g = engine.task_blocks(len(spans))
    for i in range(0, len(spans), g): yield finish(spans[i:i + g], results[i:i + g])


def fit_on_processes(run):
    "`run()` with the passes over L on two forked workers, made for this fit only."
    with mp.get_context("fork").Pool(2) as pool:
        WORKERS["pool"] = pool
        try: return run()
        finally: WORKERS.pop("pool")


def whole_fits():
    engine.block_results = process_engine  # the engine's passes look it up at call time
    runs = (("DawidSkene", lambda: DawidSkene(2).fit(L).predict_proba(L)),
            ("LabelModel()", lambda: LabelModel(2).fit(L).predict_proba(L)),
            ("LabelModel(estimator='mc')", lambda: LabelModel(2, estimator="mc").fit(L).predict_proba(L)))
    rows = []
    for name, run in runs:
        modes = {"1 thread": lambda: by_jobs(run, 1), "2 threads": lambda: by_jobs(run, 2),
                 "2 processes": lambda: by_jobs(lambda: fit_on_processes(run), 1)}
        t, P = {}, {}
        for _ in range(reps):  # in alternation
            for mode, go in modes.items():
                t0 = time.perf_counter(); P[mode] = go(); t[mode] = min(t.get(mode, np.inf), time.perf_counter() - t0)
        assert max(np.abs(P[k] - P["1 thread"]).max() for k in P) == 0, "the same probabilities every way"
        rows.append(f"| {name} | {t['1 thread']:.2f} s | {t['2 threads']:.2f} s ({t['1 thread'] / t['2 threads']:.2f}x) | "
                    f"{t['2 processes']:.2f} s ({t['1 thread'] / t['2 processes']:.2f}x) |")
        print(rows[-1], flush=True)
    engine.block_results = threads_engine
    return rows


def by_jobs(run, jobs):
    with parallel(jobs), (threadpool_limits(1) if jobs == 1 else contextlib.nullcontext()): return run()


def by_threads(fn, bits, jobs):
    with block_cells(bits), parallel(jobs), (threadpool_limits(1) if jobs == 1 else contextlib.nullcontext()):
        return map_reduce(L, 2, fn, LPS, LTS)


def best(run):
    out, times = run(), []
    for _ in range(reps):
        t = time.perf_counter(); run(); times.append(time.perf_counter() - t)
    return min(times), out


if __name__ == "__main__":
    rows = []
    with threadpool_limits(1):
        for bits in (18, 19):
            one, ref = best(lambda: by_threads(ds_block_many, bits, 1))
            two, _ = best(lambda: by_threads(ds_block_many, bits, 2))
            g1, _ = best(lambda: by_threads(gemv_block, bits, 1))
            g2, _ = best(lambda: by_threads(gemv_block, bits, 2))
            # the workers only while they are measured: as long as forked children live, every page the parent
            # writes to is copied first (copy-on-write), which slows the thread runs
            with mp.get_context("fork").Pool(2) as pool: procs, res = best(lambda: by_processes(pool, bits))
            assert all(np.array_equal(a, b) for a, b in zip(ref, res)), "processes must add the blocks as one thread does"
            rows.append(f"| 2^{bits} | {1e3 * one:.0f} ms | {1e3 * two:.0f} ms ({one / two:.2f}x) | {1e3 * procs:.0f} ms "
                        f"({one / procs:.2f}x) | {1e3 * g1:.0f} ms | {1e3 * g2:.0f} ms ({g1 / g2:.2f}x) |")
            print(rows[-1], flush=True)
    fused = pass_medians() if numba else None
    fits = whole_fits()
    print(f"\nOne DawidSkene E+M pass at {n:.0e} x {m}, best of {reps}:\n\n| cells per block | 1 thread | 2 threads | "
          "2 processes | gemv, 1 thread | gemv, 2 threads |\n|---|---|---|---|---|---|\n" + "\n".join(rows))
    if fused:
        print("\nThe engine's pass and the fused one, 25 runs each in alternation, medians:\n\n| pass | 1 thread | "
              "2 threads | ratio of the medians | ratio, middle half of the runs |\n|---|---|---|---|---|\n" + "\n".join(fused))
    else: print("\nThe fused pass: numba is not installed (pip install numba), skipped")
    print(f"\nWhole fits (fit + predict_proba), best of {reps}, in alternation:\n\n| model | 1 thread | 2 threads | "
          "2 processes |\n|---|---|---|---|\n" + "\n".join(fits))
