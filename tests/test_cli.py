from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

CLI = [sys.executable, "-m", "recipevault.cli"]


def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("RECIPEVAULT_")}
    full_env.update(env or {})
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def test_help_lists_commands() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("serve", "db", "users", "version"):
        assert command in result.stdout
    db_help = run_cli("db", "--help")
    for command in ("upgrade", "downgrade", "current"):
        assert command in db_help.stdout


def test_version() -> None:
    from recipevault import __version__

    result = run_cli("version")
    assert result.returncode == 0
    assert result.stdout.strip() == __version__


def test_db_upgrade_current_downgrade(tmp_path: Path) -> None:
    env = {"RECIPEVAULT_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db"}
    assert run_cli("db", "current", env=env).stdout.startswith("(empty database")
    assert run_cli("db", "upgrade", env=env).returncode == 0
    current = run_cli("db", "current", env=env)
    assert current.returncode == 0
    assert current.stdout.strip() not in ("", "(empty database: no revision)")
    assert run_cli("db", "downgrade", "base", env=env).returncode == 0
    assert run_cli("db", "current", env=env).stdout.startswith("(empty database")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"RECIPEVAULT_ENV": "production"}, "RECIPEVAULT_SECRET_KEY"),
        ({"RECIPEVAULT_DATABASE_URL": "mysql://x/y"}, "unsupported database scheme"),
        (
            {"RECIPEVAULT_DATABASE_URL": "postgresql://nobody@/x?host=/nonexistent"},
            "database error",
        ),
    ],
)
def test_errors_are_one_line_and_non_zero(env: dict[str, str], expected: str) -> None:
    result = run_cli("db", "upgrade", env=env)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]
    assert "Traceback" not in result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_answers_and_stops(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "RECIPEVAULT_DATABASE_URL": f"sqlite:///{tmp_path}/serve.db",
        "RECIPEVAULT_PORT": str(port),
    }
    assert run_cli("db", "upgrade", env=env).returncode == 0
    process = subprocess.Popen(
        [*CLI, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 30
        response = None
        while time.monotonic() < deadline:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert response is not None, "server did not start within 30 s"
        assert response.status_code == 200
    finally:
        os.kill(process.pid, signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    # uvicorn shuts down gracefully, then re-raises the signal it caught.
    assert process.returncode in (0, -signal.SIGTERM)
    assert b'"message": "started"' in output
    assert b'"message": "stopped"' in output


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def _serving(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health/live", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_serve_with_worker_stops_its_worker(tmp_path: Path, stop: signal.Signals) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "RECIPEVAULT_DATABASE_URL": f"sqlite:///{tmp_path}/serve.db",
        "RECIPEVAULT_JOBS_SQLITE_PATH": f"{tmp_path}/jobs.db",
        "RECIPEVAULT_PORT": str(port),
    }
    assert run_cli("db", "upgrade", env=env).returncode == 0
    process = subprocess.Popen(
        [*CLI, "serve", "--with-worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers: list[int] = []
    try:
        # Signalled once both run: until uvicorn takes SIGINT over, the server keeps the
        # disposition it inherited, and a shell's background job inherits SIGINT ignored.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (workers and _serving(port)):
            workers = _children(process.pid)
            time.sleep(0.1)
        assert workers, "no worker process started within 30 s"
        assert _serving(port), "the server did not answer within 30 s"
        cmdline = Path(f"/proc/{workers[0]}/cmdline").read_bytes().split(b"\0")
        assert b"worker" in cmdline
    finally:
        process.send_signal(stop)
        process.wait(timeout=60)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and Path(f"/proc/{workers[0]}").exists():
        time.sleep(0.1)
    assert not Path(f"/proc/{workers[0]}").exists(), "the worker outlived the server"


def test_users_create(tmp_path: Path) -> None:
    env = {"RECIPEVAULT_DATABASE_URL": f"sqlite:///{tmp_path}/users.db"}
    assert run_cli("db", "upgrade", env=env).returncode == 0
    args = ("users", "create", "--email", "Boss@Example.org", "--name", "Boss")
    created = run_cli(*args, "--password", "correct horse battery", "--admin", env=env)
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == "created user 1 <boss@example.org> as admin"
    second = run_cli(
        "users",
        "create",
        "--email",
        "cook@example.org",
        "--name",
        "Cook",
        "--password",
        "correct horse battery",
        env=env,
    )
    assert second.stdout.strip().endswith("as member")


@pytest.mark.parametrize(
    ("email", "password", "expected"),
    [
        ("dup@example.org", "correct horse battery", "already exists"),
        ("x@example.org", "password123", "most common passwords"),
        ("not-an-email", "correct horse battery", "email: An email address must have an @-sign"),
    ],
)
def test_users_create_errors_are_one_line(
    tmp_path: Path, email: str, password: str, expected: str
) -> None:
    env = {"RECIPEVAULT_DATABASE_URL": f"sqlite:///{tmp_path}/users.db"}
    run_cli("db", "upgrade", env=env)
    run_cli(
        "users",
        "create",
        "--email",
        "dup@example.org",
        "--name",
        "D",
        "--password",
        "correct horse battery",
        env=env,
    )
    result = run_cli(
        "users", "create", "--email", email, "--name", "N", "--password", password, env=env
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert expected in lines[0]
