"""``candor worker``: a deployment's background jobs, run by any number of worker processes.

Jobs live in a saq queue on the deployment's Redis (``saq:<prefix>:jobs``). saq was chosen over arq
because arq pins redis-py below 6 while saq supports current releases, and saq gives what the jobs
need: keyed (idempotent) enqueueing, scheduled jobs, retries, cron jobs that run once per tick across
all workers, and sweeping of jobs whose worker died.

For now the worker retries deliveries: every ``CANDOR_DELIVERY_RETRY_SECONDS`` one worker looks at
the outbox and hands each due transcript to the sinks that do not have it yet.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import redis.asyncio as aioredis
from saq import CronJob, Queue, Worker
from saq.queue.redis import RedisQueue
from saq.types import PartialTimersDict

from adapters.runtime import Runtime, open_runtime
from bot.config import Settings
from bot.errors import ConfigError

log = logging.getLogger(__name__)


def retry_cron(seconds: int) -> str:
    """A cron expression (croniter, seconds last) for "every ``seconds``"."""
    if seconds < 60:
        return f"* * * * * */{seconds}"
    minutes, rest = divmod(seconds, 60)
    if rest or 60 % minutes:
        raise ConfigError(
            f"CANDOR_DELIVERY_RETRY_SECONDS={seconds}: use 1-59 seconds, or whole minutes that divide an hour"
            " (60, 120, 300, 600, 900, 1800, 3600)"
        )
    return "0 0 * * * 0" if minutes == 60 else f"*/{minutes} * * * * 0"


def job_queue(url: str, prefix: str) -> Queue:
    """Its own connection: a worker blocks on it waiting for jobs, which must not hold a pooled one."""
    return RedisQueue(aioredis.from_url(url), name=f"{prefix}:jobs")


class Jobs:
    """The functions workers run, bound to one runtime (engine, store, sinks) per process."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def retry_deliveries(self, ctx: Any) -> int:
        delivered = await self.runtime.engine.deliver_outbox()
        if delivered:
            log.info("delivered %d waiting transcript(s)", delivered)
        return delivered


async def run_worker(settings: Settings) -> None:
    """Until SIGTERM or SIGINT: saq finishes running jobs within the grace period, then stops."""
    runtime = await open_runtime(settings, answer_window_seconds=0, retry_outbox=False)
    queue = job_queue(runtime.connect_url, settings.redis_prefix)
    jobs = Jobs(runtime)
    every = settings.delivery_retry_seconds
    # A tick's job is keyed, so however many workers run, one retries the outbox per tick. If its
    # worker dies, the job counts as stuck after its timeout and the sweep frees the key; the work
    # itself is safe to cut anywhere, since every sink write is idempotent.
    cron = CronJob(jobs.retry_deliveries, cron=retry_cron(every), timeout=max(10, 3 * every))
    worker = Worker(
        queue,
        functions=set(),  # the cron job adds its own function
        cron_jobs=[cron],
        concurrency=10,
        # saq's defaults except the sweep: a dead worker's job is freed within seconds of its timeout.
        timers=PartialTimersDict(schedule=1, worker_info=10, sweep=5, abort=1),
        # A short blocking read, so a stop request is seen within a second.
        dequeue_timeout=1.0,
        shutdown_grace_period_s=20,
    )
    try:
        await worker.start()
    finally:
        await queue.disconnect()
        await runtime.close()


def main(settings: Settings) -> int:
    asyncio.run(run_worker(settings))
    return 0
