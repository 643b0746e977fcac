"""Whether the process that recorded a run still runs: its pid, told from a later process with the same pid."""

from __future__ import annotations

import os


def process_token(pid: int) -> str | None:
    """What tells this process from a later one with the same pid: the boot and its start time (Linux
    ``/proc``); None where there is no ``/proc``, or the process is gone or a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:
            fields = file.read().rsplit(b")", 1)[1].split()
        with open("/proc/sys/kernel/random/boot_id") as file:
            boot = file.read().strip()
    except (OSError, IndexError):
        return None
    if fields[0] in (b"Z", b"X"):  # a zombie (killed, not yet reaped by its parent) or dead
        return None
    return f"{boot}:{fields[19].decode()}"


def process_alive(pid: int, token: str | None) -> bool:
    """Whether the process that recorded (``pid``, ``token``) on this host still runs."""
    if token is not None and os.path.isdir("/proc/self"):
        return process_token(pid) == token
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
