"""Where one `DawidSkene` E+M pass spends its time on one thread and on two (run on demand):

    python tests/bench/pass_steps.py [n] [m]    # default 1e6 100

The steps of `ds_block_many` (indicators, the E-step's block products, the softmax, the M-step's products, the rest),
each timed in the thread that runs it and added up over the blocks, for tasks of 8 blocks of 2^19 cells on one
thread and on two (the BLAS on one thread). If two threads' summed time exceeds one thread's, the excess per step
shows what the threads share: the cache (indicators), the GIL (small calls), the BLAS (products).
"""
import collections
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from threadpoolctl import threadpool_limits

from crowd_ws.base import softmax_rows
from crowd_ws.engine import Workspace, block_rows, dot, indicators

n, m, k = int(float(sys.argv[1])) if len(sys.argv) > 1 else 10**6, int(sys.argv[2]) if len(sys.argv) > 2 else 100, 2
rng = np.random.default_rng(0)
y = rng.integers(0, 2, n)
L = np.where(rng.random((n, m), dtype=np.float32) < rng.uniform(0.55, 0.9, m), y[:, None], 1 - y[:, None]).astype(np.int8)
L[rng.random((n, m), dtype=np.float32) < 0.5] = -1
rows = block_rows(m)
spans = [(i, min(i + rows, n)) for i in range(0, n, rows)]
tasks = [spans[i:i + 8] for i in range(0, len(spans), 8)]
lps = np.log([0.5, 0.5])
W = [np.log(np.where(np.arange(k) == a, 0.7, 0.3))[None].repeat(m, 0).astype(np.float32) for a in range(k)]  # (m, k)
local = threading.local()


def block_steps(b):
    "The time of each step of one block's E+M pass."
    ws = getattr(local, "ws", None) or Workspace()
    local.ws = ws
    c = time.perf_counter
    t0 = c(); onehots = indicators(b, k, ws)
    t1 = c(); z = lps + sum(dot(I, w) for I, w in zip(onehots, W))
    t2 = c(); T, _ = softmax_rows(z.astype(np.float64))
    t3 = c(); T32 = T.astype(np.float32); np.stack([dot(I.T, T32) for I in onehots]).astype(np.float64)
    t4 = c(); np.einsum("ij->j", T)
    t5 = c()
    return {"indicators": t1 - t0, "E products": t2 - t1, "softmax": t3 - t2, "M products": t4 - t3, "rest": t5 - t4}


def task(spans_):
    out = collections.Counter()
    for s in spans_: out.update(block_steps(L[s[0]:s[1]]))
    return out


with threadpool_limits(1):
    for jobs in (1, 2, 1, 2):
        total, t = collections.Counter(), time.perf_counter()
        if jobs == 1:
            for tk in tasks: total.update(task(tk))
        else:
            with ThreadPoolExecutor(2) as ex:
                for r in ex.map(task, tasks): total.update(r)
        wall = time.perf_counter() - t
        steps = ", ".join(f"{s} {v * 1e3:.1f}" for s, v in total.items())
        print(f"{jobs} thread(s): wall {wall * 1e3:.0f} ms; summed over threads {sum(total.values()) * 1e3:.0f} ms ({steps})")
