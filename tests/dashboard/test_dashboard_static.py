"""What the dashboard ships, read as files: every text has its Russian, and nothing is fetched
from another site (the venue's back office may be offline)."""
import ast
import re
from pathlib import Path

import pytest

from hub import dashboard
from hub.api.auth import SESSION_ENDED_MESSAGES
from hub.dashboard import labels
from hub.dashboard.i18n import catalog
from hub.dashboard.overview import FIXES

PACKAGE = Path(dashboard.__file__).parent
TEMPLATES = sorted((PACKAGE / "templates").rglob("*.html"))
MODULES = sorted(PACKAGE.glob("*.py"))
# _("…") or _('…') in a template (the first argument, a literal)
TEMPLATE_TEXT = re.compile(r"""\b_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*[,)]""")


def template_texts() -> set[str]:
    found = set()
    for path in TEMPLATES:
        for double, single in TEMPLATE_TEXT.findall(path.read_text()):
            found.add(double or single)
    return found


def python_texts() -> set[str]:
    """String literals passed to _(…) or problem(…) in the dashboard's modules."""
    found = set()
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("_", "problem") and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)):
                found.add(node.args[0].value)
    return found


def label_texts() -> set[str]:
    found = set(SESSION_ENDED_MESSAGES.values()) | set(FIXES.values())
    found |= {label for _, label, _ in dashboard.NAV} | set(dashboard.JS_TEXTS)
    for table in (labels.JOB_STATES, labels.JOB_KINDS, labels.OPERATIONS, labels.TAXATION,
                  labels.PAYMENT_METHODS, labels.PAYMENT_TYPES, labels.VAT, labels.ROLES,
                  labels.POSTING_KINDS, labels.RUN_KINDS):
        found |= set(table.values())
    return found


def test_the_scan_finds_the_texts_it_should():
    texts = template_texts() | python_texts()
    assert {"Log in", "Overview", "Documents per minute, last 3 hours",
            "Out of paper: put in a new roll", "Wrong login or password"} <= texts


def test_every_text_of_the_dashboard_has_its_russian():
    ru = catalog("ru")
    missing = sorted(t for t in template_texts() | python_texts() | label_texts()
                     if t not in ru)
    assert not missing, f"{len(missing)} texts have no Russian: {missing[:40]}"


def test_translations_keep_their_placeholders():
    for english, russian in catalog("ru").items():
        assert (sorted(re.findall(r"\{(\w+)\}", english))
                == sorted(re.findall(r"\{(\w+)\}", russian))), english


@pytest.mark.parametrize("path", TEMPLATES + sorted((PACKAGE / "static").iterdir()),
                         ids=lambda p: p.name)
def test_nothing_is_loaded_from_another_site(path):
    text = path.read_text()
    # src/href/url() to an absolute or protocol-relative address
    assert not re.search(r"""(?:src|href|action)\s*=\s*["'](?:https?:)?//""", text), path
    assert not re.search(r"""url\(\s*["']?(?:https?:)?//""", text), path
    assert not re.search(r"""@import\s""", text), path


def test_every_template_and_asset_ships_in_the_package():
    """pyproject's package data for hub.dashboard covers every file the pages need (a wheel
    without them would serve pages that fail)."""
    import fnmatch
    import tomllib
    project = tomllib.loads((PACKAGE.parents[1] / "pyproject.toml").read_text())
    patterns = project["tool"]["setuptools"]["package-data"]["hub.dashboard"]
    files = [p.relative_to(PACKAGE).as_posix()
             for folder in ("templates", "static") for p in (PACKAGE / folder).rglob("*")
             if p.is_file() and "__pycache__" not in p.parts]
    assert len(files) > 20
    left_out = [f for f in files if not any(fnmatch.fnmatchcase(f, pat) and
                                            f.count("/") == pat.count("/") for pat in patterns)]
    assert left_out == []
