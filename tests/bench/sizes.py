"""Time and peak memory of fit + predict_proba against the number of items, beside Snorkel (run on demand).

    python tests/bench/sizes.py      # -> prints a markdown table for RESULTS_scaling.md

One-coin binary crowds from `make_crowd` (100 sources, coverage 0.2-0.5), an int64 label matrix as appliers give it,
each model in its own process (`jobs.job_label_model_speed`): the median of 3 runs (1 at 10^7), peak resident memory
above the input during the first. Snorkel's LabelModel is not run at 10^7 items: at 10^6 it peaks near 4 GB above
its input, so 10^7 would need about 40 GB, more than this 24 GB machine has. Then `LFAnalysis(L).lf_summary(Y)` on
the same matrices, ours beside Snorkel's (`jobs.job_lf_analysis_speed`).
"""
import datetime
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from run import run_job  # noqa: E402

MODELS = [("ours_lm", "`LabelModel()`"), ("ours_ds", "`DawidSkene`"), ("ours_lm_mc", "`LabelModel(estimator=\"mc\")`"),
          ("snorkel_lm", "Snorkel `LabelModel`")]
SIZES = [100_000, 1_000_000, 10_000_000]

if __name__ == "__main__":
    rows = []
    for n in SIZES:
        for model, name in MODELS:
            if model == "snorkel_lm" and n > 1_000_000: rows.append((n, name, "not run (about 40 GB)", "", "")); continue
            r = run_job({"n": n, "m": 100, "k": 2, "model": model, "repeats": 1 if n >= 10_000_000 else 3, "job": "label_model_speed"}, 1800)
            if "error" in r: rows.append((n, name, r["error"], "", "")); continue
            rows.append((n, name, f"{r['seconds']:.2f} s", f"{r['peak_mb']:,.0f} MB", f"{r['accuracy']:.4f}"))
            print(rows[-1], flush=True)
    print(f"\n## Time and memory against the number of items\n\n{__doc__.split(chr(10), 3)[3].strip()}\n\n"
          f"Measured {datetime.date.today()} on 2 cores (n_jobs default).\n\n| items x 100 sources | model | fit + predict | peak memory above the input | accuracy |\n|---|---|---|---|---|")
    for n, name, t, mb, acc in rows: print(f"| {n:,} | {name} | {t} | {mb} | {acc} |")
    print("\n| items x 100 sources | `LFAnalysis(L).lf_summary(Y)` | time | peak memory above the input | mean coverage |\n|---|---|---|---|---|")
    for n in SIZES:
        for model, name in (("ours", "crowd_ws"), ("snorkel", "Snorkel")):
            if model == "snorkel" and n > 1_000_000: print(f"| {n:,} | {name} | not run (about 20 GB) | | |"); continue
            r = run_job({"n": n, "m": 100, "k": 2, "model": model, "repeats": 1 if n >= 10_000_000 else 3, "job": "lf_analysis_speed"}, 1800)
            cells = [r["error"], "", ""] if "error" in r else [f"{r['seconds']:.2f} s", f"{r['peak_mb']:,.0f} MB", f"{r['coverage']:.4f}"]
            print(f"| {n:,} | {name} | " + " | ".join(cells) + " |", flush=True)
