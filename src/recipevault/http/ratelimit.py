"""Rate limits on sensitive actions, kept in memory or, when REDIS_URL is set, in Redis so that
every process shares the same counts."""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from recipevault.config import Settings
from recipevault.errors import TooManyRequests


def storage_uri(settings: Settings) -> str:
    return f"async+{settings.redis_url}" if settings.redis_url else "async+memory://"


class RateLimiter:
    def __init__(self, uri: str) -> None:
        storage = storage_from_string(uri)
        assert isinstance(storage, Storage)
        self._limiter = MovingWindowRateLimiter(storage)

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimiter:
        return cls(storage_uri(settings))

    async def ensure_allowed(self, rate: str, *key: str, message: str) -> None:
        """Refuse with 429 and Retry-After if ``key`` has used up ``rate`` already."""
        item = parse(rate)
        if not await self._limiter.test(item, *key):
            raise TooManyRequests(
                message, headers={"Retry-After": await self._retry_after(item, *key)}
            )

    async def hit(self, rate: str, *key: str) -> None:
        await self._limiter.hit(parse(rate), *key)

    async def consume(self, rate: str, *key: str, message: str) -> None:
        """Count one use and refuse it if it goes over ``rate``."""
        item = parse(rate)
        if not await self._limiter.hit(item, *key):
            raise TooManyRequests(
                message, headers={"Retry-After": await self._retry_after(item, *key)}
            )

    async def _retry_after(self, item: RateLimitItem, *key: str) -> str:
        stats = await self._limiter.get_window_stats(item, *key)
        return str(max(1, math.ceil(stats.reset_time - time.time())))
