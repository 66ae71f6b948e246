#!/bin/sh
# Installs everything ferry needs to build, run, test and benchmark on Debian 12.
# Idempotent and quiet when all is present: this script is the single source of
# truth for dependencies (README, CI and the test runner all call it).
set -eu

PACKAGES="build-essential pkg-config clang libclang-rt-14-dev clang-format clang-tidy
cppcheck libevent-dev libssl-dev libunbound-dev libhiredis-dev libcmocka-dev
libinih-dev libcrypt-dev libseccomp-dev libcdb-dev liblmdb-dev zlib1g-dev openssl python3 python3-pytest python3-pytest-xdist python3-aiosmtpd swaks libnet-ssleay-perl
procps iproute2 dovecot-core python3-dkim python3-nacl opendkim
opendkim-tools redis-server python3-spf python3-yaml publicsuffix
libsasl2-2 libsasl2-modules libdb5.3 libicu72 libnsl2"
# The last line: what the Postfix unpacked by bench/get-postfix-tools.sh
# links against (its .deb is not installed, so apt does not pull them in),
# and Cyrus SASL's PLAIN, LOGIN and SCRAM plugins for its SMTP client
# (tests/integration/test_postfix_client.py).
# The mail stack ferry runs in, for the tests that start its parts:
# Dovecot's LMTP service (tests/integration/test_lmtp.py), systemd's unit
# checker systemd-analyze (test_systemd.py), OpenDKIM, libmilter for
# Python and dkimpy (test_milter.py), prometheus_client's parser
# (test_metrics.py).
PACKAGES="$PACKAGES dovecot-lmtpd systemd opendkim python3-milter python3-dkim
python3-prometheus-client"
# DANE ([relay] tls = dane): the DNSSEC root trust anchor (dns-root-data,
# /usr/share/dns/root.key); test_dane.py signs its zones with ldnsutils and
# serves them with NSD on loopback.
PACKAGES="$PACKAGES dns-root-data nsd ldnsutils"
# The RFC 8460 report schema check of test_dane.py and test_mta_sts.py.
PACKAGES="$PACKAGES python3-jsonschema"
# dkimpy's ARC signer reads Authentication-Results fields with authres
# (test_arc.py).
PACKAGES="$PACKAGES python3-authres"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done

if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "install-deps: missing packages:$missing (run as root)" >&2
		exit 1
	fi
	echo "install-deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# The daemon drops to this user after binding its ports.
if [ "$(id -u)" -eq 0 ] && ! getent passwd ferry >/dev/null; then
	useradd --system --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin ferry
	echo "install-deps: created system user ferry"
fi
# Postfix itself, unpacked under bench/tools/ (never installed): the bench
# uses its smtp-source/smtp-sink, the integration tests its SMTP client.
# A failure here is not fatal; those tests then skip and say why.
if [ "$(id -u)" -eq 0 ]; then
	sh "$(dirname "$0")/../bench/get-postfix-tools.sh" >/dev/null ||
		echo "install-deps: warning: the postfix .deb could not be" \
			"fetched (bench/get-postfix-tools.sh)" >&2
fi
exit 0
