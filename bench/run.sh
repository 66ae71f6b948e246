#!/usr/bin/env bash
# bench/run.sh — throughput figures for the workloads of
# ../shared/reference/peer-figures.md, all on 127.0.0.1.
#
#   P1  smtp-source -s 20 -m 20000 -l 4096 -> smtp-sink     (protocol bound)
#   P3  smtp-source -s 20 -m 2000 -r 50 -l 4096 -> smtp-sink (bound, fan-out)
#   W1  the P1 load into `ferry serve`; done when 20000 files are in Maildirs
#   W3  the P3 load into `ferry serve`; done when 100000 files are in Maildirs
#   W1M W1 with OpenDKIM signing every message (milter); W1L W1 delivered
#       over LMTP to Dovecot; W1A/W1V W1 with one rsa-2048 DKIM-signed
#       message, SPF/DKIM/DMARC checks off/on (not run unless named)
#
# Every workload has a time limit (BENCH_TIMEOUT seconds) and stops by
# itself; only the processes this script started are stopped, by PID.
# See bench/README.md for the environment variables and how to read the
# output.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD

N=${N:-20000}               # messages, P1 and W1
N3=${N3:-2000}              # messages, P3 and W3
SESSIONS=${SESSIONS:-20}    # parallel SMTP sessions
RCPTS=${RCPTS:-50}          # recipients per message, P3 and W3
LEN=${LEN:-4096}            # message body octets
USERS=${USERS:-4}           # W1: local users the messages are spread over
PYTHON=${PYTHON:-/usr/bin/python3} # W1A/W1V: dkimpy signs the message
WORKLOADS=${WORKLOADS:-P1 P3 W1 W3 W2 W4}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-600}
SINK_PORT=${SINK_PORT:-22525}
FERRY_PORT=${FERRY_PORT:-22526}
FERRY_BIN=${FERRY_BIN:-$ROOT/ferry}
OUT=${BENCH_DIR:-$ROOT/bench/out/$(date +%Y%m%d-%H%M%S)}
POLL=${POLL:-0.5}           # seconds between Maildir counts
SETTLE=${SETTLE:-360}       # seconds after a run's cleanup before the next (see below)

if [ "$USERS" -lt 1 ] || [ "$USERS" -gt "$SESSIONS" ] || [ "$RCPTS" -gt 50 ]; then
	echo "bench: need 1 <= USERS <= SESSIONS and RCPTS <= 50" >&2
	exit 2
fi

TOOLS=$("$ROOT/bench/get-postfix-tools.sh")
SOURCE=$TOOLS/smtp-source
SINK=$TOOLS/smtp-sink
TICKS=$(getconf CLK_TCK)
mkdir -p "$OUT"

# PIDs this script started and has not yet reaped.
started=()
stop_pid() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}
cleanup() {
	local pid
	for pid in "${started[@]}"; do
		stop_pid "$pid"
	done
	started=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# utime+stime+cutime+cstime of PID, in clock ticks.  The fields after the
# command name, which may hold spaces, start at field 3.
cpu_ticks() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
	echo "${stat##*) }" | awk '{ print $12 + $13 + $14 + $15 }'
}
peak_rss_kb() {
	awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0
}

port_free() {
	! ss -Hltn "sport = :$1" | grep -q .
}

# wait_port PORT PID SECONDS: until something accepts on 127.0.0.1:PORT
# while PID lives.
wait_port() {
	local port=$1 pid=$2 limit=$3 i
	for i in $(seq 1 $((limit * 10))); do
		kill -0 "$pid" 2>/dev/null || return 1
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

maildir_count() {
	find "$1" -type f \( -path '*/new/*' -o -path '*/cur/*' \) \
		-printf x 2>/dev/null | wc -c
}

# Results: one row per workload, also written to $OUT/results.tsv.
declare -A RATE
printf 'workload\tmessages\tdeliveries\tseconds\tmsgs_per_s\tdeliveries_per_s\tratio\tcpu_s_per_1000\tpeak_rss_mb\tnote\n' \
	>"$OUT/results.tsv"
row() { # name msgs deliveries seconds cpu_ticks rss_kb ratio_to note
	local name=$1 m=$2 d=$3 s=$4 t=$5 kb=$6 base=$7 note=$8 rate ratio
	rate=$(awk -v m="$m" -v s="$s" 'BEGIN { printf "%.1f", (s > 0 ? m / s : 0) }')
	RATE[$name]=$rate
	ratio=-
	if [ -n "$base" ] && [ -n "${RATE[$base]:-}" ]; then
		ratio=$(awk -v a="$rate" -v b="${RATE[$base]}" \
			'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')
		ratio="$ratio of $base"
	fi
	awk -v n="$name" -v m="$m" -v d="$d" -v s="$s" -v t="$t" -v hz="$TICKS" \
		-v kb="$kb" -v r="$ratio" -v note="$note" 'BEGIN {
		printf "%s\t%d\t%d\t%.3f\t%.1f\t%.1f\t%s\t%.3f\t%.1f\t%s\n",
			n, m, d, s, (s > 0 ? m / s : 0), (s > 0 ? d / s : 0), r,
			(m > 0 ? t / hz * 1000 / m : 0), kb / 1024, note }' |
		tee -a "$OUT/results.tsv" >/dev/null
	awk -F'\t' -v n="$name" '$1 == n {
		printf "%-3s %7d msgs %8d dlv %8.2f s  %8.1f msg/s %9.1f dlv/s  ratio %-10s  %6.3f cpu-s/1000 msgs  %6.1f MB peak RSS  %s\n",
			$1, $2, $3, $4, $5, $6, $7, $8, $9, $10 }' "$OUT/results.tsv"
}
skip_row() {
	printf '%s\t-\t-\t-\t-\t-\t-\t-\t-\t%s\n' "$1" "$2" >>"$OUT/results.tsv"
	printf '%-3s skipped: %s\n' "$1" "$2"
}

# inject PORT MSGS RCPTS SPLIT: run SPLIT smtp-source processes (sessions
# and messages divided between them, recipients 1u@..Ku@bench.test) within
# the time limit.  Returns non-zero if any of them failed.
inject() {
	local port=$1 msgs=$2 rcpts=$3 split=$4 k m s pids=() rc=0 pid
	for k in $(seq 1 "$split"); do
		m=$((msgs / split + (k <= msgs % split ? 1 : 0)))
		s=$((SESSIONS / split + (k <= SESSIONS % split ? 1 : 0)))
		[ "$m" -gt 0 ] || continue
		if [ "$rcpts" -gt 1 ]; then
			# smtp-source numbers recipients itself: 1u .. Nu.
			args=(-r "$rcpts" -t "u@bench.test")
		elif [ "$split" -gt 1 ]; then
			args=(-t "${k}u@bench.test")
		else
			args=(-t "1u@bench.test")
		fi
		# MSG_FILE: one prepared message (W1A/W1V) instead of filler.
		if [ -n "${MSG_FILE:-}" ]; then
			args+=(-F "$MSG_FILE")
		else
			args+=(-l "$LEN")
		fi
		timeout --kill-after=5 "$BENCH_TIMEOUT" "$SOURCE" -s "$s" \
			-m "$m" -f "bench@client.test" "${args[@]}" \
			"127.0.0.1:$port" 2>>"$OUT/smtp-source.log" &
		pids+=($!)
	done
	for pid in "${pids[@]}"; do
		wait "$pid" || rc=1
	done
	return $rc
}

protocol_bound() { # name msgs rcpts
	local name=$1 msgs=$2 rcpts=$3 pid t0 t1 c0 c1 kb
	port_free "$SINK_PORT" || { skip_row "$name" "port $SINK_PORT busy"; return; }
	"$SINK" -u nobody "127.0.0.1:$SINK_PORT" 256 2>"$OUT/$name-sink.log" &
	pid=$!
	started+=("$pid")
	if ! wait_port "$SINK_PORT" "$pid" 10; then
		skip_row "$name" "smtp-sink did not start (see $OUT/$name-sink.log)"
		cleanup
		return
	fi
	c0=$(cpu_ticks "$pid")
	t0=$(now)
	if ! inject "$SINK_PORT" "$msgs" "$rcpts" 1; then
		skip_row "$name" "smtp-source failed (see $OUT/smtp-source.log)"
		cleanup
		return
	fi
	t1=$(now)
	c1=$(cpu_ticks "$pid")
	kb=$(peak_rss_kb "$pid")
	cleanup
	row "$name" "$msgs" $((msgs * rcpts)) "$(elapsed "$t0" "$t1")" \
		$((c1 - c0)) "$kb" "" "smtp-sink"
}

write_config() { # dir
	local dir=$1 i
	{
		echo "[server]"
		echo "hostname = mx.bench.test"
		echo "listen = 127.0.0.1:$FERRY_PORT"
		echo "user = ferry"
		if [ -n "${SANDBOX:-}" ]; then
			echo "sandbox = $SANDBOX"
		fi
		echo
		echo "[queue]"
		echo "spool_dir = $dir/spool"
		if [ -n "${SYNC_MODE:-}" ]; then
			echo "sync_mode = $SYNC_MODE"
		fi
		if [ -n "${COMMIT_DELAY_MS:-}" ]; then
			echo "commit_delay_ms = $COMMIT_DELAY_MS"
		fi
		if [ -n "${DIRECT_DELIVERY:-}" ]; then
			echo "direct_delivery = $DIRECT_DELIVERY"
		fi
		echo
		echo "[limits]"
		echo "max_recipients = 100"
		echo
		echo "[domain bench.test]"
		echo "maildir_root = $dir/maildir"
		# smtp-source names recipients 1u .. Nu (it prepends a number).
		for i in $(seq 1 50); do
			echo "mailbox = ${i}u"
		done
		# ... and sends the first one unnumbered.
		echo "mailbox = u"
		echo "alias = postmaster: 1u"
		# bench/policy.sh: the policy rules (and what they need).
		if [ -n "${POLICY_CONF:-}" ]; then
			cat "$POLICY_CONF"
		fi
	} >"$dir/ferry.conf"
}

# Relay: every local mailbox Nu@bench.test is an alias of Nu@dK.bench
# (K = N mod DESTS + 1), and every dK.bench goes to smtp-sink.
write_relay_config() { # dir dests
	local dir=$1 dests=$2 i k
	write_config "$dir"
	sed -i '/^mailbox = /d; /^alias = postmaster/d' "$dir/ferry.conf"
	{
		echo "mailbox = postmaster"
		for i in $(seq 1 50) ""; do
			k=$(( ${i:-0} % dests + 1 ))
			echo "alias = ${i}u: ${i}u@d${k}.bench"
		done
		echo "[relay]"
		for k in $(seq 1 "$dests"); do
			echo "transport = d${k}.bench: 127.0.0.1:$SINK_PORT"
		done
		echo "max_recipients = 100"
		if [ -n "${RELAY_CONCURRENCY:-}" ]; then
			echo "destination_concurrency = $RELAY_CONCURRENCY"
		fi
		if [ -n "${RELAY_CACHE:-}" ]; then
			echo "connection_cache_time = $RELAY_CACHE"
		fi
	} >>"$dir/ferry.conf"
}

# W2S/W2E: W2 with every message DKIM-signed (rsa-2048 / ed25519) for the
# sender's domain client.test; the load comes from 127.0.0.1, which
# sign_networks trusts like an authenticated submission.
add_dkim_config() { # dir type
	local dir=$1 type=$2
	"$FERRY_BIN" dkim keygen --dir "$dir/dkim" --domain client.test \
		--selector bench --type "$type" >/dev/null 2>&1
	{
		echo "[dkim]"
		echo "key_dir = $dir/dkim"
		echo "sign_networks = 127.0.0.0/8"
	} >>"$dir/ferry.conf"
}

relay_count() { # log
	grep -c 'event=relay-delivered' "$1" 2>/dev/null || true
}

# Creating a file on ext4 without a journal (this machine's root file
# system) skips, one by one, every free inode of its block group freed in
# the last minute, or the last six while that inode's table block has
# changes not yet written back, as it has under load: a few hundred
# microseconds a file after a previous run's Maildirs were deleted,
# against ~15 when none were.  So the end of a run stamps its deletion,
# and a run starting within SETTLE seconds of the stamp waits out the
# rest (KEEP_MAIL=1 deletes nothing, for runs back to back); and each
# ferry workload's note gives the cost of creating a file where its mail
# goes, to tell a run that paid for deletions made by anyone else.
CLEANUP_STAMP=$(dirname "$OUT")/.ferry-bench-cleanup
settle() {
	local last wait
	[ -f "$CLEANUP_STAMP" ] || return 0
	last=$(stat -c %Y "$CLEANUP_STAMP")
	wait=$((last + SETTLE - $(date +%s)))
	if [ "$wait" -gt 0 ]; then
		echo "bench: waiting ${wait}s: the previous run's files were deleted at $(date -d "@$last" +%T)"
		sleep "$wait"
	fi
}
create_cost_us() { # dir: microseconds to create one empty file there
	"$PYTHON" - "$1" <<'PY'
import os, sys, time
d = sys.argv[1]
os.makedirs(d, exist_ok=True)
t = time.perf_counter()
for i in range(1000):
    os.close(os.open(os.path.join(d, str(i)), os.O_CREAT | os.O_WRONLY | os.O_EXCL, 0o600))
print(round((time.perf_counter() - t) * 1e3))  # ms for 1000 = us each
PY
}

# The part W1-W4 share: start ferry on the config in $OUT/NAME, inject,
# and wait until COUNT (a command printing a number) reaches WANT.
drive_ferry() { # name msgs rcpts split want base note count...
	local name=$1 msgs=$2 rcpts=$3 split=$4 want=$5 base=$6 note=$7
	shift 7
	local dir=$OUT/$name pid t0 t1 c0 c1 kb have=0 deadline why
	note="$note; create $(create_cost_us "$dir/probe") us/file"
	"$FERRY_BIN" serve --config "$dir/ferry.conf" 2>"$dir/ferry.log" &
	pid=$!
	started+=("$pid")
	if ! wait_port "$FERRY_PORT" "$pid" 15; then
		why=$(tail -n 1 "$dir/ferry.log" 2>/dev/null)
		skip_row "$name" "ferry serve did not start: ${why:-no output} (log: $dir/ferry.log)"
		cleanup
		return
	fi
	# PROFILE: a command that attaches to the daemon by PID (strace -p,
	# perf record -p); it gets SIGINT when the workload is done.
	if [ -n "${PROFILE:-}" ]; then
		$PROFILE "$pid" >"$dir/profile.out" 2>&1 &
		started+=("$!")
		sleep 1
	fi
	c0=$(cpu_ticks "$pid")
	t0=$(now)
	deadline=$(($(date +%s) + BENCH_TIMEOUT))
	if ! inject "$FERRY_PORT" "$msgs" "$rcpts" "$split"; then
		skip_row "$name" "smtp-source failed (see $OUT/smtp-source.log)"
		cleanup
		return
	fi
	while :; do
		have=$("$@")
		[ "$have" -ge "$want" ] && break
		if [ "$(date +%s)" -ge "$deadline" ] || ! kill -0 "$pid" 2>/dev/null; then
			break
		fi
		sleep "$POLL"
	done
	t1=$(now)
	c1=$(cpu_ticks "$pid")
	kb=$(peak_rss_kb "$pid")
	if [ -n "${PROFILE:-}" ]; then
		kill -INT "${started[-1]}" 2>/dev/null || true
		wait "${started[-1]}" 2>/dev/null || true
		unset 'started[-1]'
	fi
	cleanup
	if [ "$have" -lt "$want" ]; then
		skip_row "$name" "only $have of $want within ${BENCH_TIMEOUT}s (log: $dir/ferry.log)"
		return
	fi
	row "$name" "$msgs" "$want" "$(elapsed "$t0" "$t1")" $((c1 - c0)) \
		"$kb" "$base" "$note"
}

# A fresh work directory for a workload, owned by the daemon user.
prepare_dir() { # name
	local dir=$OUT/$1
	rm -rf "$dir"
	mkdir -p "$dir/spool" "$dir/maildir"
	chown -R ferry: "$dir/spool" "$dir/maildir"
}

ferry_ready() { # name
	if [ ! -x "$FERRY_BIN" ]; then
		skip_row "$1" "$FERRY_BIN not built"
		return 1
	fi
	if ! getent passwd ferry >/dev/null; then
		skip_row "$1" "no user ferry (run scripts/install-deps.sh)"
		return 1
	fi
	port_free "$FERRY_PORT" || { skip_row "$1" "port $FERRY_PORT busy"; return 1; }
}

relay_workload() { # name msgs rcpts dests base [dkim-type]
	local name=$1 msgs=$2 rcpts=$3 dests=$4 base=$5 sink
	ferry_ready "$name" || return
	port_free "$SINK_PORT" || { skip_row "$name" "port $SINK_PORT busy"; return; }
	prepare_dir "$name"
	write_relay_config "$OUT/$name" "$dests"
	if [ -n "${6:-}" ]; then
		add_dkim_config "$OUT/$name" "$6"
	fi
	"$SINK" -u nobody "127.0.0.1:$SINK_PORT" 256 2>"$OUT/$name/sink.log" &
	sink=$!
	started+=("$sink")
	if ! wait_port "$SINK_PORT" "$sink" 10; then
		skip_row "$name" "smtp-sink did not start"
		cleanup
		return
	fi
	drive_ferry "$name" "$msgs" "$rcpts" 1 $((msgs * rcpts)) "$base" \
		"ferry relay to smtp-sink, $dests destination(s)" \
		relay_count "$OUT/$name/ferry.log"
}

ferry_workload() { # name msgs rcpts split base
	local name=$1 msgs=$2 rcpts=$3 split=$4 base=$5
	ferry_ready "$name" || return
	prepare_dir "$name"
	write_config "$OUT/$name"
	drive_ferry "$name" "$msgs" "$rcpts" "$split" $((msgs * rcpts)) "$base" \
		"ferry, $split client(s)" maildir_count "$OUT/$name/maildir"
}

# W1M: W1 with OpenDKIM signing every message through [milter] smtp.
MILTER_PORT=${MILTER_PORT:-52527}
milter_workload() { # name msgs base
	local name=$1 msgs=$2 base=$3 dir dkim
	ferry_ready "$name" || return
	command -v opendkim >/dev/null || { skip_row "$name" "opendkim not installed"; return; }
	port_free "$MILTER_PORT" || { skip_row "$name" "port $MILTER_PORT busy"; return; }
	prepare_dir "$name"
	dir=$OUT/$name
	write_config "$dir"
	printf '[milter]\nsmtp = inet:127.0.0.1:%s\ntimeout = 30s\n' \
		"$MILTER_PORT" >>"$dir/ferry.conf"
	openssl genrsa -out "$dir/dkim.key" 2048 2>/dev/null
	cat >"$dir/opendkim.conf" <<-CONF
	Syslog no
	Background no
	Mode s
	Domain client.test
	Selector bench
	KeyFile $dir/dkim.key
	Socket inet:$MILTER_PORT@127.0.0.1
	InternalHosts 127.0.0.1
	UserID root
	RequireSafeKeys no
	CONF
	opendkim -f -x "$dir/opendkim.conf" 2>"$dir/opendkim.log" &
	dkim=$!
	started+=("$dkim")
	if ! wait_port "$MILTER_PORT" "$dkim" 10; then
		skip_row "$name" "opendkim did not start"
		cleanup
		return
	fi
	drive_ferry "$name" "$msgs" 1 "$USERS" "$msgs" "$base" \
		"ferry + OpenDKIM milter signing, $USERS client(s)" \
		maildir_count "$dir/maildir"
	if ! grep -rlq '^DKIM-Signature:' "$dir/maildir" 2>/dev/null; then
		echo "bench: $name: no DKIM-Signature in the delivered mail" >&2
	fi
}

# W1A/W1V: the W1 load with one message from client.test that carries one
# rsa-2048 DKIM signature (dkimpy, key from ferry dkim keygen), DNS from
# local data (SPF, the key, DMARC p=none); W1V checks SPF, DKIM and DMARC
# ([mailauth] verify = yes), W1A does not.  W1V's ratio is to W1A.
signed_message() { # dir
	local dir=$1
	"$FERRY_BIN" dkim keygen --dir "$dir/dkim" --domain client.test \
		--selector bench --type rsa 2>/dev/null |
		sed -n 's/^\([^ ]*\) IN TXT (\(.*\))$/\1 300 IN TXT \2/p' \
			>"$dir/zone"
	{
		echo "zone test. static"
		echo 'client.test. 300 IN TXT "v=spf1 ip4:127.0.0.0/8 -all"'
		echo '_dmarc.client.test. 300 IN TXT "v=DMARC1; p=none"'
	} >>"$dir/zone"
	chmod 644 "$dir/zone"
	"$PYTHON" - "$dir/dkim/client.test/bench.pem" "$LEN" \
		>"$dir/signed.eml" <<'PY'
import sys, dkim
key = open(sys.argv[1], "rb").read()
body = b"".join(b"%075d\r\n" % i for i in range(int(sys.argv[2]) // 77))
msg = (b"From: bench@client.test\r\nTo: u@bench.test\r\n"
       b"Subject: signed\r\nDate: Mon, 7 Dec 2026 03:00:00 +0000\r\n"
       b"Message-ID: <bench@client.test>\r\n\r\n" + body)
# smtp-source -F ends each line of the file with CRLF itself.
signed = dkim.sign(msg, b"bench", b"client.test", key) + msg
sys.stdout.buffer.write(signed.replace(b"\r\n", b"\n"))
PY
}

mailauth_workload() { # name verify base
	local name=$1 verify=$2 base=$3 dir
	ferry_ready "$name" || return
	if ! "$PYTHON" -c 'import dkim' 2>/dev/null; then
		skip_row "$name" "no dkimpy (python3-dkim)"
		return
	fi
	prepare_dir "$name"
	dir=$OUT/$name
	write_config "$dir"
	signed_message "$dir"
	{
		echo "[mailauth]"
		echo "verify = $verify"
		echo "[relay]"
		echo "resolv_conf = none"
		echo "dns_local_data = $dir/zone"
	} >>"$dir/ferry.conf"
	MSG_FILE=$dir/signed.eml drive_ferry "$name" "$N" 1 "$USERS" "$N" \
		"$base" "ferry, signed message, mailauth verify=$verify" \
		maildir_count "$dir/maildir"
}

# W1L: W1 with every mailbox delivered over LMTP to Dovecot.
lmtp_workload() { # name msgs base
	local name=$1 msgs=$2 base=$3 dir dc
	ferry_ready "$name" || return
	[ -x /usr/lib/dovecot/lmtp ] || { skip_row "$name" "dovecot-lmtpd not installed"; return; }
	prepare_dir "$name"
	dir=$OUT/$name
	mkdir -p "$dir/dc/run" "$dir/dc/state" "$dir/dmail"
	chmod 777 "$dir/dmail"
	cat >"$dir/dc/dovecot.conf" <<-CONF
	base_dir = $dir/dc/run
	state_dir = $dir/dc/state
	log_path = $dir/dc/dovecot.log
	instance_name = ferry-bench-$$
	protocols = lmtp
	ssl = no
	default_internal_user = dovecot
	default_login_user = dovenull
	auth_username_format = %Ln
	mail_location = maildir:~/Maildir
	passdb {
	  driver = static
	  args = nopassword=y
	}
	userdb {
	  driver = static
	  args = uid=nobody gid=nogroup home=$dir/dmail/%n allow_all_users=yes
	}
	service lmtp {
	  process_limit = 4
	  unix_listener lmtp {
	    mode = 0666
	  }
	}
	CONF
	dovecot -F -c "$dir/dc/dovecot.conf" 2>"$dir/dc/out.log" &
	dc=$!
	started+=("$dc")
	for _ in $(seq 1 100); do
		[ -S "$dir/dc/run/lmtp" ] && break
		sleep 0.1
	done
	write_config "$dir"
	sed -i "s|^maildir_root = .*|lmtp = unix:$dir/dc/run/lmtp|" "$dir/ferry.conf"
	drive_ferry "$name" "$msgs" 1 "$USERS" "$msgs" "$base" \
		"ferry + LMTP delivery to Dovecot, $USERS client(s)" \
		maildir_count "$dir/dmail"
}

echo "bench: $(nproc) CPUs, N=$N N3=$N3 SESSIONS=$SESSIONS RCPTS=$RCPTS" \
	"LEN=$LEN USERS=$USERS, limit ${BENCH_TIMEOUT}s each; output in $OUT"
settle
for w in $WORKLOADS; do
	case $w in
	P1) protocol_bound P1 "$N" 1 ;;
	P3) protocol_bound P3 "$N3" "$RCPTS" ;;
	W1) ferry_workload W1 "$N" 1 "$USERS" P1 ;;
	W1M) milter_workload W1M "$N" P1 ;;
	W1L) lmtp_workload W1L "$N" P1 ;;
	W1A) mailauth_workload W1A no P1 ;;
	W1V) mailauth_workload W1V yes W1A ;;
	W3) ferry_workload W3 "$N3" "$RCPTS" 1 P3 ;;
	W2) relay_workload W2 "$N" 1 1 P1 ;;
	W2S) relay_workload W2S "$N" 1 1 P1 rsa ;;
	W2E) relay_workload W2E "$N" 1 1 P1 ed25519 ;;
	W4) relay_workload W4 "$N3" "$RCPTS" 5 P3 ;;
	*) echo "bench: unknown workload $w" >&2 ;;
	esac
done

# The delivered mail (tens of thousands of files per workload) is not kept
# unless asked: repeated runs would fill the disk, and a full spool only
# measures its refusals (452 4.3.1).
if [ -z "${KEEP_MAIL:-}" ]; then
	find "$OUT" -mindepth 2 -maxdepth 2 \( -name maildir -o -name dmail \
		-o -name spool -o -name probe \) -type d -prune \
		-exec rm -rf {} + 2>/dev/null || true
	touch "$CLEANUP_STAMP"
fi
