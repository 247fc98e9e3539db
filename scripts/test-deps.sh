#!/bin/sh
# Installs what the tests need on Debian, so a clean machine (and CI) can
# run `make test`. Only installs what is missing.
set -eu
need=""
command -v logger >/dev/null 2>&1 || need="$need bsdutils"
# The local-socket e2e test sends with Python's logging.handlers.SysLogHandler.
command -v python3 >/dev/null 2>&1 || need="$need python3-minimal"
# The journald sink tests run a private systemd-journald namespace; they
# need root, so systemd is only installed when we are root (else they skip).
if [ "$(id -u)" = 0 ] && { [ ! -x /lib/systemd/systemd-journald ] || ! command -v journalctl >/dev/null 2>&1; }; then
	need="$need systemd"
fi
if [ -n "$need" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "test-deps: missing$need; run as root or install them" >&2
		exit 1
	fi
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need
fi
# The syslog sink's e2e test (e2e/forward_test.go) forwards to a real
# rsyslog, unpacked from Debian's .debs under .deps/rsyslog-root (git-ignored;
# never installed as a package, so it cannot conflict with syslog-ng-core).
# Only as root, since rsyslogd's libraries are installed with apt; without
# it the test skips, and fails under CI=true.
if [ "$(id -u)" = 0 ]; then
	"$(dirname "$0")/rsyslog-root.sh"
else
	echo "test-deps: not root: rsyslog not unpacked, e2e/forward_test.go skips" >&2
fi
# The metrics e2e test runs `promtool check metrics` on /metrics: promtool
# is unpacked from Debian's prometheus package under .deps (never installed).
"$(dirname "$0")/promtool.sh" >/dev/null ||
	echo "test-deps: promtool not unpacked; the promtool e2e test skips (fails under CI=true)" >&2
command -v go >/dev/null 2>&1 || { echo "test-deps: Go 1.26+ is required (https://go.dev/dl/)" >&2; exit 1; }
