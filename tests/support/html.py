"""Reading rendered pages in tests without a browser."""

from __future__ import annotations

import html
import re

import httpx

_CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
_CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def csrf_token(page: str) -> str:
    """The CSRF token a page's forms carry (and its meta tag names)."""
    found = _CSRF_META.search(page) or _CSRF_INPUT.search(page)
    assert found, "no CSRF token on the page"
    return html.unescape(found.group(1))


async def page_token(client: httpx.AsyncClient, path: str = "/login") -> str:
    """Open a page as a browser would and return its form token."""
    response = await client.get(path)
    assert response.status_code == 200, response.text[:300]
    return csrf_token(response.text)


def field_error(page: str, field_id: str) -> str | None:
    """The message shown beside the input with ``field_id``, if any."""
    found = re.search(
        rf'<p class="field__error" id="{re.escape(field_id)}-error">([^<]*)</p>', page
    )
    return html.unescape(found.group(1)) if found else None


def input_value(page: str, field_id: str) -> str | None:
    """The value the input with ``field_id`` is rendered with (None: no value attribute)."""
    tag = re.search(rf'<input id="{re.escape(field_id)}"[^>]*>', page)
    assert tag, f"no input #{field_id}"
    value = re.search(r' value="([^"]*)"', tag.group(0))
    return html.unescape(value.group(1)) if value else None


def form_error(page: str) -> str | None:
    found = re.search(r'<div class="alert alert--error" role="alert">\s*<p>([^<]*)</p>', page)
    return html.unescape(found.group(1)) if found else None


def flashes(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'<p class="alert alert--\w+">([^<]*)</p>', page)]
