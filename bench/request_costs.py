"""CPU time per request of each kind, in process: an ASGI call at a time, with an API token.

Run ``.venv/bin/python bench/request_costs.py --help``. It migrates a fresh database in a
temporary folder, seeds public recipes with ``recipevault demo synth``, makes one account with
a write token (as the soak does), and calls the app in process, one request at a time, through
httpx's ASGI transport: no sockets, no server, no other request waiting. For each kind it
reports the CPU time of the whole process per request (median and mean over ``--requests``
calls, after a warm-up) next to the bare FastAPI endpoint's, so figures from different runs or
machines compare as ratios. Writes are the soak's: create, PATCH with If-Match, restore a
revision; and the others a recipe's editor makes: PUT, trash and take out of the trash.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
import orjson
import uvloop
from asgi_lifespan import LifespanManager
from bare_app import app as bare_app
from databases import database_factory, seed
from servers import BenchError
from soak_checks import create_accounts
from soak_workload import Account, Content

from recipevault.config import Settings
from recipevault.main import create_app

Call = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


def _settings(env: dict[str, str]) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=env["RECIPEVAULT_DATABASE_URL"],
        env="development",
        log_level="WARNING",
        allowed_hosts=["127.0.0.1", "localhost", "testserver"],
        media_dir=Path(env["RECIPEVAULT_MEDIA_DIR"]),
        outbox_dir=Path(env["RECIPEVAULT_OUTBOX_DIR"]),
        cache_dir=Path(env["RECIPEVAULT_CACHE_DIR"]),
        jobs_sqlite_path=Path(env["RECIPEVAULT_MEDIA_DIR"]).parent / "jobs.db",
    )


class Writer:
    """One account's writes, each checked (2xx) and leaving the recipe ready for the next."""

    def __init__(self, account: Account) -> None:
        self.account = account
        self.auth = {"Authorization": f"Bearer {account.token}"}
        recipe = account.recipes[0]
        self.recipe_id = recipe.id
        self.etag = recipe.etag
        self.content = recipe.versions[0]
        self.created = 0
        self.edits = 0
        self.version = 1

    def _checked(self, response: httpx.Response) -> httpx.Response:
        if response.status_code >= 300:
            raise BenchError(f"{response.request.url} answered {response.status_code}")
        if response.request.url.path.startswith(f"/api/v1/recipes/{self.recipe_id}"):
            self.etag = response.headers.get("etag", self.etag)
        return response

    async def get(self, client: httpx.AsyncClient, n: int) -> httpx.Response:
        path = f"/api/v1/recipes/{self.recipe_id}"
        return self._checked(await client.get(path, headers=self.auth))

    async def list(self, client: httpx.AsyncClient, n: int) -> httpx.Response:
        return self._checked(await client.get("/api/v1/recipes?limit=20", headers=self.auth))

    async def search(self, client: httpx.AsyncClient, n: int) -> httpx.Response:
        words = ("chicken", "garlic", "soup", "lemon")
        return self._checked(
            await client.get(f"/api/v1/recipes?q={words[n % len(words)]}", headers=self.auth)
        )

    async def create(self, client: httpx.AsyncClient, n: int) -> httpx.Response:
        self.created += 1
        content = Content.first(self.account.run, self.account.index, 1000 + self.created)
        return self._checked(
            await client.post("/api/v1/recipes", json=content.create_body(), headers=self.auth)
        )

    async def patch(self, client: httpx.AsyncClient, n: int) -> httpx.Response:
        self.edits += 1
        self.content = self.content.edited(self.account.index, self.edits)
        response = await client.patch(
            f"/api/v1/recipes/{self.recipe_id}",
            json=self.content.patch_body(),
            headers={**self.auth, "If-Match": self.etag},
        )
        self.version += 1
        return self._checked(response)

    async def put(self, client: httpx.AsyncClient, n: int) -> httpx.Response:
        self.edits += 1
        self.content = self.content.edited(self.account.index, self.edits)
        body = {**self.content.create_body(), "tags": ["quick", f"tag {n % 3}"]}
        response = await client.put(
            f"/api/v1/recipes/{self.recipe_id}",
            json=body,
            headers={**self.auth, "If-Match": self.etag},
        )
        self.version += 1
        return self._checked(response)

    async def restore(self, client: httpx.AsyncClient, n: int) -> httpx.Response:
        number = max(1, self.version - 2)  # two versions back: a change, so a new version
        response = await client.post(
            f"/api/v1/recipes/{self.recipe_id}/revisions/{number}/restore", headers=self.auth
        )
        self.version = orjson.loads(response.content).get("version", self.version)
        return self._checked(response)

    async def trash(self, client: httpx.AsyncClient, n: int) -> httpx.Response:
        """Trash and take out of the trash: two requests, counted as one."""
        path = f"/api/v1/recipes/{self.recipe_id}"
        self._checked(await client.delete(path, headers=self.auth))
        return self._checked(await client.post(f"{path}/restore", headers=self.auth))


async def _measure(client: httpx.AsyncClient, call: Call, count: int) -> list[float]:
    for n in range(max(3, count // 10)):  # warm-up: caches, compiled statements
        await call(client, n)
    cpu = []
    for n in range(count):
        started = time.process_time()
        await call(client, n)
        cpu.append((time.process_time() - started) * 1000)
    return cpu


async def _bare(count: int) -> list[float]:
    transport = httpx.ASGITransport(app=bare_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:

        async def call(client: httpx.AsyncClient, n: int) -> httpx.Response:
            return await client.get("/json")

        return await _measure(client, call, count)


async def measure(env: dict[str, str], account: Account, kinds: Sequence[str], count: int) -> Any:
    results = {"bare": await _bare(count)}
    app = create_app(_settings(env))
    writer = Writer(account)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            for kind in kinds:
                results[kind] = await _measure(client, getattr(writer, kind), count)
    return results


KINDS = ("get", "list", "search", "create", "patch", "put", "restore", "trash")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--recipes", type=int, default=2000, help="public recipes seeded (2000)")
    parser.add_argument("--requests", type=int, default=200, help="requests per kind (200)")
    parser.add_argument("--only", help=f"comma-separated kinds among {', '.join(KINDS)}")
    args = parser.parse_args(argv)
    args.kinds = KINDS if not args.only else tuple(args.only.split(","))
    if unknown := set(args.kinds) - set(KINDS):
        parser.error(f"no kind {sorted(unknown)}; choose among {', '.join(KINDS)}")
    if not 1 <= args.requests <= 10_000 or not 1 <= args.recipes <= 100_000:
        parser.error("--requests must be 1..10000 and --recipes 1..100000")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        with (
            tempfile.TemporaryDirectory(prefix="recipevault-costs-") as folder,
            database_factory(args.database, Path(folder)) as create_database,
        ):
            url = create_database("costs")
            env = seed(args.database, args.recipes, url, Path(folder))
            accounts = uvloop.run(create_accounts(url, 1, "costs"))
            results = uvloop.run(measure(env, accounts[0], args.kinds, args.requests))
    except BenchError as exc:
        print(f"\nrequest_costs: {exc}", file=sys.stderr)
        return 2
    bare = statistics.median(results["bare"])
    print(f"\n{args.database}, {args.recipes:,} recipes, {args.requests} requests per kind")
    print(f"  {'kind':<10}{'median ms':>11}{'mean ms':>10}{'x bare':>9}")
    for kind, cpu in results.items():
        median = statistics.median(cpu)
        print(f"  {kind:<10}{median:>11.2f}{statistics.fmean(cpu):>10.2f}{median / bare:>9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
