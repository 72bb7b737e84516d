"""Latency at a fixed request rate below saturation.

wrk keeps every connection busy: the server is saturated, and its p99 is then mostly how the
event loop orders 32 waiting requests, which moves several-fold between identical runs. Latency
is measured instead at a fixed request rate below saturation (open loop, as wrk2 does): request
i is queued at start + i / rate whatever happened to the ones before, and its latency runs from
then, so a stall is charged to every request that waited behind it for a free connection.
"""

from __future__ import annotations

import asyncio
import math
import time
from urllib.parse import urlsplit

import httpx
from harness import Load, LoadOptions, Timings
from servers import BenchError, require_local


def _request_bytes(base_url: str, load: Load) -> tuple[bytes, ...]:
    host = urlsplit(base_url).netloc
    built = []
    for request in load.requests:
        lines = [f"{load.method} {request.path} HTTP/1.1", f"Host: {host}"]
        lines += [f"{name}: {value}" for name, value in load.headers.items()]
        if request.body is not None:
            lines.append(f"Content-Length: {len(request.body)}")
        built.append(("\r\n".join(lines) + "\r\n\r\n").encode() + (request.body or b""))
    return tuple(built)


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    """Read one HTTP/1.1 response off ``reader``: its status, headers (names in lower case)
    and body."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split(" ", 2)[1])
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            chunks.append((await reader.readexactly(size + 2))[:-2])
        await reader.readuntil(b"\r\n")  # no trailers are sent to us; the closing empty line
        body = b"".join(chunks)
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers, body


async def _paced(base_url: str, load: Load, rate: float, options: LoadOptions) -> Timings:
    requests = _request_bytes(base_url, load)
    total = min(options.max_requests, max(1, math.floor(rate * options.duration_s)))
    due: asyncio.Queue[float | None] = asyncio.Queue()
    latencies: list[float] = []
    errors = {"status": 0, "socket": 0}
    parts = urlsplit(base_url)
    sent = 0

    async def connect() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection(parts.hostname, parts.port)

    async def connection(
        reader: asyncio.StreamReader | None, writer: asyncio.StreamWriter | None
    ) -> None:
        nonlocal sent
        while (queued := await due.get()) is not None:
            data = requests[sent % len(requests)]
            sent += 1
            try:
                async with asyncio.timeout(options.timeout_s):
                    if reader is None or writer is None:  # the last request failed
                        reader, writer = await connect()
                    writer.write(data)
                    status, _, _ = await read_response(reader)
            except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError):
                errors["socket"] += 1
                if writer is not None:
                    writer.close()
                reader = writer = None
                continue
            latencies.append((time.perf_counter() - queued) * 1000)
            if status >= httpx.codes.BAD_REQUEST:
                errors["status"] += 1
        if writer is not None:
            writer.close()

    try:  # connected before the clock starts: connecting is not what is measured
        async with asyncio.timeout(options.timeout_s):
            streams = [await connect() for _ in range(options.connections)]
    except (OSError, TimeoutError) as exc:
        raise BenchError(f"cannot connect to {base_url}: {exc!r}") from None
    workers = [asyncio.create_task(connection(*stream)) for stream in streams]
    started = time.perf_counter()
    try:
        async with asyncio.timeout(options.duration_s + options.timeout_s + 10):
            for index in range(total):
                scheduled = started + index / rate
                if (wait := scheduled - time.perf_counter()) > 0:
                    await asyncio.sleep(wait)
                # From now, not from ``scheduled``: a timer firing late is the client's delay.
                due.put_nowait(time.perf_counter())
            for _ in workers:
                due.put_nowait(None)
            await asyncio.gather(*workers)
    except TimeoutError:  # far behind the rate: what is still queued or in flight timed out
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        errors["socket"] = total - len(latencies)
    elapsed_s = time.perf_counter() - started
    return Timings(f"fixed rate {rate:g}/s", tuple(latencies), elapsed_s, errors)


def run_fixed_rate(base_url: str, load: Load, rate: float, options: LoadOptions) -> Timings:
    """Send ``load`` at ``rate`` requests a second for ``options.duration_s`` (bounded by
    ``max_requests``) over up to ``options.connections`` keep-alive connections; every
    latency is kept (``Timings.result()`` for the figures, ``pooled`` for several runs)."""
    require_local(base_url)
    if not load.requests or rate <= 0:
        raise BenchError("a fixed-rate load needs requests and a positive rate")
    return asyncio.run(_paced(base_url, load, rate, options))
