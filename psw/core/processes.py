"""Processes of this host: whether one still runs (claims, locks and leftovers are
freed when their owner is gone)."""

from __future__ import annotations

import os


def pid_alive(pid: int) -> bool:
    """Whether a process of this host is running."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but another user's
        pass
    return True
