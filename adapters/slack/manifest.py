"""The Slack app manifest for ``candor slack manifest``: paste it into api.slack.com/apps."""

from __future__ import annotations

from typing import Any

from adapters.slack.app import COMMAND
from adapters.slack.config import DEFAULT_SCOPES


def manifest(base_url: str, name: str = "Candor", socket_mode: bool = False) -> dict[str, Any]:
    base = base_url.rstrip("/")
    events_url = f"{base}/slack/events"
    return {
        "display_information": {
            "name": name,
            "description": "Short research interviews in a direct message",
            "long_description": (
                "Candor runs short, written research interviews with employees in a direct message. Answers are "
                "anonymized before anyone reads them, and participants can skip, pause, stop or withdraw at any "
                "time. The Home tab shows what is stored about you and lets you delete it."
            ),
            "background_color": "#2c3e50",
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": False,
            },
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": [
                {
                    "command": COMMAND,
                    "url": events_url,
                    "description": "Start a research interview in a direct message",
                    "usage_hint": "start [flow]",
                    "should_escape": False,
                }
            ],
        },
        "oauth_config": {
            "redirect_urls": [f"{base}/slack/oauth_redirect"],
            "scopes": {"bot": list(DEFAULT_SCOPES)},
        },
        "settings": {
            "event_subscriptions": {
                "request_url": events_url,
                "bot_events": ["message.im", "app_home_opened", "app_uninstalled", "tokens_revoked"],
            },
            "interactivity": {"is_enabled": True, "request_url": events_url},
            "org_deploy_enabled": False,
            "socket_mode_enabled": socket_mode,
            "token_rotation_enabled": False,
        },
    }
