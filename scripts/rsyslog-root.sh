#!/usr/bin/env bash
# rsyslog-root.sh — unpacks Debian's rsyslog and rsyslog-gnutls (the gtls
# netstream driver, lmnsd_gtls.so) under .deps/rsyslog-root, which
# .gitignore leaves out, for e2e/forward_test.go: the test runs that
# rsyslogd in the foreground as its own child. Nothing is installed as a
# package but the libraries rsyslogd links against (scripts/peers.sh's
# install_rsyslog: libfastjson4, libestr0), so it cannot conflict with
# syslog-ng-core or touch the system's logger, and no service is started.
#
# Idempotent: with everything unpacked and every library present it
# neither downloads nor installs anything. Needs root for the library
# packages (scripts/test-deps.sh runs it only as root).
#
# Knobs: SYSLOGD_TEST_RSYSLOG_ROOT (the root to unpack into; the test reads
# the same variable), RSYSLOG_DEPS_DIR (.deps: where the .debs are kept).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${RSYSLOG_DEPS_DIR:-$ROOT/.deps}
RS_ROOT=${SYSLOGD_TEST_RSYSLOG_ROOT:-$WORK/rsyslog-root}
RS_MODDIR=$RS_ROOT/usr/lib/x86_64-linux-gnu/rsyslog

log() { printf 'rsyslog-root: %s\n' "$*" >&2; }
die() {
	log "$*"
	exit 1
}

# shellcheck source=scripts/peers.sh
. "$ROOT/scripts/peers.sh"

# apt-get download needs package lists, which a fresh image may not have.
if { [ ! -x "$RS_ROOT/usr/sbin/rsyslogd" ] || [ ! -e "$RS_MODDIR/lmnsd_gtls.so" ]; } &&
	! apt-cache show rsyslog-gnutls >/dev/null 2>&1; then
	log "refreshing the package lists"
	apt-get update -qq >&2
fi

# rsyslogd itself and the inputs the test uses; dies on a missing library.
install_rsyslog imudp imtcp lmnsd_ptcp

# first prints the first of its arguments that exists (a glob's first
# match), or nothing.
first() {
	local f
	for f in "$@"; do
		if [ -e "$f" ]; then
			printf '%s\n' "$f"
			return
		fi
	done
}

# The gtls driver comes in its own package, of the same version as the
# rsyslog .deb unpacked (the candidate's when the root came from elsewhere).
if [ ! -e "$RS_MODDIR/lmnsd_gtls.so" ]; then
	mkdir -p "$WORK/debs"
	version=""
	rsdeb=$(first "$WORK"/debs/rsyslog_*.deb)
	[ -z "$rsdeb" ] || version=$(dpkg-deb -f "$rsdeb" Version)
	gnutls() { first "$WORK"/debs/rsyslog-gnutls_"${version#*:}"*.deb; }
	deb=$(gnutls)
	if [ -z "$deb" ]; then
		log "downloading rsyslog-gnutls ${version:-(candidate)} .deb"
		# _apt cannot write here; apt falls back to root and says so.
		if ! (cd "$WORK/debs" && apt-get download "rsyslog-gnutls${version:+=$version}" 2>&1 | grep -v unsandboxed >&2); then
			: # grep found nothing to pass on; the check below decides
		fi
		deb=$(gnutls)
		[ -n "$deb" ] || die "apt-get download rsyslog-gnutls${version:+=$version} failed"
	fi
	dpkg -x "$deb" "$RS_ROOT"
fi
missing=$(ldd "$RS_MODDIR/lmnsd_gtls.so" | awk '/not found/ {printf " %s", $1}')
if [ -n "$missing" ]; then
	log "lmnsd_gtls.so needs$missing; installing libgnutls30"
	apt_install libgnutls30
	missing=$(ldd "$RS_MODDIR/lmnsd_gtls.so" | awk '/not found/ {printf " %s", $1}')
	[ -z "$missing" ] || die "lmnsd_gtls.so needs libraries that are not installed:$missing"
fi
"$RS_ROOT/usr/sbin/rsyslogd" -v | sed -n "1s/^/rsyslog-root: /p" >&2
