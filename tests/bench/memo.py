"""Applying spaCy LFs with the memo on and off, beside Snorkel (run on demand).

    python tests/bench/memo.py      # -> prints a table; needs spaCy (and snorkel, from the bench extra, for its column)

10 LFs read the Doc of each text (a spaCy pipeline built here: blank English with an entity ruler, so no model is
downloaded); the texts repeat (2,000 rows over 1,000 distinct texts), as comments and tweets do.
"""
import time

import numpy as np
import pandas as pd
import spacy


def pipeline():
    nlp = spacy.blank("en")
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "PERSON", "pattern": [{"LOWER": "katy"}, {"LOWER": "perry"}]}])
    return nlp


def frame(n=2_000, distinct=1_000, seed=0):
    rng = np.random.default_rng(seed)
    words = np.array("check out my channel katy perry song love this video subscribe please great music".split())
    texts = [" ".join(rng.choice(words, rng.integers(3, 40))) for _ in range(distinct)]
    return pd.DataFrame({"text": [texts[i] for i in rng.integers(0, distinct, n)]})


def bodies():
    return [lambda x, i=i: 1 if len(x.doc) % 10 == i else -1 for i in range(9)] + [lambda x: 1 if x.doc.ents else -1]


def ours(df, memoize):
    from crowd_ws.apply import PandasLFApplier
    from crowd_ws.lf import LabelingFunction, SpacyPreprocessor
    pre = SpacyPreprocessor("text", "doc", language=pipeline(), memoize=memoize)
    lfs = [LabelingFunction(f"lf{i}", f, pre=[pre]) for i, f in enumerate(bodies())]
    t = time.perf_counter(); PandasLFApplier(lfs).apply(df, progress_bar=False); return time.perf_counter() - t


def snorkel(df, memoize):
    from snorkel.labeling import LabelingFunction, PandasLFApplier
    from snorkel.preprocess.nlp import SpacyPreprocessor
    load, spacy.load = spacy.load, lambda *a, **k: pipeline()  # Snorkel loads by name: hand it the same pipeline
    try: pre = SpacyPreprocessor("text", "doc", memoize=memoize)
    finally: spacy.load = load
    lfs = [LabelingFunction(f"lf{i}", f, pre=[pre]) for i, f in enumerate(bodies())]
    t = time.perf_counter(); PandasLFApplier(lfs).apply(df, progress_bar=False); return time.perf_counter() - t


if __name__ == "__main__":
    df = frame()
    rows = []
    for memoize in (False, True):
        o = min(ours(df, memoize) for _ in range(2))
        try: s = f"{min(snorkel(df, memoize) for _ in range(2)):.2f} s"
        except Exception as e: s = f"({type(e).__name__}: {str(e)[:60]})"
        rows.append((memoize, o, s))
    print("| memo | crowd_ws | Snorkel 0.10 |\n|---|---|---|")
    for memoize, o, s in rows: print(f"| {'on' if memoize else 'off'} | {o:.2f} s | {s} |")
    print(f"memo on / memo off (crowd_ws): {rows[1][1] / rows[0][1]:.2f}x")
