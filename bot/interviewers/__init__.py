"""Interviewers decide what to ask next; the engine decides what they are allowed to do."""

from bot.interviewers.base import Decision, Interviewer, Move, Situation, Usage
from bot.interviewers.scripted import ScriptedInterviewer

__all__ = ["Decision", "Interviewer", "Move", "ScriptedInterviewer", "Situation", "Usage"]
