"""Child processes the wave tests and benchmarks start: stopped the way an orchestrator stops them."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Sequence


def stop(processes: Sequence[subprocess.Popen[bytes]], grace: float) -> None:
    """SIGTERM to each still running, ``grace`` seconds each to finish, then SIGKILL."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
