"""``candor teams package``: the Teams app package (manifest and icons) an admin uploads."""

from __future__ import annotations

import io
import json
import struct
import uuid
import zipfile
import zlib
from importlib.metadata import PackageNotFoundError, version
from typing import Any
from urllib.parse import urlsplit

from bot.errors import ConfigError

MANIFEST_VERSION = "1.16"
SCHEMA = f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
ACCENT = (0x2C, 0x3E, 0x50)


def manifest(base_url: str, app_id: str, name: str = "Candor") -> dict[str, Any]:
    parts = urlsplit(base_url)
    if parts.scheme != "https" or not parts.hostname:
        raise ConfigError(f"--url must be the public https:// address of candor serve (got {base_url!r})")
    try:
        app_guid = uuid.UUID(app_id)
    except ValueError:
        raise ConfigError(f"--app-id must be the Azure Bot's app id, a GUID (got {app_id!r})") from None
    base = base_url.rstrip("/")
    host = parts.hostname
    return {
        "$schema": SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": _version(),
        # Stable for one bot at one address, so uploading a new package updates the same app.
        "id": str(uuid.uuid5(app_guid, base)),
        "developer": {
            "name": name,
            "websiteUrl": base,
            "privacyUrl": f"{base}/privacy",
            "termsOfUseUrl": f"{base}/terms",
        },
        "name": {"short": name, "full": f"{name} research interviews"},
        "description": {
            "short": "Short research interviews in a 1:1 chat",
            "full": (
                "Candor runs short, written research interviews with employees in a personal chat. Answers are "
                "anonymized before anyone reads them, and participants can skip, pause, stop or withdraw at any time."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#{:02X}{:02X}{:02X}".format(*ACCENT),
        "bots": [
            {
                "botId": app_id,
                "scopes": ["personal"],
                "isNotificationOnly": False,
                "supportsFiles": False,
                "commandLists": [
                    {
                        "scopes": ["personal"],
                        "commands": [
                            {"title": "start", "description": "Start an interview"},
                            {"title": "help", "description": "What you can type during an interview"},
                            {"title": "withdraw", "description": "Delete everything you said in the interview"},
                        ],
                    }
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [host],
        # Lets research ops install the app for a user (Graph) so invitations can reach them.
        "webApplicationInfo": {"id": app_id, "resource": f"api://{host}/{app_id}"},
    }


def _version() -> str:
    try:
        return version("candor")
    except PackageNotFoundError:
        return "0.1.0"


def package(base_url: str, app_id: str, name: str = "Candor") -> bytes:
    """A zip with manifest.json, color.png (192x192) and outline.png (32x32) at its root."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest(base_url, app_id, name), indent=2))
        archive.writestr("color.png", _icon(192, outline=False))
        archive.writestr("outline.png", _icon(32, outline=True))
    return buffer.getvalue()


def _icon(size: int, *, outline: bool) -> bytes:
    """A disc: white on the accent colour, or a white ring on transparent (Teams' rule for outlines)."""
    rows = []
    centre, radius = size / 2, size * 0.36
    for y in range(size):
        row = bytearray([0])  # filter byte: none
        for x in range(size):
            distance = ((x + 0.5 - centre) ** 2 + (y + 0.5 - centre) ** 2) ** 0.5
            inside = distance <= radius
            if outline:
                edge = inside and distance >= radius - max(1.5, size / 16)
                row += bytes((255, 255, 255, 255 if edge else 0))
            else:
                row += bytes((255, 255, 255, 255)) if inside else bytes((*ACCENT, 255))
        rows.append(bytes(row))
    return _png(size, size, b"".join(rows))


def _png(width: int, height: int, rgba_rows: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rgba_rows, 9))
        + chunk(b"IEND", b"")
    )
