"""Where finished transcripts go: a small sink interface and the sinks that implement it."""

from bot.delivery.base import Sink
from bot.delivery.file import FileSink
from bot.delivery.transcript import Transcript, dataset_text

__all__ = ["FileSink", "Sink", "Transcript", "dataset_text"]
