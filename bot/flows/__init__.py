"""Interview flows: study guides kept as YAML data and validated into typed models."""

from bot.flows.loader import FlowFileError, FlowProblem, FlowRegistry, load_flow_file, packaged_flows_dir
from bot.flows.model import Flow, Question

__all__ = [
    "Flow",
    "FlowFileError",
    "FlowProblem",
    "FlowRegistry",
    "Question",
    "load_flow_file",
    "packaged_flows_dir",
]
