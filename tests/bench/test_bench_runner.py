"""`hearth bench` on stand-in benchmarks: each runs with --quick --write, a failing one does not
stop the others and is reported, one missing on this branch is named, and the goals' summary
table goes first in RESULTS.md while each benchmark's own section stays as it wrote it."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from platform_core import benchcli

REPORT = Path(benchcli.__file__).resolve().parent.parent / "bench" / "report.py"

MEASURES = '''
import sys
sys.path.insert(0, __file__.rsplit("/", 1)[0])
import report
assert sys.argv[1:] == ["--quick", "--write"], sys.argv
report.summary("pages vs the anchor", 0.72, "≥ 0.6", True)
report.summary("statements per placement", 9, "≤ 12", True, unit="statements")
report.replace_section("measures.py", "## Measures (bench/measures.py)\\n\\nits own words")
'''
FAILS = '''
import sys
print("setting up")
print("the database is not there", file=sys.stderr)
sys.exit(3)
'''


def stand_ins(folder: Path) -> None:
    shutil.copy(REPORT, folder / "report.py")
    (folder / "measures.py").write_text(MEASURES)
    (folder / "fails.py").write_text(FAILS)
    (folder / "RESULTS.md").write_text("# Benchmark results\n\nRun by hand.\n\n## Old (bench/old.py)\n\nkept as it was\n")


def test_bench_runs_each_benchmark_reports_failures_and_puts_the_summary_first(tmp_path, monkeypatch):
    stand_ins(tmp_path)
    monkeypatch.setattr(benchcli, "BENCH", tmp_path)
    monkeypatch.setattr(benchcli, "BENCHMARKS", ("fails.py", "measures.py", "later.py"))
    monkeypatch.setenv("HEARTH_BENCH_DATABASE_URL", "")

    result = CliRunner().invoke(benchcli.bench, [])

    assert result.exit_code == 1, result.output
    results = (tmp_path / "RESULTS.md").read_text()
    title, summary, old, measures = results.split("\n## ")
    assert title.startswith("# Benchmark results") and "Run by hand." in title
    assert summary.startswith("Summary (hearth bench)")
    assert "| pages vs the anchor | 0.72 | ≥ 0.6 | yes | bench/measures.py |" in summary
    assert "| statements per placement | 9 statements | ≤ 12 | yes | bench/measures.py |" in summary
    assert "- bench/fails.py: failed (exit 3): the database is not there" in summary
    assert "- bench/later.py: not on this branch" in summary
    assert old == "Old (bench/old.py)\n\nkept as it was\n"
    assert measures == "Measures (bench/measures.py)\n\nits own words\n"

    # A second pass replaces the summary rather than adding another.
    (tmp_path / "fails.py").write_text("")
    assert CliRunner().invoke(benchcli.bench, []).exit_code == 0
    again = (tmp_path / "RESULTS.md").read_text()
    assert again.count("## Summary (hearth bench)") == 1
    assert "fails.py: ran, printed no summary line" in again and "failed (exit 3)" not in again


def test_only_runs_the_named_benchmark_and_leaves_the_summary(tmp_path, monkeypatch):
    stand_ins(tmp_path)
    monkeypatch.setattr(benchcli, "BENCH", tmp_path)
    monkeypatch.setattr(benchcli, "BENCHMARKS", ("fails.py", "measures.py"))
    monkeypatch.setenv("HEARTH_BENCH_DATABASE_URL", "")

    result = CliRunner().invoke(benchcli.bench, ["--only", "measures.py"])

    assert result.exit_code == 0, result.output
    results = (tmp_path / "RESULTS.md").read_text()
    assert "## Measures (bench/measures.py)" in results
    assert "## Summary" not in results
    assert "not a benchmark: nope.py" in CliRunner().invoke(benchcli.bench, ["--only", "nope.py"]).output
