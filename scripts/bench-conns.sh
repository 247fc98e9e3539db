#!/usr/bin/env bash
# bench-conns.sh — what many connections cost a normal sender, on loopback.
# One syslogd (a plain child of this script, like every daemon in
# bench-e2e.sh) with a TCP listener (max_message_bytes 1 MiB) writing every
# message to one file. Scenarios:
#
#   idle0      loggen, one connection, COUNT RFC 5424 messages: the baseline.
#   idle1000   the same with 1,000 more connections open and silent
#              (loggen --idle-connections), for the whole run.
#   active16   COUNT messages over 16 connections at once (one connection
#              flatters a daemon: no contention, big batches).
#   paced0     loggen at RATE msgs/s, nothing else: the dribblers' baseline.
#   dribble500 500 connections each dribbling a frame at 1 byte/s while
#              loggen sends COUNT messages at RATE msgs/s; frame_timeout 5s.
#   dribble1024 1,024 dribblers (max_connections 1024, all of them taken)
#              while loggen sends: it is served only if the listener makes
#              room (it evicts the slowest dribbler).
#
# Reported per scenario: written, lost, the daemon's CPU-seconds per million
# messages written (utime+stime from /proc/PID/stat), its peak RSS (VmHWM),
# and frame_timeouts / rejected from /stats. Needs loggen (syslog-ng-core;
# installed with apt when missing) and python3 for the dribblers.
#
# loggen runs at most 120 s (-I). Knobs: COUNT (200000), RATE (20000, dribble scenarios; the others send as
# fast as loggen can), SCENARIOS,
# TCP_PORT/STATS_PORT (25524/25526), BENCH_DIR (.bench), SYSLOGD_BIN
# (bin/syslogd).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
COUNT=${COUNT:-200000}
RATE=${RATE:-20000}
SCENARIOS=${SCENARIOS:-"idle0 idle1000 active16 paced0 dribble500 dribble1024"}
TCP_PORT=${TCP_PORT:-25524}
STATS_PORT=${STATS_PORT:-25526}
BENCH_DIR=${BENCH_DIR:-$ROOT/.bench}/conns
SYSLOGD_BIN=${SYSLOGD_BIN:-$ROOT/bin/syslogd}

command -v loggen >/dev/null || { apt-get update -qq && apt-get install -y -qq syslog-ng-core >/dev/null; }
[ -x "$SYSLOGD_BIN" ] || (cd "$ROOT" && make build >/dev/null)

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

stat_json() { curl -s "http://127.0.0.1:$STATS_PORT/stats"; }
listener_stat() { stat_json | python3 -c "import json,sys; print(json.load(sys.stdin)['listeners']['tcp'].get('$1', 0))"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
peak_rss_kb() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }

# dribblers N: N connections, each sending "<13>slow" then one byte a second.
dribblers() {
	python3 - "$1" "$TCP_PORT" <<'EOF' &
import socket, sys, time
n, port = int(sys.argv[1]), int(sys.argv[2])
socks = []
for _ in range(n):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"<13>slow")
        socks.append(s)
    except OSError:
        pass
end = time.time() + 180  # bounded: the scenario is over long before
while time.time() < end and socks:
    time.sleep(1)  # the fault itself: one byte per second per connection
    for s in list(socks):
        try:
            s.sendall(b"w")
        except OSError:
            socks.remove(s)
EOF
	pids+=($!)
}

run() { # run SCENARIO
	local sc=$1 idle=0 active=1 drib=0 maxconn=2048 frame=30s rate=(-r 1000000) # loggen's default is 1,000/s
	case $sc in
	idle0) ;;
	idle1000) idle=1000 ;;
	active16) active=16 ;;
	paced0) rate=(-r "$RATE") ;;
	dribble500) drib=500 frame=5s rate=(-r "$RATE") ;;
	dribble1024) drib=1024 maxconn=1024 rate=(-r "$RATE") ;;
	*) echo "unknown scenario $sc" >&2; return 1 ;;
	esac
	local dir=$BENCH_DIR/$sc
	rm -rf "$dir" && mkdir -p "$dir"
	cat >"$dir/syslogd.yaml" <<EOF
listeners:
  - {name: tcp, protocol: tcp, address: "127.0.0.1:$TCP_PORT", max_message_bytes: 1048576,
     max_connections: $maxconn, frame_timeout: $frame}
sinks: [{name: out, type: file, path: "$dir/out.log", format: raw}]
routes: [{name: all, sinks: [out]}]
stats: {address: "127.0.0.1:$STATS_PORT"}
EOF
	"$SYSLOGD_BIN" --config "$dir/syslogd.yaml" 2>"$dir/syslogd.log" &
	local pid=$!
	pids+=($pid)
	for _ in $(seq 100); do curl -sf "http://127.0.0.1:$STATS_PORT/readyz" >/dev/null && break; sleep 0.1; done
	if [ "$drib" -gt 0 ]; then
		dribblers "$drib"
		for _ in $(seq 100); do [ "$(listener_stat connections)" -ge "$drib" ] && break; sleep 0.1; done
		sleep 2 # the scenario: the dribblers have been at it a while when the sender comes
	fi
	local c0 t0
	c0=$(cpu_ticks "$pid")
	t0=$(date +%s.%N)
	timeout 150 loggen --inet --stream -P -Q -I 120 "${rate[@]}" --active-connections="$active" --idle-connections="$idle" -n $((COUNT / active)) 127.0.0.1 "$TCP_PORT" >/dev/null 2>&1 || true
	# Wait for loggen's messages (the dribblers' frames are written too,
	# when they are closed) or 30 s.
	local normal=0
	for _ in $(seq 150); do
		normal=$(grep -vc '<13>slow' "$dir/out.log" 2>/dev/null || true)
		normal=${normal:-0}
		[ "$normal" -ge "$COUNT" ] && break
		sleep 0.2
	done
	local c1 t1 hz
	c1=$(cpu_ticks "$pid")
	t1=$(date +%s.%N)
	hz=$(getconf CLK_TCK)
	printf '%-12s %9d %7d %10.2f %9d %9s %9s %6.1fs\n' "$sc" "$normal" $((COUNT - normal)) \
		"$(echo "($c1 - $c0) / $hz / ($normal + ($normal == 0)) * 1000000" | bc -l)" $(($(peak_rss_kb "$pid") / 1024)) \
		"$(listener_stat frame_timeouts)" "$(listener_stat rejected)" "$(echo "$t1 - $t0" | bc -l)"
	kill "$pid" && wait "$pid" 2>/dev/null || true
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	pids=()
}

printf '%-12s %9s %7s %10s %9s %9s %9s %7s\n' scenario written lost "cpu-s/1M" "rss(MiB)" frame_to rejected elapsed
for sc in $SCENARIOS; do run "$sc"; done
