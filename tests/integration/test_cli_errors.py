"""One line, the documented exit code, never a traceback: for every command and every failure.

The commands are read from the typer app, so a command added later is covered here without
anyone editing this file: bad arguments, bad settings and a corrupted database each end as
one line on stderr with the code README's "Exit codes" gives.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command

from cli.app import app, main
from tests.conftest import EXAMPLES, run_cli
from tests.servers.github_server import GitHubServer

COMMANDS = sorted(get_command(app).commands)  # type: ignore[attr-defined]
USAGE, CONFIG, DECISION, STORE = 2, 2, 5, 8
DOCUMENTED = {1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 130}


def _minimal_args(name: str) -> list[str]:
    """Arguments that get ``name`` past argument parsing: its required ones, filled in."""
    command = get_command(app).commands[name]  # type: ignore[attr-defined]
    args: list[str] = [name]
    for param in command.params:
        if not param.required:
            continue
        if param.param_type_name == "argument":
            args.append(str(EXAMPLES / "naming.diff") if param.name == "target" else "0123abcd")
        else:
            args += [param.opts[0], "x"]
    return args


@dataclass
class Ran:
    returncode: int
    stderr: str


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    """Run ``review-panel ARGS`` in this process, through the console script's ``main``.

    The same code path as a new process (``main`` -> ``guarded`` -> the command -> ``_run``),
    without paying a Python start-up per case; ``test_the_console_script_...`` checks a real
    process too.
    """

    def run(*args: str, env: dict[str, str]) -> Ran:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(sys, "argv", ["review-panel", *args])
        capsys.readouterr()
        with pytest.raises(SystemExit) as exited:
            main()
        return Ran(int(exited.value.code or 0), capsys.readouterr().err)

    return run


def _one_line(proc: subprocess.CompletedProcess[str] | Ran) -> str:
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("review-panel: error: "), lines[0]
    return lines[0]


def test_the_commands_are_found() -> None:
    assert {"review", "show", "threads", "approve", "reject", "resume"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_bad_arguments_are_one_line_and_exit_2(
    command: str, cli_env: dict[str, str], cli: Any
) -> None:
    proc = cli(*_minimal_args(command), "--no-such-option", env=cli_env)
    assert "No such option: --no-such-option" in _one_line(proc)
    assert proc.returncode == USAGE


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("REVIEW_PANEL_TIMEOUT", "nan"),
        ("GITHUB_API_URL", "ftp://ghe.example/api/v3"),
        ("REVIEW_PANEL_GITHUB_MAX_WAIT", "abc"),
    ],
)
@pytest.mark.parametrize("command", COMMANDS)
def test_a_bad_setting_stops_every_command_naming_it(
    command: str, name: str, value: str, cli_env: dict[str, str], cli: Any
) -> None:
    proc = cli(*_minimal_args(command), env={**cli_env, name: value})
    assert name in _one_line(proc)
    assert proc.returncode == CONFIG


@pytest.mark.parametrize("command", COMMANDS)
def test_a_corrupted_database_is_one_line_for_every_command(
    command: str, cli_env: dict[str, str], tmp_path: Path, cli: Any
) -> None:
    corrupted = _corrupted(tmp_path)
    proc = cli(*_minimal_args(command), env={**cli_env, "REVIEW_PANEL_DB": str(corrupted)})
    if proc.returncode == 0:  # a command that never opens the database
        return
    line = _one_line(proc)
    assert proc.returncode in DOCUMENTED
    if command in ("review", "show", "threads", "approve", "reject", "resume"):
        assert proc.returncode == STORE
        assert f"cannot use the checkpoint database {corrupted}" in line


def _corrupted(folder: Path) -> Path:
    corrupted = folder / "corrupted.sqlite"
    corrupted.write_bytes(b"this is not SQLite at all\n" * 400)
    return corrupted


@pytest.mark.parametrize("command", ["review", "threads", "show", "approve"])
def test_the_console_script_reports_a_corrupted_database_in_one_line(
    command: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**cli_env, "REVIEW_PANEL_DB": str(_corrupted(tmp_path))}
    proc = run_cli(*_minimal_args(command), env=env, stdin="")
    assert "cannot use the checkpoint database" in _one_line(proc)
    assert proc.returncode == STORE


@pytest.mark.parametrize(
    ("db", "says"),
    [("{tmp}", "is a directory"), ("/proc/review-panel.sqlite", "cannot use the checkpoint")],
    ids=["directory", "unwritable"],
)
def test_db_that_cannot_be_used_is_one_line(
    cli_env: dict[str, str], tmp_path: Path, db: str, says: str, cli: Any
) -> None:
    proc = cli("threads", "--db", db.format(tmp=tmp_path), env=cli_env)
    assert says in _one_line(proc)
    assert proc.returncode == STORE


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"summary: [unclosed\n", "is not valid YAML/JSON at line"),
        (None, "cannot read edit file"),
        ("directory", "cannot read edit file"),
        (b"summary: caf\xe9\n", "is not UTF-8"),
        (b"- a\n- b\n", "must be a mapping"),
        (b"just a sentence\n", "must be a mapping"),
    ],
    ids=["malformed", "missing", "directory", "not-utf8", "list", "scalar"],
)
def test_an_unusable_edit_file_is_one_line(
    cli_env: dict[str, str], tmp_path: Path, content: bytes | str | None, says: str, cli: Any
) -> None:
    edit = tmp_path / "edit.yaml"
    if content == "directory":
        edit.mkdir()
    elif isinstance(content, bytes):
        edit.write_bytes(content)
    proc = cli("approve", "0123abcd", "--edit", str(edit), env=cli_env)
    assert says in _one_line(proc)
    assert proc.returncode == DECISION


@pytest.mark.parametrize(
    "url", ["notaurl", "ftp://ghe.example/api/v3", "https://ghe.example:70000/api/v3"]
)
def test_a_bad_github_api_url_is_one_line(cli_env: dict[str, str], url: str, cli: Any) -> None:
    proc = cli("review", "octo/demo#1", env={**cli_env, "GITHUB_API_URL": url})
    assert "GITHUB_API_URL" in _one_line(proc)
    assert proc.returncode == CONFIG


def test_approve_checks_the_out_path_before_posting(
    github_env: dict[str, str], github_server: GitHubServer
) -> None:
    github_server.add_pull("octo", "demo", 5, (EXAMPLES / "sql_injection.diff").read_text())
    started = run_cli("review", "octo/demo#5", "--json", env=github_env)
    assert started.returncode == 0, started.stderr
    thread = json.loads(started.stdout)["thread_id"]
    proc = run_cli("approve", thread, "--out", "/no/such/dir/f.md", env=github_env)
    assert "/no/such/dir" in _one_line(proc)
    assert proc.returncode == CONFIG
    assert github_server.reviews("octo", "demo", 5) == []  # nothing was published
    shown = json.loads(run_cli("show", thread, "--json", env=github_env).stdout)
    assert shown["status"] == "awaiting approval"


def test_reject_without_a_reason_is_one_line_naming_the_option(
    cli_env: dict[str, str], cli: Any
) -> None:
    proc = cli("reject", "0123abcd", env=cli_env)
    line = _one_line(proc)
    assert line.startswith("review-panel: error: Missing option '--reason'. (see `")
    assert line.endswith("reject --help`)")
    assert proc.returncode == USAGE
