"""Keep one command running: start it again whenever it exits (what `make run` does with the
background worker). Standard library only.

    python -m mycustomers.devtools.supervise COMMAND [ARG ...]

A command that keeps failing at once is started again after a growing pause (1 s, doubling
up to 30 s; back to 1 s once it has run for a minute). SIGINT and SIGTERM are passed on to
the command, which is waited for; then the supervisor exits. The command runs in a session
of its own, so that a terminal's Ctrl-C reaches it once, through the supervisor.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

FIRST_PAUSE = float(os.environ.get("SUPERVISE_FIRST_PAUSE", "1"))
LONGEST_PAUSE = 30.0
# A run this long was not a crash loop: the next pause starts short again.
STEADY_SECONDS = 60.0


def supervise(command: list[str]) -> int:
    stopping = False
    child: subprocess.Popen | None = None

    def stop(signum, frame) -> None:
        nonlocal stopping
        stopping = True
        if child is not None and child.poll() is None:
            child.send_signal(signum)
        else:  # between two runs: nothing to wait for
            raise SystemExit(128 + signum)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    pause = FIRST_PAUSE
    while True:
        started = time.monotonic()
        child = subprocess.Popen(command, start_new_session=True)
        code = child.wait()
        if stopping:
            return code
        if time.monotonic() - started >= STEADY_SECONDS:
            pause = FIRST_PAUSE
        how = f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited with {code}"
        print(
            f"supervise: {' '.join(command[-2:])} {how}; starting it again in {pause:g} s",
            file=sys.stderr,
            flush=True,
        )
        time.sleep(pause)
        if stopping:
            return code
        pause = min(pause * 2, LONGEST_PAUSE)


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: python -m mycustomers.devtools.supervise COMMAND [ARG ...]", file=sys.stderr)
        return 2
    return supervise(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
