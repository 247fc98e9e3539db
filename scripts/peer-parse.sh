#!/usr/bin/env bash
# peer-parse.sh — feed parser/testdata/peers/frames.txt to rsyslog and
# syslog-ng and record, per frame, what each extracts (hostname, app name,
# pid, msgid, message, facility, severity, timestamp, structured data) as
# parser/testdata/peers/rsyslog.jsonl and syslog-ng.jsonl, one JSON object
# per frame in frame order ("frame" is the 1-based index, "label" the
# frame's "#:" comment). See parser/testdata/peers/README.md.
#
# Transport: one TCP connection per daemon, LF framing (non-transparent),
# 127.0.0.1 only, high ports. After every frame a marker frame (RFC 5424,
# hostname "peerparse-marker") is sent, so the records a frame produced are
# exactly those between two markers: a frame the peer drops yields
# "dropped": true, a frame it splits yields "records" > 1 (the first
# record's fields are at the top level, the others under "extra").
#
# Timestamps: a frame without a usable timestamp gets the reception time;
# that is written as "(reception time)" so the output does not change from
# run to run. Year-less RFC 3164 stamps get the current year from the
# peers, so those values change when the year does. Daemons run with TZ=UTC.
#
# Peers (Debian): syslog-ng-core with apt (refused if rsyslog is the
# system's logger, as in bench-e2e.sh); rsyslog is extracted from its .deb
# under .bench/rsyslog-root, the same place scripts/bench-e2e.sh uses (the
# two packages conflict). The install logic is a trimmed copy of
# bench-e2e.sh's (nothing is sourced from it). Also needs jq and perl.
# Nothing is started as a service; port 514 is never bound; both daemons are
# children of this script and are stopped on exit.
#
# Knobs: RS_PORT (25614), NG_PORT (25615), BENCH_DIR (.bench), OUT_DIR
# (parser/testdata/peers), FRAMES (OUT_DIR/frames.txt), KEEP_RUN=1 keeps the
# temporary run directory (configs, raw outputs, daemon logs).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${BENCH_DIR:-$ROOT/.bench}
OUT_DIR=${OUT_DIR:-$ROOT/parser/testdata/peers}
FRAMES=${FRAMES:-$OUT_DIR/frames.txt}
RS_PORT=${RS_PORT:-25614}
NG_PORT=${NG_PORT:-25615}
RS_ROOT=$WORK/rsyslog-root
RS_MODDIR=$RS_ROOT/usr/lib/x86_64-linux-gnu/rsyslog
MARK_HOST=peerparse-marker

RSPID=""
NGPID=""
RUN=""

log() { printf 'peer-parse: %s\n' "$*" >&2; }
die() {
	log "$*"
	exit 1
}

stop_pid() {
	local p=$1 deadline=$((SECONDS + 15))
	[ -n "$p" ] || return 0
	kill -TERM "$p" 2>/dev/null || true
	while kill -0 "$p" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
	kill -KILL "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
}

cleanup() {
	stop_pid "$RSPID"
	stop_pid "$NGPID"
	RSPID="" NGPID=""
	if [ -n "$RUN" ] && [ "${KEEP_RUN:-0}" != 1 ]; then rm -rf "$RUN"; fi
	if [ -n "$RUN" ] && [ "${KEEP_RUN:-0}" = 1 ]; then log "run directory kept: $RUN"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- install --
# shellcheck source=scripts/peers.sh
. "$ROOT/scripts/peers.sh"

install_tools() {
	command -v jq >/dev/null || apt_install jq
	command -v perl >/dev/null || apt_install perl
	command -v ss >/dev/null || apt_install iproute2
}

# ---------------------------------------------------------------- configs --

# rsyslog: default parser chain (rsyslog.rfc5424, then rsyslog.rfc3164) and
# default global options (control characters escaped on receive, and so
# on). Only octet-counted framing is switched off, so a frame that starts
# with a digit is not read as a length. mmpstrucdata parses the SD into
# $!rfc5424-sd for sd_params.
write_rsyslog_conf() {
	cat >"$RUN/rsyslog.conf" <<EOF
global(workDirectory="$RUN")
module(load="$RS_MODDIR/imtcp.so")
module(load="$RS_MODDIR/mmpstrucdata.so")
template(name="peer_json" type="list" option.jsonf="on") {
  property(outname="hostname" name="hostname" format="jsonf")
  property(outname="programname" name="programname" format="jsonf")
  property(outname="syslogtag" name="syslogtag" format="jsonf")
  property(outname="procid" name="procid" format="jsonf")
  property(outname="msgid" name="msgid" format="jsonf")
  property(outname="msg" name="msg" format="jsonf")
  property(outname="facility" name="syslogfacility" format="jsonf")
  property(outname="severity" name="syslogseverity" format="jsonf")
  property(outname="timestamp" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="received" name="timegenerated" dateFormat="rfc3339" format="jsonf")
  property(outname="protocol_version" name="protocol-version" format="jsonf")
  property(outname="structured_data" name="structured-data" format="jsonf")
  property(outname="sd_params" name="\$!rfc5424-sd" format="jsonf")
  property(outname="raw" name="rawmsg" format="jsonf")
}
ruleset(name="peer") {
  action(type="mmpstrucdata")
  action(type="omfile" file="$RUN/rsyslog.out" template="peer_json")
}
input(type="imtcp" address="127.0.0.1" port="$RS_PORT" ruleset="peer"
      supportOctetCountedFraming="off")
EOF
}

# syslog-ng: network() over TCP (LF framing) with flags(syslog-protocol):
# RFC 5424 frames go through the RFC 5424 parser and anything else falls
# back to the RFC 3164 ("legacy") parser — the same auto-detection rsyslog
# does, which plain network() lacks (it reads "<165>1 ..." as RFC 3164).
write_syslog_ng_conf() {
	local v
	v=$(syslog-ng --version | sed -n 's/^Config version: *//p' | head -n1)
	cat >"$RUN/syslog-ng.conf" <<EOF
@version: ${v:-3.38}
options {
  keep_hostname(yes); chain_hostnames(no); use_dns(no); use_fqdn(no);
  dns_cache(no); stats_freq(0); frac_digits(6); log_msg_size(65536);
};
source s_peer {
  network(ip("127.0.0.1") port($NG_PORT) transport("tcp")
          flags(syslog-protocol, store-raw-message));
};
template t_peer {
  template("\$(format-json --scope none --key .SDATA.*
    hostname=\${HOST} program=\${PROGRAM} pid=\${PID} msgid=\${MSGID}
    message=\${MESSAGE} facility=int(\${FACILITY_NUM}) severity=int(\${LEVEL_NUM})
    timestamp=\${S_ISODATE} received=\${R_ISODATE} sdata=\${SDATA}
    legacy_msghdr=\${LEGACY_MSGHDR} tags=\${TAGS} raw=\${RAWMSG})\n");
};
destination d_peer { file("$RUN/syslog-ng.out" template(t_peer)); };
log { source(s_peer); destination(d_peer); };
EOF
}

# ------------------------------------------------------------------- run --

port_busy() { [ -n "$(ss -Hlnt "sport = :$1" 2>/dev/null)" ]; }

wait_listening() {
	local pid=$1 port=$2 deadline=$((SECONDS + 15))
	while [ -z "$(ss -Hlnt "sport = :$port" 2>/dev/null)" ]; do
		kill -0 "$pid" 2>/dev/null || return 1
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# decode_frames writes the frames (decoded) to $RUN/labels.jsonl as
# {"frame":N,"label":...,"input":...} and the byte stream to send, each
# frame followed by LF, a marker frame and LF, to $RUN/payload.
decode_frames() {
	perl -e '
		my ($in, $payload, $labels, $mark) = @ARGV;
		open my $f, "<", $in or die "$in: $!";
		open my $p, ">:raw", $payload or die;
		open my $l, ">", $labels or die;
		my ($n, $label) = (0, "");
		while (my $line = <$f>) {
			chomp $line;
			if ($line =~ /^#/) { $label = $1 if $line =~ /^#:\s*(.*)$/; next; }
			$n++;
			(my $b = $line) =~ s/\\x([0-9A-Fa-f]{2})/chr hex $1/ge;
			die "frame $n holds an LF\n" if $b =~ /\n/;
			print $p $b, "\n", "<13>1 2026-01-01T00:00:00Z $mark peerparse - - - MARK $n\n";
			(my $je = $line) =~ s/(["\\])/\\$1/g;
			(my $jl = $label) =~ s/(["\\])/\\$1/g;
			print $l "{\"frame\":$n,\"label\":\"$jl\",\"input\":\"$je\"}\n";
			$label = "";
		}
		print STDERR "$n\n";
	' "$FRAMES" "$RUN/payload" "$RUN/labels.jsonl" "$MARK_HOST" 2>"$RUN/nframes"
	NFRAMES=$(cat "$RUN/nframes")
}

# send_and_wait sends the payload to PORT on one connection and waits until
# OUT holds the last marker.
send_and_wait() {
	local port=$1 out=$2 pid=$3 deadline=$((SECONDS + 60))
	exec 3<>"/dev/tcp/127.0.0.1/$port"
	cat "$RUN/payload" >&3
	exec 3>&-
	while ! { [ -f "$out" ] && grep -q "MARK $NFRAMES\"" "$out"; }; do
		kill -0 "$pid" 2>/dev/null || die "daemon $pid died (see $RUN)"
		[ "$SECONDS" -lt "$deadline" ] || die "timed out waiting for $out"
		sleep 0.2
	done
}

# assemble PEER RAWOUT: group the peer's records by marker and write one
# object per frame, in frame order, to OUT_DIR/PEER.jsonl. Fields are
# renamed to a common set where the meaning is the same; the peer's own
# names are kept otherwise. Invalid UTF-8 in a peer's output becomes U+FFFD
# (jq); "raw" and "input" show the bytes.
assemble() {
	local peer=$1 raw=$2
	jq -c -n --arg mark "$MARK_HOST" --arg peer "$peer" \
		--slurpfile labels "$RUN/labels.jsonl" '
		def num: if type == "string" then (tonumber? // .) else . end;
		def norm:
			(if .timestamp == .received then .timestamp = "(reception time)" else . end)
			| if $peer == "rsyslog" then
				{hostname, programname, syslogtag, procid, msgid, msg,
				 facility: (.facility | num), severity: (.severity | num), timestamp,
				 protocol_version, structured_data,
				 sd_params: (.sd_params | if . == "" then null else (fromjson? // .) end), raw}
			  else
				{hostname, program, pid, msgid, message, facility, severity, timestamp,
				 sdata, sd_params: ._SDATA, legacy_msghdr, tags, raw}
				# A frame syslog-ng rejects becomes its own error message,
				# with its own pid: keep the output stable.
				| if .program == "syslog-ng" and (.message | startswith("Error processing log message")) then .pid = "(syslog-ng pid)" else . end
			  end;
		# Fold the stream into an array of per-frame record lists.
		(reduce inputs as $r ({cur: [], out: []};
			if ($r.hostname == $mark) then .out += [.cur] | .cur = []
			else .cur += [$r | norm] end) | .out) as $groups
		| if ($groups | length) != ($labels | length) then
			error("\($peer): \($groups | length) markers for \($labels | length) frames")
		  else . end
		| range(0; $labels | length) as $i
		| $labels[$i] + {peer: $peer, records: ($groups[$i] | length)}
		  + (if ($groups[$i] | length) == 0 then {dropped: true}
		     else $groups[$i][0] + (if ($groups[$i] | length) > 1 then {extra: $groups[$i][1:]} else {} end) end)
	' "$raw" >"$OUT_DIR/$peer.jsonl.tmp"
	mv "$OUT_DIR/$peer.jsonl.tmp" "$OUT_DIR/$peer.jsonl"
}

# compare writes the agreement table (markdown) between the
# "<!-- BEGIN peer table -->" and "<!-- END peer table -->" lines of
# OUT_DIR/README.md, and prints the summary. Compared: hostname, app
# (rsyslog programname vs syslog-ng PROGRAM), pid (procid, "-" read as
# empty, vs PID) and message (msg vs MESSAGE); "msg~" also compares the
# message with one leading space removed from each side, since rsyslog
# keeps the space after an RFC 3164 tag. A hostname that is the sender
# (rsyslog "localhost", syslog-ng "127.0.0.1": the fallback when the frame
# has none) is shown and compared as "(sender)".
compare() {
	local table
	table=$(jq -r -n --slurpfile rs "$OUT_DIR/rsyslog.jsonl" --slurpfile ng "$OUT_DIR/syslog-ng.jsonl" '
		def cell: if . == null then "–" else tostring | gsub("\\|"; "\\|") | gsub("`"; "\\`")
			| gsub("[\u0000-\u001f]"; "·") | if length > 40 then .[0:39] + "…" else . end
			| if . == "" then "\"\"" else "`" + . + "`" end end;
		def host($self): if . == $self then "(sender)" else . end;
		def yn: if . then "✓" else "✗" end;
		def trim1: if type == "string" and startswith(" ") then .[1:] else . end;
		[range(0; $rs | length) as $i | $rs[$i] as $r | $ng[$i] as $n
		 | (if $r.dropped then {h: null, a: null, p: null, m: null}
		    else {h: ($r.hostname | host("localhost")), a: $r.programname,
		          p: ($r.procid | if . == "-" then "" else . end), m: $r.msg} end) as $R
		 | (if $n.dropped then {h: null, a: null, p: null, m: null}
		    else {h: ($n.hostname | host("127.0.0.1")), a: $n.program, p: $n.pid, m: $n.message} end) as $N
		 | {i: ($i + 1), label: $r.label, R: $R, N: $N,
		    h: ($R.h == $N.h), a: ($R.a == $N.a), p: ($R.p == $N.p), m: ($R.m == $N.m),
		    mt: (($R.m | trim1) == ($N.m | trim1)), split: ($n.records > 1 or $r.records > 1)}
		 | .all = (.h and .a and .p and .mt)] as $rows
		| "| # | frame | rsyslog host | app | pid | msg | syslog-ng host | app | pid | msg | host | app | pid | msg | msg~ |",
		  "|--:|---|---|---|---|---|---|---|---|---|:-:|:-:|:-:|:-:|:-:|",
		  ($rows[] | "| \(.i) | \(.label | split(" (")[0]) | \(.R.h | cell) | \(.R.a | cell) | \(.R.p | cell) | \(.R.m | cell) | \(.N.h | cell) | \(.N.a | cell) | \(.N.p | cell) | \(.N.m | cell)\(if .split then " (+split)" else "" end) | \(.h | yn) | \(.a | yn) | \(.p | yn) | \(.m | yn) | \(.mt | yn) |"),
		  "",
		  "Agree on all four (message compared as msg~): \([$rows[] | select(.all)] | length) of \($rows | length) frames: \([$rows[] | select(.all) | .i] | map(tostring) | join(", ")).",
		  "",
		  "Disagree on at least one: \([$rows[] | select(.all | not) | .i] | map(tostring) | join(", ")).",
		  "",
		  "Per field, frames that agree: host \([$rows[] | select(.h)] | length), app \([$rows[] | select(.a)] | length), pid \([$rows[] | select(.p)] | length), msg exact \([$rows[] | select(.m)] | length), msg~ \([$rows[] | select(.mt)] | length) (of \($rows | length))."
	')
	local readme=$OUT_DIR/README.md
	if [ -f "$readme" ] && grep -q '^<!-- BEGIN peer table -->$' "$readme"; then
		TABLE=$table perl -0pi -e 's/(<!-- BEGIN peer table -->\n).*?(<!-- END peer table -->)/$1\n$ENV{TABLE}\n\n$2/s' "$readme"
		log "table updated in $readme"
	else
		printf '%s\n' "$table"
	fi
	printf '%s\n' "$table" | grep -E '^(Agree|Disagree|Per field)' >&2
}

versions() {
	"$RS_ROOT/usr/sbin/rsyslogd" -v | head -n1 | awk '{print "rsyslog", $2, "(Debian package " v ")"}' \
		v="$(dpkg-deb -f "$(ls "$WORK"/debs/rsyslog_*.deb | head -n1)" Version 2>/dev/null || echo '?')"
	echo "syslog-ng $(syslog-ng --version | sed -n 's/^syslog-ng [0-9]* (\(.*\))/\1/p') (Debian package syslog-ng-core $(dpkg-query -W -f '${Version}' syslog-ng-core 2>/dev/null))"
}

main() {
	local t0=$SECONDS
	install_tools
	install_syslog_ng
	install_rsyslog imtcp mmpstrucdata
	[ -f "$FRAMES" ] || die "no $FRAMES"
	for p in "$RS_PORT" "$NG_PORT"; do
		! port_busy "$p" || die "port $p is in use; set RS_PORT/NG_PORT"
	done
	RUN=$(mktemp -d /tmp/peer-parse.XXXXXX)
	decode_frames
	log "$NFRAMES frames; $(versions | paste -sd ';' -)"
	write_rsyslog_conf
	write_syslog_ng_conf

	TZ=UTC "$RS_ROOT/usr/sbin/rsyslogd" -n -f "$RUN/rsyslog.conf" -i "$RUN/rsyslog.pid" \
		-M "$RS_MODDIR" >"$RUN/rsyslog.log" 2>&1 &
	RSPID=$!
	TZ=UTC syslog-ng -F --no-caps -f "$RUN/syslog-ng.conf" -R "$RUN/syslog-ng.persist" \
		-p "$RUN/syslog-ng.pid" -c "$RUN/syslog-ng.ctl" >"$RUN/syslog-ng.log" 2>&1 &
	NGPID=$!
	wait_listening "$RSPID" "$RS_PORT" || { cat "$RUN/rsyslog.log" >&2; die "rsyslog did not listen on $RS_PORT"; }
	wait_listening "$NGPID" "$NG_PORT" || { cat "$RUN/syslog-ng.log" >&2; die "syslog-ng did not listen on $NG_PORT"; }

	send_and_wait "$RS_PORT" "$RUN/rsyslog.out" "$RSPID"
	send_and_wait "$NG_PORT" "$RUN/syslog-ng.out" "$NGPID"
	stop_pid "$RSPID"
	RSPID=""
	stop_pid "$NGPID"
	NGPID=""

	assemble rsyslog "$RUN/rsyslog.out"
	assemble syslog-ng "$RUN/syslog-ng.out"
	compare
	log "wrote $OUT_DIR/rsyslog.jsonl and $OUT_DIR/syslog-ng.jsonl ($NFRAMES frames each) in $((SECONDS - t0)) s"
}

main "$@"
