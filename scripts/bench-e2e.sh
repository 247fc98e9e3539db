#!/usr/bin/env bash
# bench-e2e.sh — end-to-end load: loggen (syslog-ng-core) drives syslogd,
# rsyslog and syslog-ng on 127.0.0.1 with the same routing (every message to
# OUT/<hostname>/<program>.log, traditional line format) and reports, per
# daemon and scenario: messages sent and written, loss, msgs/s written and
# CPU-seconds of the daemon process per million messages written.
#
# Why CPU per million and not only msgs/s: on a 2-core machine loggen and the
# daemon share the cores, so msgs/s often measures loggen. The daemon's own
# utime+stime (from /proc/PID/stat) is what a deployment pays.
#
# Every daemon is started the same way — a plain `cmd &` child of this script,
# in the foreground mode of each (rsyslogd -n, syslog-ng -F) — because the
# launch mode alone (setsid/nohup/daemonizing) has moved a Go program's cost
# by several times on this machine.
#
# Scenarios (all loggen's default 256-byte messages; TCP ones as fast as
# sender and daemon go, loggen's --rate being a per-connection ceiling set
# out of reach):
#   tcp5424x4   loggen --syslog-proto --stream --inet --active-connections 4:
#               RFC 5424, octet counting, 4 connections, TCP_COUNT messages
#               in all. Loss must be zero.
#   tcp3164x16  loggen --stream --inet --active-connections 16, replaying one
#               genuine RFC 3164 line (scripts/bench/msg3164.txt) with LF
#               framing: loggen's own non-syslog-proto output carries an ISO
#               timestamp that the three parsers read differently. TCP_COUNT
#               messages in all. Loss must be zero.
#   udp5424max  loggen --dgram --syslog-proto --no-framing --inet: RFC 5424
#               datagrams at loggen's max rate, UDP_COUNT messages. Loss is
#               allowed and reported. (Without --no-framing loggen puts the
#               octet-counting length in front of each datagram too.)
#   tcp5424     (not in the default) as tcp5424x4, one connection.
#   udp3164     (not in the default) msg3164.txt over UDP at UDP_RATE
#               offered. Loss is allowed and reported.
# loggen's --number is per connection (its summary's count= is the total),
# so the script passes TCP_COUNT divided by the connections, and TCP_COUNT
# must be a multiple of them. loggen also stops after --interval seconds (10
# by default, whatever --number says); the script passes DRAIN_TIMEOUT.
#
# Routing, the same in the three configs (scripts/bench/): every message to
# OUT/<hostname>/<program>.log, and messages of severity warning or more
# severe (emerg..warning) also to OUT/warn.log, traditional line format
# both. loggen sends PRI 38 (auth.info) in every message it makes, and
# msg3164.txt carries <38> too, so nothing here reaches warn.log: the second
# route is evaluated for every message but writes nothing. "written" counts
# the first route's files only (warn.log is left out, and its line count
# shown in the log line), so written against sent stays the loss figure.
# Each daemon listens on four ports, one per way the scenarios send, as
# syslog-ng needs a source per framing and format: TCP_PORT (RFC 5424,
# octet counting), TCP_LF_PORT (RFC 3164, LF), UDP_PORT (RFC 3164),
# UDP5424_PORT (RFC 5424).
#
# Peak RSS: VmHWM of the daemon process (/proc/PID/status; all three are
# single processes here) read just before it is stopped, so it covers
# start-up and the whole run.
#
# Installs what is missing (Debian, root): syslog-ng-core (syslog-ng +
# loggen) with apt; rsyslog is extracted from its .deb under .bench/ because
# the two packages conflict. Nothing is installed twice, no service is
# started, port 514 is never bound. Processes this script starts are stopped
# on exit.
#
# Knobs (environment): TCP_COUNT (1000000, total over the connections),
# UDP_COUNT (200000), UDP_RATE (20000 msgs/s offered, udp3164 only;
# loggen's pacing is bursty, mostly in its first second), DAEMONS ("syslogd
# rsyslog syslog-ng"), SCENARIOS ("tcp5424x4 tcp3164x16 udp5424max"; also
# tcp5424, udp3164), RSYSLOG_TCP_MODULE (imtcp; imptcp is rsyslog's other
# plain TCP input), TCP_PORT/TCP_LF_PORT/UDP_PORT/UDP5424_PORT/STATS_PORT
# (25514/25517/25515/25518/25516), BENCH_DIR (.bench), SYSLOGD_BIN
# (bin/syslogd), DRAIN_TIMEOUT (60 s: loggen's --interval and the wait for
# the output to settle), REPEAT (3 interleaved rounds; the summary reports
# the median).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CONF_DIR=$ROOT/scripts/bench
WORK=${BENCH_DIR:-$ROOT/.bench}
SYSLOGD_BIN=${SYSLOGD_BIN:-$ROOT/bin/syslogd}
# SYSLOGD_BASE_BIN: with "syslogd-base" in DAEMONS, a second syslogd binary
# (another revision, for before/after in one interleaved run).
SYSLOGD_BASE_BIN=${SYSLOGD_BASE_BIN:-}
TCP_COUNT=${TCP_COUNT:-1000000}
UDP_COUNT=${UDP_COUNT:-200000}
UDP_RATE=${UDP_RATE:-20000}
DAEMONS=${DAEMONS:-"syslogd rsyslog syslog-ng"}
SCENARIOS=${SCENARIOS:-"tcp5424x4 tcp3164x16 udp5424max"}
RSYSLOG_TCP_MODULE=${RSYSLOG_TCP_MODULE:-imtcp}
TCP_PORT=${TCP_PORT:-25514}
TCP_LF_PORT=${TCP_LF_PORT:-25517}
UDP_PORT=${UDP_PORT:-25515}
UDP5424_PORT=${UDP5424_PORT:-25518}
STATS_PORT=${STATS_PORT:-25516}
DRAIN_TIMEOUT=${DRAIN_TIMEOUT:-60}
REPEAT=${REPEAT:-3}
# loggen's --rate is a per-connection ceiling; this one is never reached, so
# the TCP scenarios and udp5424max run as fast as sender and daemon allow.
MAX_RATE=100000000
RS_ROOT=$WORK/rsyslog-root
RS_MODDIR=$RS_ROOT/usr/lib/x86_64-linux-gnu/rsyslog
CLK_TCK=$(getconf CLK_TCK)

# Processes started here, stopped by cleanup on any exit.
DPID=""
LPID=""
WPID=""

log() { printf 'bench-e2e: %s\n' "$*" >&2; }
die() {
	log "$*"
	exit 1
}

cleanup() {
	local p
	for p in "$WPID" "$LPID" "$DPID"; do
		if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
			kill -TERM "$p" 2>/dev/null || true
		fi
	done
	if [ -n "$DPID" ]; then wait "$DPID" 2>/dev/null || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- install --

# shellcheck source=scripts/peers.sh
. "$ROOT/scripts/peers.sh"

# ---------------------------------------------------------------- helpers --

# proc_sample prints "utime stime syscr syscw" of PID: CPU clock ticks and
# read/write-family syscall counts, all threads (exited ones included). The
# comm field of /proc/PID/stat may hold spaces, so cut everything up to its
# closing ") " first.
proc_sample() {
	local pid=$1 s
	s=$(cat "/proc/$pid/stat")
	s=${s##*) }
	# shellcheck disable=SC2086 # split into fields on purpose
	set -- $s
	echo "${12} ${13} $(awk '$1 == "syscr:" || $1 == "syscw:" {printf " %s", $2}' "/proc/$pid/io")"
}

# out_size prints the total bytes of the first route's files under the
# output dir (cheap to poll, unlike counting lines in a few hundred
# megabytes); out_lines counts their lines. Both leave out the second
# route's OUT/warn.log, which holds copies, so that written compares with
# sent; warn_lines counts that one.
out_size() { find "$1" -type f ! -path "$1/warn.log" -printf '%s\n' | awk '{s += $1} END {print s + 0}'; }
out_lines() { find "$1" -type f ! -path "$1/warn.log" -exec cat {} + | wc -l; }
warn_lines() { if [ -f "$1/warn.log" ]; then wc -l <"$1/warn.log"; else echo 0; fi; }
# out_mtime prints the newest modification time under the output dir: the
# moment the last line was written, a sharper end of the run than polling.
out_mtime() { find "$1" -type f -printf '%T@\n' | sort -n | tail -n1; }
now() { date +%s.%N; }
# peak_rss_kb prints VmHWM (peak resident set, KiB) of PID, 0 if it is gone.
peak_rss_kb() { awk '$1 == "VmHWM:" {print $2; f = 1} END {if (!f) print 0}' "/proc/$1/status" 2>/dev/null || echo 0; }

# render fills @NAME@ placeholders of a config template.
render() {
	sed -e "s|@OUT@|$2|g" -e "s|@RUN@|$3|g" -e "s|@TCP_PORT@|$TCP_PORT|g" \
		-e "s|@TCP_LF_PORT@|$TCP_LF_PORT|g" -e "s|@UDP_PORT@|$UDP_PORT|g" \
		-e "s|@UDP5424_PORT@|$UDP5424_PORT|g" -e "s|@STATS_PORT@|$STATS_PORT|g" \
		-e "s|@TCP_MODULE@|$RSYSLOG_TCP_MODULE|g" "$1"
}

# port_busy succeeds when something already listens on PORT (tcp or udp):
# a leftover or foreign daemon would otherwise receive our load.
port_busy() { [ -n "$(ss -Hlnt "sport = :$1" 2>/dev/null)$(ss -Hlnu "sport = :$1" 2>/dev/null)" ]; }

# wait_listening waits until PID listens on PORT (tcp or udp), or fails.
wait_listening() {
	local pid=$1 proto=$2 port=$3 deadline=$((SECONDS + 15)) flag=-Hlnt
	[ "$proto" = udp ] && flag=-Hlnu
	while [ -z "$(ss "$flag" "sport = :$port" 2>/dev/null)" ]; do
		kill -0 "$pid" 2>/dev/null || return 1
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# start_daemon starts NAME with its rendered config in RUN as a direct
# background child and sets DPID.
start_daemon() {
	local name=$1 run=$2 out=$2/out
	mkdir -p "$out"
	case $name in
	syslogd | syslogd-base)
		local bin=$SYSLOGD_BIN
		[ "$name" = syslogd-base ] && bin=$SYSLOGD_BASE_BIN
		render "$CONF_DIR/syslogd.yaml" "$out" "$run" >"$run/syslogd.yaml"
		"$bin" --config "$run/syslogd.yaml" >"$run/daemon.log" 2>&1 &
		;;
	rsyslog)
		render "$CONF_DIR/rsyslog.conf" "$out" "$run" >"$run/rsyslog.conf"
		"$RS_ROOT/usr/sbin/rsyslogd" -n -f "$run/rsyslog.conf" -i "$run/rsyslog.pid" \
			-M "$RS_MODDIR" >"$run/daemon.log" 2>&1 &
		;;
	syslog-ng)
		render "$CONF_DIR/syslog-ng.conf" "$out" "$run" >"$run/syslog-ng.conf"
		syslog-ng -F -f "$run/syslog-ng.conf" -R "$run/syslog-ng.persist" \
			-p "$run/syslog-ng.pid" -c "$run/syslog-ng.ctl" >"$run/daemon.log" 2>&1 &
		;;
	*) die "unknown daemon $name" ;;
	esac
	DPID=$!
}

# stop_daemon sends SIGTERM and waits (SIGKILL after 30 s); sets STOP_RC
# to the exit status. Not for $(...): wait only works in this shell.
stop_daemon() {
	local deadline=$((SECONDS + 30))
	STOP_RC=0
	kill -TERM "$DPID" 2>/dev/null || true
	while kill -0 "$DPID" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
	if kill -0 "$DPID" 2>/dev/null; then kill -KILL "$DPID" 2>/dev/null || true; fi
	wait "$DPID" || STOP_RC=$?
	DPID=""
}

# children_cpu prints the CPU seconds (user+sys) of this shell's reaped
# children from a file the `times` builtin wrote. `times` must run in this
# shell (a subshell has its own, empty, children account); written just
# before loggen starts and just after it is reaped, the difference is
# loggen's CPU.
children_cpu() {
	sed -n 2p "$1" | awk '{
		n = 0
		for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); n += a[1] * 60 + a[2] }
		printf "%.2f\n", n }'
}

# ------------------------------------------------------------------- run --

# scenario SCEN sets what loggen does in it: S_PROTO (tcp|udp), S_PORT,
# S_COUNT (messages in all), S_CONNS and S_ARGS (loggen's arguments, with
# --number per connection). Dies on an unknown scenario or on a count the
# connections do not divide.
scenario() {
	local -a common
	S_CONNS=1
	case $1 in
	tcp5424 | tcp5424x4)
		S_PROTO=tcp S_PORT=$TCP_PORT S_COUNT=$TCP_COUNT
		[ "$1" = tcp5424x4 ] && S_CONNS=4
		common=(--syslog-proto --stream --inet --rate "$MAX_RATE")
		;;
	tcp3164x16)
		S_PROTO=tcp S_PORT=$TCP_LF_PORT S_COUNT=$TCP_COUNT S_CONNS=16
		common=(--stream --inet --read-file "$CONF_DIR/msg3164.txt" --dont-parse --loop-reading
			--rate "$MAX_RATE")
		;;
	udp3164)
		S_PROTO=udp S_PORT=$UDP_PORT S_COUNT=$UDP_COUNT
		common=(--dgram --inet --read-file "$CONF_DIR/msg3164.txt" --dont-parse --loop-reading
			--rate "$UDP_RATE")
		;;
	udp5424max)
		S_PROTO=udp S_PORT=$UDP5424_PORT S_COUNT=$UDP_COUNT
		common=(--dgram --syslog-proto --no-framing --inet --rate "$MAX_RATE")
		;;
	*) die "unknown scenario $1" ;;
	esac
	[ $((S_COUNT % S_CONNS)) = 0 ] ||
		die "$1: the count ($S_COUNT) must be a multiple of its $S_CONNS connections"
	S_ARGS=("${common[@]}" --active-connections "$S_CONNS" --number $((S_COUNT / S_CONNS))
		--interval "$DRAIN_TIMEOUT" 127.0.0.1 "$S_PORT")
}

# run_one measures DAEMON in SCENARIO and appends one result row
# (tab-separated) to $ROWS.
run_one() {
	local name=$1 scen=$2 run=$WORK/run/$1-$2 proto port count sent srate rc rss warn
	local -a args
	scenario "$scen"
	proto=$S_PROTO port=$S_PORT count=$S_COUNT args=("${S_ARGS[@]}")
	rm -rf "$run"
	mkdir -p "$run"
	for p in "$TCP_PORT" "$TCP_LF_PORT" "$UDP_PORT" "$UDP5424_PORT" "$STATS_PORT"; do
		! port_busy "$p" || die "port $p is in use; set TCP_PORT/TCP_LF_PORT/UDP_PORT/UDP5424_PORT/STATS_PORT"
	done

	log "$scen: $name: starting"
	start_daemon "$name" "$run"
	wait_listening "$DPID" "$proto" "$port" || {
		cat "$run/daemon.log" >&2
		die "$name did not start listening on $proto/$port"
	}

	# Load: loggen as a background child so cleanup can stop it, bounded
	# by its message count, its --interval and by a watchdog (for a loggen
	# stuck in a send, where it never looks at the clock).
	local c0 t0 t1 c1 lc
	c0=$(proc_sample "$DPID")
	t0=$(now)
	times >"$run/times0"
	loggen "${args[@]}" >"$run/loggen.log" 2>&1 &
	LPID=$!
	# Watchdog: ends by itself within a second of loggen.
	(
		end=$((SECONDS + DRAIN_TIMEOUT + 10))
		while kill -0 "$LPID" 2>/dev/null; do
			if [ "$SECONDS" -ge "$end" ]; then
				kill -TERM "$LPID" 2>/dev/null || true
				break
			fi
			sleep 1
		done
	) &
	WPID=$!
	rc=0
	wait "$LPID" || rc=$?
	times >"$run/times1"
	wait "$WPID" || true
	LPID="" WPID=""
	lc=$(awk -v a="$(children_cpu "$run/times0")" -v b="$(children_cpu "$run/times1")" 'BEGIN {printf "%.2f", b - a}')
	# loggen's summary: "average rate = R msg/sec, count=N, time=T, ...".
	sent=$(sed -n 's/.*average rate = .*count=\([0-9]*\),.*/\1/p' "$run/loggen.log" | tail -n1)
	srate=$(sed -n 's/.*average rate = \([0-9.]*\) msg.*/\1/p' "$run/loggen.log" | tail -n1)
	if [ "$rc" != 0 ] || [ -z "$sent" ]; then
		cat "$run/loggen.log" >&2
		log "$scen: $name: loggen failed (exit $rc); counting what it says it sent as 0"
		sent=${sent:-0}
	elif [ "$sent" -lt "$count" ]; then
		log "$scen: $name: loggen sent $sent of $count (stopped by --interval $DRAIN_TIMEOUT?)"
	fi

	# Drain: poll the (cheap) output size; when it has stopped growing,
	# count lines. Done when every sent line is written, when the size has
	# not moved for $settle seconds (UDP loss, or a stuck TCP daemon), or at
	# the deadline.
	local settle=5 deadline=$((SECONDS + DRAIN_TIMEOUT)) size last=-1 still=$SECONDS lines=0
	while :; do
		size=$(out_size "$run/out")
		if [ "$size" = "$last" ]; then
			lines=$(out_lines "$run/out")
			[ "$lines" -ge "$sent" ] && break
			[ $((SECONDS - still)) -ge "$settle" ] && break
		else
			last=$size still=$SECONDS
		fi
		[ "$SECONDS" -lt "$deadline" ] || break
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.2
	done
	if kill -0 "$DPID" 2>/dev/null; then c1=$(proc_sample "$DPID"); else c1=$c0; fi
	t1=$(out_mtime "$run/out")
	[ -n "$t1" ] || t1=$(now)
	if [ "$name" = syslogd ]; then
		curl -s --max-time 2 "http://127.0.0.1:$STATS_PORT/stats" >"$run/stats.json" 2>/dev/null || true
	fi

	# Peak RSS over the daemon's life, read as late as possible.
	rss=$(peak_rss_kb "$DPID")
	stop_daemon
	rc=$STOP_RC
	# Count again after the stop: a daemon may flush on shutdown, and
	# what is on disk is what counts.
	lines=$(out_lines "$run/out")
	warn=$(warn_lines "$run/out")
	[ "$rc" = 0 ] || log "$scen: $name: exited with status $rc (see $run/daemon.log)"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scen" "$name" "$sent" "$lines" \
		"$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')" \
		"$(awk -v a="$c0" -v b="$c1" -v hz="$CLK_TCK" 'BEGIN {split(a, x, " "); split(b, y, " ")
			printf "%.2f", (y[1] + y[2] - x[1] - x[2]) / hz}')" \
		"$lc" "$rc" "${srate:-0}" \
		"$(awk -v a="$c0" -v b="$c1" -v hz="$CLK_TCK" 'BEGIN {split(a, x, " "); split(b, y, " ")
			printf "%.2f\t%.2f\t%d\t%d", (y[1] - x[1]) / hz, (y[2] - x[2]) / hz, y[3] - x[3], y[4] - x[4]}')" \
		"$rss" >>"$ROWS"
	log "$scen: $name: sent $sent, written $lines (warn.log: $warn lines), peak RSS $((rss / 1024)) MiB"
	if [ "$proto" = tcp ] && [ "$lines" != "$sent" ]; then
		log "$scen: $name: WARNING: TCP loss must be zero, but sent $sent and written $lines"
	fi
	# Keep which files were written and their first lines (to check the
	# routing matches across daemons), then drop the few hundred MB.
	find "$run/out" -type f -exec sh -c 'for f; do echo "== $f"; head -n2 "$f"; done' sh {} + >"$run/sample.txt"
	rm -rf "$run/out"
}

# report prints one table per scenario and appends it, in markdown, to
# $WORK/results.md.
report() {
	local md=$WORK/results.md scen
	{
		echo
		echo "### $(date -u '+%Y-%m-%d %H:%M:%SZ') — $(nproc) cores, $(uname -r)"
		echo
		echo "TCP_COUNT=$TCP_COUNT UDP_COUNT=$UDP_COUNT UDP_RATE=$UDP_RATE RSYSLOG_TCP_MODULE=$RSYSLOG_TCP_MODULE; $VERSIONS"
		echo
		echo "Routes: every message to OUT/<hostname>/<program>.log; severity <= warning also to OUT/warn.log (loggen's PRI 38 never matches it); written counts the first route only."
	} >>"$md"
	# Row fields: 1 scenario, 2 daemon, 3 sent, 4 written, 5 wall s, 6 CPU-s,
	# 7 loggen CPU-s, 8 exit, 9 loggen sent/s, 10 usr s, 11 sys s,
	# 12 read syscalls, 13 write syscalls (VFS counts from /proc/PID/io:
	# socket reads through recv*/recvmmsg are not counted, so only writes,
	# which are file output here, compare across daemons), 14 peak RSS KiB
	# (VmHWM just before the stop).
	for scen in $SCENARIOS; do
		awk -F'\t' -v scen="$scen" -v md="$md" '
			BEGIN {
				hdr = "| daemon | sent | written | lost | wall s | msgs/s | CPU-s | CPU-s/M | usr+sys s | write calls/1k msgs | peak RSS MiB | loggen sent/s | loggen CPU-s | exit |"
				printf "\n%s\n\n%s\n|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n", scen, hdr >> md
				printf "\n%s\n%-10s %8s %8s %7s %6s %7s %6s %7s %10s %9s %7s %7s %6s %4s\n", scen, "daemon", "sent", "written",
					"lost", "wall_s", "msgs/s", "CPU-s", "CPU-s/M", "usr+sys", "writes/1k", "RSS_MiB", "sent/s", "lg_CPU", "exit"
			}
			$1 == scen {
				lost = $3 - $4; if (lost < 0) lost = 0
				rate = ($5 > 0) ? $4 / $5 : 0
				perm = ($4 > 0) ? $6 / $4 * 1e6 : 0
				pct = ($3 > 0) ? lost / $3 * 100 : 0
				us = sprintf("%.2f+%.2f", $10, $11)
				rw = sprintf("%.1f", ($4 > 0) ? $13 / $4 * 1000 : 0)
				rss = $14 / 1024
				printf "%-10s %8d %8d %7d %6.2f %7.0f %6.2f %7.2f %10s %9s %7.1f %7.0f %6.2f %4s\n", $2, $3, $4, lost, $5, rate, $6, perm, us, rw, rss, $9, $7, $8
				printf "| %s | %d | %d | %d (%.2f%%) | %.2f | %.0f | %.2f | %.2f | %s | %s | %.1f | %.0f | %.2f | %s |\n", $2, $3, $4, lost, pct, $5, rate, $6, perm, us, rw, rss, $9, $7, $8 >> md
			}' "$ROWS"
	done
	cat <<EOF

msgs/s = written / wall (loggen start to the last write, from file mtimes); CPU-s = the
daemon's utime+stime over the same span; CPU-s/M = CPU-s per million messages written;
writes/1k = the daemon's write-family syscalls (file output) per 1000 messages written
(/proc/PID/io syscw); RSS_MiB = the daemon's peak resident set (VmHWM) just before it was
stopped; sent/s and lg_CPU = loggen's own send rate (coarse: loggen's clock
steps in 0.5 s) and CPU. Tables appended to $md
EOF
}

versions() {
	local v=""
	[ -x "$SYSLOGD_BIN" ] && v="$("$SYSLOGD_BIN" --version 2>&1 | head -n1), "
	[ -x "$RS_ROOT/usr/sbin/rsyslogd" ] && v="$v$("$RS_ROOT/usr/sbin/rsyslogd" -v | head -n1 | awk '{print $1, $2}'), "
	command -v syslog-ng >/dev/null && v="${v}syslog-ng $(dpkg-query -W -f '${Version}' syslog-ng-core 2>/dev/null) (loggen from the same package), "
	command -v go >/dev/null && v="$v$(go version | awk '{print $3}')"
	echo "$v"
}

main() {
	mkdir -p "$WORK"
	local d s
	for s in $SCENARIOS; do scenario "$s"; done # unknown names, bad counts
	for d in $DAEMONS; do
		case $d in
		syslogd) [ -x "$SYSLOGD_BIN" ] || die "$SYSLOGD_BIN missing: run make build (or make bench-e2e)" ;;
		syslogd-base) [ -x "${SYSLOGD_BASE_BIN:-}" ] || die "syslogd-base needs SYSLOGD_BASE_BIN, a syslogd binary built at another revision" ;;
		rsyslog) install_rsyslog "$RSYSLOG_TCP_MODULE" imudp ;;
		syslog-ng) ;;
		*) die "unknown daemon $d" ;;
		esac
	done
	install_syslog_ng # loggen is always needed
	VERSIONS=$(versions)
	log "$VERSIONS"
	ROWS=$WORK/rows.tsv
	: >"$ROWS"
	local r
	for r in $(seq "$REPEAT"); do
		for s in $SCENARIOS; do
			for d in $DAEMONS; do
				log "round $r of $REPEAT"
				run_one "$d" "$s"
			done
		done
	done
	report
	summary
}

# summary prints, per scenario and daemon, the median, min and max CPU-s per
# million over the REPEAT interleaved rounds, the median peak RSS and the
# total loss. On this shared 2-core machine one run varies by up to ±20%, so
# only the median of interleaved rounds is worth comparing.
summary() {
	local md=$WORK/results.md
	{
		echo
		echo "summary over $REPEAT interleaved rounds (CPU-s per million messages written)"
		echo
		echo "| scenario | daemon | median | min | max | peak RSS MiB (median) | lost (all rounds) |"
		echo "|---|---|--:|--:|--:|--:|--:|"
	} >>"$md"
	printf '\nsummary over %s interleaved rounds: CPU-s per million written\n%-11s %-10s %7s %7s %7s %8s %8s\n' \
		"$REPEAT" scenario daemon median min max RSS_MiB lost
	awk -F'\t' '$4 > 0 {print $1 "\t" $2 "\t" $6 / $4 * 1e6 "\t" (($3 > $4) ? $3 - $4 : 0) "\t" $14 / 1024}' "$ROWS" |
		sort -t"$(printf '\t')" -k1,1 -k2,2 -k3,3g |
		awk -F'\t' -v md="$md" '
			# median of a[1..c], sorted in place (c is a handful of rounds).
			function median(a, c, i, j, t) {
				for (i = 2; i <= c; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
				return (c % 2) ? a[(c + 1) / 2] : (a[c / 2] + a[c / 2 + 1]) / 2
			}
			{ key = $1 "\t" $2; n[key]++; v[key, n[key]] = $3; m[key, n[key]] = $5; lost[key] += $4; if (!(key in seen)) { seen[key] = 1; order[++k] = key } }
			END {
				for (i = 1; i <= k; i++) {
					key = order[i]; c = n[key]
					med = (c % 2) ? v[key, (c + 1) / 2] : (v[key, c / 2] + v[key, c / 2 + 1]) / 2
					split("", r); for (j = 1; j <= c; j++) r[j] = m[key, j] + 0
					rss = median(r, c)
					split(key, f, "\t")
					printf "%-11s %-10s %7.2f %7.2f %7.2f %8.1f %8d\n", f[1], f[2], med, v[key, 1], v[key, c], rss, lost[key]
					printf "| %s | %s | %.2f | %.2f | %.2f | %.1f | %d |\n", f[1], f[2], med, v[key, 1], v[key, c], rss, lost[key] >> md
				}
			}'
}

main "$@"
