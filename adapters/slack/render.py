"""Engine replies as Slack messages (mrkdwn text, Block Kit buttons), and the App Home view."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.errors import FlowNotFound
from bot.flows import FlowRegistry
from bot.state.history import HistoryEntry
from bot.types import Reply

CHOICE_ACTION = "candor:choice"
HOME_START = "candor:home:start"
HOME_WITHDRAW = "candor:home:withdraw"
# The "Don't ask me again" button of a wave's invitation (its own listener: it is no engine choice).
OPT_OUT_ACTION = "candor:optout"
ANSWERED_IN_CHAT = "answered in the chat"
STARTING_IN_DM = "I've started your interview in your direct messages with Candor."
FILES_NOT_READ = "Thanks. I can only read text here, so I can't see files or images. Could you describe it in words?"
ONE_MOMENT = "_One moment…_"

_STATUS_LABELS = {
    "invited": "invited",
    "consent_pending": "waiting to start",
    "in_progress": "in progress",
    "paused": "paused",
    "stop_pending": "stopping",
    "completed": "completed",
    "stopped": "completed (stopped early, answers kept)",
    "withdrawn": "withdrawn, deleted",
    "expired": "expired, deleted",
}


def escape(text: str) -> str:
    """Slack reads &, < and > as markup; a participant's quoted words must not become links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def message(reply: Reply) -> dict[str, Any]:
    """Arguments for chat.postMessage / chat.update."""
    text = escape(reply.text)
    if not reply.choices:
        return {"text": text}
    buttons = [
        {
            "type": "button",
            "action_id": f"{CHOICE_ACTION}:{index}",
            "text": {"type": "plain_text", "text": choice},
            # The kind of question travels with the choice, so an old button can't answer a new question.
            "value": f"{reply.kind.value}:{choice.lower()}",
            **({"style": "primary"} if index == 0 else {}),
        }
        for index, choice in enumerate(reply.choices)
    ]
    return {
        "text": text,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "actions", "block_id": "candor_choices", "elements": buttons},
        ],
    }


def wave_invitation(reply: Reply, opt_out_label: str) -> dict[str, Any]:
    """A wave's invitation: the engine's buttons plus "Don't ask me again", which declines and opts out."""
    arguments = message(reply)
    if "blocks" in arguments:
        button = {
            "type": "button",
            "action_id": OPT_OUT_ACTION,
            "text": {"type": "plain_text", "text": opt_out_label},
            "value": f"{reply.kind.value}:optout",
        }
        arguments["blocks"][-1]["elements"].append(button)
    return arguments


def answered(text: str, choice: str) -> dict[str, Any]:
    """The message after a button click: same words, the buttons replaced by what was chosen."""
    text = text or f"You chose: {escape(choice)}"
    return {
        "text": text,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"You chose: *{escape(choice)}*"}]},
        ],
    }


def _title(flows: FlowRegistry, flow_id: str) -> str:
    try:
        return flows.get(flow_id).title
    except FlowNotFound:
        return flow_id


def _day(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%d %b %Y")


def home_view(history: list[HistoryEntry], flows: FlowRegistry, retention_days: float) -> dict[str, Any]:
    lines = []
    for entry in history:
        title = _title(flows, entry.flow_id)
        lines.append(
            f"• *{escape(title)}*: {_STATUS_LABELS.get(entry.status, entry.status)} (started {_day(entry.started_at)})"
        )
    interviews = "\n".join(lines) if lines else "You haven't taken part in an interview yet."
    privacy = (
        "*What Candor keeps.* Your answers, with names, email addresses and phone numbers removed. "
        "Never your Slack name or ID: interviews are filed under a code that can't be traced back without "
        "a secret key.\n"
        "*Where.* In this organisation's own Candor service: while an interview runs, in its database; "
        "when it ends, in the study's transcript store.\n"
        f"*How long.* An unfinished interview is deleted after {retention_days:g} days without activity. "
        "Finished transcripts are kept by the research team for the study.\n"
        "*Who can see it.* The research team, and only as anonymized transcripts. "
        "Your manager and colleagues can't see who said what.\n"
        "*Your choice.* You can skip questions, stop, or withdraw at any time; withdrawing deletes your answers "
        "everywhere Candor stored them."
    )
    return {
        "type": "home",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Candor research interviews"}},
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": "Short written interviews for research, in a direct message here."},
                "accessory": {
                    "type": "button",
                    "action_id": HOME_START,
                    "style": "primary",
                    "text": {"type": "plain_text", "text": "Start an interview"},
                },
            },
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*Your interviews*\n{interviews}"}},
            {"type": "divider"},
            {"type": "section", "text": {"type": "mrkdwn", "text": privacy}},
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": HOME_WITHDRAW,
                        "style": "danger",
                        "text": {"type": "plain_text", "text": "Withdraw and delete my answers"},
                        "confirm": {
                            "title": {"type": "plain_text", "text": "Delete your answers?"},
                            "text": {
                                "type": "mrkdwn",
                                "text": "This ends any interview in progress and deletes everything you said in "
                                "your interviews, including saved transcripts. It can't be undone.",
                            },
                            "confirm": {"type": "plain_text", "text": "Delete"},
                            "deny": {"type": "plain_text", "text": "Keep"},
                        },
                    }
                ],
            },
        ],
    }
