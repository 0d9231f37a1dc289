"""The layout readers rely on: notebooks in reading order, modules and notebooks of a readable size, light imports."""
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS = sorted(p for p in (ROOT / "nbs").glob("[0-9][0-9]_*.ipynb"))


def _code(nb:Path) -> list:
    return ["".join(c["source"]) for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "code"]


def _exports() -> dict:
    "module name -> number of the notebook that exports it"
    out = {}
    for nb in NBS:
        for src in _code(nb):
            m = re.search(r"^#\|\s*default_exp\s+(\w+)", src, re.M)
            if m: out[m.group(1)] = int(nb.name[:2])
    return out


def test_each_notebook_imports_only_lower_numbered_ones():
    exports, wrong = _exports(), []
    for nb in NBS:
        own = int(nb.name[:2])
        for src in _code(nb):
            for mod in re.findall(r"^\s*(?:from|import)\s+crowd_ws\.(\w+)", src, re.M):
                if exports.get(mod, -1) > own: wrong.append(f"{nb.name} imports crowd_ws.{mod} (notebook {exports[mod]:02d})")
    assert not wrong, wrong


def test_the_tutorial_comes_after_every_library_notebook():
    tutorial = [nb for nb in NBS if "tutorial" in nb.name]
    assert tutorial and int(tutorial[0].name[:2]) > max(_exports().values())


def test_modules_and_notebooks_stay_readable():
    long_modules = {p.name: n for p in (ROOT / "crowd_ws").glob("*.py") if p.name != "_modidx.py"
                    and (n := len(p.read_text().splitlines())) > 400}
    assert not long_modules, f"modules over 400 lines: {long_modules}"
    big = {nb.name: n for nb in NBS if (n := len(_code(nb))) > 50}
    assert not big, f"notebooks over 50 code cells: {big}"


def test_label_models_and_the_command_import_without_heavy_libraries():
    # scikit-learn (about a second to import) serves the metrics, torch and transformers the end models: fitting a
    # label model or running the command loads none of them
    code = ("import sys, crowd_ws.cli, crowd_ws.label_model, crowd_ws.apply; "
            "print(sorted({'sklearn', 'torch', 'transformers', 'matplotlib'} & {m.split('.')[0] for m in sys.modules}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", f"imported: {out}"


def test_readme_reads_in_five_minutes():
    text = (ROOT / "README.md").read_text()
    assert len(text.split()) < 1500, f"README.md has {len(text.split())} words"
    said = [w for w in ("issue", "product", "target") if re.search(rf"\b{w}s?\b", text, re.I)]
    assert not said, f"README.md speaks of {said}: words a user has no use for"
