"""Conversation references in Redis: where a Teams user can be reached later (invitations)."""

from __future__ import annotations

import hashlib
import hmac

import redis.asyncio as aioredis
from microsoft_agents.activity import Activity, ConversationReference

# A reference is routing data (conversation and user ids), kept while it can still be useful.
REFERENCE_SECONDS = 400 * 86400


class References:
    def __init__(self, client: aioredis.Redis, prefix: str, secret: bytes) -> None:
        self.client = client
        self.prefix = f"{prefix}:teams"
        self._secret = secret

    def _key(self, kind: str, *parts: str) -> str:
        digest = hmac.new(self._secret, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()[:32]
        return f"{self.prefix}:{kind}:{digest}"

    async def remember(self, activity: Activity, tenant_id: str, user_id: str) -> None:
        reference = activity.get_conversation_reference()
        data = reference.model_dump_json(by_alias=True, exclude_none=True)
        async with self.client.pipeline(transaction=False) as pipe:
            pipe.set(self._key("ref", tenant_id, user_id), data, ex=REFERENCE_SECONDS)
            if activity.service_url:
                # New 1:1 chats in this tenant are created through the same regional endpoint.
                pipe.set(self._key("service", tenant_id), activity.service_url, ex=REFERENCE_SECONDS)
            await pipe.execute()

    async def service_url(self, tenant_id: str) -> str | None:
        raw = await self.client.get(self._key("service", tenant_id))
        return raw.decode() if isinstance(raw, bytes) else raw

    async def save(self, reference: ConversationReference, tenant_id: str, user_id: str) -> None:
        data = reference.model_dump_json(by_alias=True, exclude_none=True)
        await self.client.set(self._key("ref", tenant_id, user_id), data, ex=REFERENCE_SECONDS)

    async def find(self, tenant_id: str, user_id: str) -> ConversationReference | None:
        raw = await self.client.get(self._key("ref", tenant_id, user_id))
        return ConversationReference.model_validate_json(raw) if raw else None

    async def first_greeting(self, conversation_id: str) -> bool:
        """True once per conversation: the bot introduces itself only the first time."""
        return bool(await self.client.set(self._key("greeted", conversation_id), "1", nx=True, ex=REFERENCE_SECONDS))

    async def forget_greeting(self, conversation_id: str) -> None:
        await self.client.delete(self._key("greeted", conversation_id))
