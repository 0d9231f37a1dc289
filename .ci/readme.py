"""Render README.md from nbs/index.ipynb: markdown as is, code cells as python blocks (hidden cells skipped)."""
import json
from pathlib import Path

top = Path(__file__).resolve().parent.parent
nb = json.loads((top / "nbs" / "index.ipynb").read_text(encoding="utf-8"))
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
        parts.append("```python\n" + src + "\n```")
(top / "README.md").write_text("\n\n".join(parts) + "\n", encoding="utf-8")
