// Command syslogd receives syslog over UDP, TCP and TLS, parses it, and
// routes each message by ordered rules to files, NATS and journald.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"
	_ "time/tzdata" // static binaries on hosts without tzdata still honour listener timezones

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"syslogd/config"
	"syslogd/daemon"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run returns the process exit code: 0 ok, 1 bad config or start failure,
// 2 usage error.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("syslogd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgFile := fs.String("config", "", "configuration `FILE` (default: the embedded default config)")
	check := fs.Bool("check-config", false, "validate the configuration, print FILE: OK or every problem, and exit")
	showVersion := fs.Bool("version", false, "print the version and exit")
	printDefault := fs.Bool("print-default-config", false, "print the embedded default configuration and exit")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "syslogd: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	switch {
	case *showVersion:
		fmt.Fprintf(stdout, "syslogd %s\n", version)
		return 0
	case *printDefault:
		_, _ = stdout.Write(config.DefaultYAML())
		return 0
	}
	load := func() (*config.Config, error) {
		if *cfgFile == "" {
			return config.Default(daemon.Schema())
		}
		return config.Load(*cfgFile, daemon.Schema())
	}
	cfg, err := load()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if *check {
		fmt.Fprintf(stdout, "%s: OK\n", cfg.File)
		return 0
	}
	log := newLogger(cfg, stderr)
	tuneGC()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Signals are caught from before the start, so that a SIGTERM that
	// arrives while listeners open waits for the start and then drains,
	// instead of killing the process with the default action.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	d, err := daemon.New(cfg, log, reg)
	if err != nil {
		log.Error("cannot start", "error", err)
		return 1
	}
	return serve(d, cfg, load, sigs, log)
}

// serve handles signals until SIGTERM/SIGINT: HUP reloads, USR1 reopens.
func serve(d *daemon.Daemon, cfg *config.Config, load func() (*config.Config, error), sigs <-chan os.Signal, log *slog.Logger) int {
	for sig := range sigs {
		switch sig {
		case syscall.SIGHUP:
			next, err := load()
			if err != nil {
				d.RecordReloadFailure(err)
				continue
			}
			if d.Reload(next) == nil {
				cfg = next
			}
		case syscall.SIGUSR1:
			d.Reopen()
		default:
			return shutdown(d, cfg.ShutdownTimeout, sig, log)
		}
	}
	return 0
}

// hardStopGrace is how long past shutdown_timeout the process waits for a
// shutdown that ignores its deadline before it exits anyway.
const hardStopGrace = time.Second

// shutdown drains the daemon until timeout and exits 0. Some work cannot
// be interrupted (a write blocked in the kernel: open(2) of a FIFO nobody
// reads, a hung network file system), so the stop is bounded here too: past
// timeout+hardStopGrace the process exits 1, saying how many messages its
// sinks had not settled (the accounting identity makes that exact).
func shutdown(d *daemon.Daemon, timeout time.Duration, sig os.Signal, log *slog.Logger) int {
	log.Info("shutting down", "signal", sig.String(), "deadline", timeout.String())
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- d.Shutdown(ctx) }() // abandoned, with the process, if it never returns
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			log.Error("shutdown", "error", err)
		}
		return 0
	case <-time.After(timeout + hardStopGrace):
		log.Error("shutdown did not finish within shutdown_timeout; exiting with messages not written",
			"not_written", d.Unsettled(), "shutdown_timeout", timeout.String())
		d.Abandon() // a JetStream source hands what it holds back at once
		return 1
	}
}

// tuneGC sets GOGC=200 and a 1 GiB soft memory limit unless the
// environment sets GOGC or GOMEMLIMIT. Each message makes a few short-lived
// objects while the live heap stays small (queues are bounded), so Go's
// default GOGC=100 collects often; 200 saved about 6 % CPU per message over
// 100 with 16 connections (BENCHMARKS.md, "Connections and the collector").
// Higher settings bought no CPU on today's hot path and multiply every
// megabyte of live heap — 1,000 open connections, a long queue — by the
// factor: at 800 peak RSS was 150–380 MB where 200 keeps it near 50–100 MB.
// The memory limit makes the collector work harder rather than let the
// heap grow past 1 GiB.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(1 << 30)
	}
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
