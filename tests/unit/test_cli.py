"""The command line's own checks: usage errors in French, exit code 2, no traceback."""

import contextlib
import io

import pytest

from ase_impact.cli.main import build_parser


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["template", "--association", "=1+1", "--period", "2026-10", "-o", "x.xlsx"], "=1+1"),
        (
            ["template", "--association", "cap-avenir", "--period", "2026-13", "-o", "x.xlsx"],
            "2026-13",
        ),
        (["run", "--period", "octobre"], "octobre"),
    ],
)
def test_a_bad_argument_is_a_french_usage_error(arguments, said):
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), pytest.raises(SystemExit) as exited:
        build_parser().parse_args(arguments)
    assert exited.value.code == 2
    message = stderr.getvalue()
    assert "invalide" in message and f"« {said} »" in message
    assert "Traceback" not in message
