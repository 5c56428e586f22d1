"""What a benchmark ran on, for the table it prints and the JSON it writes."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def machine() -> str:
    """Cores and CPU model, as /proc/cpuinfo names it (else what Python knows)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"{os.cpu_count()} x {line.split(':', 1)[1].strip()}"
    except OSError:
        pass
    return f"{os.cpu_count()} x {platform.processor() or 'unknown'}"
