// Package e2e holds end-to-end tests: they build the real syslogd binary,
// start it from a YAML config on 127.0.0.1 port 0, feed it with real
// senders (logger from util-linux) and read files and /stats back.
package e2e
