#!/usr/bin/env bash
# bench/policy.sh — what the policy rules cost: workload W1 of bench/run.sh
# with no policy rule, with every rule on and the embedded state, and with
# every rule on and the state in Redis (a redis-server this script starts
# on a loopback port), plain and over TLS with a password; then the memory
# of 10,000 client keys in the embedded state (bench/policy_mem.c).  Prints
# figures; it is not a test.
#
#   bench/policy.sh                 N=20000 messages per run, RUNS=2
#   N=5000 RUNS=1 bench/policy.sh   a quick look
#
# Every rule is on but none refuses the load: limits far above it, the
# bench client's network already allowed by the greylist (a record written
# before the start, as after its first pass), and local DNS data that
# gives 127.0.0.1 forward-confirmed reverse DNS, the sender's domain an MX,
# and the DNS lists an answer (not listed) to every question.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
N=${N:-20000}
RUNS=${RUNS:-2}
REDIS_PORT=${REDIS_PORT:-52637}
REDIS_TLS_PORT=${REDIS_TLS_PORT:-52638}
MODES=${MODES:-off embedded redis redis-tls}
OUT=${BENCH_DIR:-$ROOT/bench/out/policy-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT/state"
chown ferry: "$OUT/state"

redis_pid=
cleanup() {
	if [ -n "$redis_pid" ]; then
		kill -TERM "$redis_pid" 2>/dev/null || true
		wait "$redis_pid" 2>/dev/null || true
	fi
}
trap cleanup EXIT

cat >"$OUT/local.zone" <<'ZONE'
zone 0.0.127.in-addr.arpa. static
1.0.0.127.in-addr.arpa. 300 IN PTR client.test.
zone client.test. static
client.test. 300 IN A 127.0.0.1
client.test. 300 IN MX 10 client.test.
zone bl.test. static
zone wl.test. static
ZONE

far=$(($(date +%s) + 30 * 86400))
write_conf() { # file state-lines...
	local file=$1
	shift
	{
		echo "[relay]"
		echo "resolv_conf = none"
		echo "dns_local_data = $OUT/local.zone"
		echo "[policy]"
		printf '%s\n' "$@"
		cat <<-RULES
		trusted_networks = none
		max_recipients_submission = 100
		max_conn_client = 1000
		conn_rate_client = 1000000/1m
		rate_client = 10000000/1m, 100000000/1d
		rate_user = 10000000/1m
		rate_sender = 10000000/1m, 100000000/1h
		rate_sender_domain = 10000000/1h
		rate_recipient = 10000000/1m
		helo_checks = yes
		access_client = 198.51.100.0/24
		access_sender = spam@bad.example, @junk.example
		access_recipient = nobody@bench.test
		reverse_dns = fcrdns
		dnsbl = bl.test=127.0.0.2
		dnswl = wl.test
		sender_domain_check = yes
		greylist = yes
		greylist_auto_allow = 1
		RULES
	} >"$file"
}

: >"$OUT/off.conf"
printf 'ferry-policy-state 1\nK %s 1 0 gc:127.0.0.0/24\n' "$far" \
	>"$OUT/state/policy.state"
chown ferry: "$OUT/state/policy.state"
write_conf "$OUT/embedded.conf" "state = embedded" \
	"state_file = $OUT/state/policy.state"
write_conf "$OUT/redis.conf" "state = redis" \
	"redis_server = 127.0.0.1:$REDIS_PORT"
write_conf "$OUT/redis-tls.conf" "state = redis" \
	"redis_server = 127.0.0.1:$REDIS_TLS_PORT" "redis_username = bench" \
	"redis_password = b3nch" \
	"redis_tls = yes" "redis_tls_ca_file = $OUT/tls/ca.pem"

# A CA and Redis' certificate for 127.0.0.1.
mkdir -p "$OUT/tls"
ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
openssl req -x509 "${ec[@]}" -keyout "$OUT/tls/ca.key" -out "$OUT/tls/ca.pem" \
	-days 2 -subj "/CN=bench CA" 2>/dev/null
openssl req "${ec[@]}" -keyout "$OUT/tls/redis.key" -out "$OUT/tls/redis.csr" \
	-subj "/CN=redis" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >"$OUT/tls/ext.cnf"
openssl x509 -req -in "$OUT/tls/redis.csr" -CA "$OUT/tls/ca.pem" \
	-CAkey "$OUT/tls/ca.key" -CAcreateserial -out "$OUT/tls/redis.pem" \
	-days 2 -extfile "$OUT/tls/ext.cnf" 2>/dev/null
chmod 644 "$OUT/tls/"*

# One server for both: plain on REDIS_PORT without a password (the
# default user), TLS on REDIS_TLS_PORT with a user that has one.
start_redis() {
	redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' \
		--appendonly no --dir "$OUT/state" \
		--tls-port "$REDIS_TLS_PORT" --tls-auth-clients no \
		--tls-cert-file "$OUT/tls/redis.pem" \
		--tls-key-file "$OUT/tls/redis.key" \
		--tls-ca-cert-file "$OUT/tls/ca.pem" \
		--user bench on '>b3nch' '~*' '+@all' >"$OUT/redis.log" 2>&1 &
	redis_pid=$!
	for _ in $(seq 1 100); do
		redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
		sleep 0.1
	done
	redis-cli -p "$REDIS_PORT" hset "ferry:gc:127.0.0.0/24" a 1 b 0 \
		e "$far" >/dev/null
}

rate_of() { # results.tsv
	awk -F'\t' '$1 == "W1" { print $5 }' "$1"
}

# Rounds of every mode, so that the load of the machine at a given moment
# weighs on all alike.
declare -A SUM=([off]=0 [embedded]=0 [redis]=0 [redis-tls]=0)
start_redis
for run in $(seq 1 "$RUNS"); do
	for mode in $MODES; do
		dir=$OUT/$mode-$run
		POLICY_CONF=$OUT/$mode.conf BENCH_DIR=$dir N=$N WORKLOADS=W1 \
			bench/run.sh | sed -n 's/^W1 /W1 '"$mode"' /p'
		r=$(rate_of "$dir/results.tsv")
		SUM[$mode]=$(awk -v a="${SUM[$mode]}" -v b="${r:-0}" \
			'BEGIN { print a + b }')
	done
done

echo
for mode in $MODES; do
	awk -v m="$mode" -v s="${SUM[$mode]}" -v o="${SUM[off]}" -v n="$RUNS" \
		'BEGIN { printf "%-9s %8.1f msg/s (mean of %d)  %5.3f of off\n",
		         m, s / n, n, (o > 0 ? s / o : 0) }'
done
echo
make -s bench-policy-mem
