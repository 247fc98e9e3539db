# peers.sh — sourced by the scripts that run rsyslog and syslog-ng next to
# syslogd (bench-e2e.sh, peer-parse.sh): how to install both on Debian 12
# without touching the system's logger. The caller defines log, die, WORK,
# RS_ROOT (where rsyslog's .deb is extracted) and RS_MODDIR (its modules).

# apt_install installs the named packages, refreshing the package lists only
# when the first attempt fails (so a re-run with everything present never
# touches the network).
apt_install() {
	[ "$(id -u)" = 0 ] || die "need root to install: $*"
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2; then
		apt-get update -qq >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
	fi
}

installed() { dpkg-query -W -f '${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }

# install_syslog_ng installs syslog-ng-core (syslog-ng and loggen) unless
# present, and keeps its packaged service from running.
install_syslog_ng() {
	if command -v loggen >/dev/null && command -v syslog-ng >/dev/null; then
		return
	fi
	# syslog-ng-core conflicts with rsyslog: installing it would remove the
	# system's logger. Refuse rather than do that.
	if installed rsyslog; then
		die "rsyslog is this system's logger and conflicts with syslog-ng-core; install syslog-ng-core yourself or run elsewhere"
	fi
	log "installing syslog-ng-core (syslog-ng, loggen)"
	apt_install syslog-ng-core
	# The package enables (and, where policy allows, starts) a syslog-ng
	# service that would read /dev/log: undo both, we only run our own.
	if command -v systemctl >/dev/null; then
		systemctl stop syslog-ng.service >/dev/null 2>&1 || true
		systemctl disable syslog-ng.service >/dev/null 2>&1 || true
	fi
}

# install_rsyslog MODULE... extracts rsyslog's .deb under $RS_ROOT (it cannot
# be installed next to syslog-ng-core) after installing the libraries
# rsyslogd links against, and checks that rsyslogd and the named modules
# (imtcp, imudp, …) have every library they need.
install_rsyslog() {
	if [ ! -x "$RS_ROOT/usr/sbin/rsyslogd" ]; then
		local libs="" deb
		installed libfastjson4 || libs="$libs libfastjson4"
		installed libestr0 || libs="$libs libestr0"
		# shellcheck disable=SC2086 # word splitting wanted
		if [ -n "$libs" ]; then apt_install $libs; fi
		mkdir -p "$WORK/debs"
		deb=$(ls "$WORK"/debs/rsyslog_*.deb 2>/dev/null | head -n1 || true)
		if [ -z "$deb" ]; then
			log "downloading rsyslog .deb"
			# _apt cannot write here; apt falls back to root and says so.
			(cd "$WORK/debs" && apt-get download rsyslog 2>&1 | grep -v unsandboxed >&2 || true)
			deb=$(ls "$WORK"/debs/rsyslog_*.deb 2>/dev/null | head -n1 || true)
			[ -n "$deb" ] || die "apt-get download rsyslog failed"
		fi
		rm -rf "$RS_ROOT"
		dpkg -x "$deb" "$RS_ROOT"
	fi
	local f m missing=""
	for f in "$RS_ROOT/usr/sbin/rsyslogd" "$@"; do
		[ "$f" = "$RS_ROOT/usr/sbin/rsyslogd" ] || f=$RS_MODDIR/$f.so
		[ -e "$f" ] || die "missing $f"
		missing="$missing$(ldd "$f" | awk '/not found/ {printf " %s", $1}')"
	done
	[ -z "$missing" ] || die "rsyslog needs libraries that are not installed:$missing"
}
