"""The package layers of platform_core hold (pyproject's [tool.importlinter], drawn in
docs/architecture.md): no package imports one above it, imports inside functions included, so
the package graph has no cycle."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_import_linter_contracts_are_kept():
    result = subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()", "--no-cache"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_the_contract_counts_imports_inside_functions(tmp_path):
    """grimp, under import-linter, reads every import statement of a module, not just the top
    ones: the layers can not be dodged by importing late."""
    import grimp

    package = tmp_path / "late"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "low.py").write_text("def f():\n    from late import high\n")
    (package / "high.py").write_text("")
    sys.path.insert(0, str(tmp_path))
    try:
        graph = grimp.build_graph("late", cache_dir=None)
    finally:
        sys.path.remove(str(tmp_path))
    assert graph.direct_import_exists(importer="late.low", imported="late.high")
