"""Prometheus metrics, with the official client: what IT watches to know Candor is healthy.

Counters and histograms are updated where things happen; gauges that describe Redis (the outbox,
the job queue) are refreshed when ``/metrics`` is scraped. No label ever carries an id of a person,
a workspace or a message.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

TURN_SECONDS = Histogram(
    "candor_turn_seconds",
    "Time the engine takes for one participant message, Redis and interviewer included",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)
ACK_SECONDS = Histogram(
    "candor_ack_seconds",
    "Time from receiving a platform event to acknowledging it",
    ["platform"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 3),
    registry=REGISTRY,
)
INTERVIEWS = Counter(
    "candor_interviews_total",
    "Interviews reaching each state (invited, consent_pending, in_progress, completed, declined, withdrawn, ...)",
    ["state"],
    registry=REGISTRY,
)
FALLBACKS = Counter(
    "candor_interviewer_fallbacks_total",
    "Turns the scripted interviewer took because the model could not be used",
    registry=REGISTRY,
)
LLM_TOKENS = Counter(
    "candor_llm_tokens_total",
    "Model tokens, by kind (input, cache_read, cache_write, output)",
    ["kind"],
    registry=REGISTRY,
)
LLM_COST = Counter("candor_llm_cost_dollars_total", "Estimated model cost in US dollars", registry=REGISTRY)
INVITATIONS = Counter(
    "candor_invitations_total",
    "Wave invitations by outcome (sent, deferred, busy, failed, not_needed, opted_out, cancelled)",
    ["platform", "outcome"],
    registry=REGISTRY,
)
THROTTLED = Counter(
    "candor_throttled_total",
    "Platform calls that waited for the shared rate limiter or were refused with a 429",
    ["platform", "reason"],
    registry=REGISTRY,
)
OUTBOX_PENDING = Gauge(
    "candor_outbox_pending",
    "Transcripts waiting in the outbox, overall (sink='all') and failing per sink",
    ["sink"],
    registry=REGISTRY,
)
QUEUE_DEPTH = Gauge("candor_jobs_queued", "Background jobs waiting or scheduled in the job queue", registry=REGISTRY)


def count_usage(tokens: tuple[int, int, int, int], cost: float) -> None:
    for kind, value in zip(("input", "cache_read", "cache_write", "output"), tokens, strict=True):
        if value:
            LLM_TOKENS.labels(kind).inc(value)
    if cost:
        LLM_COST.inc(cost)
