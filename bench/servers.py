"""Start servers on 127.0.0.1 and stop them by their pid.

A figure from one run only means something next to a figure from the same run, so this module
makes pairs cheap: servers started with identical uvicorn options. They must answer within a
deadline and are stopped by their pid on the way out (also on errors and Ctrl-C).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

HOST = "127.0.0.1"
STARTUP_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
# Variables that would make a server read something other than what the bench hands it.
INHERITED_PREFIXES = ("RECIPEVAULT_", "PROMETHEUS_MULTIPROC_DIR")


class BenchError(RuntimeError):
    """A failure the person running the bench must see in one message, after which it stops."""


def clean_environment(overrides: Mapping[str, str]) -> dict[str, str]:
    """The current environment without RecipeVault settings, plus ``overrides``.

    A ``RECIPEVAULT_REDIS_URL`` or ``.env``-style variable left in a shell would silently change
    what is measured, so the bench states every setting it depends on.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(INHERITED_PREFIXES)}
    env.update(overrides)
    return env


def free_port() -> int:
    """A port on 127.0.0.1 nobody listens on right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class ServerSpec:
    """What to serve; the uvicorn options are not here because both sides of a pair share them."""

    name: str
    target: str
    ready_path: str
    env: Mapping[str, str] = field(default_factory=dict)
    app_dir: Path | None = None
    workers: int = 1
    # "recipevault serve": the command operators run (``target`` and ``app_dir`` unused).
    cli: bool = False


@dataclass(frozen=True)
class Server:
    name: str
    base_url: str
    pid: int
    log_path: Path


def serve_command(spec: ServerSpec, port: int) -> list[str]:
    if not spec.cli:
        return uvicorn_command(spec, port)
    command = [sys.executable, "-m", "recipevault", "serve", "--host", HOST, "--port", str(port)]
    return [*command, "--workers", str(spec.workers)]


def uvicorn_command(spec: ServerSpec, port: int) -> list[str]:
    command = [sys.executable, "-m", "uvicorn", spec.target, "--host", HOST, "--port", str(port)]
    command += ["--workers", str(spec.workers), "--no-access-log", "--log-level", "warning"]
    # uvicorn[standard] provides both; naming them makes a missing one an error, not a slowdown.
    command += ["--loop", "uvloop", "--http", "httptools"]
    if spec.app_dir is not None:
        command += ["--app-dir", str(spec.app_dir)]
    return command


@contextmanager
def running_server(
    spec: ServerSpec, *, work_dir: Path, startup_timeout_s: float = STARTUP_TIMEOUT_S
) -> Iterator[Server]:
    """Serve ``spec`` until the block ends; the process is stopped whatever happens inside."""
    port = free_port()
    log_path = work_dir / f"{spec.name}-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter with arguments we built
            serve_command(spec, port),
            cwd=work_dir,  # no stray .env or ./var from the caller's directory
            env=clean_environment(spec.env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Its own process group: Ctrl-C reaches only us, and we decide how it stops.
            start_new_session=True,
        )
    try:
        base_url = f"http://{HOST}:{port}"
        wait_until_ready(process, base_url + spec.ready_path, log_path, startup_timeout_s)
        yield Server(name=spec.name, base_url=base_url, pid=process.pid, log_path=log_path)
    finally:
        stop_process(process)


def wait_until_ready(
    process: subprocess.Popen[bytes], url: str, log_path: Path, timeout_s: float
) -> None:
    """Poll ``url`` until it answers 200, the process dies, or ``timeout_s`` passes."""
    deadline = time.monotonic() + timeout_s
    with httpx.Client(timeout=1.0, trust_env=False) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise BenchError(f"server exited with {process.returncode}:\n{_tail(log_path)}")
            try:
                if client.get(url).status_code == httpx.codes.OK:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise BenchError(f"{url} did not answer 200 within {timeout_s:.0f} s:\n{_tail(log_path)}")


def stop_process(process: subprocess.Popen[bytes], timeout_s: float = STOP_TIMEOUT_S) -> None:
    """SIGTERM by pid (uvicorn shuts down gracefully), then SIGKILL to its group if it lingers."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        # Still unreaped, so the pid (and the group it leads) cannot have been reused yet.
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout_s)


def _tail(path: Path, limit: int = 2000) -> str:
    return path.read_text(errors="replace")[-limit:].strip() if path.exists() else ""


def group_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by the live processes of the group ``pid`` leads
    (a server and its workers), from /proc; 0 where /proc is not there."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        # After the name: state, ppid, pgrp, ... utime and stime are the 12th and 13th.
        if int(fields[2]) == pid:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def require_local(base_url: str) -> None:
    """Refuse any address but 127.0.0.1: loads are only ever put on our own servers."""
    if urlsplit(base_url).hostname != HOST:
        raise BenchError(f"refusing to load {base_url}: the bench only talks to {HOST}")
