"""Run the tutorial notebook headless, save the executed copy in runs/ and print its headline figures.

The tutorial prints lines starting with 'HEADLINE ' (see nbs/20_tutorial.ipynb); they are collected here.
Until the tutorial exists, the data notebook is run instead.
"""
import os, sys, time
from pathlib import Path
from execnb.nbio import read_nb, write_nb
from execnb.shell import CaptureShell

top = Path(__file__).resolve().parent.parent
name = sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] else None
nbs = top / "nbs"
src = nbs / (name or ("20_tutorial.ipynb" if (nbs / "20_tutorial.ipynb").exists() else "01_data.ipynb"))
out_dir = top / "runs"
out_dir.mkdir(exist_ok=True)
dest = out_dir / src.name
print(f"Running {src.relative_to(top)} (executed copy: {dest.relative_to(top)})", flush=True)
t0 = time.time()
os.chdir(nbs)
nb = read_nb(src)
shell = CaptureShell()
shell.run_all(nb, exc_stop=True)
write_nb(nb, dest)
heads = []
for cell in nb.cells:
    for o in cell.get("outputs", []):
        text = o.get("text", "")
        text = "".join(text) if isinstance(text, list) else text
        heads += [l[len("HEADLINE "):] for l in text.splitlines() if l.startswith("HEADLINE ")]
print(f"Done in {time.time() - t0:.0f} s.")
for h in heads: print(h)
