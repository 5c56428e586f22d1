"""``/metrics`` in Prometheus text format, on `candor serve` and (with ``CANDOR_WORKER_PORT``) `candor worker`."""

from __future__ import annotations

import logging
import time
import uuid

from aiohttp import web
from aiohttp.typedefs import Handler
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from saq import Queue

from bot.engine import InterviewEngine
from bot.logcontext import REQUEST
from bot.metrics import ACK_SECONDS, OUTBOX_PENDING, QUEUE_DEPTH, REGISTRY

log = logging.getLogger(__name__)


async def refresh(engine: InterviewEngine, queue: Queue | None) -> None:
    """The gauges that describe Redis are read at scrape time, so they are never stale."""
    store = engine.store
    OUTBOX_PENDING.labels("all").set(len(await store.outbox()))
    for sink in engine.sinks:
        OUTBOX_PENDING.labels(sink.name).set(len(await store.sink_ledger.failures(sink.name)))
    if queue is not None:
        QUEUE_DEPTH.set(await queue.count("incomplete"))


def metrics_route(engine: InterviewEngine, queue: Queue | None) -> web.RouteDef:
    async def metrics(request: web.Request) -> web.Response:
        try:
            await refresh(engine, queue)
        except Exception as exc:  # counters still report; the gauges keep their last values
            log.warning("metrics: could not read Redis (%s)", type(exc).__name__)
        return web.Response(body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})

    return web.get("/metrics", metrics)


_PLATFORMS = {"/slack/events": "slack", "/api/messages": "teams"}


@web.middleware
async def request_ids(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every log line written while handling a request names it (a random id of our own)."""
    REQUEST.set(uuid.uuid4().hex[:12])
    return await handler(request)


@web.middleware
async def ack_timing(request: web.Request, handler: Handler) -> web.StreamResponse:
    """How long Slack and Teams wait for their acknowledgement (Slack's own deadline is 3 s)."""
    platform = _PLATFORMS.get(request.path)
    if platform is None:
        return await handler(request)
    started = time.perf_counter()
    try:
        return await handler(request)
    finally:
        ACK_SECONDS.labels(platform).observe(time.perf_counter() - started)
