"""A stand-in for a patrol run: notes its start and end, sleeps, exits with a given status.

``python fake_run.py SITE SECONDS STATUS [KIND]``; appends one JSON line per run to the
file named by ``FAKE_RUN_LOG``. Used to test the scheduler's logic with real processes.
"""

import json
import os
import sys
import time

site, seconds, status = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
kind = sys.argv[4] if len(sys.argv) > 4 else "patrol"
started = time.time()
time.sleep(seconds)
with open(os.environ["FAKE_RUN_LOG"], "a", encoding="utf-8") as log:
    line = {"site": site, "kind": kind, "pid": os.getpid(), "start": started, "end": time.time()}
    log.write(json.dumps(line) + "\n")
if status:
    print(f"fake {site} run crashed on purpose", file=sys.stderr)
sys.exit(status)
