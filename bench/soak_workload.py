"""The soak's clients: each one account with its own token, one keep-alive connection, and a
record of every write it made, so that what the server acknowledged can be checked afterwards.

A client sends its next request as soon as the last one is answered (a closed loop, no pause):
70% reads (one recipe, a page of the list, a search, a recipe page), 30% writes (create, PATCH
with If-Match, restore a revision). Writes go to the client's own recipes only, one at a time,
so the state each acknowledged write leaves is known exactly.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import orjson
from paced import read_response
from servers import require_local

MIX = {
    "get": 0.175,
    "list": 0.175,
    "search": 0.175,
    "page": 0.175,
    "create": 0.10,
    "patch": 0.12,
    "restore": 0.08,
}
READS = ("get", "list", "search", "page")
WRITES = ("create", "patch", "restore")
SEARCH_WORDS = ("chicken", "chocolate cake", "garlic", "soup", "lemon", "bread", "rice", "salad")


@dataclass(frozen=True, slots=True)
class Content:
    """What a client sets on a recipe, and later expects to read back."""

    title: str
    description: str
    ingredients: tuple[str, ...]
    steps: tuple[str, ...]

    @classmethod
    def first(cls, run: str, client: int, number: int) -> Content:
        return cls(
            title=f"Soak {run} client {client} recipe {number}",
            description=f"Created by client {client}.",
            ingredients=("2 cups flour", "1 egg", f"{number + 1} tbsp sugar"),
            steps=("Mix everything.", f"Bake for {20 + number % 30} minutes."),
        )

    def edited(self, client: int, edit: int) -> Content:
        return Content(
            title=self.title,
            description=f"Edit {edit} by client {client}.",
            ingredients=(*self.ingredients[:2], f"{edit % 9 + 1} g salt"),
            steps=(f"Step {edit}: mix.", *self.steps[1:]),
        )

    def create_body(self) -> dict[str, Any]:
        return {"title": self.title, "visibility": "private", **self.patch_body()}

    def patch_body(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "ingredients": [{"text": text} for text in self.ingredients],
            "steps": [{"text": text} for text in self.steps],
        }

    @classmethod
    def read(cls, document: dict[str, Any]) -> Content:
        return cls(
            title=document["title"],
            description=document["description"],
            ingredients=tuple(line["text"] for line in document["ingredients"]),
            steps=tuple(step["text"] for step in document["steps"]),
        )


@dataclass(slots=True)
class TrackedRecipe:
    id: int
    etag: str
    # versions[n - 1] is the content of version n: every acknowledged write adds one.
    versions: list[Content]
    # A write to it whose outcome is unknown (no answer): it is no longer checked exactly.
    doubtful: bool = False


@dataclass(slots=True)
class Account:
    run: str
    index: int
    token: str
    recipes: list[TrackedRecipe]
    # Creates tried so far (each gets a title of its own, whatever became of the ones before).
    attempts: int = 1
    # Titles of creates that failed with a status, and of those that got no answer.
    failed_creates: list[str] = field(default_factory=list)
    unanswered_creates: list[str] = field(default_factory=list)
    creates: int = 0
    edits: int = 0


@dataclass
class Tally:
    """Latency of every answered request by kind, statuses by kind, and what went wrong."""

    latencies_ms: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in MIX})
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    transport_errors: Counter[str] = field(default_factory=Counter)
    # Acknowledged writes whose response did not hold what was sent.
    wrong_answers: list[str] = field(default_factory=list)


class BadAnswer(Exception):
    pass


class Connection:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1, reopened after a failure."""

    def __init__(self, base_url: str, timeout_s: float) -> None:
        require_local(base_url)
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.netloc = parts.netloc
        self.timeout_s = timeout_s
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.netloc}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if body is not None:
            lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
        data = ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")
        try:
            async with asyncio.timeout(self.timeout_s):
                if self.streams is None:
                    self.streams = await asyncio.open_connection(self.host, self.port)
                reader, writer = self.streams
                writer.write(data)
                return await read_response(reader)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


TRANSPORT_ERRORS = (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError)


@dataclass(frozen=True)
class Targets:
    """What reads ask for besides a client's own recipes: public recipe pages."""

    page_slugs: tuple[str, ...]


class Client:
    def __init__(
        self,
        account: Account,
        connection: Connection,
        targets: Targets,
        tally: Tally,
        rng: random.Random,
    ) -> None:
        self.account = account
        self.connection = connection
        self.targets = targets
        self.tally = tally
        self.rng = rng
        self.auth = {"Authorization": f"Bearer {account.token}"}

    async def run(self, deadline: float, max_requests: int) -> None:
        kinds, weights = list(MIX), list(MIX.values())
        sent = 0
        while time.perf_counter() < deadline and sent < max_requests:
            sent += 1
            kind = self.rng.choices(kinds, weights)[0]
            await self.one(kind)
        self.connection.close()

    async def one(self, kind: str) -> None:
        writable = [r for r in self.account.recipes if not r.doubtful]
        if kind == "restore" and not any(len(r.versions) > 1 for r in writable):
            kind = "patch"  # nothing to restore yet
        if kind in ("get", "patch", "restore") and not writable:
            kind = "create"
        action = getattr(self, kind)
        started = time.perf_counter()
        try:
            status = await action(writable)
        except TRANSPORT_ERRORS:
            self.tally.transport_errors[kind] += 1
            return
        except BadAnswer as exc:
            self.tally.wrong_answers.append(f"{kind}: {exc}")
            return
        self.tally.latencies_ms[kind].append((time.perf_counter() - started) * 1000)
        self.tally.statuses[(kind, status)] += 1

    async def _read(self, path: str, *, signed_in: bool = True) -> int:
        status, _, _ = await self.connection.request(
            "GET", path, headers=self.auth if signed_in else None
        )
        return status

    async def get(self, writable: list[TrackedRecipe]) -> int:
        return await self._read(f"/api/v1/recipes/{self.rng.choice(writable).id}")

    async def list(self, writable: list[TrackedRecipe]) -> int:
        return await self._read("/api/v1/recipes?limit=20")

    async def search(self, writable: list[TrackedRecipe]) -> int:
        return await self._read(f"/api/v1/recipes?q={quote(self.rng.choice(SEARCH_WORDS))}")

    async def page(self, writable: list[TrackedRecipe]) -> int:
        return await self._read(
            f"/recipes/{self.rng.choice(self.targets.page_slugs)}", signed_in=False
        )

    async def create(self, writable: list[TrackedRecipe]) -> int:
        account = self.account
        content = Content.first(account.run, account.index, account.attempts)
        account.attempts += 1
        body = orjson.dumps(content.create_body())
        try:
            status, headers, answer = await self.connection.request(
                "POST", "/api/v1/recipes", headers=self.auth, body=body
            )
        except TRANSPORT_ERRORS:
            account.unanswered_creates.append(content.title)
            raise
        if status != 201:
            account.failed_creates.append(content.title)
            return status
        document = self._acknowledged(answer, content, version=1)
        account.recipes.append(TrackedRecipe(document["id"], headers["etag"], [content]))
        account.creates += 1
        return status

    async def patch(self, writable: list[TrackedRecipe]) -> int:
        recipe = self.rng.choice(writable)
        self.account.edits += 1
        content = recipe.versions[-1].edited(self.account.index, self.account.edits)
        return await self._edit(
            recipe, "PATCH", f"/api/v1/recipes/{recipe.id}", content, content.patch_body()
        )

    async def restore(self, writable: list[TrackedRecipe]) -> int:
        recipe = self.rng.choice([r for r in writable if len(r.versions) > 1])
        number = self.rng.randrange(1, len(recipe.versions))
        path = f"/api/v1/recipes/{recipe.id}/revisions/{number}/restore"
        return await self._edit(recipe, "POST", path, recipe.versions[number - 1], None)

    async def _edit(
        self,
        recipe: TrackedRecipe,
        method: str,
        path: str,
        content: Content,
        body: dict[str, Any] | None,
    ) -> int:
        headers = {**self.auth, "If-Match": recipe.etag}
        encoded = orjson.dumps(body) if body is not None else None
        try:
            status, answer_headers, answer = await self.connection.request(
                method, path, headers=headers, body=encoded
            )
        except TRANSPORT_ERRORS:
            recipe.doubtful = True
            raise
        if status == 200:
            # Restoring the version that is current already changes nothing: no new version.
            changes = content != recipe.versions[-1]
            try:
                self._acknowledged(answer, content, version=len(recipe.versions) + changes)
            except BadAnswer:
                recipe.doubtful = True
                raise
            if changes:
                recipe.versions.append(content)
            recipe.etag = answer_headers["etag"]
        return status

    @staticmethod
    def _acknowledged(answer: bytes, content: Content, *, version: int) -> dict[str, Any]:
        document: dict[str, Any] = orjson.loads(answer)
        if Content.read(document) != content or document["version"] != version:
            raise BadAnswer(f"recipe {document.get('id')} answered {document!r:.300}")
        return document
