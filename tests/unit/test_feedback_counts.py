"""The feedback's count of rows « à vérifier » when the workbook lists only part of a file's
findings (MAX_FINDINGS_PER_FILE)."""

import pandas as pd

from ase_impact.publish.feedback import rows_to_check

QUERY, ERROR = "DON-050", "DON-005"  # a plausibility query, an error


def _findings(*rows: tuple[int, str]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"sheet": "Données", "excel_row": row, "rule_code": code} for row, code in rows]
    )


def _counts(*counts: tuple[str, int, int]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "sheet": "Données",
                "rule_code": code,
                "severity": "alerte",
                "findings": found,
                "findings_listed": listed,
            }
            for code, found, listed in counts
        ]
    )


def test_rows_with_a_query_are_counted_once_each():
    findings = _findings((6, QUERY), (6, ERROR), (7, QUERY), (8, ERROR))
    assert rows_to_check(findings, _counts((QUERY, 2, 2), (ERROR, 2, 2))) == 2


def test_queries_beyond_the_listed_findings_make_it_a_lower_bound():
    findings = _findings((6, QUERY), (7, QUERY))
    assert rows_to_check(findings, _counts((QUERY, 40, 2))) == "au moins 2"


def test_only_errors_left_unlisted_keep_the_exact_count():
    findings = _findings((6, QUERY), (7, ERROR))
    assert rows_to_check(findings, _counts((QUERY, 1, 1), (ERROR, 900, 1))) == 1
