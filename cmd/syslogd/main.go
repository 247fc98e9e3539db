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
	"strconv"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // static binaries on hosts without tzdata still honour listener timezones

	"github.com/coreos/go-systemd/v22/activation"
	sddaemon "github.com/coreos/go-systemd/v22/daemon"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sys/unix"

	"syslogd/config"
	"syslogd/daemon"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run returns the process exit code: 0 ok, 1 bad config or start failure,
// 2 usage error. stdin is read by `syslogd explain` only.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "explain" {
		return explain(args[1:], stdin, stdout, stderr)
	}
	fs := flag.NewFlagSet("syslogd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: syslogd [--config FILE] [--check-config | --print-default-config | --reload PID | --version]\n"+
			"       syslogd explain --config FILE [--listener NAME] [--source IP] [--format text|json] [LINE...]\n"+
			"               (what the daemon would do with each line; syslogd explain --help)\n\n")
		fs.PrintDefaults()
	}
	cfgFile := fs.String("config", "", "configuration `FILE` (default: the embedded default config)")
	check := fs.Bool("check-config", false, "validate the configuration, print FILE: OK or every problem, and exit")
	showVersion := fs.Bool("version", false, "print the version and exit")
	printDefault := fs.Bool("print-default-config", false, "print the embedded default configuration and exit")
	reloadPID := fs.Int("reload", 0, "send SIGHUP to the syslogd with this `PID` (its --config the same as this one's), wait until it has applied or rejected the configuration, and exit 0 or 1 with the reason (for a unit's ExecReload)")
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
		for _, w := range cfg.Warnings {
			fmt.Fprintf(stderr, "%s (warning)\n", w)
		}
		fmt.Fprintf(stdout, "%s: OK\n", cfg.File)
		return 0
	}
	if *reloadPID > 0 {
		return reload(*reloadPID, cfg, stdout, stderr)
	}
	dlog, log := newDaemonLog(cfg, stderr)
	logWarnings(log, cfg)
	tuneGC()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Signals are caught from before the start, so that a SIGTERM that
	// arrives while listeners open waits for the start and then drains,
	// instead of killing the process with the default action.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	// Sockets systemd passed (socket activation); the environment that
	// names them is cleared so that no child process takes them too.
	d, err := daemon.New(cfg, log, reg, daemon.WithActivated(activation.Files(true)), daemon.WithVersion(version))
	if err != nil {
		log.Error("cannot start", "error", err)
		notify(log, "STATUS=cannot start: "+err.Error())
		return 1
	}
	setMemoryLimit(d.QueueBytes())
	notify(log, "READY=1\nSTATUS="+d.Status())
	stopWatchdog := watchdog(d, log)
	defer stopWatchdog()
	return serve(d, cfg, load, sigs, log, dlog)
}

// serve handles signals until SIGTERM/SIGINT: HUP reloads, USR1 reopens.
func serve(d *daemon.Daemon, cfg *config.Config, load func() (*config.Config, error), sigs <-chan os.Signal, log *slog.Logger, dlog *daemonLog) int {
	for sig := range sigs {
		switch sig {
		case syscall.SIGHUP:
			notify(log, reloading())
			next, err := load()
			if err != nil {
				d.RecordReloadFailure(err)
				notify(log, "READY=1\nSTATUS=reload failed, old configuration kept: "+firstLine(err.Error()))
				continue
			}
			if err := d.Reload(next); err != nil {
				notify(log, "READY=1\nSTATUS=reload failed, old configuration kept: "+firstLine(err.Error()))
				continue
			}
			cfg = next
			dlog.apply(cfg) // log.level and log.format take effect from here
			logWarnings(log, cfg)
			setMemoryLimit(d.QueueBytes())
			notify(log, "READY=1\nSTATUS="+d.Status())
		case syscall.SIGUSR1:
			d.Reopen()
		default:
			notify(log, "STOPPING=1\nSTATUS=draining (shutdown_timeout "+cfg.ShutdownTimeout.String()+")")
			return shutdown(d, cfg.ShutdownTimeout, sig, log)
		}
	}
	return 0
}

// logWarnings logs the configuration's advice, as --check-config prints it.
func logWarnings(log *slog.Logger, cfg *config.Config) {
	for _, w := range cfg.Warnings {
		log.Warn("configuration: "+w.Reason, "at", w.File+":"+strconv.Itoa(w.Line)+":"+strconv.Itoa(w.Col), "path", w.Path)
	}
}

// notify tells systemd (sd_notify) about a state change when it runs the
// daemon as Type=notify; without NOTIFY_SOCKET it does nothing. A failure
// to tell it is logged, not fatal: the service manager will time out.
func notify(log *slog.Logger, state string) {
	if _, err := sddaemon.SdNotify(false, state); err != nil {
		log.Warn("sd_notify failed", "error", err)
	}
}

// reloading is the RELOADING=1 notification with the CLOCK_MONOTONIC time
// systemd wants with it (systemd.service(5), Type=notify-reload).
func reloading() string {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return "RELOADING=1"
	}
	return "RELOADING=1\nMONOTONIC_USEC=" + strconv.FormatInt(ts.Nano()/1000, 10)
}

// watchdog sends WATCHDOG=1 at half the interval systemd asks for
// (WatchdogSec=, WATCHDOG_USEC) while the daemon answers: each ping reads a
// snapshot, which takes the daemon's lock, so a daemon wedged on it stops
// pinging and systemd restarts it. It returns the function that stops it.
func watchdog(d *daemon.Daemon, log *slog.Logger) (stop func()) {
	every, err := sddaemon.SdWatchdogEnabled(false)
	if err != nil || every <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every / 2)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				notify(log, "WATCHDOG=1\nSTATUS="+d.Status())
			case <-done:
				return
			}
		}
	}()
	return func() { close(done); <-finished }
}

// firstLine keeps a STATUS= line to one line.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
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

// tuneGC sets GOGC=200 unless the environment sets GOGC. Each message
// makes one short-lived allocation while the live heap stays small
// (queues are bounded), so Go's default GOGC=100 collects often: 200 cost
// 10–20 % less CPU per message than 100 (BENCHMARKS.md, "Connections and
// the collector" and "End-to-end load").
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
}

// minMemoryLimit is the smallest soft memory limit setMemoryLimit sets.
const minMemoryLimit = 32 << 20

// setMemoryLimit sets Go's soft memory limit from what the configuration
// lets the memory queues hold (queueBytes, the sum of queue_max_bytes),
// unless the environment sets GOMEMLIMIT: twice that, and at least 32 MiB.
// The queues are the live heap that can grow under load; twice it is the
// room GOGC=100 would give, while GOGC=200 keeps collections rare as long
// as the heap is small. Without a limit, GOGC=200 let the heap reach three
// times a full queue's bytes (peak RSS near 55 MiB with the defaults and
// two sinks, against 40 MiB with the limit, at the same CPU). The limit is
// soft: a heap that needs more gets it, and the collector runs more often
// (at most half the CPU, the runtime's own cap). Called at start and after
// each reload.
func setMemoryLimit(queueBytes int64) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(max(minMemoryLimit, 2*queueBytes))
}
