"""``python -m capacity``."""

import contextlib
import os
import sys

from capacity.cli import main

rc = main()
if rc in (130, 143):
    # Interrupted: CPython remembers a KeyboardInterrupt raised anywhere, even one caught,
    # and at a normal exit would kill itself with SIGINT (status -2) instead of 130.
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(rc)
raise SystemExit(rc)
