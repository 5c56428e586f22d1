"""A webhook sink: each transcript (and each deletion) POSTed as JSON, signed per Standard Webhooks.

It lives with the adapters because it speaks HTTP (aiohttp); the engine only sees the Sink interface.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import aiohttp

from bot.delivery.transcript import Transcript, dataset_text
from bot.errors import CandorError


class WebhookFailed(CandorError):
    """The receiver did not accept the delivery; it stays in the outbox and is sent again later."""


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``, with a ``whsec_`` secret as the spec defines."""
    key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    if not key:
        raise ValueError("an empty webhook secret")
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


class WebhookSink:
    """Idempotent by design: a redelivery carries the same ``webhook-id``, which receivers de-duplicate."""

    name = "webhook"

    def __init__(self, url: str, secret: str, timeout_seconds: float = 10.0) -> None:
        self.url = url
        self.secret = secret
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds)

    async def deliver(self, transcript: Transcript) -> None:
        payload = {
            "type": "transcript.delivered",
            "data": {**transcript.to_dict(), "text": dataset_text(transcript.turns)},
        }
        await self._post(f"{transcript.transcript_id}.delivered", payload)

    async def delete(self, transcript_id: str) -> bool:
        await self._post(
            f"{transcript_id}.deleted", {"type": "transcript.deleted", "data": {"transcript_id": transcript_id}}
        )
        return True

    async def _post(self, message_id: str, payload: dict[str, Any]) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode()
        timestamp = int(time.time())
        headers = {
            "content-type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(self.secret, message_id, timestamp, body),
        }
        try:
            async with (
                aiohttp.ClientSession(timeout=self.timeout) as session,
                session.post(self.url, data=body, headers=headers) as response,
            ):
                if response.status >= 300:
                    raise WebhookFailed(f"the webhook answered HTTP {response.status}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise WebhookFailed(f"the webhook could not be reached ({type(exc).__name__})") from None
