"""Timeline of the Triton worker and its compile processes, for profiling their start-up
(bench/gpu/startup_profile.py). With DEJAVU_WORKER_TRACE=FILE set, each event is appended to
FILE as one line "<unix time> <pid> <event>"; without it nothing is written and nothing is
opened. FILE must be a regular file (or not exist yet); anything else is ignored, so that a
trace never blocks or writes into a device.
"""

import os
import stat
import time

_PATH = os.environ.get("DEJAVU_WORKER_TRACE") or None
_fd = None


def event(text, when=None):
    """Appends one line (one write(2) on an O_APPEND descriptor: whole lines from every process)."""
    global _fd, _PATH
    if _PATH is None:
        return
    try:
        if _fd is None:
            fd = os.open(_PATH, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK, 0o644)
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                os.close(fd)
                _PATH = None
                return
            _fd = fd
        line = f"{time.time() if when is None else when:.6f} {os.getpid()} {text}\n"
        os.write(_fd, line.encode("utf-8", errors="replace"))
    except OSError:
        _PATH = None
