package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"time"

	"syslogd/config"
	"syslogd/daemon"
)

const explainUsage = `Usage: syslogd explain --config FILE [--listener NAME] [--source IP] [--format text|json] [LINE...]

Explain what syslogd running FILE does with each LINE, one syslog frame as
a listener receives it: how the listener's parser reads it, what each route
decides (the first match key that failed, a final route that stopped the
evaluation, a fallback route), and where each sink it goes to would deliver
it (file path, NATS subject, journald fields, relay target). With no LINE,
each line of standard input is one frame. Nothing is opened, connected to or
written.

Flags come before the lines ("--" ends them):
  --config FILE     the configuration to explain (required)
  --listener NAME   the socket listener the lines arrive on
                    (default: the first socket listener of FILE)
  --source IP       the sender's address, for match.source and as the
                    hostname of a message that names none (default
                    127.0.0.1; unix and unixgram senders have none)
  --format FORMAT   text (default) or json: one JSON object per line

Exit status: 0 when every line was explained, whatever the daemon would do
with it; 1 for a configuration that does not load (its problems printed as
--check-config prints them) or unreadable input; 2 for a usage error,
an unknown listener name included.
`

// explainEnv is what explain takes from the process, so tests can fix it.
type explainEnv struct {
	now      func() time.Time
	hostname string // this host's name, for local sockets' messages
}

// explain is `syslogd explain`: see explainUsage.
func explain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	host, _ := os.Hostname() // "" if unknown, as the daemon does
	return explainWith(args, stdin, stdout, stderr, explainEnv{now: time.Now, hostname: host})
}

// explainFlags are explain's parsed command line.
type explainFlags struct {
	config, listener, format string
	source                   netip.Addr
	lines                    []string
}

// parseExplainFlags parses args, or returns the exit code: 0 after
// --help (the usage on stdout), 2 for a usage error (on stderr).
func parseExplainFlags(args []string, stdout, stderr io.Writer) (explainFlags, int) {
	var f explainFlags
	fs := flag.NewFlagSet("syslogd explain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {} // --help prints it below; a bad flag gets its first line
	fs.StringVar(&f.config, "config", "", "")
	fs.StringVar(&f.listener, "listener", "", "")
	source := fs.String("source", "127.0.0.1", "")
	fs.StringVar(&f.format, "format", "text", "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, explainUsage)
			return f, 0
		}
		usage, _, _ := strings.Cut(explainUsage, "\n")
		fmt.Fprintf(stderr, "%s\n(syslogd explain --help says more)\n", usage)
		return f, 2
	}
	src, srcErr := netip.ParseAddr(*source)
	f.source = src
	var err error
	switch {
	case f.config == "":
		err = errors.New("--config FILE is required")
	case srcErr != nil:
		err = fmt.Errorf("--source: %w", srcErr)
	case f.format != "text" && f.format != "json":
		err = fmt.Errorf("--format: unknown format %q (want text or json)", f.format)
	}
	if err != nil {
		fmt.Fprintf(stderr, "syslogd explain: %v\n", err)
		return f, 2
	}
	f.lines = fs.Args()
	return f, -1
}

// explainWith runs explain in env.
func explainWith(args []string, stdin io.Reader, stdout, stderr io.Writer, env explainEnv) int {
	f, code := parseExplainFlags(args, stdout, stderr)
	if code >= 0 {
		return code
	}
	cfg, err := config.Load(f.config, daemon.Schema())
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintf(stderr, "%s (warning)\n", w)
	}
	e, err := daemon.NewExplainer(cfg, daemon.ExplainOptions{Listener: f.listener, Source: f.source, Hostname: env.hostname})
	if err != nil {
		fmt.Fprintf(stderr, "syslogd explain: %v\n", err)
		if errors.Is(err, daemon.ErrListener) {
			return 2
		}
		return 1
	}
	out := bufio.NewWriter(stdout)
	show := func(n int, line []byte) {
		x := e.Explain(line, env.now())
		if f.format == "json" {
			writeJSON(out, x)
		} else {
			writeText(out, n, x)
		}
		_ = out.Flush() // a line at a time, for a terminal or a pipe
	}
	if len(f.lines) > 0 {
		for i, l := range f.lines {
			show(i+1, []byte(l))
		}
		return 0
	}
	if err := eachLine(stdin, show); err != nil {
		fmt.Fprintf(stderr, "syslogd explain: reading standard input: %v\n", err)
		return 1
	}
	return 0
}

// eachLine calls fn with each line of r, numbered from 1, without its LF
// and one CR before it (as a stream listener's LF framing removes them).
func eachLine(r io.Reader, fn func(n int, line []byte)) error {
	br := bufio.NewReader(r)
	for n := 1; ; n++ {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 && line[len(line)-1] == '\n' {
			line = bytes.TrimSuffix(line[:len(line)-1], []byte("\r"))
		} else if len(line) == 0 && err == io.EOF {
			return nil
		}
		if err != nil && err != io.EOF {
			return err
		}
		fn(n, line)
		if err == io.EOF {
			return nil
		}
	}
}

// writeJSON writes x as one line of JSON.
func writeJSON(w io.Writer, x daemon.Explanation) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(x) // an Explanation always encodes; write errors end with the output
}
