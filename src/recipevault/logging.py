"""Structured logging: JSON lines on stdout (or a readable console format in development).

Standard-library loggers (uvicorn, SQLAlchemy, alembic) go through the same formatter, so every
line carries the request id bound for the current request.
"""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from typing import Any

import structlog
from structlog.types import EventDict, Processor

from recipevault.config import Settings

REDACTED = "[redacted]"
_SENSITIVE_PARTS = ("password", "secret", "token", "authorization", "cookie", "hash", "csrf")


def _is_sensitive(key: str) -> bool:
    lowered = key.lower()
    return any(part in lowered for part in _SENSITIVE_PARTS)


def redact_secrets(_: Any, __: str, event_dict: EventDict) -> EventDict:
    """Blank out any field whose name suggests a credential, however it got into the event."""
    for key in list(event_dict):
        if _is_sensitive(key):
            event_dict[key] = REDACTED
    return event_dict


# The fields every log line of one request carries. One context variable holding a dict costs a
# single set and reset per request; structlog's per-key context variables cost several times that,
# and clearing them walks the whole context.
_request_fields: ContextVar[dict[str, Any] | None] = ContextVar("request_fields", default=None)


class request_context:  # lower case, as contextlib's own small context managers
    """Tag every line logged inside the block (by any logger) with ``fields``.

    A class, not ``@contextmanager``: it wraps every request, and a generator-based context
    manager costs microseconds more to enter and leave."""

    __slots__ = ("_fields", "_token")

    def __init__(self, **fields: Any) -> None:
        self._fields = fields

    def __enter__(self) -> None:
        self._token = _request_fields.set(self._fields)

    def __exit__(self, *exc_info: object) -> None:
        _request_fields.reset(self._token)


def bind_request_fields(**fields: Any) -> None:
    """Add fields to the current request's log lines (no-op outside a request)."""
    current = _request_fields.get()
    if current is not None:
        current.update(fields)


def merge_request_fields(_: Any, __: str, event_dict: EventDict) -> EventDict:
    current = _request_fields.get()
    if current:
        for key, value in current.items():
            event_dict.setdefault(key, value)
    return event_dict


def _drop_color_message(_: Any, __: str, event_dict: EventDict) -> EventDict:
    # uvicorn duplicates every message with ANSI colours for its own formatter.
    event_dict.pop("color_message", None)
    return event_dict


def configure_logging(settings: Settings) -> None:
    shared: list[Processor] = [
        merge_request_fields,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
        _drop_color_message,
        redact_secrets,
    ]
    renderer: Processor
    if settings.log_format == "json":
        renderer = structlog.processors.JSONRenderer()
        final: list[Processor] = [
            structlog.processors.format_exc_info,
            structlog.processors.EventRenamer("message"),
            renderer,
        ]
    else:
        final = [structlog.dev.ConsoleRenderer(colors=sys.stdout.isatty())]

    structlog.configure(
        # Dropping events below the level first spares every filtered event (the access log
        # line at WARNING, say) the whole processor chain. The level is the standard library's,
        # read at each call, so reconfiguring applies to loggers already in use.
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)

    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    # One access line per request comes from RequestContextMiddleware, with more fields.
    logging.getLogger("uvicorn.access").disabled = True
    logging.getLogger("sqlalchemy.engine").setLevel(
        logging.INFO if settings.db_echo else logging.WARNING
    )
    # At DEBUG these print every statement's parameters: password hashes, token hashes.
    for chatty in ("aiosqlite", "asyncio", "httpcore", "httpx", "multipart"):
        logging.getLogger(chatty).setLevel(max(root.level, logging.INFO))
