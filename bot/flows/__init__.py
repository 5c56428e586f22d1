"""Interview flows: study guides kept as YAML data and validated into typed models."""

from bot.flows.loader import FlowFileError, FlowProblem, FlowRegistry, load_flow_file, packaged_flows_dir
from bot.flows.model import Flow, Question
from bot.flows.notice import StudyInfo, consent_version, privacy_notice

__all__ = [
    "Flow",
    "FlowFileError",
    "FlowProblem",
    "FlowRegistry",
    "Question",
    "StudyInfo",
    "consent_version",
    "load_flow_file",
    "packaged_flows_dir",
    "privacy_notice",
]
