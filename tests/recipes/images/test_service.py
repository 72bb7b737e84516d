"""Recipe images through the service and the jobs: checked uploads, upright metadata-free WebP
renditions under content-hashed names, order and primary, files removed with their rows, and
recipe documents that show images once (and only once) they are ready."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from PIL import ExifTags, Image
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.clock import utcnow
from recipevault.config import Settings
from recipevault.db import Database, _commit
from recipevault.errors import Forbidden, Unprocessable
from recipevault.jobs.models import Job, JobStatus
from recipevault.media.images import DAMAGED, NOT_AN_IMAGE, TOO_LARGE, InvalidImage
from recipevault.media.storage import LocalMediaStorage
from recipevault.policy import Actor, Visibility
from recipevault.recipes import documents, service
from recipevault.recipes.images import jobs as image_jobs
from recipevault.recipes.images import service as images
from recipevault.recipes.models import ImageStatus, RecipeImage
from recipevault.recipes.schemas import RecipeCreate
from tests.support.app import make_settings
from tests.support.jobs import RecordingQueue
from tests.support.world import World, actor_for, make_world

RED = (255, 0, 0)
BLUE = (0, 0, 255)
WIDTHS = ("160", "320")


# --- Images to upload ----------------------------------------------------------------------


def encode(image: Image.Image, kind: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=kind, **options)
    return buffer.getvalue()


def camera_jpeg() -> bytes:
    """An 800x400 JPEG, red on the left and blue on the right, stored sideways (EXIF
    orientation 6: shown 400x800 with red on top), with a camera model and a GPS position."""
    image = Image.new("RGB", (800, 400), BLUE)
    image.paste(RED, (0, 0, 400, 400))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Model] = "Pocket Camera"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 30.0, 12.0)
    return encode(image, "JPEG", exif=exif)


def png(color: tuple[int, int, int], size: tuple[int, int] = (480, 360)) -> bytes:
    return encode(Image.new("RGB", size, color), "PNG")


def png_declaring(width: int, height: int) -> bytes:
    """A few hundred bytes of PNG whose header claims ``width`` x ``height`` pixels."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunks = [(b"IHDR", header), (b"IDAT", zlib.compress(b"\0" * 4096)), (b"IEND", b"")]
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunk(kind, body) for kind, body in chunks)


# --- Fixtures --------------------------------------------------------------------------------


@pytest.fixture
def media_settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(
        database_url,
        media_dir=tmp_path / "media",
        outbox_dir=tmp_path / "outbox",
        image_widths=list(WIDTHS),
    )


@pytest.fixture
def storage(media_settings: Settings) -> LocalMediaStorage:
    return LocalMediaStorage(media_settings.media_dir)


@dataclass
class Kitchen:
    world: World
    owner: Actor
    member: Actor
    outsider: Actor
    recipe_id: int


@pytest.fixture
async def kitchen(session: AsyncSession, settings: Settings) -> Kitchen:
    world = await make_world(session, settings)
    owner = await actor_for(session, world.owner)
    recipe = await service.create_recipe(
        session,
        actor=owner,
        data=RecipeCreate(
            title="Tomato soup", visibility=Visibility.HOUSEHOLD, household_id=world.household.id
        ),
    )
    kitchen = Kitchen(
        world=world,
        owner=owner,
        member=await actor_for(session, world.member),
        outsider=await actor_for(session, world.outsider),
        recipe_id=recipe.id,
    )
    await _commit(session)  # so that a test rolling back its own changes keeps these
    return kitchen


@dataclass
class Uploads:
    session: AsyncSession
    database: Database
    settings: Settings
    storage: LocalMediaStorage
    queue: RecordingQueue
    kitchen: Kitchen

    async def add(self, data: bytes, *, actor: Actor | None = None) -> RecipeImage:
        image = await images.add_image(
            self.session,
            actor=actor or self.kitchen.owner,
            recipe_id=self.kitchen.recipe_id,
            data=data,
            queue=self.queue,
            storage=self.storage,
            settings=self.settings,
        )
        await _commit(self.session)
        return image

    async def run_jobs(self) -> dict[int, JobStatus | None]:
        return await self.queue.run_all(self.database, self.settings)

    async def document(self) -> dict[str, Any]:
        stored = await documents.stored_recipe(self.session, self.kitchen.recipe_id)
        assert stored is not None
        return dict(orjson.loads(stored.body))

    async def etag(self) -> str:
        stored = await documents.stored_recipe(self.session, self.kitchen.recipe_id)
        assert stored is not None
        return stored.etag

    async def summary(self) -> dict[str, Any]:
        [summary] = await documents.fetch_summaries(self.session, [self.kitchen.recipe_id])
        return dict(orjson.loads(summary))

    async def row(self, image_id: int) -> RecipeImage:
        image = await self.session.scalar(
            select(RecipeImage)
            .where(RecipeImage.id == image_id)
            .execution_options(populate_existing=True)
        )
        assert image is not None
        return image

    async def listed(self, viewer: Actor | None) -> list[RecipeImage]:
        """The images as a new request would list them to ``viewer``."""
        async with self.database.session(write=False) as session:
            return await images.list_images(
                session, viewer=viewer, recipe_id=self.kitchen.recipe_id
            )

    async def keys(self) -> list[str]:
        return await self.storage.list(f"recipes/{self.kitchen.recipe_id}/")


@pytest.fixture
def uploads(
    session: AsyncSession,
    database: Database,
    media_settings: Settings,
    storage: LocalMediaStorage,
    jobs: RecordingQueue,
    kitchen: Kitchen,
) -> Uploads:
    return Uploads(session, database, media_settings, storage, jobs, kitchen)


def _decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _close(color: Any, expected: tuple[int, int, int], tolerance: int = 24) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(color, expected, strict=True))


# --- Uploading and processing -----------------------------------------------------------------


async def test_an_upload_becomes_upright_webp_renditions_without_metadata(
    uploads: Uploads,
) -> None:
    recipe_id = uploads.kitchen.recipe_id
    image = await uploads.add(camera_jpeg())
    assert image.status == ImageStatus.PENDING
    assert (image.width, image.height) == (400, 800)  # as shown, after the orientation
    assert image.content_type == "image/jpeg"
    assert image.original_key == f"recipes/{recipe_id}/{image.id}/original.jpeg"
    assert await uploads.storage.get(image.original_key) == camera_jpeg()
    assert uploads.queue.queued  # a job, queued once the upload committed

    await uploads.run_jobs()
    ready = await uploads.row(image.id)
    assert ready.status == ImageStatus.READY
    assert ready.error is None
    assert [(v["width"], v["height"]) for v in ready.variants] == [(160, 320), (320, 640)]
    for variant in ready.variants:
        data = await uploads.storage.get(variant["key"])
        digest = hashlib.sha256(data).hexdigest()[:16]
        assert variant["key"] == f"recipes/{recipe_id}/{image.id}/{variant['width']}-{digest}.webp"
        decoded = _decoded(data)
        assert decoded.format == "WEBP"
        assert decoded.size == (variant["width"], variant["height"])
        width, height = decoded.size
        assert _close(decoded.getpixel((width // 2, 4)), RED)  # upright: red on top
        assert _close(decoded.getpixel((width // 2, height - 4)), BLUE)
        assert not decoded.getexif()
        for trace in (b"EXIF", b"Exif", b"Pocket Camera"):
            assert trace not in data


async def test_the_document_shows_an_image_once_it_is_ready_and_not_before(
    uploads: Uploads,
) -> None:
    before = await uploads.etag()
    image = await uploads.add(camera_jpeg())
    assert (await uploads.document())["images"] == []
    assert (await uploads.summary())["image"] is None
    assert await uploads.etag() == before

    await uploads.run_jobs()
    ready = await uploads.row(image.id)
    document = await uploads.document()
    assert document["images"] == [
        {
            "id": image.id,
            "width": 320,
            "height": 640,
            "urls": {
                str(v["width"]): f"/media/{ready.token}/{v['width']}.webp" for v in ready.variants
            },
        }
    ]
    assert (await uploads.summary())["image"] == f"/media/{ready.token}/160.webp"
    assert await uploads.etag() != before
    assert document["version"] == 1  # images are not edits of the recipe's text


async def test_running_the_job_twice_changes_nothing(uploads: Uploads) -> None:
    image = await uploads.add(png(RED))
    [job_id] = uploads.queue.queued
    assert (await uploads.run_jobs())[job_id] == JobStatus.DONE
    ready = await uploads.row(image.id)
    variants, keys, etag = ready.variants, await uploads.keys(), await uploads.etag()

    # The same job again (a worker died before recording its end), and a second job.
    await uploads.session.execute(
        update(Job).where(Job.id == job_id).values(status=JobStatus.QUEUED)
    )
    await image_jobs.process_later(uploads.session, queue=uploads.queue, image_id=image.id)
    await _commit(uploads.session)
    uploads.queue.queued.append(job_id)
    ended = await uploads.run_jobs()
    assert set(ended.values()) == {JobStatus.DONE}
    assert (await uploads.row(image.id)).variants == variants
    assert await uploads.keys() == keys
    assert await uploads.etag() == etag


async def test_renditions_made_again_replace_the_old_ones(
    uploads: Uploads, database_url: str, tmp_path: Path
) -> None:
    image = await uploads.add(png(RED))
    await uploads.run_jobs()
    old = {v["key"] for v in (await uploads.row(image.id)).variants}
    # Widths changed since: the image is processed again and keeps only the new renditions.
    uploads.settings = make_settings(
        database_url, media_dir=uploads.settings.media_dir, image_widths=["200"]
    )
    await uploads.session.execute(
        update(RecipeImage).where(RecipeImage.id == image.id).values(status=ImageStatus.PENDING)
    )
    await image_jobs.process_later(uploads.session, queue=uploads.queue, image_id=image.id)
    await _commit(uploads.session)
    await uploads.run_jobs()
    ready = await uploads.row(image.id)
    assert [v["width"] for v in ready.variants] == [200]
    assert set(await uploads.keys()) == {image.original_key, ready.variants[0]["key"]}
    assert not old & set(await uploads.keys())


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (png_declaring(30_000, 30_000), TOO_LARGE),
        (b"Tomato soup: simmer for an hour.\n" * 40, NOT_AN_IMAGE),
        (camera_jpeg()[: len(camera_jpeg()) // 2], DAMAGED),
        (b"", NOT_AN_IMAGE),
    ],
    ids=["png-bomb", "text", "truncated-jpeg", "empty"],
)
async def test_files_that_are_not_good_images_are_refused(
    uploads: Uploads, data: bytes, message: str
) -> None:
    with pytest.raises(InvalidImage) as refused:
        await uploads.add(data)
    assert refused.value.status_code == 422
    assert message in refused.value.detail
    await uploads.session.rollback()
    assert await uploads.listed(uploads.kitchen.owner) == []
    assert await uploads.keys() == []
    assert uploads.queue.queued == []


async def test_an_image_that_breaks_while_processing_is_marked_failed(uploads: Uploads) -> None:
    image = await uploads.add(png(RED))
    etag = await uploads.etag()
    await uploads.storage.put(image.original_key, b"\x89PNG\r\n\x1a\n garbage", content_type="x/y")
    [job_id] = uploads.queue.queued
    assert (await uploads.run_jobs())[job_id] == JobStatus.DONE  # the job did its work
    failed = await uploads.row(image.id)
    assert failed.status == ImageStatus.FAILED
    assert failed.error == NOT_AN_IMAGE
    assert failed.variants == []
    assert await uploads.etag() == etag
    assert [i.error for i in await uploads.listed(uploads.kitchen.owner)] == [NOT_AN_IMAGE]
    assert await uploads.listed(uploads.kitchen.member) == []


async def test_an_image_whose_original_went_missing_is_marked_failed(uploads: Uploads) -> None:
    image = await uploads.add(png(RED))
    await uploads.storage.delete(image.original_key)
    await uploads.run_jobs()
    failed = await uploads.row(image.id)
    assert failed.status == ImageStatus.FAILED
    assert failed.error == image_jobs.ORIGINAL_MISSING


# --- Order, primary, delete ----------------------------------------------------------------


async def _three(uploads: Uploads) -> list[RecipeImage]:
    added = [await uploads.add(png(color)) for color in (RED, BLUE, (0, 160, 0))]
    await uploads.run_jobs()
    return added


async def test_images_are_ordered_and_the_first_is_primary(uploads: Uploads) -> None:
    red, blue, green = await _three(uploads)
    kitchen = uploads.kitchen
    assert [i.position for i in (red, blue, green)] == [0, 1, 2]
    assert [i["id"] for i in (await uploads.document())["images"]] == [red.id, blue.id, green.id]

    etag = await uploads.etag()
    ordered = await images.reorder_images(
        uploads.session,
        actor=kitchen.owner,
        recipe_id=kitchen.recipe_id,
        image_ids=[green.id, red.id, blue.id],
    )
    assert [(i.id, i.position) for i in ordered] == [(green.id, 0), (red.id, 1), (blue.id, 2)]
    assert [i["id"] for i in (await uploads.document())["images"]] == [green.id, red.id, blue.id]
    assert await uploads.etag() != etag
    green_row = await uploads.row(green.id)
    assert (await uploads.summary())["image"] == f"/media/{green_row.token}/160.webp"

    ordered = await images.set_primary(
        uploads.session, actor=kitchen.owner, recipe_id=kitchen.recipe_id, image_id=blue.id
    )
    assert [i.id for i in ordered] == [blue.id, green.id, red.id]
    assert [i["id"] for i in (await uploads.document())["images"]] == [blue.id, green.id, red.id]
    blue_row = await uploads.row(blue.id)
    assert (await uploads.summary())["image"] == f"/media/{blue_row.token}/160.webp"


@pytest.mark.parametrize("wrong", ["empty", "missing", "twice", "stranger"])
async def test_an_order_must_name_every_image_once(uploads: Uploads, wrong: str) -> None:
    red, blue, green = await _three(uploads)
    image_ids = {
        "empty": [],
        "missing": [red.id, blue.id],
        "twice": [red.id, blue.id, blue.id],
        "stranger": [red.id, blue.id, green.id + 1000],
    }[wrong]
    with pytest.raises(Unprocessable):
        await images.reorder_images(
            uploads.session,
            actor=uploads.kitchen.owner,
            recipe_id=uploads.kitchen.recipe_id,
            image_ids=image_ids,
        )


async def test_deleting_an_image_removes_its_files_once_committed(uploads: Uploads) -> None:
    red, blue, green = await _three(uploads)
    kitchen = uploads.kitchen
    red_files = await uploads.storage.list(f"recipes/{kitchen.recipe_id}/{red.id}/")
    assert len(red_files) == 3  # the original and two renditions

    await images.delete_image(
        uploads.session,
        actor=kitchen.owner,
        recipe_id=kitchen.recipe_id,
        image_id=red.id,
        queue=uploads.queue,
    )
    # Nothing is removed before the deletion commits.
    assert await uploads.storage.list(f"recipes/{kitchen.recipe_id}/{red.id}/") == red_files
    assert [i["id"] for i in (await uploads.document())["images"]] == [blue.id, green.id]
    assert [i.position for i in (await uploads.row(blue.id), await uploads.row(green.id))] == [
        0,
        1,
    ]
    await _commit(uploads.session)
    await uploads.run_jobs()
    assert await uploads.storage.list(f"recipes/{kitchen.recipe_id}/{red.id}/") == []
    assert len(await uploads.keys()) == 6  # the other two images keep theirs
    with pytest.raises(images.ImageNotFound):
        await images.delete_image(
            uploads.session,
            actor=kitchen.owner,
            recipe_id=kitchen.recipe_id,
            image_id=red.id,
            queue=uploads.queue,
        )


async def test_a_rolled_back_deletion_keeps_the_files(uploads: Uploads) -> None:
    image_id = (await uploads.add(png(RED))).id
    await uploads.run_jobs()
    keys = await uploads.keys()
    await images.delete_image(
        uploads.session,
        actor=uploads.kitchen.owner,
        recipe_id=uploads.kitchen.recipe_id,
        image_id=image_id,
        queue=uploads.queue,
    )
    await uploads.session.rollback()
    await _commit(uploads.session)
    assert uploads.queue.queued == []
    assert await uploads.keys() == keys
    assert (await uploads.row(image_id)).status == ImageStatus.READY


async def test_image_ids_are_never_given_out_again(uploads: Uploads) -> None:
    # Files are removed by image id after the row is gone: a new image must not share it.
    kitchen = uploads.kitchen
    image_id = (await uploads.add(png(RED))).id
    await images.delete_image(
        uploads.session,
        actor=kitchen.owner,
        recipe_id=kitchen.recipe_id,
        image_id=image_id,
        queue=uploads.queue,
    )
    await _commit(uploads.session)
    assert (await uploads.add(png(RED))).id > image_id


async def test_an_image_deleted_before_it_was_processed_leaves_no_files(
    uploads: Uploads,
) -> None:
    image = await uploads.add(camera_jpeg())
    await images.delete_image(
        uploads.session,
        actor=uploads.kitchen.owner,
        recipe_id=uploads.kitchen.recipe_id,
        image_id=image.id,
        queue=uploads.queue,
    )
    await _commit(uploads.session)
    ended = await uploads.run_jobs()
    assert set(ended.values()) == {JobStatus.DONE}
    assert await uploads.keys() == []
    assert (await uploads.document())["images"] == []


async def test_renditions_written_for_an_image_deleted_meanwhile_are_removed(
    uploads: Uploads, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = await uploads.add(png(RED))
    kitchen = uploads.kitchen
    # Another worker runs the removal job while this one is still making the renditions.
    elsewhere = RecordingQueue()
    deleted: list[bool] = []

    class DeletedMeanwhile(LocalMediaStorage):
        async def put(self, key: str, data: bytes, *, content_type: str) -> None:
            if not deleted:
                deleted.append(True)
                await images.delete_image(
                    uploads.session,
                    actor=kitchen.owner,
                    recipe_id=kitchen.recipe_id,
                    image_id=image.id,
                    queue=elsewhere,
                )
                await _commit(uploads.session)
                await elsewhere.run_all(uploads.database, uploads.settings)
                assert await uploads.keys() == []
            await super().put(key, data, content_type=content_type)

    monkeypatch.setattr(
        image_jobs, "storage_from_settings", lambda settings: DeletedMeanwhile(settings.media_dir)
    )
    ended = await uploads.run_jobs()
    assert set(ended.values()) == {JobStatus.DONE}
    assert deleted
    assert await uploads.keys() == []


# --- Limits, imports and authorization ----------------------------------------------------


async def test_a_recipe_has_a_limited_number_of_images(
    uploads: Uploads, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(images, "MAX_IMAGES", 2)
    await uploads.add(png(RED))
    await uploads.add(png(BLUE))
    with pytest.raises(images.TooManyImages):
        await uploads.add(png(RED))


async def test_imported_images_are_kept_or_skipped_with_the_reason(
    uploads: Uploads, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def attach(data: bytes) -> RecipeImage | images.ImageSkipped:
        checked = await images.check_image(data, uploads.settings)
        if isinstance(checked, images.ImageSkipped):
            return checked
        return await images.attach_imported_image(
            uploads.session,
            recipe_id=uploads.kitchen.recipe_id,
            image=checked,
            queue=uploads.queue,
            storage=uploads.storage,
        )

    kept = await attach(camera_jpeg())
    assert isinstance(kept, RecipeImage)
    assert kept.status == ImageStatus.PENDING
    assert await attach(b"<html>not a photo</html>") == images.ImageSkipped(NOT_AN_IMAGE)
    monkeypatch.setattr(images, "MAX_IMAGES", 1)
    skipped = await attach(png(RED))
    assert isinstance(skipped, images.ImageSkipped)
    assert "at most 1 images" in skipped.reason
    await _commit(uploads.session)
    await uploads.run_jobs()
    assert [i["id"] for i in (await uploads.document())["images"]] == [kept.id]


async def test_only_editors_change_images_and_only_readers_see_them(uploads: Uploads) -> None:
    kitchen = uploads.kitchen
    image = await uploads.add(png(RED))
    with pytest.raises(Forbidden):
        await uploads.add(png(BLUE), actor=kitchen.member)
    with pytest.raises(service.RecipeNotFound):
        await uploads.add(png(BLUE), actor=kitchen.outsider)
    for actor, error in ((kitchen.member, Forbidden), (kitchen.outsider, service.RecipeNotFound)):
        with pytest.raises(error):
            await images.set_primary(
                uploads.session, actor=actor, recipe_id=kitchen.recipe_id, image_id=image.id
            )
        with pytest.raises(error):
            await images.delete_image(
                uploads.session,
                actor=actor,
                recipe_id=kitchen.recipe_id,
                image_id=image.id,
                queue=uploads.queue,
            )
    for nobody in (None, kitchen.outsider):
        with pytest.raises(service.RecipeNotFound):
            await uploads.listed(nobody)
    assert [i.id for i in await uploads.listed(kitchen.owner)] == [image.id]
    assert await uploads.listed(kitchen.member) == []  # not ready yet
    await uploads.run_jobs()
    assert [i.id for i in await uploads.listed(kitchen.member)] == [image.id]


# --- The trash ----------------------------------------------------------------------------------


async def test_trashed_recipes_keep_their_images_until_purged(uploads: Uploads) -> None:
    kitchen = uploads.kitchen
    image = await uploads.add(camera_jpeg())
    await uploads.run_jobs()
    keys = await uploads.keys()
    await service.trash_recipe(
        uploads.session, actor=kitchen.owner, recipe_id=kitchen.recipe_id, if_match=None, ip=None
    )
    await _commit(uploads.session)
    assert await uploads.keys() == keys
    with pytest.raises(service.RecipeNotFound):
        await uploads.listed(kitchen.owner)

    await service.restore_from_trash(
        uploads.session, actor=kitchen.owner, recipe_id=kitchen.recipe_id
    )
    await _commit(uploads.session)
    assert [i["id"] for i in (await uploads.document())["images"]] == [image.id]

    await service.trash_recipe(
        uploads.session, actor=kitchen.owner, recipe_id=kitchen.recipe_id, if_match=None, ip=None
    )
    assert await service.purge_trash(uploads.session, queue=uploads.queue) == 0
    later = utcnow() + timedelta(days=service.TRASH_DAYS + 1)
    assert await service.purge_trash(uploads.session, queue=uploads.queue, now=later) == 1
    assert await uploads.keys() == keys  # not before the purge commits
    await _commit(uploads.session)
    await uploads.run_jobs()
    assert await uploads.keys() == []
    assert not (uploads.settings.media_dir / "recipes" / str(kitchen.recipe_id)).exists()
    remaining = await uploads.session.scalars(
        select(RecipeImage).where(RecipeImage.recipe_id == kitchen.recipe_id)
    )
    assert remaining.all() == []
