#!/bin/sh
# gen-config-docs.sh — regenerate docs/configuration.md and
# docs/man/ferry.conf.5 from their hand-written templates and the option
# table, as printed by `ferry check-config --print-reference [--man]`.
# With --check, fail instead of writing when a checked-in file is stale.
#
# usage: scripts/gen-config-docs.sh [--check] [FERRY_BINARY]
set -eu

check=0
if [ "${1:-}" = "--check" ]; then
	check=1
	shift
fi
ferry=${1:-./ferry}
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Replace the line "@OPTIONS@" of template $1 with the output of the rest.
fill() {
	template=$1
	shift
	"$@" >"$tmp/options"
	awk -v opts="$tmp/options" '
		$0 == "@OPTIONS@" { while ((getline l < opts) > 0) print l; next }
		{ print }' "$template"
}

fill "$top/docs/configuration.md.in" "$ferry" check-config --print-reference \
	>"$tmp/configuration.md"
fill "$top/docs/man/ferry.conf.5.in" "$ferry" check-config --print-reference \
	--man >"$tmp/ferry.conf.5"

status=0
for pair in "configuration.md:docs/configuration.md" \
	"ferry.conf.5:docs/man/ferry.conf.5"; do
	gen=${pair%%:*}
	dst=${pair#*:}
	if [ "$check" = 1 ]; then
		if ! cmp -s "$tmp/$gen" "$top/$dst"; then
			echo "$dst is stale: run scripts/gen-config-docs.sh" >&2
			status=1
		fi
	else
		cp "$tmp/$gen" "$top/$dst"
	fi
done
exit $status
