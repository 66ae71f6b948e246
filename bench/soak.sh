#!/bin/sh
# Soak run (a benchmark, not a CI test): ferry under mixed load for
# DURATION seconds (default 1800), RSS, open descriptors and queue size
# sampled every 10 s; exits 1 if any of them grows (2: ferry died, 3: a
# sanitizer report).  Run it as root from the top directory, after `make`
# (or `make SAN=1` with FERRY_BIN=build/san/ferry), niced on a shared host:
#
#   nice -n 10 bench/soak.sh                  # 30 minutes
#   DURATION=600 nice -n 10 bench/soak.sh     # 10 minutes
#
# Settings (environment): DURATION, INTERVAL (10), WARMUP (a tenth of the
# run, at least 30 s: left out of the comparison), CLIENTS (3 per kind of
# load), PAUSE (1 s between one client's messages), OUT (default
# bench/out/soak-TIME/: samples.csv with t,rss_kb,fds,queue,sessions_done,
# and the tail of ferry's log).  What the load is and how growth is judged:
# bench/soak.py.
set -eu
cd "$(dirname "$0")/.."
[ -x "${FERRY_BIN:-./ferry}" ] || { echo "build ferry first (make)" >&2; exit 64; }
exec /usr/bin/python3 bench/soak.py
