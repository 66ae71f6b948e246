#!/bin/sh
# get-postfix-tools.sh — unpack Postfix's smtp-source and smtp-sink into
# bench/tools/ without installing Postfix: the .deb is downloaded with
# `apt-get download` (signature-checked by apt) and unpacked with `dpkg -x`.
# Wrappers in bench/tools/bin/ set LD_LIBRARY_PATH to the package's own
# /usr/lib/postfix libraries.  Idempotent; prints the tools' directory.
#
# With --root it prints the unpacked package's root instead: the
# integration tests run a Postfix instance from it (its master, smtpd,
# qmgr and smtp daemons; tests/integration/postfix_instance.py).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
tools=$here/tools
bin=$tools/bin
out=$bin
[ "${1:-}" = "--root" ] && out=$tools/root

if [ -x "$bin/smtp-source" ] && [ -x "$bin/smtp-sink" ] &&
	[ -x "$tools/root/usr/lib/postfix/sbin/master" ] &&
	"$bin/smtp-source" 2>&1 | grep -q usage; then
	echo "$out"
	exit 0
fi

mkdir -p "$tools/deb" "$bin"
cd "$tools/deb"
rm -f postfix_*.deb
# As root, apt's download sandbox user cannot write here; download as root.
if ! apt-get download -o APT::Sandbox::User=root postfix >/dev/null 2>&1; then
	apt-get update -qq >/dev/null
	apt-get download -o APT::Sandbox::User=root postfix >/dev/null
fi
deb=$(ls postfix_*.deb)
rm -rf "$tools/root"
dpkg -x "$deb" "$tools/root"

for t in sbin/master sbin/smtp sbin/smtpd sbin/qmgr; do
	[ -x "$tools/root/usr/lib/postfix/$t" ] || {
		echo "get-postfix-tools: $t not found in $deb" >&2
		exit 1
	}
done
for t in smtp-source smtp-sink; do
	[ -x "$tools/root/usr/sbin/$t" ] || {
		echo "get-postfix-tools: $t not found in $deb" >&2
		exit 1
	}
	cat >"$bin/$t" <<WRAP
#!/bin/sh
LD_LIBRARY_PATH="$tools/root/usr/lib/postfix\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" \\
	exec "$tools/root/usr/sbin/$t" "\$@"
WRAP
	chmod 755 "$bin/$t"
done

# The tools must load: a usage message, not a missing-library error.
for t in smtp-source smtp-sink; do
	if ! "$bin/$t" 2>&1 | grep -q usage; then
		echo "get-postfix-tools: $t does not run:" >&2
		"$bin/$t" >&2 || true
		exit 1
	fi
done
echo "get-postfix-tools: $(echo "$deb" | sed 's/_amd64.deb//') unpacked" >&2
echo "$out"
