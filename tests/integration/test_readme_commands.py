"""Every command the README and docs/ give, run verbatim in a fresh clone.

The commands are read from the pages themselves: each line of a shell code block, and each
`make …` or `.venv/bin/…` command written inline in the prose. They run in document order
(README first, then docs/ by name) in a `git clone` of the committed project, with a
minimal environment (PATH of the system, no DAGSTER_HOME, no ASE_IMPACT_* variable), as a
newcomer would type them: the first `make run` installs uv and the locked dependencies
itself. Servers (`make ui`, `make portal`, `make docs`, the Dagster daemon…) are started,
probed on the loopback and stopped. SQL examples run on the published copy. A command that
cannot run in a test is listed in EXCLUDED with its reason; a code block that is not a
command (a diagram, a unit file, a crontab) is listed in NOT_COMMANDS. A new block or command
that is in neither fails the test until it is classified.

Uncommitted changes are not in the clone: commit before running this test by hand.
"""

from __future__ import annotations

import os
import pty
import re
import select
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from ase_impact.core.settings import PROJECT_ROOT
from tests.integration.processes import stop_process_group

PAGES = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```([\w-]*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
INLINE = re.compile(r"`((?:make|\.venv/bin/)[^`]*)`")
COMMAND_START = re.compile(
    r"^(?:make|\.venv/bin/|DAGSTER_HOME=|install |\(umask|systemctl|journalctl)"
)
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
PASSWORD = "Un-mot-de-passe-bien-long-2026"

# Commands given in the docs that a test does not run, each with its reason: the whole
# command, or (EXCLUDED_PREFIXES) what it starts with.
EXCLUDED = {
    "make test": "runs the whole test suite, this test included: CI runs it (.ci/run)",
    "make test-e2e": "the slow tier, this test included: CI runs it (.ci/run)",
    "make bench": "benchmarks of tens of minutes; the harness has its own tests "
    "(tests/unit/test_benchmark_*.py)",
    "make bench-large": "benchmark L, hours on a developer's machine",
    "make bench-engines": "M and incremental twice, minutes; the harness has its own tests",
    "make": "the word alone, in prose (« every other `make` target »)",
    ".venv/bin/ase-impact": "the console script's path, in prose",
    ".venv/bin/dbt": "dbt's path, named in prose; the pipeline runs it",
    ".venv/bin/ase-impact run": "what `make run` runs (run above); after `make demo-data` it "
    "would only ingest the regenerated demo files again, minutes for nothing new",
    "make template": "named in prose; the README's whole `make template …` command runs",
    ".venv/bin/ase-impact rebuild": "replays every archived file of the demo run again, minutes; "
    "tests/integration/test_rebuild.py rebuilds a warehouse and compares every table",
}
EXCLUDED_PREFIXES = {
    "install -d -m 700 /srv/": "production setup outside the clone (/srv), as the service user",
    "(umask 077; /opt/ase-impact/": "production key creation, for a clone installed in /opt",
    "systemctl ": "installs or starts a systemd unit of the host",
    "journalctl ": "reads the host's systemd journal",
    ".venv/bin/ase-impact run [": "a synopsis of the options, not a command",
}

# Code blocks that are not commands, by their first line: what they are.
NOT_COMMANDS = {
    "raw/<AAAA-MM>/<association>.xlsx": "a data-flow diagram",
    "pyproject.toml": "the code layout",
    "ASE_IMPACT_ENV=production": "crontab lines, installed with `crontab -e`",
    "# /etc/systemd/system/": "a systemd unit file",
    "server {": "an nginx configuration",
    "[Service]": "a systemd drop-in",
    "export ASE_IMPACT_WAREHOUSE=postgresql://": "needs a PostgreSQL server: "
    "tests/integration/test_postgresql_run.py runs the pipeline on one",
    "export ASE_IMPACT_DAGSTER_STORAGE=postgresql://": "needs a PostgreSQL server: "
    "tests/integration/test_postgresql_run.py keeps Dagster's storage on one",
}
# PostgreSQL's SQL (```pgsql): run on a real server by tests/integration/test_postgresql_*.py.
POSTGRESQL_BLOCK = "pgsql"

# Servers and daemons, by their whole command: started, probed, stopped. None: alive after
# a wait, then stopped. (A daemon command is recognised by its end.)
SERVERS = {
    "make ui": "http://127.0.0.1:3000/server_info",
    ".venv/bin/ase-impact ui": "http://127.0.0.1:3000/server_info",
    ".venv/bin/ase-impact ui --port 3000": "http://127.0.0.1:3000/server_info",
    ".venv/bin/ase-impact ui --port 3001": "http://127.0.0.1:3001/server_info",
    "make portal": "http://127.0.0.1:8000/connexion",
    ".venv/bin/ase-impact portal --host 127.0.0.1 --port 8000": "http://127.0.0.1:8000/connexion",
    "make docs": "http://127.0.0.1:8080/dbt_docs/",
    ".venv/bin/ase-impact docs": "http://127.0.0.1:8080/dbt_docs/",
    ".venv/bin/ase-impact docs --port 8081": "http://127.0.0.1:8081/dbt_docs/",
}
# A command that starts a server, which a test must not wait for like any other.
SERVER_COMMAND = re.compile(r"(?:make|ase-impact) (?:ui|docs|portal)(?:\s|$)|dagster-daemon run")
DAEMON_END = "dagster-daemon run -m orchestration.definitions"
# What a documented placeholder stands for, made in the clone before its command runs.
PLACEHOLDER_FILES = {
    "chemin/vers/classeur.xlsx": [
        ".venv/bin/ase-impact",
        "template",
        "--association",
        "cap-avenir",
        "--period",
        "2026-10",
        "-o",
        "chemin/vers/classeur.xlsx",
    ]
}
TIMEOUTS = {"make run": 2400, "make install": 1200}
DEFAULT_TIMEOUT = 900
SERVER_START_TIMEOUT = 300


@dataclass(frozen=True)
class Command:
    page: str
    text: str
    kind: str  # "shell", "script" (a whole block: heredoc), "sql", "python" (a whole block)

    def __str__(self) -> str:
        return f"{self.page}: {self.text}"


def _excluded(text: str) -> str | None:
    if text in EXCLUDED:
        return EXCLUDED[text]
    return next(
        (reason for prefix, reason in EXCLUDED_PREFIXES.items() if text.startswith(prefix)), None
    )


def _strip_comment(line: str) -> str:
    return re.sub(r"\s+#\s.*$", "", line).strip()


def documented_commands() -> tuple[list[Command], list[tuple[str, str]]]:
    """The commands to run, in document order, and the (command, reason) excluded."""
    commands, excluded = [], []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        name = page.relative_to(PROJECT_ROOT).as_posix()
        for match in FENCE.finditer(text):
            language, body = match.group(1), match.group(2)
            lines = [line for line in body.splitlines() if line.strip()]
            if language in {"sql", "python"}:
                commands.append(Command(name, body.strip(), language))
                continue
            if language in {"nginx", "ini", POSTGRESQL_BLOCK} or any(
                lines[0].startswith(start) for start in NOT_COMMANDS
            ):
                continue
            if "<<'EOF'" in body:
                commands.append(Command(name, body, "script"))
                continue
            for line in lines:
                command = _strip_comment(line)
                if not command or command.startswith("#"):
                    continue
                assert COMMAND_START.match(command), f"{name}: unclassified code line {line!r}"
                reason = _excluded(command)
                if reason:
                    excluded.append((command, reason))
                elif not any(known.text == command for known in commands):
                    commands.append(Command(name, command, "shell"))
        prose = FENCE.sub("", text)
        for inline in INLINE.findall(prose):
            command = " ".join(inline.split())
            reason = _excluded(command)
            if reason:
                excluded.append((command, reason))
            elif not any(known.text == command for known in commands):
                commands.append(Command(name, command, "shell"))
    return commands, excluded


def test_every_documented_command_is_classified():
    """Fast: what the slow test runs, and that nothing escapes it."""
    commands, excluded = documented_commands()
    texts = [command.text for command in commands]
    assert texts[0] == "make run"  # README's first command, on the fresh clone
    for expected in ("make lint", "make ui", "make docs", "make portal", "make demo-data"):
        assert expected in texts
    assert any(text.startswith("DAGSTER_HOME=$PWD/.dagster_home") for text in texts)
    assert {command for command, _ in excluded} >= {"make test", "make bench"}
    assert all(command.kind == "sql" for command in commands if "SELECT" in command.text)
    servers = [command.text for command in commands if SERVER_COMMAND.search(command.text)]
    unprobed = [text for text in servers if text not in SERVERS and not text.endswith(DAEMON_END)]
    assert not unprobed, f"servers without a probe in SERVERS: {unprobed}"
    assert "make docs" in servers


def _environment(clone: Path) -> dict[str, str]:
    """The machine's environment (its network and certificate settings included) as a
    newcomer's shell has it: no project setting, no virtual environment, the system's PATH."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("ASE_IMPACT_", "DAGSTER_", "PYTEST_", "UV_PROJECT"))
        and name not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "MAKEFLAGS", "MAKELEVEL"}
    }
    return environment | {"PATH": SYSTEM_PATH, "PWD": str(clone)}


def _run(command: str, clone: Path, log: Path, timeout: int) -> str:
    """A command as bash runs it in the clone; passwords typed on a terminal if asked."""
    started = time.monotonic()
    if " portal-user add " in command or " portal-user password " in command:
        return _run_with_terminal(command, clone, timeout)
    result = subprocess.run(
        ["bash", "-c", command],
        cwd=clone,
        env=_environment(clone),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    output = result.stdout + result.stderr
    with open(log, "a", encoding="utf-8") as journal:
        journal.write(f"\n$ {command}  ({time.monotonic() - started:.0f} s)\n{output[-3000:]}")
    assert result.returncode == 0, f"{command} → {result.returncode}\n{output[-4000:]}"
    return output


def _run_with_terminal(command: str, clone: Path, timeout: int) -> str:
    pid, terminal = pty.fork()
    if pid == 0:  # the child: the command, on the terminal
        os.chdir(clone)
        os.execve("/bin/bash", ["bash", "-c", command], _environment(clone))
    output, deadline = b"", time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([terminal], [], [], 1)
        if not ready:
            continue
        try:
            chunk = os.read(terminal, 1024)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
        if chunk.rstrip().endswith(b":"):  # « Mot de passe : », « Confirmez … : »
            os.write(terminal, PASSWORD.encode() + b"\n")
    _, status = os.waitpid(pid, 0)
    text = output.decode(errors="replace")
    assert os.waitstatus_to_exitcode(status) == 0, f"{command}\n{text[-3000:]}"
    return text


def _port_is_free(url: str) -> bool:
    address = urllib.parse.urlsplit(url)
    with socket.socket() as probe:
        return probe.connect_ex((address.hostname, address.port)) != 0


def _serve(command: str, clone: Path, log: Path, probe: str | None) -> str:
    """Start a server as typed, wait for its probe (or 20 s alive), stop it like Ctrl+C; what it
    printed until then."""
    if probe and not _port_is_free(probe):
        pytest.fail(f"{command}: its port is taken on this machine ({probe}); free it first")
    output_file = log.with_name(f"{log.stem}-{abs(hash(command))}.log")
    with open(output_file, "wb") as output:
        process = subprocess.Popen(
            ["bash", "-c", command],
            cwd=clone,
            env=_environment(clone),
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + (SERVER_START_TIMEOUT if probe else 20)
        while time.monotonic() < deadline:
            assert process.poll() is None, f"{command} stopped:\n{output_file.read_text()[-3000:]}"
            if probe:
                try:
                    with urllib.request.urlopen(probe, timeout=5) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
            time.sleep(2)
        else:
            if probe:
                raise AssertionError(f"{command}: {probe} never answered")
    finally:
        # What it printed until it was stopped: a run the daemon launched meanwhile prints its
        # own interruption after that, as it would on an operator's Ctrl+C.
        printed_before_stop = output_file.stat().st_size
        stop_process_group(process, timeout=45)
    text = output_file.read_text(errors="replace")
    with open(log, "a", encoding="utf-8") as journal:
        journal.write(f"\n$ {command}  (server, probed {probe})\n{text[-2000:]}")
    return output_file.read_bytes()[:printed_before_stop].decode(errors="replace")


def _query(sql: str, clone: Path) -> None:
    published = clone / "warehouse" / "ase_impact_published.duckdb"
    with duckdb.connect(str(published), read_only=True) as conn:
        conn.execute(sql).fetchall()


@pytest.mark.slow
def test_every_documented_command_runs_verbatim_on_a_fresh_clone(tmp_path):
    commands, excluded = documented_commands()
    clone = tmp_path / "ase-impact"
    subprocess.run(
        ["git", "clone", "--quiet", "--no-hardlinks", str(PROJECT_ROOT), str(clone)], check=True
    )
    log = tmp_path / "commands.log"
    log.write_text(
        "Excluded:\n" + "".join(f"- {command}: {reason}\n" for command, reason in excluded),
        encoding="utf-8",
    )
    for command in commands:
        if command.kind == "sql":
            _query(command.text, clone)
            continue
        if command.kind == "python":  # run by the project's interpreter, in the clone
            _run(f".venv/bin/python - <<'PYTHON'\n{command.text}\nPYTHON", clone, log, 300)
            continue
        for placeholder, maker in PLACEHOLDER_FILES.items():
            if placeholder in command.text and not (clone / placeholder).exists():
                (clone / placeholder).parent.mkdir(parents=True, exist_ok=True)
                _run(" ".join(maker), clone, log, DEFAULT_TIMEOUT)
        if command.text in SERVERS or command.text.endswith(DAEMON_END):
            output = _serve(command.text, clone, log, SERVERS.get(command.text))
            assert "will not be used" not in output, f"{command}: misleading warning\n{output}"
            assert "Traceback" not in output, f"{command}\n{output[-3000:]}"
        else:
            _run(command.text, clone, log, TIMEOUTS.get(command.text, DEFAULT_TIMEOUT))
    # What the commands were for is there.
    assert (clone / "warehouse" / "ase_impact_published.duckdb").is_file()
    assert (clone / "reports" / "quality" / "index.html").is_file()
    assert (clone / "reports" / "dbt_docs" / "index.html").is_file()
    assert (clone / "outputs" / "modeles" / "cap-avenir.xlsx").is_file()
