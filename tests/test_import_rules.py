"""DESIGN.md's import rules: ``fiscal/`` imports neither Flask nor ``hub``; the worker and the
relay never build the Flask app."""
import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_fiscal_imports_neither_flask_nor_hub():
    offenders = []
    for path in (ROOT / "fiscal").rglob("*.py"):
        for name in imported_modules(path):
            top = name.split(".")[0]
            if top in ("flask", "werkzeug", "hub", "plugins"):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
    assert offenders == []


def test_the_worker_process_never_loads_flask():
    code = ("import sys, hub.worker, hub.relay, hub.tasks, fiscal.printing; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'hub.app')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout.strip()
    assert out == "[]"


def test_modules_stay_small():
    big = [f"{p.relative_to(ROOT)}: {n} lines" for p in
           list((ROOT / "fiscal").rglob("*.py")) + list((ROOT / "hub").rglob("*.py"))
           if (n := len(p.read_text().splitlines())) > 450]
    assert big == []
