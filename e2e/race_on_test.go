//go:build race

package e2e

// raceBuild: `go test -race` with SYSLOGD_E2E_RACE=1 builds the daemon with
// the race detector too, so the end-to-end tests check the daemon's
// goroutines under real traffic.
const raceBuild = true
