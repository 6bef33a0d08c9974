"""What machine this is: for `faceswap info`, bug reports and benchmark lines."""

from __future__ import annotations

import os
import platform


def cpu_name() -> str:
    """The CPU's marketing name (from /proc/cpuinfo on Linux)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_gib() -> float | None:
    """Physical memory in GiB, when the OS says."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30
    except (ValueError, OSError, AttributeError):
        return None


def describe() -> str:
    """One line: CPU, cores, memory, Python."""
    memory = memory_gib()
    ram = f", {memory:.0f} GiB" if memory else ""
    return f"{cpu_name()}, {os.cpu_count()} cores{ram}, Python {platform.python_version()}"
