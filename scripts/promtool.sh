#!/usr/bin/env bash
# promtool.sh — unpacks promtool from Debian's prometheus package under
# .deps/prometheus-root (git-ignored), for the e2e test that runs
# `promtool check metrics` on /metrics. The package is downloaded and
# unpacked, never installed, so no Prometheus service is set up or started.
# promtool is a static binary: nothing else is needed.
#
# Idempotent: with promtool unpacked it downloads nothing. Prints the path
# of promtool on success.
#
# Knobs: SYSLOGD_TEST_PROMTOOL (the promtool to use; the test reads the same
# variable), PROMTOOL_DEPS_DIR (.deps: where the .deb is kept).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${PROMTOOL_DEPS_DIR:-$ROOT/.deps}
TOOL=${SYSLOGD_TEST_PROMTOOL:-$WORK/prometheus-root/usr/bin/promtool}

log() { printf 'promtool: %s\n' "$*" >&2; }

if [ -x "$TOOL" ]; then
	printf '%s\n' "$TOOL"
	exit 0
fi
mkdir -p "$WORK"
cd "$WORK"
if ! ls prometheus_*.deb >/dev/null 2>&1; then
	if ! apt-cache show prometheus >/dev/null 2>&1; then
		log "refreshing the package lists"
		apt-get update -qq >&2
	fi
	log "downloading Debian's prometheus package (for promtool only)"
	apt-get download -qq prometheus >&2
fi
deb=$(ls prometheus_*.deb | head -n 1)
dpkg -x "$deb" "$WORK/prometheus-root"
[ -x "$TOOL" ] || { log "no promtool in $deb"; exit 1; }
log "unpacked $TOOL"
printf '%s\n' "$TOOL"
