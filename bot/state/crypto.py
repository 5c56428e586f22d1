"""Encryption at rest for what Redis holds: AES-256-GCM under a keyring, so keys can rotate.

A stored value is ``len(key id) ‖ key id ‖ nonce(12) ‖ ciphertext+tag(16)``, raw bytes (base64
would cost Redis a third more memory). The associated data is the value's place (its Redis key,
plus a role such as the header), so a ciphertext copied to another interview does not decrypt.

What is encrypted is one codec byte and the text: raw deflate when that is shorter (answers shrink
by about 40%, which pays for the 30-odd bytes each value gains), else the text as it is. Each value
is compressed alone and holds one person's words, so compression mixes no secret with text an
attacker chooses; the length it leaks is no worse than the plain length that encryption leaks anyway.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
import zlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bot.errors import CandorError, ConfigError

VARIABLE = "CANDOR_ENCRYPTION_KEYS"
KEY_FILE = "encryption.key"
NONCE_BYTES = 12
_KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,16}$")
_RAW, _DEFLATE = 0, 1
# Below this, deflate's own overhead wins over what it saves.
_COMPRESS_FROM = 160
_FIX = f"give {VARIABLE} as comma-separated keyid:base64key entries; `candor keys generate` prints one"


class DecryptionFailed(CandorError):
    """A stored value cannot be read with the configured keys; the message says which key is missing."""


def _parse_entry(entry: str, position: int) -> tuple[str, bytes]:
    """One ``keyid:base64key``; errors never repeat the entry, which may be a key pasted in the wrong place."""
    where = f"{VARIABLE} entry {position}"
    key_id, colon, encoded = entry.partition(":")
    key_id = key_id.strip()
    if not colon:
        raise ConfigError(f"{where} has no ':' (expected keyid:base64key). {_FIX}")
    if not _KEY_ID.match(key_id):
        raise ConfigError(f"{where}: the key id before ':' must be 1-16 letters, digits, '_', '.' or '-'. {_FIX}")
    try:
        key = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError(f"{where} ({key_id}): the key is not valid base64. {_FIX}") from None
    if len(key) != 32:
        raise ConfigError(f"{where} ({key_id}): the key is {len(key)} bytes; AES-256 needs 32. {_FIX}")
    return key_id, key


@dataclass(frozen=True)
class Keyring:
    """The first key encrypts; every key decrypts, so values written before a rotation stay readable."""

    current: str
    keys: dict[str, AESGCM]

    @classmethod
    def parse(cls, raw: str) -> Keyring:
        """Read ``keyid:base64key,...``; every mistake names the variable and the entry."""
        entries = [part for part in raw.split(",") if part.strip()]
        if not entries:
            raise ConfigError(f"{VARIABLE} is set but holds no key. {_FIX}")
        keys: dict[str, AESGCM] = {}
        for position, entry in enumerate(entries, start=1):
            key_id, key = _parse_entry(entry, position)
            if key_id in keys:
                raise ConfigError(f"{VARIABLE} entry {position}: key id {key_id!r} appears twice; ids must be unique")
            keys[key_id] = AESGCM(key)
        return cls(current=next(iter(keys)), keys=keys)

    @classmethod
    def generate(cls) -> Keyring:
        """A throwaway keyring, for tests and benchmarks that keep nothing."""
        return cls.parse(new_entry())

    def encrypt(self, plaintext: bytes, aad: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        key_id = self.current.encode()
        sealed = self.keys[self.current].encrypt(nonce, _pack(plaintext), aad)
        return bytes((len(key_id),)) + key_id + nonce + sealed

    def decrypt(self, blob: bytes, aad: bytes) -> bytes:
        key_id, body = _split(blob)
        aead = self.keys.get(key_id)
        if aead is None:
            known = ", ".join(self.keys)
            raise DecryptionFailed(
                f"a value in Redis was encrypted with key {key_id!r}, which {VARIABLE} does not list "
                f"(it has: {known}); add that key back (after the first) and run `candor keys rotate`"
            )
        try:
            return _unpack(aead.decrypt(body[:NONCE_BYTES], body[NONCE_BYTES:], aad))
        except InvalidTag:
            raise DecryptionFailed(
                f"a value in Redis failed authentication under key {key_id!r}: it was altered, moved from "
                "another key, or that key id names a different key than the one it was written with"
            ) from None

    def key_id(self, blob: bytes) -> str:
        return _split(blob)[0]

    def reencrypt(self, blob: bytes, aad: bytes) -> bytes | None:
        """The value under the current key, or None when it already is (so it need not be written)."""
        if self.key_id(blob) == self.current:
            return None
        return self.encrypt(self.decrypt(blob, aad), aad)


def _pack(data: bytes) -> bytes:
    if len(data) >= _COMPRESS_FROM:
        # Level 1, a 4 KB window and a small memory level: on chat-sized texts about as small as level 6
        # (benchmarks/engine.py: 1.44x vs 1.44x Redis bytes per text byte after one answer) and much cheaper.
        # Texts under 160 bytes are left as they are: the saving there is small and the time is not.
        packer = zlib.compressobj(1, zlib.DEFLATED, -12, 4)
        packed = packer.compress(data) + packer.flush()
        if len(packed) < len(data):
            return bytes((_DEFLATE,)) + packed
    return bytes((_RAW,)) + data


def _unpack(data: bytes) -> bytes:
    """Only ever called on authenticated plaintext, so a crafted deflate bomb cannot reach it."""
    if data[:1] == bytes((_DEFLATE,)):
        return zlib.decompress(data[1:], -15)
    if data[:1] == bytes((_RAW,)):
        return data[1:]
    raise DecryptionFailed("a value in Redis uses an unknown encoding (written by a newer Candor?)")


def _split(blob: bytes) -> tuple[str, bytes]:
    size = blob[0] if blob else 0
    if not 0 < size <= 16 or len(blob) < 1 + size + NONCE_BYTES + 16:
        raise DecryptionFailed("a value in Redis is not an encrypted value (unencrypted or damaged data)")
    try:
        return blob[1 : 1 + size].decode("ascii"), blob[1 + size :]
    except UnicodeDecodeError:
        raise DecryptionFailed("a value in Redis has an unreadable key id (damaged data)") from None


def new_entry(key_id: str | None = None) -> str:
    """A fresh ``keyid:base64key`` entry; the default id is short, because every value stores it."""
    key_id = key_id or f"k{secrets.token_hex(3)}"
    if not _KEY_ID.match(key_id):
        raise ConfigError(f"key id {key_id!r} must be 1-16 letters, digits, '_', '.' or '-'")
    return f"{key_id}:{base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()}"


def load_or_create_keyring(configured: str | None, data_dir: Path) -> Keyring:
    """The configured keyring, or (development, demo) one key kept in the data dir with mode 0600.

    The demo's embedded Redis survives a crash, so its key must too; the file holds one entry in
    the same ``keyid:base64key`` form, so it can be pasted into the variable later.
    """
    if configured is not None:
        return Keyring.parse(configured)
    path = data_dir / KEY_FILE
    if path.exists():
        try:
            return Keyring.parse(path.read_text().strip())
        except ConfigError:
            raise ConfigError(
                f"{path} does not hold one keyid:base64key entry: restore it from a backup (what Redis holds "
                f"cannot be read without it), or set {VARIABLE}"
            ) from None
    data_dir.mkdir(parents=True, exist_ok=True)
    entry = new_entry("dev")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(entry + "\n")
    return Keyring.parse(entry)
