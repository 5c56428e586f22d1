"""Interview state: its data model and where it lives (Redis)."""

from bot.state.model import Interview, Role, Status, Turn
from bot.state.sink_ledger import SinkFailure, SinkLedger
from bot.state.store import CommitResult, RedisStateStore

__all__ = ["CommitResult", "Interview", "RedisStateStore", "Role", "SinkFailure", "SinkLedger", "Status", "Turn"]
