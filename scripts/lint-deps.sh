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
cli:     base reply smtp policy config queue deliver explain auth tls sched dns dkim control metrics tlsrpt
base:
reply:
smtp:    base reply auth policy milter config queue tls metrics
policy:  base reply config dns
milter:  base
config:  base
queue:   base config
deliver: base config queue
explain:
auth:    base config
tls:     base config
sched:   base reply policy config queue explain relay dns dane sts tlsrpt dkim dsn metrics
relay:   base reply queue tls dane
dns:     base
dane:    base dns
sts:     base dns
tlsrpt:  base
dkim:    base config queue
dsn:     base reply queue explain
control: base cli policy config queue smtp
metrics: base config queue
'

allowed() { # module -> its row, or "-" when it has none
	printf '%s\n' "$deps" | awk -v m="$1:" '$1 == m { $1 = ""; print; f = 1 }
		END { if (!f) print "-" }'
}

status=0
for f in $(find src -name '*.[ch]' | sort); do
	case $f in
	src/main.c) mod=main ;;
	*) mod=${f#src/}; mod=${mod%%/*} ;;
	esac
	row=$(allowed "$mod")
	if [ "$row" = "-" ]; then
		echo "lint-deps: $f: module '$mod' has no row in" \
			"scripts/lint-deps.sh" >&2
		status=1
		continue
	fi
	grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]+"[a-z_]+/' "$f" |
		sed -E 's|^([0-9]+):.*"([a-z_]+)/([^"]*)".*|\1 \2 \3|' |
		while read -r line dep hdr; do
			[ "$dep" = "$mod" ] && continue
			case $hdr in
			*_int.h)
				echo "lint-deps: $f:$line: includes $dep/$hdr," \
					"the inside of module $dep" >&2
				echo x
				continue
				;;
			esac
			case " $row " in
			*" $dep "*) ;;
			*)
				echo "lint-deps: $f:$line: $mod may not use" \
					"$dep ($dep/$hdr); see the table in" \
					"scripts/lint-deps.sh and README.md" >&2
				echo x
				;;
			esac
		done | grep -q x && status=1
done

[ $status -eq 0 ] && echo "lint-deps: ok"
exit $status
