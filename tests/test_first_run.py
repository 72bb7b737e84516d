"""A new site as `make run` starts it (migrate, load the demo kitchen, serve), on a port of its
own and with settings in their JSON form, then used as its first visitor would."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from recipevault.demo import loader
from recipevault.demo.source import DEMO_DATA_PATH
from tests.support.demo import write_demo_data
from tests.support.world import PASSWORD

CLI = [sys.executable, "-m", "recipevault.cli"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def _wait_for(check: object, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{what} within {seconds:g} s")


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """The served site's address and its folder (where `var/` lives, as under `make run`)."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECIPEVAULT_")}
    env |= {
        "RECIPEVAULT_PORT": str(port),
        "RECIPEVAULT_ALLOWED_HOSTS": '["127.0.0.1", "localhost"]',
    }
    wheel = tmp_path / "demo.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        data = write_demo_data(tmp_path / "data.json", count=2)
        archive.write(data, DEMO_DATA_PATH.format(language="en-us"))
    for step in (("db", "upgrade"), ("demo", "load", "--if-empty", "--wheel", str(wheel))):
        done = _cli(*step, env=env, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    server = subprocess.Popen(
        [*CLI, "serve"], env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    address = f"http://127.0.0.1:{port}"
    try:
        _wait_for(
            lambda: httpx.get(f"{address}/health/ready", timeout=1).status_code == 200,
            "the server did not answer",
        )
        yield address, tmp_path
    finally:
        server.send_signal(signal.SIGTERM)
        server.communicate(timeout=30)


@contextmanager
def _signed_in(address: str, email: str, password: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=address, timeout=10) as client:
        response = client.post("/api/v1/auth/session", json={"email": email, "password": password})
        assert response.status_code == 200, response.text
        yield client


def test_the_first_person_to_register_is_the_admin_and_mail_links_come_back_here(
    site: tuple[str, Path],
) -> None:
    address, folder = site
    registered = httpx.post(
        f"{address}/api/v1/auth/register",
        json={"email": "me@example.org", "password": PASSWORD, "display_name": "Me"},
        timeout=10,
    )
    assert registered.status_code == 201, registered.text

    html = {"Accept": "text/html"}
    with _signed_in(address, "me@example.org", PASSWORD) as me:
        assert me.get("/admin", headers=html).status_code == 200
    with _signed_in(address, loader.DEMO_EMAIL, loader.DEMO_PASSWORD) as demo:
        assert demo.get("/admin", headers=html).status_code == 403

    outbox = folder / "var" / "outbox"
    _wait_for(lambda: any(outbox.glob("*.eml")), "no confirmation mail was written")
    (mail,) = outbox.glob("*.eml")
    assert f"{address}/verify-email?token=" in mail.read_text()
