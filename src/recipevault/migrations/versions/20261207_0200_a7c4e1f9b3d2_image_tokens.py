"""Recipe images: served at an address made of a random token, not of their content.

Every existing image gets its own random token (``token_public`` when its recipe is public and
not in the trash), and the stored recipe documents and summaries that named the old addresses
(``/media/<storage key>``) name the new ones (``/media/<token>/<width>.webp``), with their
ETags recomputed. Files stay where they are: their storage keys are no longer shown to anyone.
Revisions keep the addresses they were made with (images are not part of what they restore).

Revision ID: a7c4e1f9b3d2
Revises: f1b6d4a9e8c3
Create Date: 2026-12-07 02:00:00
"""

import hashlib
import json
import secrets
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "a7c4e1f9b3d2"
down_revision: str | None = "f1b6d4a9e8c3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MEDIA_PATH = "/media"
TOKEN_BYTES = 16  # image_addresses.TOKEN_BYTES as of this revision


def _new_address(token: str, width: int) -> str:
    return f"{MEDIA_PATH}/{token}/{width}.webp"


def _old_address(key: str) -> str:
    return f"{MEDIA_PATH}/{key}"


def _variants(value: Any) -> list[dict[str, Any]]:
    parsed = json.loads(value) if isinstance(value, str | bytes) else value
    return list(parsed or [])


def _rewrite_documents(connection: sa.Connection, addresses: dict[int, dict[str, str]]) -> None:
    """Replace each recipe's addresses in its stored document and summary, byte for byte (an
    address is plain ASCII, written as is in the JSON), and recompute the document's ETag."""
    for recipe_id, replacements in addresses.items():
        row = connection.execute(
            sa.text("SELECT document, summary FROM recipe_documents WHERE recipe_id = :id"),
            {"id": recipe_id},
        ).first()
        if row is None:
            continue
        document, summary = bytes(row[0]), bytes(row[1])
        for before, after in replacements.items():
            document = document.replace(before.encode(), after.encode())
            summary = summary.replace(before.encode(), after.encode())
        connection.execute(
            sa.text(
                "UPDATE recipe_documents SET document = :document, summary = :summary, "
                "etag = :etag WHERE recipe_id = :id"
            ).bindparams(
                sa.bindparam("document", type_=sa.LargeBinary),
                sa.bindparam("summary", type_=sa.LargeBinary),
            ),
            {
                "id": recipe_id,
                "document": document,
                "summary": summary,
                "etag": hashlib.blake2b(document, digest_size=12).hexdigest(),
            },
        )


def _images(connection: sa.Connection) -> list[Any]:
    return list(
        connection.execute(
            sa.text(
                "SELECT recipe_images.id, recipe_images.recipe_id, recipe_images.variants, "
                "recipes.visibility, recipes.deleted_at FROM recipe_images "
                "JOIN recipes ON recipes.id = recipe_images.recipe_id ORDER BY recipe_images.id"
            )
        )
    )


@contextmanager
def _recreated() -> Iterator[Any]:
    """``batch_alter_table`` for recipe_images. On SQLite the table is copied into a new one,
    which must keep AUTOINCREMENT and the highest id ever given out: image files are removed
    by id after their row is gone, so no id may be handed out twice."""
    connection = op.get_bind()
    sqlite = connection.dialect.name == "sqlite"
    highest = (
        connection.execute(
            sa.text("SELECT seq FROM sqlite_sequence WHERE name = 'recipe_images'")
        ).scalar()
        if sqlite
        else None
    )
    with op.batch_alter_table(
        "recipe_images", table_kwargs={"sqlite_autoincrement": True}
    ) as batch_op:
        yield batch_op
    if highest is not None:
        connection.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = 'recipe_images'"))
        connection.execute(
            sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('recipe_images', :seq)"),
            {"seq": highest},
        )


def upgrade() -> None:
    with _recreated() as batch_op:
        batch_op.add_column(sa.Column("token", sa.String(length=32), nullable=True))
        batch_op.add_column(
            sa.Column("token_public", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    connection = op.get_bind()
    addresses: dict[int, dict[str, str]] = {}
    for image_id, recipe_id, variants, visibility, deleted_at in _images(connection):
        token = secrets.token_hex(TOKEN_BYTES)
        connection.execute(
            sa.text(
                "UPDATE recipe_images SET token = :token, token_public = :public WHERE id = :id"
            ),
            {
                "token": token,
                "public": visibility == "public" and deleted_at is None,
                "id": image_id,
            },
        )
        for variant in _variants(variants):
            old, new = _old_address(variant["key"]), _new_address(token, int(variant["width"]))
            addresses.setdefault(recipe_id, {})[old] = new
    _rewrite_documents(connection, addresses)
    with _recreated() as batch_op:
        batch_op.alter_column("token", existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column("token_public", existing_type=sa.Boolean(), server_default=None)
        batch_op.create_unique_constraint(batch_op.f("uq_recipe_images_token"), ["token"])


def downgrade() -> None:
    connection = op.get_bind()
    addresses: dict[int, dict[str, str]] = {}
    rows = connection.execute(sa.text("SELECT recipe_id, variants, token FROM recipe_images"))
    for recipe_id, variants, token in rows:
        for variant in _variants(variants):
            new, old = _new_address(token, int(variant["width"])), _old_address(variant["key"])
            addresses.setdefault(recipe_id, {})[new] = old
    _rewrite_documents(connection, addresses)
    with _recreated() as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_recipe_images_token"), type_="unique")
        batch_op.drop_column("token_public")
        batch_op.drop_column("token")
