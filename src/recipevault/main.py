"""The application factory and the ASGI target ``recipevault.main:app``."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache

import structlog
from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.telemetry import TelemetryConfig
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from recipevault import __version__, deps, pages
from recipevault.accounts import api as accounts_api
from recipevault.accounts import pages as accounts_pages
from recipevault.accounts import settings_pages as account_settings_pages
from recipevault.accounts.passwords import PasswordHasher
from recipevault.admin import api as admin_api
from recipevault.admin import job_pages as admin_job_pages
from recipevault.admin import pages as admin_pages
from recipevault.backup import api as backup_api
from recipevault.backup import pages as backup_pages
from recipevault.config import ConfigError, Environment, Settings, get_settings
from recipevault.db import Database
from recipevault.db.contention import DATABASE_ERRORS, busy_error
from recipevault.errors import ErrorPageMiddleware, install_error_handlers
from recipevault.exporting import api as exporting_api
from recipevault.exporting import pages as exporting_pages
from recipevault.households import api as households_api
from recipevault.households import member_pages as household_member_pages
from recipevault.households import pages as households_pages
from recipevault.http import health, metrics
from recipevault.http.body_limit import BodyLimitMiddleware
from recipevault.http.hosts import HostCheckMiddleware
from recipevault.http.middleware import (
    ConcurrencyLimitMiddleware,
    NulRefusalMiddleware,
    RequestContextMiddleware,
    SecurityHeadersMiddleware,
)
from recipevault.http.openapi import install_openapi
from recipevault.http.ratelimit import RateLimiter
from recipevault.importing import api as importing_api
from recipevault.importing import pages as importing_pages
from recipevault.jobs import api as jobs_api
from recipevault.jobs import pages as jobs_pages
from recipevault.jobs.queue import HueyQueue
from recipevault.logging import configure_logging
from recipevault.mail import Mailer
from recipevault.planner import api as planner_api
from recipevault.planner import pages as planner_pages
from recipevault.planner import reuse_pages as planner_reuse_pages
from recipevault.planner.calendar import api as calendar_api
from recipevault.planner.calendar.service import FEED_PATH
from recipevault.planner.suggestions import api as suggestions_api
from recipevault.planner.templates import api as plan_templates_api
from recipevault.recipes import api as recipes_api
from recipevault.recipes import edit_pages as recipe_edit_pages
from recipevault.recipes import history_pages as recipe_history_pages
from recipevault.recipes import pages as recipe_pages
from recipevault.recipes.images import api as images_api
from recipevault.recipes.images import files as image_files
from recipevault.recipes.vocabulary import api as terms_api
from recipevault.registration import api as registration_api
from recipevault.registration import pages as registration_pages
from recipevault.shopping import adding_pages as shopping_adding_pages
from recipevault.shopping import api as shopping_api
from recipevault.shopping import item_pages as shopping_item_pages
from recipevault.shopping import pages as shopping_pages
from recipevault.shopping import staples_api
from recipevault.shopping.stores import api as stores_api
from recipevault.web.rendering import mount_static

log = structlog.get_logger("recipevault")
SHUTDOWN_GRACE_SECONDS = 10


# Objects a collection of the youngest generation may find: more than the largest read makes
# at once (a shopping list of 2,000 items makes about 17,000), so that what a request makes and
# drops is freed by its reference counts before a collection could find it alive and move it to
# an older generation, whose collections then come seldom.
YOUNG_OBJECTS = 20_000


@cache  # once a process: the first app's start
def _keep_what_started() -> None:
    """Keep what the process loaded to start (modules, routes, schemas: a few hundred thousand
    objects that live as long as it does) out of the garbage collector's full passes, and let
    a request's objects die young. A full pass walks every object the collector tracks, and a
    read that makes many objects (a long shopping list, tens of thousands) brought one every
    few requests: 200-500 ms each on a shared machine, most of that list's p95. Garbage is
    collected first."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_OBJECTS, middle, old)


def create_app(settings: Settings, *, database: Database | None = None) -> FastAPI:
    """Build the application. ``database`` lets tests supply one bound to their transaction;
    otherwise the lifespan opens one from the settings and closes it on shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.database = database or Database.from_settings(settings)
        _keep_what_started()
        log.info(
            "started", version=__version__, env=settings.env, db=app.state.database.dialect_name
        )
        try:
            yield
        finally:
            try:
                async with asyncio.timeout(SHUTDOWN_GRACE_SECONDS):
                    await app.state.mailer.drain()
            except TimeoutError:
                log.warning("mail still going out at shutdown was dropped")
            if database is None:
                await app.state.database.dispose()
            log.info("stopped")

    app = FastAPI(
        title="RecipeVault",
        version=__version__,
        summary="Recipes, meal plans and shopping lists for a household.",
        lifespan=lifespan,
        debug=False,
        telemetry=telemetry_config(settings),
    )
    app.state.settings = settings
    app.state.metrics = metrics.HttpMetrics(multiprocess_dir=settings.metrics_multiproc_dir)
    app.state.password_hasher = PasswordHasher.from_settings(settings)
    app.state.mailer = Mailer.from_settings(settings)
    app.state.rate_limiter = RateLimiter.from_settings(settings)
    app.state.jobs = HueyQueue(settings)

    install_error_handlers(
        app,
        error_page=deps.error_page,
        translations=dict.fromkeys(DATABASE_ERRORS, busy_error),
    )
    # Routes are matched one after another, in this order: the busiest first (reading
    # recipes, as JSON and as pages), so they skip the dozens of routes behind them.
    add_routes(
        app,
        recipes_api.router,
        planner_api.router,  # a household's week or month, read on every visit
        recipe_edit_pages.router,  # /recipes/new and /recipes/trash before /recipes/{slug}
        recipe_history_pages.router,
        recipe_pages.router,
        planner_pages.router,  # a household's week or month page, on every visit
        image_files.router,
        pages.router,
        health.router,
        metrics.router,
        registration_api.router,  # /api/v1/auth/register, first of the auth routes
        accounts_api.auth_router,
        accounts_api.me_router,
        households_api.router,
        planner_api.slots_router,
        plan_templates_api.router,
        calendar_api.router,
        calendar_api.feed_router,
        suggestions_api.router,
        shopping_api.router,
        stores_api.router,
        staples_api.router,
        admin_api.router,
        terms_api.router,
        images_api.router,
        jobs_api.router,
        importing_api.router,
        exporting_api.router,
        backup_api.router,
        accounts_pages.router,
        registration_pages.router,
        account_settings_pages.router,
        households_pages.router,
        planner_reuse_pages.router,
        shopping_pages.router,
        shopping_item_pages.router,
        shopping_adding_pages.router,
        household_member_pages.router,
        admin_pages.router,
        importing_pages.router,
        jobs_pages.router,
        exporting_pages.router,
        admin_job_pages.router,
        backup_pages.router,
    )
    mount_static(app)
    install_openapi(app, deps.ROUTE_ERRORS)

    # Added innermost first: a request passes proxy headers, security headers, request context,
    # its turn among the requests in progress, host check, CORS, the error pages, the NUL check
    # and the body limit, in that order, before reaching a route.
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(NulRefusalMiddleware)
    app.add_middleware(ErrorPageMiddleware, error_page=deps.error_page)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "If-Match",
                "If-None-Match",
                "X-CSRF-Token",
                "X-Request-ID",
            ],
            expose_headers=["ETag", "Location", "Retry-After", "X-Request-ID"],
            max_age=600,
        )
    app.add_middleware(HostCheckMiddleware, allowed_hosts=settings.allowed_hosts)
    app.add_middleware(ConcurrencyLimitMiddleware, limit=settings.max_concurrent_requests)
    # A calendar feed's address is its credential: it is never written to the logs.
    app.add_middleware(
        RequestContextMiddleware, metrics=app.state.metrics, secret_paths=(FEED_PATH,)
    )
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.env == Environment.PRODUCTION)
    if settings.trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    return app


def telemetry_config(settings: Settings) -> TelemetryConfig:
    """FastAPI's own OpenTelemetry instrumentation, when ``RECIPEVAULT_OPENTELEMETRY`` is on.

    It then reports to the providers set up in the process (by ``opentelemetry-instrument``, or
    by FastAPI itself from ``OTEL_*`` variables with ``FASTAPI_OTEL_AUTO_CONFIGURE=true``)."""
    if settings.opentelemetry:
        return {}
    return {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}


def add_routes(app: FastAPI, *routers: APIRouter) -> None:
    """Give the app the routers' routes as its own, in order.

    ``include_router`` keeps each router as a nested node that is matched twice per request
    (once to find it, once inside it), which costs a tenth of a millisecond on every request
    once there are a dozen routers. Our routers bake their prefix, tags and responses into each
    route when it is declared, so the routes stand alone and one flat list matches once.
    FastAPI's own routes (the OpenAPI document and the docs pages) move behind ours, so no
    request tries them first.
    """
    own = list(app.router.routes)
    app.router.routes[:] = [route for router in routers for route in router.routes]
    app.router.routes.extend(own)


def _app_from_environment() -> FastAPI:
    try:
        settings = get_settings()
    except ConfigError as exc:
        raise SystemExit(f"recipevault: {exc}") from None
    configure_logging(settings)
    return create_app(settings)


def __getattr__(name: str) -> FastAPI:
    # `app` is built on first access (by the ASGI server), so importing this module for
    # `create_app` neither reads the environment nor configures logging.
    if name == "app":
        application = _app_from_environment()
        globals()["app"] = application
        return application
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
