"""The label model out of core (run on demand): a label matrix on disk, fitted and predicted through Dask, chunk by chunk.

    python tests/bench/out_of_core.py 1e8 20      # n items, m sources -> prints time and peak memory

L (int8, a one-coin binary crowd where each source answers half the items) is written chunk by chunk with Dask's
own writer (`to_npy_stack`: one .npy file per chunk) into tests/bench/_scratch/, read back with `from_npy_stack`
(each chunk read when a task needs it, then freed), `LabelModel()` is fitted on it and its `predict_proba` written
back to disk the same way. A 10^6-row slice is also fitted in memory to compare the probabilities.
"""
import resource
import shutil
import sys
import time
from pathlib import Path

import dask
import dask.array as da
import numpy as np

from crowd_ws.label_model import LabelModel

SCRATCH = Path(__file__).resolve().parent / "_scratch"
CHUNK = 1_000_000


def crowd_chunk(i, m):
    "Rows i*CHUNK .. of the crowd, made from the chunk's own seed (the same rows whoever makes them)."
    rng = np.random.default_rng([7, i])
    acc = np.random.default_rng(0).uniform(0.55, 0.9, m)
    y = rng.integers(0, 2, CHUNK)
    L = np.where(rng.random((CHUNK, m), dtype=np.float32) < acc, y[:, None], 1 - y[:, None]).astype(np.int8)
    L[rng.random((CHUNK, m), dtype=np.float32) < 0.5] = -1
    return L


def peak_mb(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(n, m):
    src, out = SCRATCH / f"L_{n}_{m}", SCRATCH / f"P_{n}_{m}"
    for d in (src, out): shutil.rmtree(d, ignore_errors=True)
    blocks = [da.from_delayed(dask.delayed(crowd_chunk)(i, m), (CHUNK, m), np.int8) for i in range(n // CHUNK)]
    t = time.perf_counter(); da.to_npy_stack(src, da.concatenate(blocks), axis=0)
    print(f"wrote L: {n:,} x {m} int8 ({n * m / 2**30:.1f} GiB) in {time.perf_counter() - t:.0f} s; peak {peak_mb():.0f} MB", flush=True)
    L = da.from_npy_stack(src, mmap_mode=None)
    t = time.perf_counter(); lm = LabelModel(2).fit(L)
    print(f"fit LabelModel(): {time.perf_counter() - t:.0f} s; peak {peak_mb():.0f} MB", flush=True)
    t = time.perf_counter(); da.to_npy_stack(out, lm.predict_proba(L), axis=0)
    print(f"predict_proba written: {time.perf_counter() - t:.0f} s; peak {peak_mb():.0f} MB", flush=True)
    first = crowd_chunk(0, m)
    P_mem = LabelModel(2).fit(first).predict_proba(first)
    P_dask = LabelModel(2).fit(da.from_array(first, chunks=(CHUNK // 4, m))).predict_proba(da.from_array(first, chunks=(CHUNK // 4, m))).compute()
    print(f"10^6-row slice: max |P(Dask) - P(in memory)| = {np.abs(P_dask - P_mem).max():.1e}", flush=True)
    for d in (src, out): shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main(int(float(sys.argv[1])), int(sys.argv[2]))
