"""The "Don't ask me again" button of a wave's invitation, the same on Slack and Teams.

The person is put on the deployment's opt-out list (no wave invites them again) and the
invitation is declined through the engine exactly as "Not now" would, so the funnel counts it.
"""

from __future__ import annotations

from bot.engine import InterviewEngine, texts
from bot.types import Inbound, Participant, Reply, ReplyKind
from bot.waves.store import WaveStore

LABEL = "Don't ask me again"
CONFIRMED = "Understood: you won't get any more interview invitations from me."


async def opt_out(engine: InterviewEngine, waves: WaveStore, participant: Participant, message_id: str) -> list[Reply]:
    """Record the opt-out first (it must hold even if declining fails), then decline; the replies to send."""
    await waves.opt_out(engine.key_for(participant))
    # The same text a "Not now" click sends, so the engine declines it as one.
    declined = await engine.handle(Inbound(participant, "not now", message_id=message_id, choice=ReplyKind.INVITATION))
    # An invitation already answered (or gone) says so; the opt-out itself still counts.
    kept = [reply for reply in declined if reply.text != texts.CHOICE_STALE]
    return [*kept, Reply(CONFIRMED)]
