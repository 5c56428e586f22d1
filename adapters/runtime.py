"""Building a ready engine from settings: flows, Redis (configured or embedded), sinks, keys."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import redis.asyncio as aioredis

from adapters.webhook import WebhookSink, sign
from bot.config import Settings
from bot.delivery import FileSink, Sink
from bot.engine import EngineOptions, InterviewEngine
from bot.errors import ConfigError
from bot.flows import FlowRegistry, packaged_flows_dir
from bot.interviewers import Interviewer, ScriptedInterviewer
from bot.privacy import load_or_create_key
from bot.privacy.redact import Placeholders, Redactor
from bot.state import RedisStateStore
from bot.state.connect import is_sentinel, redis_client
from bot.state.crypto import Keyring, load_or_create_keyring
from bot.state.embedded import EmbeddedRedis
from bot.waves.runner import WaveTracker
from bot.waves.store import WaveStore

log = logging.getLogger(__name__)


def printable_url(url: str) -> str:
    """The Redis URL with any password masked, for error messages and logs."""
    if is_sentinel(url):  # several hosts: no single host and port to rebuild from
        return re.sub(r"(://[^:@/]*:)[^@/]*@", r"\1***@", url)
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def flow_dirs(settings: Settings) -> list[Path]:
    return [packaged_flows_dir(), *([settings.flows_dir] if settings.flows_dir else [])]


def keyring_for(settings: Settings) -> Keyring:
    """``CANDOR_ENCRYPTION_KEYS``, or the data folder's generated key (``candor serve`` checks first that it may)."""
    configured = settings.encryption_keys.get_secret_value() if settings.encryption_keys else None
    return load_or_create_keyring(configured, settings.data_dir)


def build_sinks(settings: Settings) -> list[Sink]:
    """``CANDOR_SINKS``, comma-separated: ``file``, ``file:///path``, ``https://``, ``s3://``, ``postgresql://``."""
    sinks: list[Sink] = []
    for raw in (part.strip() for part in settings.sinks.split(",")):
        if raw in ("", "file"):
            sinks.append(FileSink(settings.data_dir))
        elif raw.startswith("file://"):
            sinks.append(FileSink(Path(raw.removeprefix("file://"))))
        elif raw.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            if settings.webhook_secret is None:
                raise ConfigError(
                    "CANDOR_SINKS has a webhook: set CANDOR_WEBHOOK_SECRET (whsec_...) to sign deliveries"
                )
            secret = settings.webhook_secret.get_secret_value()
            try:
                sign(secret, "check", 0, b"")
            except ValueError:
                raise ConfigError(
                    "CANDOR_WEBHOOK_SECRET must be whsec_ followed by base64 (Standard Webhooks)"
                ) from None
            sinks.append(WebhookSink(raw, secret))
        elif raw.startswith(("postgresql://", "postgres://")):
            from adapters.postgres_sink import PostgresSink

            sinks.append(PostgresSink(raw))
        elif raw.startswith("s3://"):
            from adapters.s3_sink import S3Sink

            sinks.append(S3Sink(raw, settings.s3_endpoint_url))
        else:
            raise ConfigError(
                f"CANDOR_SINKS: {raw!r} is not a sink;"
                " use file, file:///path, https://..., s3://BUCKET/PREFIX or postgresql://..."
            )
    return _unique_names(sinks or [FileSink(settings.data_dir)])


def _unique_names(sinks: list[Sink]) -> list[Sink]:
    """Two sinks of one kind (two folders, say) get file, file-2, ...: their delivery records stay apart."""
    seen: dict[str, int] = {}
    for sink in sinks:
        seen[sink.name] = seen.get(sink.name, 0) + 1
        if seen[sink.name] > 1:
            sink.name = f"{sink.name}-{seen[sink.name]}"
    return sinks


def redact_terms(settings: Settings) -> tuple[str, ...]:
    return tuple(t.strip() for t in settings.redact_terms.split(",") if t.strip())


def redact_ids(settings: Settings) -> tuple[str, ...]:
    return tuple(dict.fromkeys(k.strip() for k in settings.redact_ids.split(",") if k.strip()))


def build_redactor(settings: Settings) -> Redactor:
    """The deployment's redaction (terms, id kinds, placeholder style), for text read outside the engine."""
    return Redactor(style=Placeholders(settings.placeholders), terms=redact_terms(settings), ids=redact_ids(settings))


def build_interviewer(settings: Settings) -> Interviewer:
    """Claude when an API key is configured, else the offline script."""
    if settings.anthropic_api_key is None:
        return ScriptedInterviewer()
    import anthropic

    from bot.interviewers.claude import ClaudeInterviewer, Prices

    client = anthropic.AsyncAnthropic(
        api_key=settings.anthropic_api_key.get_secret_value(),
        max_retries=settings.model_max_retries,
        timeout=settings.model_timeout_seconds,
    )
    prices = Prices(settings.price_input, settings.price_cache_write, settings.price_cache_read, settings.price_output)
    return ClaudeInterviewer(client, settings.model, prices, fallback=ScriptedInterviewer())


@dataclass
class Runtime:
    engine: InterviewEngine
    client: aioredis.Redis
    embedded: EmbeddedRedis | None
    redis_url: str
    # The deployment's key for keyed hashes of platform identities.
    secret: bytes
    # The URL to connect with (redis_url above hides any password, for messages).
    connect_url: str = ""

    async def close(self) -> None:
        close_interviewer = getattr(self.engine.interviewer, "close", None)
        if close_interviewer is not None:
            await close_interviewer()
        await self.client.aclose()
        if self.embedded is not None:
            self.embedded.stop()


async def open_runtime(
    settings: Settings, *, answer_window_seconds: float | None = None, retry_outbox: bool = True
) -> Runtime:
    """Connect everything; raises StoreUnavailable (with the URL) when Redis cannot be reached."""
    flows = FlowRegistry.from_dirs(flow_dirs(settings))
    flows.get(settings.default_flow)  # fail at startup, not at the first message
    keyring = keyring_for(settings)  # likewise: a bad key is a configuration error, before Redis starts
    embedded = None
    url = settings.redis_url
    if url is None:
        embedded = EmbeddedRedis(settings.data_dir / "redis")
        url = embedded.start()
        log.info("using the embedded Redis at %s (set REDIS_URL for a shared server)", url)
    if is_sentinel(url):
        # The sentinels say which server is the master, and are asked again after a failover.
        client = redis_client(url, socket_connect_timeout=3, socket_timeout=10, health_check_interval=30)
    else:
        # A blocking pool: under a burst, a request waits a moment for a free connection instead of failing.
        pool = aioredis.BlockingConnectionPool.from_url(
            url,
            max_connections=settings.redis_max_connections,
            timeout=10,
            socket_connect_timeout=3,
            socket_timeout=10,
            health_check_interval=30,
        )
        client = aioredis.Redis.from_pool(pool)  # the client owns the pool: closing it closes the connections
    store = RedisStateStore(
        client,
        prefix=settings.redis_prefix,
        ttl_seconds=settings.interview_ttl_seconds,
        url_for_errors=printable_url(url),
        keyring=keyring,
    )
    try:
        await store.ping()
    except Exception:
        await client.aclose()
        if embedded is not None:
            embedded.stop()
        raise
    window = settings.answer_window_seconds if answer_window_seconds is None else answer_window_seconds
    secret = load_or_create_key(
        settings.pseudonym_key.get_secret_value() if settings.pseudonym_key else None, settings.data_dir
    )
    engine = InterviewEngine(
        flows=flows,
        store=store,
        interviewer=build_interviewer(settings),
        sinks=build_sinks(settings),
        secret=secret,
        options=EngineOptions(
            default_flow=settings.default_flow,
            answer_window_seconds=window,
            max_message_chars=settings.max_message_chars,
            support_resources=settings.support_resources,
            placeholders=Placeholders(settings.placeholders),
            redact_terms=redact_terms(settings),
            redact_ids=redact_ids(settings),
            delivery_backoff_seconds=settings.delivery_backoff_seconds,
            delivery_backoff_max_seconds=settings.delivery_backoff_max_seconds,
        ),
    )
    # Interviews a wave started report each status to that wave's member records.
    engine.watchers.append(WaveTracker(WaveStore(client, settings.redis_prefix, engine.store.keyring)))
    if retry_outbox:
        await engine.deliver_outbox(force=True)
    return Runtime(
        engine=engine,
        client=client,
        embedded=embedded,
        redis_url=printable_url(url),
        secret=secret,
        connect_url=url,
    )
