#!/bin/sh
# lint-replies.sh — keep every SMTP reply in the registry.
#
# 1. Fails if a C string literal that starts like a reply line ("550 5.1.1 ...",
#    "452 ", "250-...") appears in a C file outside src/reply/.  Exempt:
#    src/reply/ (the registry itself), src/explain/ (tables of replies other
#    providers send, matched by `ferry explain`) and tests/.
# 2. Fails if a C string literal that is an enhanced status code ("4.4.7")
#    appears in a C file outside the same exemptions: the statuses ferry
#    makes up as a client are rows of src/reply/statuses.def.
# 3. Fails if docs/replies.md differs from `ferry replies --markdown`, when
#    the binary exists (FERRY_BIN, default ./ferry).
#
# Usage: scripts/lint-replies.sh [ROOT]   (ROOT defaults to the repository)
set -eu

root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"
bin=${FERRY_BIN:-./ferry}
case $bin in */*) ;; *) bin=./$bin ;; esac
status=0

# A quote, a reply code (2yz/4yz/5yz with y 0-5, or 334/354), then a space
# or a dash: the start of a reply line.  Comment lines are not code.
pattern='"([245][0-5][0-9]|3[35]4)[ -]'
# A string literal that is exactly an enhanced status code (RFC 3463).
enh_pattern='"[245]\.[0-9]+\.[0-9]+"'

files=$(find . -path ./build -prune -o -path ./.git -prune -o \
	-path ./tests -prune -o -path ./src/reply -prune -o \
	-path ./src/explain -prune -o -path ./bench/tools -prune -o \
	\( -name '*.c' -o -name '*.h' \) -print | sort)

if [ -n "$files" ]; then
	# shellcheck disable=SC2086
	hits=$(grep -nE "$pattern" $files |
		grep -vE '^[^:]+:[0-9]+:[[:space:]]*(\*|/\*)|/\*.*"[0-9]{3}' || true)
	if [ -n "$hits" ]; then
		echo "lint-replies: reply code literals outside src/reply/;" \
			"add a row to src/reply/replies.def and use its R_ id:" >&2
		echo "$hits" >&2
		status=1
	fi
	# shellcheck disable=SC2086
	hits=$(grep -nE "$enh_pattern" $files |
		grep -vE '^[^:]+:[0-9]+:[[:space:]]*(\*|/\*)|/\*.*"[245]\.' || true)
	if [ -n "$hits" ]; then
		echo "lint-replies: enhanced status code literals outside" \
			"src/reply/; add a row to src/reply/statuses.def and" \
			"use its ST_ id:" >&2
		echo "$hits" >&2
		status=1
	fi
fi

if [ -x "$bin" ]; then
	tmp=$(mktemp)
	trap 'rm -f "$tmp"' EXIT
	if ! "$bin" replies --markdown >"$tmp"; then
		echo "lint-replies: '$bin replies --markdown' failed" >&2
		status=1
	elif ! cmp -s "$tmp" docs/replies.md; then
		echo "lint-replies: docs/replies.md is out of date with" \
			"src/reply/replies.def; run 'make docs':" >&2
		diff -u docs/replies.md "$tmp" >&2 || true
		status=1
	fi
else
	echo "lint-replies: $bin not built; docs/replies.md not compared"
fi

[ $status -eq 0 ] && echo "lint-replies: ok"
exit $status
