package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"

	"syslogd/config"
)

// reloadPoll is how often --reload asks the daemon for its answer; it
// waits at most shutdown_timeout (a reload drains retired sinks that long)
// and a little more.
const reloadPoll = 50 * time.Millisecond

// reloadCounts is what --reload reads of /stats.
type reloadCounts struct {
	Config struct {
		Reloads         uint64 `json:"reloads"`
		ReloadFailures  uint64 `json:"reload_failures"`
		LastReloadError string `json:"last_reload_error"`
	} `json:"config"`
}

// reload is --reload PID, for a unit's ExecReload: it sends SIGHUP to pid
// and waits, on the stats endpoint cfg names, until the daemon has applied
// the configuration (exit 0) or rejected it (its reason on stderr, exit
// 1). systemd then reports a failed reload instead of a success that did
// not happen. Without a fixed stats address it can only send the signal.
func reload(pid int, cfg *config.Config, stdout, stderr io.Writer) int {
	addr := cfg.Stats.Address
	_, port, _ := net.SplitHostPort(addr)
	if !cfg.Stats.Enabled() || port == "0" {
		if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
			fmt.Fprintf(stderr, "syslogd: reload: %v\n", err)
			return 1
		}
		fmt.Fprintln(stderr, "syslogd: reload signalled; not waiting for it: the stats endpoint has no fixed address")
		return 0
	}
	client := &http.Client{Timeout: 2 * time.Second}
	before, err := getReloadCounts(client, addr)
	if err != nil {
		fmt.Fprintf(stderr, "syslogd: reload: %v\n", err)
		return 1
	}
	if err := syscall.Kill(pid, syscall.SIGHUP); err != nil {
		fmt.Fprintf(stderr, "syslogd: reload: %v\n", err)
		return 1
	}
	deadline := time.Now().Add(cfg.ShutdownTimeout + 10*time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(reloadPoll) // polling the daemon's own report; nothing to wait on across processes
		now, err := getReloadCounts(client, addr)
		if err != nil {
			continue // the endpoint may move if the reload changed stats.address
		}
		switch {
		case now.Config.ReloadFailures > before.Config.ReloadFailures:
			fmt.Fprintf(stderr, "syslogd: reload rejected, old configuration kept:\n%s\n", now.Config.LastReloadError)
			return 1
		case now.Config.Reloads > before.Config.Reloads:
			fmt.Fprintln(stdout, "syslogd: reloaded")
			return 0
		}
	}
	fmt.Fprintln(stderr, "syslogd: reload: no answer from the daemon in time")
	return 1
}

func getReloadCounts(client *http.Client, addr string) (reloadCounts, error) {
	var rc reloadCounts
	resp, err := client.Get("http://" + addr + "/stats")
	if err != nil {
		return rc, fmt.Errorf("stats endpoint: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return rc, errors.New("stats endpoint: " + resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&rc); err != nil {
		return rc, fmt.Errorf("stats endpoint: %w", err)
	}
	return rc, nil
}
