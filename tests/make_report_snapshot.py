"""Write ``tests/data/report_snapshot.json``: the report, Table 1 and the landing page's verdict table
computed from the committed records (``results/``), with a digest of those records.

``tests/test_report_snapshot.py`` recomputes them and compares: a refactor must leave the book's
verdicts and numbers as they were. Rerun this script only when the records themselves change.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "tests" / "data" / "report_snapshot.json"


def records_digest(results_dir: Path = ROOT / "results") -> str:
    """sha256 over the committed record files (``results/paper/<dataset>/*.json`` and job states); this
    build's ``results/ci`` (rebuilt by every build, never committed) does not count."""
    digest = hashlib.sha256()
    for path in sorted((results_dir / "paper").rglob("*.json")):
        digest.update(str(path.relative_to(results_dir)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def compute(results_dir: Path = ROOT / "results") -> dict:
    from osa_lib.book.summary.overview import verdict_table_html
    from osa_lib.book.summary.report import reproduction_report
    from osa_lib.book.page.tables import table1_compact, table2_compact

    report = reproduction_report(results_dir, "ci")
    return {"records_sha256": records_digest(results_dir),
            "report": report.to_dict("records"),
            "verdict_table_html": verdict_table_html(report),
            "table1_compact": table1_compact(results_dir).to_dict("records"),
            "table2_compact": table2_compact(results_dir).to_dict("records")}


if __name__ == "__main__":
    SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
    SNAPSHOT.write_text(json.dumps(compute(), indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    print(f"wrote {SNAPSHOT}")
