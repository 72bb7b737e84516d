"""The soak's accounts, made before the server starts, and the check after it: every write the
server acknowledged is in the database exactly as sent, and no failed write left rows behind.

Accounts are made through RecipeVault's own services, in one transaction, with a cheap password
hash (the clients use API tokens; the cost of Argon2 is not what the soak measures).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field

import orjson
from soak_workload import Account, Connection, Content, TrackedRecipe
from sqlalchemy import text

from recipevault.accounts.auth import actor_for_job
from recipevault.accounts.passwords import PasswordHasher
from recipevault.accounts.schemas import ApiTokenCreate, UserCreate
from recipevault.accounts.tokens import create_api_token
from recipevault.clock import utcnow
from recipevault.config import Settings
from recipevault.db import Database
from recipevault.recipes.documents import stored_recipe
from recipevault.recipes.schemas import RecipeCreate
from recipevault.recipes.service import create_recipe
from recipevault.registration.service import register_user

CHECK_CONNECTIONS = 16
CHECK_RETRY_WAITS = (0.5, 1, 2, 4, 8)


def _settings(database_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=database_url,
        argon2_time_cost=1,
        argon2_memory_kib=8,
        argon2_parallelism=1,
    )


async def create_accounts(
    database_url: str, count: int, run: str, *, used_now: bool = False
) -> list[Account]:
    """``count`` members, each with a write token and one private recipe. The tokens have never
    been used (each one's first use marks it), or with ``used_now`` were just used."""
    database = Database.from_settings(_settings(database_url))
    hasher = PasswordHasher(time_cost=1, memory_kib=8, parallelism=1)
    accounts = []
    try:
        async with database.session() as session:
            for index in range(count):
                user = await register_user(
                    session,
                    data=UserCreate(
                        email=f"soak-{run}-{index}@example.org",
                        password=f"soak password {run} {index}",
                        display_name=f"Soak client {index}",
                    ),
                    hasher=hasher,
                    registration_open=True,
                    ip=None,
                )
                record, token = await create_api_token(
                    session,
                    user=user,
                    data=ApiTokenCreate(name="soak", scopes=["read", "write"]),
                    ip=None,
                )
                if used_now:
                    record.last_used_at = utcnow()
                actor = await actor_for_job(session, user.id)
                assert actor is not None
                content = Content.first(run, index, 0)
                recipe = await create_recipe(
                    session, actor=actor, data=RecipeCreate.model_validate(content.create_body())
                )
                stored = await stored_recipe(session, recipe.id)
                assert stored is not None
                etag = stored.etag
                accounts.append(
                    Account(run, index, token, [TrackedRecipe(recipe.id, etag, [content])])
                )
            await session.commit()
    finally:
        await database.dispose()
    return accounts


@dataclass
class Verdict:
    """What the database holds against what the clients were told."""

    recipes_checked: int = 0
    writes_acknowledged: int = 0
    doubtful: int = 0
    problems: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    def problem(self, kind: str, example: str) -> None:
        self.problems[kind] += 1
        if len(self.examples) < 10:
            self.examples.append(f"{kind}: {example}")

    @property
    def lost_or_partial(self) -> int:
        return sum(self.problems.values())


async def verify(base_url: str, database_url: str, accounts: list[Account]) -> Verdict:
    verdict = Verdict()
    tracked = [(a, r) for a in accounts for r in a.recipes]
    verdict.writes_acknowledged = sum(a.creates + len(r.versions) - 1 for a, r in tracked)
    verdict.doubtful = sum(r.doubtful for _, r in tracked)
    await _check_documents(base_url, [(a, r) for a, r in tracked if not r.doubtful], verdict)
    await _check_rows(database_url, accounts, verdict)
    return verdict


async def _check_documents(
    base_url: str, tracked: list[tuple[Account, TrackedRecipe]], verdict: Verdict
) -> None:
    """Each recipe read back with its owner's token: the content and version of the last
    acknowledged write, and one revision per version before it."""
    queue: asyncio.Queue[tuple[Account, TrackedRecipe]] = asyncio.Queue()
    for item in tracked:
        queue.put_nowait(item)

    async def checker() -> None:
        connection = Connection(base_url, timeout_s=60)
        try:
            while not queue.empty():
                account, recipe = queue.get_nowait()
                auth = {"Authorization": f"Bearer {account.token}"}
                path = f"/api/v1/recipes/{recipe.id}"
                status, _, body = await connection.request("GET", path, headers=auth)
                for wait in CHECK_RETRY_WAITS:  # a busy server is not a lost recipe
                    if status < 500:
                        break
                    await asyncio.sleep(wait)
                    status, _, body = await connection.request("GET", path, headers=auth)
                if status != 200:
                    verdict.problem("lost recipe", f"{recipe.id} answers {status}")
                    continue
                document = orjson.loads(body)
                expected = len(recipe.versions)
                if Content.read(document) != recipe.versions[-1] or document["version"] != expected:
                    verdict.problem(
                        "lost or extra write",
                        f"{recipe.id} is version {document['version']} "
                        f"({Content.read(document)}), expected {expected}",
                    )
                verdict.recipes_checked += 1
        finally:
            connection.close()

    await asyncio.gather(*(checker() for _ in range(CHECK_CONNECTIONS)))


async def _check_rows(database_url: str, accounts: list[Account], verdict: Verdict) -> None:
    """Straight from the tables: no recipe but those acknowledged (or unanswered), and each
    with exactly its revisions, ingredient lines and steps."""
    run = accounts[0].run if accounts else ""
    database = Database.from_settings(_settings(database_url))
    try:
        async with database.session(write=False) as session:
            rows = (
                await session.execute(
                    text(
                        "SELECT r.id, r.title, r.version,"
                        " (SELECT count(*) FROM recipe_revisions v WHERE v.recipe_id = r.id),"
                        " (SELECT count(*) FROM recipe_ingredients i WHERE i.recipe_id = r.id),"
                        " (SELECT count(*) FROM recipe_steps s WHERE s.recipe_id = r.id)"
                        " FROM recipes r WHERE r.title LIKE :pattern"
                    ),
                    {"pattern": f"Soak {run} %"},
                )
            ).all()
    finally:
        await database.dispose()
    stored = {row[0]: row for row in rows}
    known = {r.id: r for a in accounts for r in a.recipes}
    failed = {title for a in accounts for title in a.failed_creates}
    unanswered = {title for a in accounts for title in a.unanswered_creates}
    for recipe_id, title, version, revisions, lines, steps in rows:
        recipe = known.get(recipe_id)
        if recipe is None:
            if title in failed:
                verdict.problem("failed create left a recipe", title)
            elif title not in unanswered:
                verdict.problem("recipe nobody created", title)
            continue
        if recipe.doubtful:
            continue
        current = recipe.versions[-1]
        if revisions != version - 1:
            verdict.problem("revisions out of step", f"{recipe_id}: {revisions} for v{version}")
        if (lines, steps) != (len(current.ingredients), len(current.steps)):
            verdict.problem("partial rows", f"{recipe_id}: {lines} lines, {steps} steps")
    for recipe_id in known.keys() - stored.keys():
        verdict.problem("acknowledged recipe missing", str(recipe_id))
