"""What a participant is told before agreeing: the study's facts, rendered the same way for every flow.

Research ops write the facts that differ per study (who, why, who reads, where, how long, whom to
ask); the promises Candor itself keeps (an AI asks, what is recorded, anonymization, voluntary,
skip/pause/stop, withdraw later) are worded here once, so no flow can leave one out.
"""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, ConfigDict, Field

_FACT = Field(min_length=10, max_length=400)


class StudyInfo(BaseModel):
    """The study's own facts, each a short plain sentence or phrase written by research ops."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Who runs the study, e.g. "The People Research team at Northwind".
    organizer: str = _FACT
    # Why, e.g. "We want to understand how AI tools change everyday work, to plan training and tools."
    purpose: str = _FACT
    # Who reads the anonymized answers, and what is published.
    audience: str = _FACT
    # Where transcripts are kept.
    storage: str = _FACT
    # How long raw and anonymized transcripts are kept.
    retention: str = _FACT
    # Whom to ask or complain to: a person, team or mailbox.
    contact: str = _FACT


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text[-1:] in ".!?)" else text + "."


def privacy_notice(study: StudyInfo, processor: str = "", model_sees_unredacted: bool = False) -> str:
    """The "before we start" message; ``processor`` names the AI service that writes the questions, if any."""
    if processor:
        seen = "as you write them" if model_sees_unredacted else "after names and contact details are removed"
        vendor = f" Its questions are written by {processor}, which receives your answers {seen}."
    else:
        vendor = " It follows a question guide written by the research team."
    lines = [
        "Before we start, here is what taking part means:",
        f"• Who is asking, and why: {_sentence(study.organizer)} {_sentence(study.purpose)}",
        f"• You'll be talking with an AI interviewer, not a person.{vendor}",
        "• What is recorded: only what you write in this conversation, and when. Your name and profile are "
        "used only to find and remove names from your answers.",
        "• How it is anonymized: before anyone reads your answers, names, e-mail addresses, phone numbers and similar "
        "details are removed, and you are known only by a code. No method is perfect, so please leave out "
        "details that would identify you or other people.",
        f"• Who will see it: {_sentence(study.audience)}",
        f"• Where it is kept, and for how long: {_sentence(study.storage)} {_sentence(study.retention)}",
        "• Taking part is voluntary. Saying no, or stopping part-way, has no consequence for you at work, "
        "and your manager is not told whether you took part.",
        "• You can skip any question, pause, or stop at any time.",
        "• Changing your mind later: type withdraw here, even after the interview, and everything you said "
        "in it is deleted.",
        f"• Questions or concerns: {_sentence(study.contact)}",
    ]
    return "\n".join(lines)


def consent_version(*shown: str) -> str:
    """A short fingerprint of the exact words shown before consent, stored with the consent."""
    return hashlib.sha256("\n\n".join(shown).encode()).hexdigest()[:12]
