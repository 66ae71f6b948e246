#!/bin/sh
# lint-deps.sh — keep the module dependencies what README.md's layout says.
#
# Each module (a directory of src/, and src/main.c as "main") may include
# headers of the modules its row below names, and of no other.  A header
# ending in _int.h is the inside of its module: no other module includes
# it (tests may).  Fails, listing the offending lines, on an include
# outside the table, on a foreign _int.h and on a module without a row.
#
# Usage: scripts/lint-deps.sh [ROOT]   (ROOT defaults to the repository)
set -eu

root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"

# module: the modules it may use (base is everyone's; order as in README).
deps='
main:    cli
cli:     base reply smtp policy config queue deliver explain auth tls sched dns dkim spf control metrics doctor sandbox map tlsrpt
base:
reply:
smtp:    base reply auth policy milter config queue tls metrics
policy:  base reply config dns spf tls mailauth map
milter:  base
config:  base map
queue:   base config sandbox
deliver: base config queue
explain:
auth:    base config sandbox
tls:     base config
sched:   base reply policy config queue explain relay dns dane sts tlsrpt dkim dsn metrics
relay:   base reply queue tls dane
dns:     base
spf:     base dns
mailauth: base dns dkim spf
dane:    base dns
sts:     base dns
tlsrpt:  base
dkim:    base config queue
dsn:     base reply queue explain
control: base policy config queue smtp
metrics: base config queue
doctor:  base reply config dns dkim spf mailauth explain relay dane sts
sandbox: base config
map:     base
'

status=0

# One grep over every include of src/, judged in one awk: a shell loop per
# file spent its time forking.
files=$(find src -name '*.[ch]' | sort)
# shellcheck disable=SC2086
grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]+"[a-z_]+/' \
	/dev/null $files | awk -v deps="$deps" -v files="$files" '
function module(f, m) {
	if (f == "src/main.c")
		return "main"
	m = substr(f, 5)
	sub(/\/.*/, "", m)
	return m
}
BEGIN {
	n = split(deps, rows, "\n")
	for (i = 1; i <= n; i++) {
		if (split(rows[i], w, /[ \t]+/) < 1 || w[1] == "")
			continue
		m = w[1]
		sub(/:$/, "", m)
		known[m] = 1
		for (j = 2; j in w; j++)
			ok[m, w[j]] = 1
	}
	nf = split(files, fl, "\n")
	for (i = 1; i <= nf; i++) {
		m = module(fl[i])
		if (!(m in known)) {
			printf "lint-deps: %s: module \047%s\047 has no row in " \
			    "scripts/lint-deps.sh\n", fl[i], m > "/dev/stderr"
			bad = 1
		}
	}
}
{
	# path:line:#include "dep/header.h"
	split($0, parts, ":")
	f = parts[1]
	inc = $0
	sub(/^[^"]*"/, "", inc)
	sub(/".*/, "", inc)
	dep = inc
	sub(/\/.*/, "", dep)
	m = module(f)
	if (dep == m || !(m in known))
		next
	if (inc ~ /_int\.h$/) {
		printf "lint-deps: %s:%s: includes %s, the inside of module " \
		    "%s\n", f, parts[2], inc, dep > "/dev/stderr"
		bad = 1
	} else if (!((m, dep) in ok)) {
		printf "lint-deps: %s:%s: %s may not use %s (%s); see the " \
		    "table in scripts/lint-deps.sh and README.md\n", f,
		    parts[2], m, dep, inc > "/dev/stderr"
		bad = 1
	}
}
END { exit bad }
' || status=1

[ $status -eq 0 ] && echo "lint-deps: ok"
exit $status
