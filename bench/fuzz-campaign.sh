#!/bin/sh
# Fuzz campaign (not a CI test): every libFuzzer target of tests/fuzz/ for
# SECONDS each, new inputs merged (minimised) into tests/fuzz/corpus/NAME,
# crashes kept, then a line-coverage summary of the merged corpus.
#
#   bench/fuzz-campaign.sh                     # every target, 1800 s each
#   FUZZ_SECONDS=600 bench/fuzz-campaign.sh fuzz_session fuzz_dkim
#   JOBS=2 ...                                 # libFuzzer workers per target
#
# Output: bench/out/fuzz-<time>/ holds each target's log, its crashes
# (crash-*, leak-*, timeout-*), coverage.txt (llvm-cov report) and
# summary.tsv: target, execs, execs/s, new corpus files, corpus size,
# line coverage of the target's own sources, crashes.
# Exit status: 1 if any target crashed, else 0.
set -eu
cd "$(dirname "$0")/.."

SECS=${FUZZ_SECONDS:-1800}
JOBS=${JOBS:-1}
MAX_LEN=${MAX_LEN:-4096}
OUT=${OUT:-bench/out/fuzz-$(date -u +%Y%m%dT%H%M%S)}
COV_BUILD=build/fuzzcov
mkdir -p "$OUT"

if [ $# -gt 0 ]; then targets="$*"; else
	targets=$(ls tests/fuzz/fuzz_*.c | sed 's,.*/,,; s,\.c$,,')
fi

echo "== building the fuzz targets (ASan+UBSan)"
make -s fuzz >"$OUT/build.log" 2>&1 || { tail -n 30 "$OUT/build.log"; exit 1; }

have_cov=0
if command -v llvm-profdata >/dev/null && command -v llvm-cov >/dev/null; then
	have_cov=1
	echo "== building the coverage targets ($COV_BUILD)"
	covflags="-std=c17 -D_GNU_SOURCE -g -O1 -Isrc $(pkg-config --cflags \
		libevent libssl libunbound hiredis inih libseccomp) \
		-fsanitize=fuzzer-no-link -fprofile-instr-generate -fcoverage-mapping"
	make -s fuzz FUZZ_BUILD=$COV_BUILD FUZZ_CFLAGS="$covflags" \
		>"$OUT/build-cov.log" 2>&1 || { tail -n 30 "$OUT/build-cov.log"; have_cov=0; }
fi

dict_for() {
	if [ -f "tests/fuzz/$1.dict" ]; then echo "-dict=tests/fuzz/$1.dict"
	elif [ -f tests/fuzz/smtp.dict ]; then echo "-dict=tests/fuzz/smtp.dict"; fi
}

# The sources a target is about: the .c beside each header it includes, or
# the header's whole module when there is none (the session target: all of
# src/smtp/, which its harness drives).
cov_sources() {
	if [ "$1" = fuzz_session ]; then ls src/smtp/*.c; return 0; fi
	sed -n 's/^#include "\([a-z_]*\)\/\([a-z_]*\)\.h".*/\1 \2/p' "tests/fuzz/$1.c" |
		while read -r mod base; do
			if [ -f "src/$mod/$base.c" ]; then echo "src/$mod/$base.c"
			else ls "src/$mod/"*.c; fi
		done | sort -u
}

stat_of() { # stat name, log -> last value libFuzzer printed for it
	sed -n "s/^stat::$1: *\([0-9]*\).*/\1/p" "$2" | tail -n 1
}

printf 'target\texecs\texecs_per_s\tnew_inputs\tcorpus\tline_cov\tcrashes\n' \
	>"$OUT/summary.tsv"
crashed=0
for t in $targets; do
	bin=build/fuzz/$t
	[ -x "$bin" ] || { echo "== $t: no binary"; continue; }
	corpus=tests/fuzz/corpus/$t
	work=$OUT/work/$t
	mkdir -p "$corpus" "$work" "$OUT/crashes"
	before=$(ls "$corpus" | wc -l)
	echo "== $t: ${SECS}s, corpus $before"
	par=
	[ "$JOBS" -gt 1 ] && par="-jobs=$JOBS -workers=$JOBS"
	# shellcheck disable=SC2046,SC2086
	$bin -max_total_time="$SECS" -max_len="$MAX_LEN" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 $par \
		-artifact_prefix="$OUT/crashes/$t-" $(dict_for "$t") \
		"$work" "$corpus" >"$OUT/$t.log" 2>&1 || true
	[ "$JOBS" -gt 1 ] && cat fuzz-*.log >>"$OUT/$t.log" 2>/dev/null && rm -f fuzz-*.log
	# Minimise: only inputs that add coverage go into the checked-in corpus.
	$bin -merge=1 -max_len="$MAX_LEN" "$corpus" "$work" \
		>"$OUT/$t.merge.log" 2>&1 || true
	after=$(ls "$corpus" | wc -l)
	execs=$(stat_of number_of_executed_units "$OUT/$t.log")
	rate=$(stat_of average_exec_per_sec "$OUT/$t.log")
	crashes=$(ls "$OUT/crashes" 2>/dev/null | grep -c "^$t-" || true)
	[ "$crashes" -gt 0 ] && crashed=1
	cov=-
	if [ $have_cov -eq 1 ] && [ -x "$COV_BUILD/$t" ]; then
		LLVM_PROFILE_FILE="$OUT/$t.profraw" "$COV_BUILD/$t" -runs=0 \
			"$corpus" >/dev/null 2>&1 || true
		if llvm-profdata merge -sparse "$OUT/$t.profraw" -o "$OUT/$t.profdata" 2>/dev/null; then
			src=$(cov_sources "$t")
			llvm-cov report "$COV_BUILD/$t" -instr-profile="$OUT/$t.profdata" \
				$src >"$OUT/$t.coverage.txt" 2>/dev/null || true
			cov=$(awk '/^TOTAL/ {print $10}' "$OUT/$t.coverage.txt")
			{ echo "== $t"; cat "$OUT/$t.coverage.txt"; } >>"$OUT/coverage.txt"
		fi
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "${execs:-?}" "${rate:-?}" \
		"$((after - before))" "$after" "${cov:-?}" "$crashes" >>"$OUT/summary.tsv"
	tail -n 1 "$OUT/summary.tsv"
done
echo "== summary ($OUT/summary.tsv)"
column -t "$OUT/summary.tsv" 2>/dev/null || cat "$OUT/summary.tsv"
exit $crashed
