"""Browser tests: the app served by a real uvicorn on 127.0.0.1, driven by Debian's Chromium.

The server runs in a subprocess on a fresh SQLite file migrated with ``recipevault db
upgrade``, in a folder of its own (so no ``.env`` of the developer's is read), and is stopped
by its process id at the end. Chromium is the system one (``playwright install`` downloads
browsers, which these machines cannot); under ``CI=true`` its absence fails the tests.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT_DIR = Path("test-artifacts") / "screenshots"
STARTUP_SECONDS = 30
STOP_SECONDS = 10
# axe-core impact levels a page may not have.
BLOCKING_IMPACTS = frozenset({"serious", "critical"})


def browser_required() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def require_chromium() -> Path:
    """The Chromium binary; fails under CI and skips elsewhere when it is missing."""
    if CHROMIUM.exists():
        return CHROMIUM
    message = (
        f"{CHROMIUM} not found: install Debian's 'chromium' package (apt-get install chromium)"
    )
    if browser_required():
        pytest.fail(f"CI=true requires the browser tests to run, but {message}", pytrace=False)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class LiveServer:
    url: str
    pid: int
    workdir: Path
    log_path: Path

    @property
    def outbox(self) -> Path:
        return self.workdir / "outbox"

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def _server_environment(workdir: Path, port: int) -> dict[str, str]:
    # Only this run's settings: nothing inherited from the developer's shell.
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("RECIPEVAULT_") and key != "PROMETHEUS_MULTIPROC_DIR"
    }
    environment.update(
        {
            "RECIPEVAULT_ENV": "test",
            "RECIPEVAULT_DATABASE_URL": f"sqlite:///{workdir / 'recipevault.db'}",
            "RECIPEVAULT_MEDIA_DIR": str(workdir / "media"),
            "RECIPEVAULT_CACHE_DIR": str(workdir / "cache"),
            "RECIPEVAULT_OUTBOX_DIR": str(workdir / "outbox"),
            "RECIPEVAULT_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "RECIPEVAULT_ALLOWED_HOSTS": "127.0.0.1,localhost",
            # Plain http on the loopback: cookies without the Secure flag.
            "RECIPEVAULT_SESSION_COOKIE_SECURE": "false",
            "RECIPEVAULT_ARGON2_TIME_COST": "1",
            "RECIPEVAULT_ARGON2_MEMORY_KIB": "64",
            "RECIPEVAULT_ARGON2_PARALLELISM": "1",
            "RECIPEVAULT_LOG_LEVEL": "WARNING",
        }
    )
    return environment


def _wait_until_ready(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the server exited with {process.returncode}:\n"
                + log_path.read_text(errors="replace")
            )
        try:
            if httpx.get(f"{url}/health/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(
        f"the server did not become ready in {STARTUP_SECONDS}s:\n"
        + log_path.read_text(errors="replace")
    )


def _stop(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return


def _end(process: subprocess.Popen[bytes]) -> None:
    _stop(process.pid)
    try:
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()


@contextmanager
def live_server(
    workdir: Path, *, settings: dict[str, str] | None = None, with_worker: bool = False
) -> Iterator[LiveServer]:
    """Migrate a new database and serve the app on a free port until the block ends; with
    ``with_worker`` a job worker runs beside it. ``settings`` are extra environment values."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    environment = {**_server_environment(workdir, port), **(settings or {})}
    command = Path(sys.executable).with_name("recipevault")
    migrated = subprocess.run(
        [str(command), "db", "upgrade"],
        cwd=workdir,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if migrated.returncode != 0:
        raise RuntimeError(f"recipevault db upgrade failed:\n{migrated.stdout}{migrated.stderr}")
    log_path = workdir / "server.log"
    commands = [
        [
            sys.executable,
            *("-m", "uvicorn", "recipevault.main:app"),
            *("--host", "127.0.0.1", "--port", str(port), "--no-access-log"),
        ]
    ]
    if with_worker:
        commands.append([sys.executable, "-m", "recipevault", "worker", "--concurrency", "1"])
    processes = []
    for number, arguments in enumerate(commands):
        with (log_path if number == 0 else workdir / "worker.log").open("wb") as log:
            processes.append(
                subprocess.Popen(
                    arguments, cwd=workdir, env=environment, stdout=log, stderr=subprocess.STDOUT
                )
            )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(url, processes[0], log_path)
        yield LiveServer(url=url, pid=processes[0].pid, workdir=workdir, log_path=log_path)
    finally:
        for process in reversed(processes):
            _end(process)


def screenshot_path(root: Path, test_name: str) -> Path:
    """Where a failed test's screenshot goes: ``test-artifacts/screenshots/<test>.png``."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", test_name).strip("_")
    return root / SCREENSHOT_DIR / f"{safe}.png"


def _describe(violation: dict[str, Any]) -> str:
    targets = [", ".join(map(str, node.get("target", []))) for node in violation["nodes"]]
    return (
        f"- {violation['id']} ({violation['impact']}): {violation['help']}\n"
        f"  {violation.get('helpUrl', '')}\n"
        + "".join(f"  at {target}\n" for target in targets[:5])
    )


def assert_accessible(page: Any) -> None:
    """Run axe-core on the page; serious or critical violations fail the test."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"axe found problems on {page.url}:\n" + "".join(
        _describe(v) for v in blocking
    )


def fits_viewport(page: Any) -> bool:
    """No sideways scrolling: nothing is wider than the window."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def run_cli(server: LiveServer, *args: str) -> str:
    """Run the ``recipevault`` command against the live server's database (to make an admin,
    say) and return what it printed."""
    port = int(server.url.rsplit(":", 1)[1])
    command = Path(sys.executable).with_name("recipevault")
    finished = subprocess.run(
        [str(command), *args],
        cwd=server.workdir,
        env=_server_environment(server.workdir, port),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if finished.returncode != 0:
        raise RuntimeError(f"recipevault {' '.join(args)} failed:\n{finished.stderr}")
    return finished.stdout
