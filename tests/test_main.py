from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi.routing import APIRoute
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from recipevault.config import Settings, get_settings
from recipevault.db import Database
from recipevault.main import _app_from_environment, create_app
from tests.support.app import app_client, make_settings


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> InMemorySpanExporter:
    """A tracer provider set up in the process, as `opentelemetry-instrument` would."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)
    return exporter


async def _get(settings: Settings, database: Database, path: str, **overrides: Any) -> None:
    async with app_client(settings, database, **overrides) as client:
        assert (await client.get(path)).status_code == 200


async def test_requests_are_traced_when_opentelemetry_is_on(
    settings: Settings, database: Database, spans: InMemorySpanExporter
) -> None:
    await _get(settings, database, "/health/live", opentelemetry=True)
    server = [span for span in spans.get_finished_spans() if span.kind == trace.SpanKind.SERVER]
    assert [span.name for span in server] == ["GET /health/live"]
    assert server[0].attributes is not None
    assert server[0].attributes["http.response.status_code"] == 200


async def test_no_spans_by_default_even_with_a_provider(
    settings: Settings, database: Database, spans: InMemorySpanExporter
) -> None:
    await _get(settings, database, "/health/live")
    assert spans.get_finished_spans() == ()


def test_routes_are_tried_busiest_first(settings: Settings, database: Database) -> None:
    # Starlette tries routes one after another: every request to a route pays for those before.
    app = create_app(make_settings(settings.database_url), database=database)
    # The address as documented, without the path convertors (`{recipe_id:int}`).
    paths = [getattr(route, "path_format", None) for route in app.routes]
    assert paths[:2] == ["/api/v1/recipes", "/api/v1/recipes"]
    assert paths.index("/api/v1/recipes/{recipe_id}") < 10
    docs = [paths.index(path) for path in ("/openapi.json", "/docs", "/redoc")]
    assert min(docs) > max(i for i, route in enumerate(app.routes) if isinstance(route, APIRoute))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RECIPEVAULT_ALLOWED_HOSTS", '["localhost", "127.0.0.1"'),
        ("RECIPEVAULT_ALLOWED_HOSTS", "https://recipes.example.org"),
        ("RECIPEVAULT_CORS_ORIGINS", "recipes.example.org"),
    ],
)
def test_the_asgi_app_refuses_to_start_on_a_setting_it_cannot_read(
    name: str, value: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        with pytest.raises(SystemExit) as excinfo:
            _app_from_environment()
    finally:
        get_settings.cache_clear()
    message = str(excinfo.value.code)
    assert message.startswith("recipevault: invalid configuration:")
    assert f"{name}:" in message
    assert "\n" not in message


async def test_the_json_form_of_allowed_hosts_serves_requests(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RECIPEVAULT_DATABASE_URL", f"sqlite:///{tmp_path}/app.db")
    monkeypatch.setenv("RECIPEVAULT_ALLOWED_HOSTS", '["recipes.example.org", "localhost"]')
    get_settings.cache_clear()
    try:
        app = _app_from_environment()
    finally:
        get_settings.cache_clear()
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://recipes.example.org"
        ) as client:
            assert (await client.get("/health/live")).status_code == 200


async def test_what_the_app_loaded_to_start_is_left_out_of_full_collections(
    settings: Settings, database: Database
) -> None:
    """A full collection walks every object the collector tracks: the modules, routes and
    schemas loaded to start, which live as long as the process, are frozen out of it once the
    app has started (else a read making many objects brought a pass over all of them every few
    requests)."""
    await _get(settings, database, "/health/live")
    assert gc.get_freeze_count() > 10_000
    # A long read's objects die young rather than being moved to older generations.
    assert gc.get_threshold()[0] >= 20_000
