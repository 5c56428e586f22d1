"""The ``/admin`` page of ``candor serve``: interview waves for research ops, counts only."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from saq import Queue

from adapters.admin.auth import AdminAuth
from adapters.admin.routes import admin_app, mount_admin
from adapters.wave_ops import WaveOps
from bot.config import Settings
from bot.flows import FlowRegistry
from bot.waves.store import WaveStore

__all__ = ["AdminAuth", "admin_app", "build_admin", "mount_admin"]


def build_admin(
    settings: Settings, store: WaveStore, queue: Queue, flows: FlowRegistry, deployment_secret: bytes
) -> web.Application | None:
    """None when neither a token nor a sign-on header is configured: then /admin does not exist (404)."""
    if not settings.admin_enabled:
        return None
    ops = WaveOps(store, queue, flows, Path(settings.data_dir) / "transcripts")
    return admin_app(ops, AdminAuth.from_settings(settings, deployment_secret), settings.admin_min_group)
