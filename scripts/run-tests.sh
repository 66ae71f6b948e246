#!/usr/bin/env bash
# run-tests.sh — the one test command (README and CI call exactly this).
#
# Stages, in order; a failing stage does not stop the later ones unless they
# need its output (no unit tests without a build):
#   deps            scripts/install-deps.sh
#   build           make -j2
#   format          make format-check        (clang-format)
#   lint-replies    make lint-replies        (scripts/lint-replies.sh)
#   lint-deps       make lint-deps           (scripts/lint-deps.sh)
#   cppcheck        make cppcheck
#   tidy            make tidy        (clang-tidy, .clang-tidy)
#   unit            make unit                (cmocka; counted per test)
#   integration     make integration         (pytest; counted per test)
#   bounce-score    make bounce-score        (report of ../shared/bounces
#                                             figures; passes if it ran)
#   san-build       make -j2 SAN=1           (ASan + UBSan)
#   san-unit        make SAN=1 unit
#   san-integration make SAN=1 integration
#   fuzz            make fuzz-run FUZZ_SECONDS=15
#
# Counting: every cmocka and pytest test case counts once; every other stage
# counts as one check.  A test binary or pytest run that fails without
# reporting a failed case (a crash, a sanitizer abort, a timeout) counts as
# one more failure.  Skipped tests count as neither.  The last line is
# "N passed, N failed"; the exit status is non-zero if N failed > 0.
#
# Environment: FUZZ_SECONDS (default 15), JOBS (default 2).  Logs go to
# build/test-logs/<stage>.log.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 2
JOBS=${JOBS:-2}
FUZZ_SECONDS=${FUZZ_SECONDS:-15}
LOGS=build/test-logs
mkdir -p "$LOGS"
# Sanitizers: stop at the first UB report, show where it came from.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}

passed=0
failed=0
skipped=0
report=()

# run STAGE LIMIT_SECONDS CMD...: run with a time limit, log, return status.
run() {
	local stage=$1 limit=$2 rc
	shift 2
	echo "=== $stage: $*"
	timeout --kill-after=10 "$limit" "$@" </dev/null 2>&1 |
		tee "$LOGS/$stage.log"
	rc=${PIPESTATUS[0]}
	[ "$rc" -eq 124 ] && echo "=== $stage: timed out after ${limit}s"
	return "$rc"
}

# A stage that counts as one check.
stage() {
	local stage=$1
	if run "$@"; then
		passed=$((passed + 1))
		report+=("ok      $stage")
		return 0
	fi
	failed=$((failed + 1))
	report+=("FAILED  $stage (see $LOGS/$stage.log)")
	return 1
}

# A stage that could not run because an earlier one failed.
not_run() {
	failed=$((failed + 1))
	report+=("FAILED  $1 (not run: $2)")
}

# Add the test-case counts of one stage; RC is the stage's exit status.
count_cases() {
	local stage=$1 rc=$2 p=$3 f=$4 s=$5
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1 # failed without a failed case: crash, abort or timeout
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	if [ "$f" -eq 0 ]; then
		report+=("ok      $stage: $p passed, $s skipped")
	else
		report+=("FAILED  $stage: $p passed, $f failed, $s skipped (see $LOGS/$stage.log)")
	fi
}

# cmocka prints per group "[  PASSED  ] N test(s)." and
# "[  FAILED  ] N test(s), listed below:" and "[  SKIPPED ] N test(s).".
sum_cmocka() {
	local stage=$1 rc
	run "$@"
	rc=$?
	local log="$LOGS/$stage.log"
	count_cases "$stage" "$rc" \
		"$(awk '/^\[  PASSED  \] [0-9]+ test/ { n += $4 } END { print n+0 }' "$log")" \
		"$(awk '/^\[  FAILED  \] [0-9]+ test/ { n += $4 } END { print n+0 }' "$log")" \
		"$(awk '/^\[  SKIPPED \] [0-9]+ test/ { n += $4 } END { print n+0 }' "$log")"
}

# pytest -q ends with "3 passed, 1 failed, 2 skipped, 1 error in 0.1s".
sum_pytest() {
	local stage=$1 rc line
	run "$@"
	rc=$?
	line=$(grep -E '^(=+ )?[0-9]+ (passed|failed|skipped|error|errors|deselected|xfailed|xpassed)' \
		"$LOGS/$stage.log" | tail -n 1)
	pick() { echo "$line" | grep -oE "[0-9]+ $1" | awk '{ n += $1 } END { print n+0 }'; }
	count_cases "$stage" "$rc" "$(pick passed)" \
		"$(($(pick failed) + $(pick 'errors?') + $(pick xpassed)))" \
		"$(($(pick skipped) + $(pick xfailed)))"
}

start=$(date +%s)

stage deps 900 ./scripts/install-deps.sh

if stage build 900 make -j"$JOBS"; then
	built=1
else
	built=0
fi

stage format 300 make format-check
stage lint-replies 300 make lint-replies
stage lint-deps 300 make lint-deps
stage cppcheck 600 make cppcheck
stage tidy 900 make tidy

if [ $built -eq 1 ]; then
	sum_cmocka unit 300 make unit
	sum_pytest integration 900 make integration
	stage bounce-score 600 make bounce-score
else
	not_run unit "build failed"
	not_run integration "build failed"
fi

if stage san-build 900 make -j"$JOBS" SAN=1; then
	sum_cmocka san-unit 600 make SAN=1 unit
	sum_pytest san-integration 1200 make SAN=1 integration
else
	not_run san-unit "SAN build failed"
	not_run san-integration "SAN build failed"
fi

stage fuzz 900 make fuzz-run FUZZ_SECONDS="$FUZZ_SECONDS"

echo
echo "=== summary ($(($(date +%s) - start))s; logs in $LOGS/)"
printf '  %s\n' "${report[@]}"
[ $skipped -gt 0 ] && echo "  ($skipped test(s) skipped)"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
