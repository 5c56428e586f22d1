"""``candor worker``: a deployment's background jobs, run by any number of worker processes.

Jobs live in a saq queue on the deployment's Redis (``saq:<prefix>:jobs``). saq was chosen over arq
because arq pins redis-py below 6 while saq supports current releases, and saq gives what the jobs
need: keyed (idempotent) enqueueing, scheduled jobs, retries, cron jobs that run once per tick across
all workers, and sweeping of jobs whose worker died.

Two kinds of work: delivery retries (every ``CANDOR_DELIVERY_RETRY_SECONDS`` one worker hands each
due transcript to the sinks that do not have it yet) and interview waves (plan, top up, invite,
remind, close; ``bot/waves/runner.py``), which reach Slack and Teams through the same clients as
``candor serve``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import warnings
from typing import TYPE_CHECKING, Any

from aiohttp import web
from saq import CronJob, Queue, Worker
from saq.queue.redis import RedisQueue
from saq.types import PartialTimersDict

from adapters.metrics_web import metrics_route
from adapters.runtime import Runtime
from adapters.server import RunningServer, start_server
from adapters.wave_ops import PLAN_TIMEOUT
from bot.config import Settings
from bot.errors import ConfigError
from bot.state.connect import redis_client
from bot.waves.channel import WaveChannel
from bot.waves.ratelimit import Limits, RateLimiter
from bot.waves.runner import WaveClock, WaveRunner
from bot.waves.store import WaveState, WaveStore

if TYPE_CHECKING:
    from adapters.service import Service

log = logging.getLogger(__name__)
# saq 0.26 writes jobs with redis-py's setex, which redis-py 8 deprecates (in favour of set ... ex=)
# but still provides; that one warning is known and harmless, so it stays out of the logs.
warnings.filterwarnings("ignore", message="Call to deprecated setex", category=DeprecationWarning)


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
    return RedisQueue(redis_client(url), name=f"{prefix}:jobs")


class SaqScheduler:
    """The wave runner's :class:`Scheduler` on saq: keyed jobs, run at a wave time turned into a real one."""

    def __init__(self, queue: Queue, clock: WaveClock) -> None:
        self.queue = queue
        self.clock = clock

    async def enqueue(self, job: str, job_key: str, at: float | None = None, **kwargs: Any) -> None:
        scheduled = 0 if at is None else max(0, math.ceil(self.clock.to_real(at)))
        timeout = PLAN_TIMEOUT if job == "plan_wave" else 300
        await self.queue.enqueue(job, key=job_key, scheduled=scheduled, timeout=timeout, retries=3, **kwargs)


class Jobs:
    """The functions workers run, bound to one runtime (engine, store, sinks) per process."""

    def __init__(self, runtime: Runtime, waves: WaveRunner | None, scheduler: SaqScheduler) -> None:
        self.runtime = runtime
        self.waves = waves
        self.scheduler = scheduler

    def _runner(self) -> WaveRunner:
        if self.waves is None:
            raise ConfigError("this worker has no Slack or Teams configured, so it cannot run wave jobs")
        return self.waves

    async def retry_deliveries(self, ctx: Any) -> int:
        delivered = await self.runtime.engine.deliver_outbox()
        if delivered:
            log.info("delivered %d waiting transcript(s)", delivered)
        return delivered

    async def plan_wave(self, ctx: Any, *, wave_id: str) -> int:
        return await self._runner().plan(wave_id)

    async def top_up(self, ctx: Any, *, wave_id: str) -> int:
        return await self._runner().top_up(wave_id)

    async def invite_member(self, ctx: Any, *, wave_id: str, member: str, attempt: int = 0) -> str:
        return await self._runner().invite(wave_id, member, attempt)

    async def remind_member(self, ctx: Any, *, wave_id: str, member: str, number: int, attempt: int = 0) -> str:
        return await self._runner().remind(wave_id, member, number, attempt)

    async def close_wave(self, ctx: Any, *, wave_id: str) -> int:
        return await self._runner().close(wave_id)

    async def top_up_running(self, ctx: Any) -> int:
        """Every running wave is topped up now and then: completes free room in their strata."""
        if self.waves is None:
            return 0
        running = 0
        for wave_id in await self.waves.store.ids():
            if await self.waves.store.state(wave_id) is not WaveState.RUNNING:
                continue
            running += 1
            # A start whose planning job was never queued (the process died in between) is planned now.
            if not await self.waves.store.planned(wave_id):
                await self.scheduler.enqueue("plan_wave", f"plan:{wave_id}", None, wave_id=wave_id)
            else:
                await self.scheduler.enqueue("top_up", f"topup:{wave_id}", None, wave_id=wave_id)
        return running


async def _channels(settings: Settings, service: Service) -> dict[str, WaveChannel]:
    """The platforms this worker can reach, each behind the shared Redis rate limiter."""
    limiter = RateLimiter(service.runtime.client, prefix=f"{settings.redis_prefix}:rl")
    limits = Limits.from_setting(settings.rate_limits)
    channels: dict[str, WaveChannel] = {}
    if service.slack is not None:
        from adapters.slack.waves import SlackWaveChannel

        channels["slack"] = SlackWaveChannel(service.slack.interviews, limiter, limits)
    if service.teams is not None:
        from adapters.teams.waves import TeamsWaveChannel

        channels["teams"] = TeamsWaveChannel(service.teams, limiter, limits)
    return channels


async def build_worker(settings: Settings, service: Service) -> tuple[Worker[Any], Queue]:
    """A saq worker with every Candor job, on an opened service (its engine and platform clients)."""
    runtime = service.runtime
    queue = job_queue(runtime.connect_url, settings.redis_prefix)
    clock = WaveClock.parse(settings.wave_clock)
    scheduler = SaqScheduler(queue, clock)
    channels = await _channels(settings, service)
    store = WaveStore(runtime.client, settings.redis_prefix, runtime.engine.store.keyring)
    runner = WaveRunner(store, runtime.engine, channels, scheduler, clock) if channels else None
    jobs = Jobs(runtime, runner, scheduler)
    every = settings.delivery_retry_seconds
    # A tick's job is keyed, so however many workers run, one runs per tick. If its worker dies,
    # the job counts as stuck after its timeout and the sweep frees the key; the work itself is
    # safe to cut anywhere, since every sink write and every wave step is idempotent.
    crons = [
        CronJob(jobs.retry_deliveries, cron=retry_cron(every), timeout=max(10, 3 * every)),
        CronJob(jobs.top_up_running, cron=retry_cron(settings.wave_top_up_seconds), timeout=60),
    ]
    functions: list[Any] = [
        ("plan_wave", jobs.plan_wave),
        ("top_up", jobs.top_up),
        ("invite_member", jobs.invite_member),
        ("remind_member", jobs.remind_member),
        ("close_wave", jobs.close_wave),
    ]
    worker = Worker(
        queue,
        functions=functions,
        cron_jobs=crons,
        concurrency=settings.worker_concurrency,
        # A dead worker's job is freed within seconds of its timeout (sweep), and a stop takes about two
        # seconds: each upkeep loop finishes its sleep first (worker_info is 10 s by default).
        timers=PartialTimersDict(schedule=1, worker_info=2, sweep=5, abort=1),
        # A short blocking read, so a stop request is seen within a second.
        dequeue_timeout=1.0,
        shutdown_grace_period_s=20,
    )
    return worker, queue


async def run_worker(settings: Settings) -> None:
    """Until SIGTERM or SIGINT: saq finishes running jobs within the grace period, then stops."""
    from adapters.service import open_service
    from adapters.slack.config import load_slack_settings
    from adapters.teams.config import load_teams_settings

    slack_settings = load_slack_settings()
    teams_settings = load_teams_settings()
    service = await open_service(settings, slack_settings if slack_settings.configured else None, teams_settings)
    try:
        worker, queue = await build_worker(settings, service)
        server = await _serve_health(settings, service, queue) if settings.worker_port else None
        try:
            await worker.start()
        finally:
            if server is not None:
                await server.close()
            await queue.disconnect()
    finally:
        await service.close()


async def _serve_health(settings: Settings, service: Service, queue: Queue) -> RunningServer:
    """/healthz (the process and its Redis) and /metrics, for container health checks and Prometheus."""

    async def healthz(request: web.Request) -> web.Response:
        try:
            await service.runtime.engine.store.ping()
        except Exception as exc:
            return web.json_response({"status": "unhealthy", "redis": type(exc).__name__}, status=503)
        return web.json_response({"status": "ok"})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_routes([metrics_route(service.runtime.engine, queue)])
    return await start_server(app, "0.0.0.0", settings.worker_port)


def main(settings: Settings) -> int:
    asyncio.run(run_worker(settings))
    return 0
