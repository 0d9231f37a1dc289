"""Render README.md from nbs/index.ipynb: markdown as is, code cells as blocks followed by their outputs.

The notebook is executed (with execnb, in a scratch folder) so that the README shows what the code prints today;
hidden cells run but are not shown; `!` cells are shown as shell commands; `#| echo: false` cells show their output
alone, and a Markdown result (IPython.display.Markdown) is shown as Markdown. Needs the weather data
(`CROWD_WS_DATA`, as `.ci/run` sets it)."""
import json
import os
import tempfile
from pathlib import Path

from execnb.nbio import read_nb
from execnb.shell import CaptureShell

top = Path(__file__).resolve().parent.parent
nb = read_nb(top / "nbs" / "index.ipynb")
here = os.getcwd()
with tempfile.TemporaryDirectory() as scratch:
    os.chdir(scratch)
    try: CaptureShell().run_all(nb, exc_stop=True)
    finally: os.chdir(here)


def markdown_output(cell) -> str:
    "A cell's Markdown result (IPython.display.Markdown), to be shown as Markdown; empty if it has none."
    return "".join("".join(o["data"]["text/markdown"]) for o in cell.get("outputs", [])
                   if o["output_type"] in ("execute_result", "display_data") and "text/markdown" in o["data"]).strip()


def outputs(cell) -> str:
    "Text and table outputs of a cell (streams and plain-text results, not Markdown ones), without trailing blanks."
    out = []
    for o in cell.get("outputs", []):
        if o["output_type"] == "stream": out.append("".join(o["text"]))
        elif o["output_type"] in ("execute_result", "display_data") and "text/markdown" in o["data"]: continue
        elif o["output_type"] in ("execute_result", "display_data") and "text/plain" in o["data"]:
            out.append("".join(o["data"]["text/plain"]) + "\n")
        elif o["output_type"] == "error": raise SystemExit(f"index.ipynb failed: {o['ename']}: {o['evalue']}")
    return "".join(out).replace("\r\n", "\n").rstrip()


parts = ["<!-- Generated from nbs/index.ipynb by .ci/readme.py: edit the notebook, not this file. -->"]
for cell in nb["cells"]:
    src = "".join(cell["source"]).strip()
    if not src or src.startswith(("#| hide", "#|hide")): continue
    if cell["cell_type"] == "markdown":
        lines = src.splitlines()
        if lines[0].startswith("# ") and len(lines) > 1 and lines[1].startswith("> "):  # title + summary
            src = "\n".join([lines[0], "", lines[1]] + lines[2:])
        parts.append(src)
    elif cell["cell_type"] == "code":
        shell = src.startswith("!")
        if not src.startswith(("#| echo: false", "#|echo: false")):  # echo: false shows the output alone
            parts.append(("```sh\n" + src[1:] if shell else "```python\n" + src) + "\n```")
        out, md = outputs(cell), markdown_output(cell)
        if out: parts.append("```text\n" + out + "\n```")
        if md: parts.append(md)
(top / "README.md").write_text("\n\n".join(parts) + "\n", encoding="utf-8")
