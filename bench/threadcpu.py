#!/usr/bin/env python3
"""CPU per thread of a running process, for bench/run.sh's PROFILE.

Usage: PROFILE=bench/threadcpu.py bench/run.sh.  Attached by PID when
ferry listens; on SIGINT (the workload is done) prints, per thread id,
its name and the share of one core it used (utime + stime from
/proc/PID/task/TID/stat) in between.  Tick counts, unlike top's
per-thread figures on this VM, add up to the process's own total.
"""
import os
import signal
import sys
import time


def snapshot(pid):
    ticks = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                name_end = f.read().rsplit(")", 1)
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
        except OSError:
            continue
        fields = name_end[1].split()
        ticks[tid] = (name, int(fields[11]) + int(fields[12]))
    return ticks


def main():
    pid = sys.argv[1]
    hz = os.sysconf("SC_CLK_TCK")
    before, t0 = snapshot(pid), time.monotonic()

    def report(*_):
        after, elapsed = snapshot(pid), time.monotonic() - t0
        used = {t: after[t][1] - before.get(t, (None, 0))[1] for t in after}
        for tid in sorted(used, key=used.get, reverse=True):
            share = used[tid] / hz / elapsed * 100
            print(f"{tid} {after[tid][0]} {share:.1f}%")
        sys.exit(0)

    # bench/run.sh starts PROFILE in the background, where SIGINT is
    # ignored unless a handler is set again.
    signal.signal(signal.SIGINT, report)
    while True:
        time.sleep(0.2)


if __name__ == "__main__":
    main()
