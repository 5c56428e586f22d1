"""Keyed hashes of platform identities: Redis keys that cannot be reversed or guessed without the key."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from bot.types import Participant


def conversation_key(secret: bytes, participant: Participant) -> str:
    """An HMAC, not a plain hash: a platform id is easy to guess, so a plain hash would be reversible."""
    material = f"{participant.platform.value}\x1f{participant.workspace}\x1f{participant.user}".encode()
    return hmac.new(secret, material, hashlib.sha256).hexdigest()[:32]


def load_or_create_key(configured: str | None, data_dir: Path) -> bytes:
    """The configured key, or for development a random one kept (mode 0600) under the data dir."""
    if configured:
        return configured.encode()
    path = data_dir / "pseudonym.key"
    if path.exists():
        return path.read_bytes().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


def study_pseudonym(secret: bytes, study_id: str, conversation: str) -> str:
    """The same person gets the same pseudonym within a study, and unlinkable ones across studies.

    ``conversation`` is already a keyed hash of the platform identity, so no platform id is needed here.
    """
    digest = hmac.new(secret, f"study\x1f{study_id}\x1f{conversation}".encode(), hashlib.sha256).hexdigest()
    return f"p_{digest[:20]}"
