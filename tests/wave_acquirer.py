"""A separate worker process for the rate-limit tests: takes grants from a shared bucket, prints them as JSON.

Usage: python -m tests.wave_acquirer REDIS_URL PREFIX BUCKET RATE BURST TASKS GRANTS MODE
MODE "attempt" records each grant's Redis time; MODE "acquire" goes through RateLimiter.acquire.
It announces itself with INCR <PREFIX>:ready and starts when <PREFIX>:go exists, so that the
test can line every acquirer up to start together.
"""

from __future__ import annotations

import asyncio
import json
import sys

import redis.asyncio as aioredis

from bot.waves.ratelimit import RateLimiter


async def take(limiter: RateLimiter, bucket: str, rate: float, burst: int, grants: int, mode: str) -> list[float]:
    times: list[float] = []
    while len(times) < grants:
        if mode == "acquire":
            await limiter.acquire(bucket, rate, burst)
            times.append(0.0)
            continue
        decision = await limiter.attempt(bucket, rate, burst)
        if decision.granted:
            times.append(decision.at)
        else:
            await asyncio.sleep(decision.retry_after)
    return times


async def main(url: str, prefix: str, bucket: str, rate: float, burst: int, tasks: int, grants: int, mode: str) -> None:
    client = aioredis.from_url(url)
    try:
        limiter = RateLimiter(client, prefix=prefix)
        await client.incr(f"{prefix}:ready")
        while not await client.exists(f"{prefix}:go"):
            await asyncio.sleep(0.01)
        results = await asyncio.gather(*(take(limiter, bucket, rate, burst, grants, mode) for _ in range(tasks)))
    finally:
        await client.aclose()
    print(json.dumps([t for result in results for t in result]))


if __name__ == "__main__":
    url, prefix, bucket, rate, burst, tasks, grants, mode = sys.argv[1:9]
    asyncio.run(main(url, prefix, bucket, float(rate), int(burst), int(tasks), int(grants), mode))
