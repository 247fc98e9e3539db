#!/usr/bin/env bash
# bench-central.sh — the scale-out hop on loopback: what an edge syslogd
# publishes into a local JetStream stream per second and per CPU-second,
# and what one central syslogd consumes from it into a file, measured the
# same way. Uses Debian's nats-server (installed with apt when missing; it
# is 2.9 on Debian 12, so this also runs the central tier against the
# oldest server it supports) with a file-backed stream.
#
#   edge     loggen → edge syslogd (TCP, RFC 5424) → nats sink (JetStream,
#            json payload), until the sink has COUNT acknowledged.
#   central  central syslogd (jetstream listener, payload json) → file sink,
#            reading the stream the edge filled, until COUNT are written and
#            acknowledged.
#
# Reported: messages, seconds, msgs/s, the daemon's CPU-seconds per million
# (utime+stime from /proc/PID/stat) and its peak RSS. Every daemon is a plain
# child of this script. Knobs: COUNT (200000), REPEAT (3 rounds, each with a
# fresh stream), BENCH_DIR (.bench), SYSLOGD_BIN (bin/syslogd).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
COUNT=${COUNT:-200000}
REPEAT=${REPEAT:-3}
BENCH_DIR=${BENCH_DIR:-$ROOT/.bench}/central
SYSLOGD_BIN=${SYSLOGD_BIN:-$ROOT/bin/syslogd}
NATS_PORT=${NATS_PORT:-24222}
TCP_PORT=${TCP_PORT:-25534}
EDGE_STATS=${EDGE_STATS:-25536}
CENTRAL_STATS=${CENTRAL_STATS:-25537}

command -v loggen >/dev/null || { apt-get update -qq && apt-get install -y -qq syslog-ng-core >/dev/null; }
command -v nats-server >/dev/null || { apt-get update -qq && apt-get install -y -qq nats-server >/dev/null; }
[ -x "$SYSLOGD_BIN" ] || (cd "$ROOT" && make build >/dev/null)

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

stat() { # stat PORT PYTHON-EXPR over the /stats document d
	curl -s "http://127.0.0.1:$1/stats" | python3 -c "import json,sys; d=json.load(sys.stdin); print($2)"
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
peak_rss_mib() { awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$1/status"; }
ready() { for _ in $(seq 200); do curl -sf "http://127.0.0.1:$1/readyz" >/dev/null && return 0; sleep 0.05; done; return 1; }
waitfor() { # waitfor PORT EXPR: until EXPR >= COUNT, at most 120 s
	for _ in $(seq 1200); do [ "$(stat "$1" "$2")" -ge "$COUNT" ] && return 0; sleep 0.1; done
	echo "timed out: $2 = $(stat "$1" "$2")" >&2; return 1
}
report() { # report NAME PID T0 C0
	local t1 c1 hz
	t1=$(date +%s.%N); c1=$(cpu_ticks "$2"); hz=$(getconf CLK_TCK)
	printf '%-8s %9d %8.2fs %10.0f %10.2f %9d\n' "$1" "$COUNT" "$(echo "$t1 - $3" | bc -l)" \
		"$(echo "$COUNT / ($t1 - $3)" | bc -l)" "$(echo "($c1 - $4) / $hz / $COUNT * 1000000" | bc -l)" "$(peak_rss_mib "$2")"
}

printf '%-8s %9s %9s %10s %10s %9s\n' side messages seconds "msgs/s" "cpu-s/1M" "rss(MiB)"
for round in $(seq "$REPEAT"); do
	dir=$BENCH_DIR/$round
	rm -rf "$dir" && mkdir -p "$dir"
	nats-server -js -sd "$dir/nats" -p "$NATS_PORT" -a 127.0.0.1 >"$dir/nats.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$NATS_PORT) 2>/dev/null && break; sleep 0.05; done

	cat >"$dir/edge.yaml" <<EOF
listeners: [{name: tcp, protocol: tcp, address: "127.0.0.1:$TCP_PORT"}]
sinks: [{name: bus, type: nats, url: "nats://127.0.0.1:$NATS_PORT", subject: "syslog.{facility}",
         spool_dir: "$dir/spool", stream: {name: SYSLOG}}]
routes: [{name: all, sinks: [bus]}]
stats: {address: "127.0.0.1:$EDGE_STATS"}
EOF
	"$SYSLOGD_BIN" --config "$dir/edge.yaml" 2>"$dir/edge.log" &
	edge=$!
	pids+=($edge)
	ready "$EDGE_STATS"
	t0=$(date +%s.%N); c0=$(cpu_ticks "$edge")
	loggen --inet --stream -P -Q -r 1000000 -I 120 -n "$COUNT" 127.0.0.1 "$TCP_PORT" >/dev/null 2>&1
	waitfor "$EDGE_STATS" 'd["sinks"]["bus"]["written"]'
	report edge "$edge" "$t0" "$c0"
	kill "$edge" && wait "$edge" 2>/dev/null || true

	cat >"$dir/central.yaml" <<EOF
listeners:
  - {name: bus, protocol: jetstream, url: "nats://127.0.0.1:$NATS_PORT", stream: SYSLOG, consumer: central,
     create_consumer: {filter_subjects: ["syslog.>"]}}
sinks: [{name: f, type: file, path: "$dir/central.log", format: rfc5424}]
routes: [{name: all, sinks: [f]}]
stats: {address: "127.0.0.1:$CENTRAL_STATS"}
EOF
	t0=$(date +%s.%N)
	"$SYSLOGD_BIN" --config "$dir/central.yaml" 2>"$dir/central.log.err" &
	central=$!
	pids+=($central)
	c0=0 # from its start: binding is part of the job
	waitfor "$CENTRAL_STATS" 'd["listeners"]["bus"]["acked"]'
	report central "$central" "$t0" "$c0"
	kill "$central" && wait "$central" 2>/dev/null || true
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	pids=()
done
