"""The one-way rule of DESIGN §5, as the lint step checks it (decision 095): counselling → cases →
offices → returnpath. The contract is read from pyproject.toml; a reverse import must break it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")

pytestmark = pytest.mark.skipif(LINT_IMPORTS is None, reason="import-linter is not installed (requirements-dev.txt)")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run([LINT_IMPORTS, "--no-cache", str(cwd / "pyproject.toml")], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_the_project_keeps_the_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "KEPT" in result.stdout


@pytest.mark.parametrize(("importer", "imported"), [
    ("cases", "counselling"),        # the core reading conversations by import
    ("offices", "cases"),
    ("returnpath", "cases"),         # e.g. observability importing an app instead of a registry
])
def test_a_reverse_import_breaks_the_contract(tmp_path, importer, imported):
    """The same contract over a tree of four packages where one lower package imports a higher one."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for package in ("returnpath", "offices", "cases", "counselling"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "cases" / "views.py").write_text("")
    (tmp_path / "returnpath" / "api_urls.py").write_text("import cases.views\n")  # the one allowed exception
    (tmp_path / "counselling" / "uses.py").write_text("import cases\nimport offices\nimport returnpath\n")
    assert lint_imports(tmp_path).returncode == 0

    (tmp_path / importer / "reverse.py").write_text(f"from {imported} import uses\n" if imported == "counselling"
                                                    else f"import {imported}\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert f"{importer} is not allowed to import {imported}" in result.stdout


def test_cases_reads_conversations_only_through_its_selector():
    """What import-linter cannot see: the reverse relation and the model reached through ``_meta``.
    Outside ``cases/conversations.py`` the core reads no conversation (decision 095)."""
    offending = []
    for path in sorted((ROOT / "cases").rglob("*.py")):
        if "migrations" in path.parts or path.name == "conversations.py":
            continue
        text = path.read_text(encoding="utf-8")
        for needle in (r"get_field\(\s*[\"']conversations", r"(?<!cases)\.conversations\b"):
            if re.search(needle, text):
                offending.append(f"{path.relative_to(ROOT)}: {needle}")
    assert offending == []
