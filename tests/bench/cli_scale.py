"""Time and peak memory of the `crowd_ws aggregate` command as the answers grow (run on demand, not in CI).

    python tests/bench/cli_scale.py            # 10^6 and 10^7 answers, 10^5 one-answer workers -> tests/bench/RESULTS_cli.md
    python tests/bench/cli_scale.py --quick    # 10^6 answers and 10^5 one-answer workers only

Each run is its own process; its peak resident memory is read from the operating system (VmHWM of the child),
beside the size of its CSV. The answers are generated with a fixed seed into tests/bench/_scratch/ (ignored by git).
"""
import argparse
import datetime
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SCRATCH = HERE / "_scratch"
MODELS = ["MajorityLabelVoter", "Wawa", "DawidSkene", "GLAD", "LabelModel"]


def crowd_csv(n_answers:int, one_answer_workers:bool=False) -> Path:
    "A CSV of `n_answers` binary answers: 10 per item from 200 workers, or each from a worker of its own."
    f = SCRATCH / (f"answers_{n_answers}" + ("_one" if one_answer_workers else "") + ".csv")
    if f.exists(): return f
    SCRATCH.mkdir(exist_ok=True)
    rng = np.random.default_rng(0)
    n_items = n_answers // 10
    with open(f, "w") as out:
        out.write("item,worker,label\n")
        for s in range(0, n_answers, 1_000_000):
            i = np.arange(s, min(s + 1_000_000, n_answers))
            item = i // 10 if not one_answer_workers else rng.integers(0, max(n_items, 1), len(i))
            worker = rng.integers(0, 200, len(i)) if not one_answer_workers else i
            truth = (item * 2654435761) % 7 < 5  # a skewed, fixed truth per item
            label = np.where(rng.random(len(i)) < 0.75, truth, ~truth)
            pd.DataFrame({"item": [f"t{v:07d}" for v in item], "worker": [f"w{v:06d}" for v in worker],
                          "label": np.where(label, "pos", "neg")}).to_csv(out, header=False, index=False)
    return f


def run(csv:Path, model:str):
    "(seconds, peak MB) of one command run in its own process."
    out = SCRATCH / "labels.csv"
    # VmHWM: this process's own peak (ru_maxrss would carry over the parent's peak through fork + exec on Linux)
    code = "import sys; from crowd_ws.cli import main; r = main(sys.argv[1:]); " \
           "print([l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')][0]); sys.exit(r)"
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", code, "aggregate", str(csv), "--out", str(out), "--model", model, "--quiet"],
                       capture_output=True, text=True)
    secs = time.perf_counter() - t
    if p.returncode: return secs, float("nan"), p.stderr.strip().splitlines()[-1]
    return secs, int(p.stdout.split()[-1]) / 1024, ""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    cases = [(1_000_000, False, MODELS), (100_000, True, MODELS)]
    if not args.quick: cases.insert(1, (10_000_000, False, ["MajorityLabelVoter", "LabelModel"]))
    rows = []
    for n, one, models in cases:
        csv = crowd_csv(n, one)
        mb = csv.stat().st_size / 2**20
        for model in models:
            secs, peak, err = run(csv, model)
            what = f"{n:,} answers" + (", each from a worker of its own" if one else ", 200 workers")
            rows.append(f"| {what} | {mb:.0f} MB | {model} | {secs:.1f} s | {peak:.0f} MB | {peak / mb:.1f}x | {err} |")
            print(rows[-1], flush=True)
    head = ["# The command at scale", "",
            f"`python tests/bench/cli_scale.py{' --quick' if args.quick else ''}`, {datetime.date.today()}, "
            f"{platform.machine()}, Python {platform.python_version()}; time includes the process start and the imports.", "",
            "| answers | CSV | model | time | peak memory | peak / CSV | error |", "|---|---|---|---|---|---|---|"]
    (HERE / "RESULTS_cli.md").write_text("\n".join(head + rows) + "\n")


if __name__ == "__main__":
    main()
