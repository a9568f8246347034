"""Forked workers that die with the build and never hold its lock; a stop signal that
cannot be lost.

A worker forked by the building process inherits its open files, the version lock among
them: an flock is held as long as any process keeps a descriptor of it open, so a worker
that outlived a killed build (SIGKILL by the OOM killer or a scheduler) kept every later
build of that version out. Two things prevent it:

- `held_in_parent_only`: a descriptor registered here is closed in every forked child
  (`os.register_at_fork`), so only the building process holds the lock;
- `die_with_parent`, run first in every worker: the kernel sends the worker SIGKILL when
  the building process dies (`PR_SET_PDEATHSIG`, Linux), and a worker whose parent died
  before that was set exits at once.

Ctrl-C and SIGTERM raise in the building process, and `stop_on_signals` also remembers
them: Python ignores an exception raised where it cannot propagate (an at-fork hook such as
logging's, a finaliser: "Exception ignored in ..."), and a build whose Ctrl-C landed there
went on and published. `raise_if_stopped`, at every stage and before a release is put in
place, raises a remembered stop again; the ignored one prints nothing. While a release is
renamed into place (`stops_held`) a stop waits, so that it comes either before (nothing is
published) or after (`published`: the release is whole, and the message says so).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

PR_SET_PDEATHSIG = 1

_parent_only: set[int] = set()
_stopped_by: type[BaseException] | None = None
_holding = False  # inside `stops_held`
published: list[Path] = []  # releases this process put in place, for the message of a later stop


class Terminated(BaseException):
    """SIGTERM arrived (a BaseException, like KeyboardInterrupt: nothing may swallow it)."""


def stop_on_signals() -> None:
    """Ctrl-C raises KeyboardInterrupt and SIGTERM (a scheduler, `kill`) `Terminated`, and
    both are remembered for `raise_if_stopped`."""

    def stop(signum: int, frame: object) -> None:
        global _stopped_by
        _stopped_by = KeyboardInterrupt if signum == signal.SIGINT else Terminated
        if not _holding:
            raise _stopped_by

    def unraisable(seen: sys.UnraisableHookArgs) -> None:
        if seen.exc_type not in (KeyboardInterrupt, Terminated):
            sys.__unraisablehook__(seen)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    sys.unraisablehook = unraisable


def raise_if_stopped() -> None:
    """Raise the stop a signal asked for, if one did (even if its first raise was lost)."""
    if _stopped_by is not None:
        raise _stopped_by


@contextlib.contextmanager
def stops_held() -> Iterator[None]:
    """Inside, a stop signal is remembered, not raised; it is raised on leaving."""
    global _holding
    _holding = True
    try:
        yield
    finally:
        _holding = False
    raise_if_stopped()


def _close_parent_only() -> None:
    for fd in _parent_only:
        with contextlib.suppress(OSError):
            os.close(fd)
    _parent_only.clear()


os.register_at_fork(after_in_child=_close_parent_only)


@contextlib.contextmanager
def held_in_parent_only(fd: int) -> Iterator[None]:
    """While inside, `fd` is closed in any process forked from this one."""
    _parent_only.add(fd)
    try:
        yield
    finally:
        _parent_only.discard(fd)


def die_with_parent(parent: int) -> None:
    """Make this (forked) worker die with `parent`, the building process, and leave Ctrl-C
    and SIGTERM (sent to the whole process group by a terminal or a scheduler) to the
    parent: the parent stops the build and says so, workers print no traceback. A worker
    killed by SIGTERM could die halfway through writing a result to the pool's pipe, and
    the pool's reader would then wait for the rest of it forever."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)
