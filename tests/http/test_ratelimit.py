"""Rate limits, in memory by default and shared through Redis when it is configured."""

from __future__ import annotations

import uuid

import pytest

from recipevault.errors import TooManyRequests
from recipevault.http.ratelimit import RateLimiter, storage_uri
from tests.support.app import make_settings


async def _exhaust(limiter: RateLimiter, key: str) -> None:
    for _ in range(3):
        await limiter.consume("3/minute", "test", key, message="slow down")


async def test_memory_limiter_refuses_with_retry_after() -> None:
    limiter = RateLimiter("async+memory://")
    await _exhaust(limiter, "a")
    with pytest.raises(TooManyRequests) as refused:
        await limiter.consume("3/minute", "test", "a", message="slow down")
    assert 1 <= int(refused.value.headers["Retry-After"]) <= 60
    await limiter.consume("3/minute", "test", "b", message="slow down")  # other keys unaffected


async def test_ensure_allowed_does_not_count() -> None:
    limiter = RateLimiter("async+memory://")
    for _ in range(10):
        await limiter.ensure_allowed("3/minute", "test", "a", message="no")
    await limiter.hit("3/minute", "test", "a")
    await limiter.hit("3/minute", "test", "a")
    await limiter.hit("3/minute", "test", "a")
    with pytest.raises(TooManyRequests):
        await limiter.ensure_allowed("3/minute", "test", "a", message="no")


def test_storage_follows_redis_url() -> None:
    assert storage_uri(make_settings("sqlite://")) == "async+memory://"
    with_redis = make_settings("sqlite://", redis_url="redis://cache:6379/1")
    assert storage_uri(with_redis) == "async+redis://cache:6379/1"


@pytest.mark.redis
async def test_redis_counts_are_shared_between_processes(redis_url: str) -> None:
    # Two limiters stand for two server processes behind one load balancer.
    first = RateLimiter(storage_uri(make_settings("sqlite://", redis_url=redis_url)))
    second = RateLimiter(storage_uri(make_settings("sqlite://", redis_url=redis_url)))
    key = uuid.uuid4().hex
    await first.consume("3/minute", "test", key, message="slow down")
    await second.consume("3/minute", "test", key, message="slow down")
    await first.consume("3/minute", "test", key, message="slow down")
    with pytest.raises(TooManyRequests):
        await second.consume("3/minute", "test", key, message="slow down")
