package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the syslogd built once for all tests by TestMain.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "syslogd-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "syslogd")
	args := []string{"build", "-o", binary}
	if raceBuild && os.Getenv("SYSLOGD_E2E_RACE") != "" {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, "../cmd/syslogd")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build syslogd:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a running syslogd with the addresses it reported at start.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	dir    string            // working directory; relative sink paths land here
	cfg    string            // config file path
	addrs  map[string]string // listener name → bound address
	stats  string            // stats address
	exited chan error
	logs   *logBuffer
}

// logBuffer keeps the daemon's log lines for failure messages and for
// waiting on events such as "configuration reloaded".
type logBuffer struct {
	lines chan map[string]any
	mu    sync.Mutex // guards all: the reading goroutine writes it while a test may print it
	all   strings.Builder
}

// String returns every line logged so far.
func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.all.String()
}

// start writes cfgYAML (with {{DIR}} replaced by a temp dir) and starts
// syslogd on it, waiting until every listener and the stats server have
// reported their addresses. Logs are JSON so the harness can read them.
func start(t *testing.T, cfgYAML string) *proc {
	t.Helper()
	dir := t.TempDir()
	cfgYAML = strings.ReplaceAll(cfgYAML, "{{DIR}}", dir)
	cfgYAML += "\nlog: {level: debug, format: json}\n"
	cfgFile := filepath.Join(dir, "syslogd.yaml")
	if err := os.WriteFile(cfgFile, []byte(cfgYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	return startFile(t, dir, cfgFile)
}

func startFile(t *testing.T, dir, cfgFile string, extraArgs ...string) *proc {
	t.Helper()
	return startCmd(t, dir, cfgFile, exec.Command(binary, append([]string{"--config", cfgFile}, extraArgs...)...))
}

// startCmd is startFile with the command made by the caller (another
// environment, inherited files, a wrapper).
func startCmd(t *testing.T, dir, cfgFile string, cmd *exec.Cmd) *proc {
	t.Helper()
	cmd.Dir = dir
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{t: t, cmd: cmd, dir: dir, cfg: cfgFile, addrs: map[string]string{},
		exited: make(chan error, 1), logs: &logBuffer{lines: make(chan map[string]any, 1024)}}
	go p.readLogs(stderr)
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
		if strings.Contains(p.logs.String(), "WARNING: DATA RACE") {
			t.Error("the race detector reported a data race in syslogd (its log follows)")
		}
		if t.Failed() {
			t.Logf("syslogd log:\n%s", p.logs.String())
		}
	})
	deadline := time.After(20 * time.Second)
	for {
		select {
		case line := <-p.logs.lines:
			switch line["msg"] {
			case "listening":
				p.addrs[line["listener"].(string)] = line["address"].(string)
			case "stats listening":
				p.stats = line["address"].(string)
			case "syslogd started":
				return p
			}
		case err := <-p.exited:
			t.Fatalf("syslogd exited during start: %v\n%s", err, p.logs.String())
		case <-deadline:
			t.Fatalf("syslogd did not start\n%s", p.logs.String())
		}
	}
}

func (p *proc) readLogs(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		p.logs.mu.Lock()
		p.logs.all.WriteString(sc.Text() + "\n")
		p.logs.mu.Unlock()
		var m map[string]any
		if json.Unmarshal(sc.Bytes(), &m) == nil {
			select {
			case p.logs.lines <- m:
			default: // nobody is waiting for events; keep only the text
			}
		}
	}
	p.exited <- p.cmd.Wait()
}

// waitLog waits for a log line whose msg is msg.
func (p *proc) waitLog(msg string) map[string]any {
	p.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case line := <-p.logs.lines:
			if line["msg"] == msg {
				return line
			}
		case <-deadline:
			p.t.Fatalf("no %q log line\n%s", msg, p.logs.String())
		}
	}
}

func (p *proc) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatal(err)
	}
}

// stop sends SIGTERM and waits for a clean exit.
func (p *proc) stop() {
	p.t.Helper()
	p.signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		if err != nil {
			p.t.Fatalf("syslogd exit: %v", err)
		}
	case <-time.After(30 * time.Second):
		p.t.Fatal("syslogd did not exit after SIGTERM")
	}
}

// statsDoc is the subset of /stats the tests read.
type statsDoc struct {
	Config struct {
		Reloads         uint64 `json:"reloads"`
		ReloadFailures  uint64 `json:"reload_failures"`
		LastReloadError string `json:"last_reload_error"`
	} `json:"config"`
	Totals struct {
		Received, Routed, Unmatched, Dropped uint64
	} `json:"totals"`
	Listeners map[string]struct {
		Received    uint64 `json:"received"`
		ParseErrors uint64 `json:"parse_errors"`
		Dropped     uint64 `json:"dropped"`
		TooLarge    uint64 `json:"too_large"`
		ReadErrors  uint64 `json:"read_errors"`
	} `json:"listeners"`
	Routes map[string]struct {
		Matched uint64 `json:"matched"`
	} `json:"routes"`
	Sinks map[string]sinkStats `json:"sinks"`
}

// sinkStats is one sink's entry in /stats.
type sinkStats struct {
	Enqueued  uint64            `json:"enqueued"`
	Written   uint64            `json:"written"`
	Dropped   uint64            `json:"dropped"`
	DroppedBy map[string]uint64 `json:"dropped_by_reason"`
	Queued    int               `json:"queued"`
	Spooled   *int64            `json:"spooled"`  // NATS sinks only
	Reopens   *uint64           `json:"reopens"`  // file sinks only
	Resent    *uint64           `json:"resent"`   // syslog sinks only
	Buffered  *int64            `json:"buffered"` // sinks with a disk buffer only
	Connected bool              `json:"connected"`
	State     string            `json:"state"`
}

func (p *proc) getStats() statsDoc {
	p.t.Helper()
	resp, err := http.Get("http://" + p.stats + "/stats")
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	var s statsDoc
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		p.t.Fatal(err)
	}
	return s
}

// waitStats polls /stats until cond holds. Polling is the only way to
// observe the daemon from outside; it is bounded by a deadline.
func (p *proc) waitStats(what string, cond func(statsDoc) bool) statsDoc {
	p.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := p.getStats()
		if cond(s) {
			return s
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("timed out waiting for %s; last stats %+v\n%s", what, s, p.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func balanced(s statsDoc) bool {
	return s.Totals.Received == s.Totals.Routed+s.Totals.Unmatched+s.Totals.Dropped
}

// logger runs util-linux logger against addr with args.
func logger(t *testing.T, addr string, args ...string) {
	t.Helper()
	host, port, _ := strings.Cut(addr, ":")
	if strings.HasPrefix(addr, "[") {
		i := strings.LastIndex(addr, "]:")
		host, port = addr[1:i], addr[i+2:]
	}
	full := append([]string{"-n", host, "-P", port}, args...)
	out, err := exec.Command("logger", full...).CombinedOutput()
	if err != nil {
		t.Fatalf("logger %v: %v\n%s", full, err, out)
	}
}

// readFile returns the file's content, or "" when it does not exist yet.
func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}
