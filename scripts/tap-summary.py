#!/usr/bin/env python3
"""Sum TAP test cases over meson test logs: 'N passed, N failed'.

Each build's meson-logs/testlog.json holds every test binary's stdout. Every
'ok' line counts as passed and every 'not ok' as failed; a '# SKIP' is
counted as skipped, never as passed. A binary that failed without printing
'not ok' (crash, sanitizer report, timeout) counts as one more failure, and
so does a build that produced no log.
"""
import json
import os
import re
import sys

passed = failed = skipped = 0
for build in sys.argv[1:]:
    log = os.path.join(build, "meson-logs", "testlog.json")
    if not os.path.exists(log):
        print(f"{build}: no test log (build failed?)")
        failed += 1
        continue
    for line in open(log):
        rec = json.loads(line)
        out = rec.get("stdout") or ""
        p = f = s = 0
        for l in out.splitlines():
            if re.match(r"^not ok\b", l):
                if re.search(r"#\s*TODO", l, re.I):
                    continue
                f += 1
            elif re.match(r"^ok\b", l):
                if re.search(r"#\s*SKIP", l, re.I):
                    s += 1
                else:
                    p += 1
        if rec.get("result") not in ("OK", "EXPECTEDFAIL") and f == 0:
            f += 1
            print(f"{build}: {rec.get('name')}: {rec.get('result')}")
        passed += p
        failed += f
        skipped += s
line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
sys.exit(0 if failed == 0 and passed > 0 else 1)
