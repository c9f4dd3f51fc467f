"""The report's verdict table and the front-page tables are the same before and after a refactor.

The snapshot (``tests/data/report_snapshot.json``) was computed from the committed records by
``tests/make_report_snapshot.py``; when the committed records change without it, the test fails and says
how to regenerate it (``python tests/make_report_snapshot.py``), so a changed verdict is always reviewed.
"""
import json

from make_report_snapshot import SNAPSHOT, compute, records_digest


def test_report_and_tables_match_the_snapshot():
    before = json.loads(SNAPSHOT.read_text())
    assert records_digest() == before["records_sha256"], (
        "the committed records changed since the report snapshot: review the new verdicts, then regenerate it "
        "with `python tests/make_report_snapshot.py` and commit tests/data/report_snapshot.json")
    now = json.loads(json.dumps(compute(), ensure_ascii=False, sort_keys=True))
    for key in ("report", "verdict_table_html", "table1_compact", "table2_compact"):
        assert now[key] == before[key], key
