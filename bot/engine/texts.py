"""Everything the engine itself says to participants, in one place so it reads as one voice."""

from __future__ import annotations

COMMANDS_HINT = "You can type help, skip, pause, stop or withdraw at any time."

HELP = (
    "Just answer in your own words; several short messages in a row are read as one answer.\n"
    "You can also type:\n"
    "• skip: move on to the next question\n"
    "• pause: take a break; reply whenever you want to carry on\n"
    "• stop: end the interview now (you choose whether your answers are kept)\n"
    "• withdraw: end and delete everything you have said in this interview\n"
    "• help: show this message"
)

CONSENT_UNCLEAR = "Sorry, I didn't catch that. Shall we begin? Reply yes to start, or no if you'd rather not."
CONSENT_NOT_STARTED = "We haven't started yet. Reply yes to begin, or no if you'd rather not take part."
DECLINED = (
    "No problem at all, and thank you for letting me know. Nothing you said here has been kept. "
    "If you change your mind later, just send me a message."
)
PAUSED = "Paused. Take as long as you need; when you want to carry on, just reply here."
RESUMED = "Welcome back. Here is where we left off:"
STOP_ASK = (
    "Okay, we can stop here. Would you like me to keep the answers you've given so far, "
    "or delete them? Reply keep or delete."
)
STOP_UNCLEAR = "Please reply keep to keep the answers you've given so far, or delete to remove them."
STOP_KEPT = "Done. Your answers so far are kept, anonymized like everything else. Thank you for your time."
STOPPED_NOTHING_KEPT = "We've stopped. You hadn't answered anything yet, so nothing of yours was kept. Thank you."
WITHDRAWN = (
    "You've withdrawn from the interview. Everything you said in it has been deleted, "
    "and nothing from it will be used. Thank you for your time."
)
WITHDRAWN_AFTER_DELIVERY = (
    "You've withdrawn. Your interview has been deleted, including the transcript that had already been saved, "
    "and nothing from it will be used."
)
NOTHING_TO_WITHDRAW = "There's no interview in progress with you, so nothing of yours is stored here."
NO_INTERVIEW_HELP = "I run short research interviews. Send me any message to hear about the current study."
AFTER_END = (
    "This interview is finished. Thank you again for taking part. If you want your answers removed, reply withdraw."
)
SKIPPED = "No problem, let's skip that one."
WRAP_UP_TIME = "We're at about the time I said this would take, so let me ask one last thing."
EMPTY = "That message looks empty. Whenever you're ready, just type your answer."
SYMBOLS_ONLY = "Thanks. Could you put that into a few words? Emoji and symbols don't come through in the notes."
TOO_LONG = (
    "That message is longer than {limit:,} characters, so I couldn't take it in one piece. "
    "Could you send it again as two or more shorter messages? Nothing from it has been saved yet."
)
INVITATION = (
    'Hello. The research team is running a short study, "{title}", and would like to hear from you. '
    "It is a written conversation here, about {minutes} minutes, and your answers are anonymized. "
    "Would you like to take part? Reply start (or anything at all) to hear more, or not now."
)
EXPIRED = (
    "Your earlier interview had no activity for a long time, so it expired and everything in it was deleted. "
    "Send any message if you would like to start again."
)
FLOW_UNAVAILABLE = (
    "Sorry, this study isn't available at the moment. Your answers so far are safe. "
    "You can still type withdraw to delete them."
)
DELIVERY_PENDING = (
    "your previous interview's transcript could not be saved yet (the sink failed; see the log). "
    "It is kept safely and retried; try again once the sink works."
)
WITHDRAWN_EVERYTHING = (
    "Done. Everything you said in your interviews has been deleted, including transcripts that had "
    "already been saved. Nothing from them will be used."
)
CHOICE_STALE = "That question has already been answered, so I've left it as it was."
SUPPORT_DEFAULT = (
    "If things feel heavy right now, please consider talking to someone you trust, or to a local support line."
)
SUPPORT_OPTIONS = (
    "There's no need to continue. You can type pause to take a break, or stop to end here. Nothing you say "
    "is passed to your manager or anyone else."
)
WAVE_CLOSED = (
    "This study has now closed, so our conversation ends here. Nothing you said in it will be used, "
    "and it has been deleted. Thank you for your time."
)
WAVE_CLOSED_KEPT = (
    "This study has now closed, so our conversation ends here. The answers you gave so far are kept, "
    "anonymized like everything else, and you can still type withdraw to remove them. Thank you for your time."
)
