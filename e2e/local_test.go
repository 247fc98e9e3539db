package e2e

import (
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const localConfig = `
listeners:
  - {name: devlog, protocol: unixgram, address: "{{DIR}}/dev-log"}
  - {name: local, protocol: unix, address: "{{DIR}}/stream.sock"}
sinks:
  - {name: hosts, type: file, path: "{{DIR}}/log/{hostname}/{app_name}.log", format: rfc3164}
  - {name: all, type: file, path: "{{DIR}}/log/all.json", format: json}
routes:
  - {name: all, sinks: [hosts, all]}
stats: {address: "127.0.0.1:0"}
shutdown_timeout: 5s
`

// writeConfig writes cfg, with {{DIR}} standing for dir, as
// dir/syslogd.yaml and returns its path.
func writeConfig(t *testing.T, dir, cfg string) string {
	t.Helper()
	path := filepath.Join(dir, "syslogd.yaml")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(cfg, "{{DIR}}", dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// localLogger runs logger(1) against a unix socket, as a host's programs
// write to /dev/log.
func localLogger(t *testing.T, socket string, args ...string) {
	t.Helper()
	full := append([]string{"-u", socket}, args...)
	if out, err := exec.Command("logger", full...).CombinedOutput(); err != nil {
		t.Fatalf("logger %v: %v\n%s", full, err, out)
	}
}

// jsonLines reads a json-format file into one map per line.
func jsonLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(readFile(t, path)), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		out = append(out, m)
	}
	return out
}

// TestLocalSocketsLandInTheRightFiles: the host's own programs — logger
// on the datagram and the stream socket, Python's SysLogHandler on the
// datagram one — end up under this host's name with their app, pid,
// facility and severity.
func TestLocalSocketsLandInTheRightFiles(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("python3 missing (scripts/test-deps.sh installs it): %v", err)
		}
		t.Skip("python3 not installed")
	}
	p := start(t, localConfig)
	devlog, stream := filepath.Join(p.dir, "dev-log"), filepath.Join(p.dir, "stream.sock")
	if fi, err := os.Stat(devlog); err != nil || fi.Mode().Perm() != 0o666 {
		t.Fatalf("dev-log: %v %v, want a socket with mode 0666", fi, err)
	}
	localLogger(t, devlog, "-d", "-t", "dgramapp", "-p", "local0.warning", "hello datagram")
	localLogger(t, stream, "-T", "-t", "streamapp", "-p", "daemon.info", "--id=4242", "hello stream")
	script := `
import logging, logging.handlers, sys
h = logging.handlers.SysLogHandler(address=sys.argv[1], facility=logging.handlers.SysLogHandler.LOG_LOCAL1)
h.setFormatter(logging.Formatter("pyapp[%(process)d]: %(message)s"))
log = logging.getLogger("x")
log.addHandler(h)
log.warning("hello from python")
h.close()
`
	if out, err := exec.Command(python, "-c", script, devlog).CombinedOutput(); err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	p.waitStats("3 messages written", func(s statsDoc) bool { return s.Sinks["hosts"].Written == 3 })

	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	for app, want := range map[string]string{
		"dgramapp":  "dgramapp: hello datagram",
		"streamapp": "streamapp[4242]: hello stream",
		"pyapp":     "pyapp[",
	} {
		got := readFile(t, filepath.Join(p.dir, "log", host, app+".log"))
		if !strings.Contains(got, want) || !strings.Contains(got, " "+host+" ") {
			t.Errorf("%s.log = %q, want a line with %q and the hostname %q", app, got, want, host)
		}
	}
	want := map[string][4]string{ // app: facility, severity, listener, text
		"dgramapp":  {"local0", "warning", "devlog", "hello datagram"},
		"streamapp": {"daemon", "info", "local", "hello stream"},
		"pyapp":     {"local1", "warning", "devlog", "hello from python"},
	}
	lines := jsonLines(t, filepath.Join(p.dir, "log", "all.json"))
	if len(lines) != 3 {
		t.Fatalf("all.json has %d lines, want 3", len(lines))
	}
	for _, m := range lines {
		app, _ := m["app_name"].(string)
		w, ok := want[app]
		if !ok {
			t.Errorf("unexpected app %q: %v", app, m)
			continue
		}
		if m["facility"] != w[0] || m["severity"] != w[1] || m["listener"] != w[2] || m["message"] != w[3] || m["hostname"] != host {
			t.Errorf("%s: %v, want facility %s, severity %s, listener %s, message %q, hostname %s", app, m, w[0], w[1], w[2], w[3], host)
		}
		if app == "pyapp" && m["proc_id"] == "" {
			t.Errorf("pyapp: no proc_id in %v", m)
		}
		// The kernel's word on the sender: its pid (logger's, python's)
		// and our uid, on both socket kinds.
		if pid, _ := m["sender_pid"].(float64); pid <= 0 || m["sender_uid"] != float64(os.Getuid()) {
			t.Errorf("%s: sender_pid %v, sender_uid %v; want a pid and uid %d", app, m["sender_pid"], m["sender_uid"], os.Getuid())
		}
	}
}

// TestSocketActivation: a listener takes the socket systemd passed by its
// FileDescriptorName. The test passes it as systemd does: fd 3 and on,
// LISTEN_FDS, LISTEN_FDNAMES, and LISTEN_PID set to the daemon's own pid
// (a shell that execs the daemon keeps its pid).
func TestSocketActivation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "journal-syslog")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	f, err := conn.File()
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.Close() // f holds the socket; the daemon gets its own copy
	defer f.Close()
	cfg := `
listeners:
  - {name: journal, protocol: unixgram, address: "systemd:syslog.socket"}
sinks:
  - {name: hosts, type: file, path: "{{DIR}}/log/{app_name}.log", format: rfc3164}
routes:
  - {name: all, sinks: [hosts]}
stats: {address: "127.0.0.1:0"}
log: {level: debug, format: json}
`
	cfgFile := writeConfig(t, dir, cfg)
	cmd := exec.Command("/bin/sh", "-c", `LISTEN_PID=$$ exec "$0" "$@"`, binary, "--config", cfgFile)
	cmd.Env = append(os.Environ(), "LISTEN_FDS=1", "LISTEN_FDNAMES=syslog.socket")
	cmd.ExtraFiles = []*os.File{f}
	p := startCmd(t, dir, cfgFile, cmd)
	if got := p.addrs["journal"]; got != path {
		t.Errorf("journal listens on %q, want the passed socket %q", got, path)
	}
	localLogger(t, path, "-d", "-t", "activated", "hello through a passed socket")
	p.waitStats("1 message written", func(s statsDoc) bool { return s.Sinks["hosts"].Written == 1 })
	if got := readFile(t, filepath.Join(dir, "log", "activated.log")); !strings.Contains(got, "activated: hello through a passed socket") {
		t.Errorf("activated.log = %q", got)
	}
	p.stop()
	if _, err := os.Lstat(path); err != nil {
		t.Errorf("the passed socket's file was removed at stop (it is systemd's): %v", err)
	}
}

// TestReloadWaitsForTheAnswer: --reload PID (a unit's ExecReload) returns
// once the daemon has applied the new configuration, and fails, with the
// reason, for one the daemon rejects or that does not load.
func TestReloadWaitsForTheAnswer(t *testing.T) {
	dir := t.TempDir()
	busy, err := net.Listen("tcp", "127.0.0.1:0") // a port the rejected configuration wants
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	statsPort := strconv.Itoa(freePort(t))
	cfg := func(extra string) string {
		return strings.ReplaceAll(`
listeners:
  - {name: udp, protocol: udp, address: "127.0.0.1:0"}
`+extra+`
sinks:
  - {name: f, type: file, path: "{{DIR}}/log/all.log"}
routes:
  - {name: all, sinks: [f]}
stats: {address: "127.0.0.1:`+statsPort+`"}
log: {level: debug, format: json}
`, "{{DIR}}", dir)
	}
	cfgFile := filepath.Join(dir, "syslogd.yaml")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(cfgFile, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	base := cfg("")
	write(base)
	p := startFile(t, dir, cfgFile)
	pid := strconv.Itoa(p.cmd.Process.Pid)

	write(strings.Replace(base, "{name: all, sinks: [f]}", "{name: all2, sinks: [f]}", 1))
	if out, err := runBinary("--config", cfgFile, "--reload", pid); err != nil || !strings.Contains(out, "reloaded") {
		t.Fatalf("good reload: %v\n%s", err, out)
	}
	if s := p.getStats(); s.Routes["all2"].Matched != 0 || s.Config.Reloads != 1 {
		t.Errorf("after the reload: routes %v, reloads %d", s.Routes, s.Config.Reloads)
	}
	metrics := get(t, "http://"+p.stats+"/metrics")
	for _, line := range []string{
		"syslogd_config_last_reload_successful 1",
		`syslogd_sink_queue_capacity{sink="f"} 10000`,
		`syslogd_build_info{goversion="` + runtime.Version() + `",version="`,
	} {
		if !strings.Contains(metrics, line) {
			t.Errorf("/metrics lacks %q", line)
		}
	}

	write(cfg(`  - {name: tcp, protocol: tcp, address: "` + busy.Addr().String() + `"}`))
	out, err := runBinary("--config", cfgFile, "--reload", pid)
	if exitCode(err) != 1 || !strings.Contains(out, "reload rejected") || !strings.Contains(out, "address already in use") {
		t.Errorf("rejected reload: exit %d\n%s\nconfig:\n%s", exitCode(err), out, readFile(t, cfgFile))
	}
	if metrics := get(t, "http://"+p.stats+"/metrics"); !strings.Contains(metrics, "syslogd_config_last_reload_successful 0") {
		t.Error("/metrics does not show the rejected reload")
	}

	write("listeners: [\n")
	out, err = runBinary("--config", cfgFile, "--reload", pid)
	if exitCode(err) != 1 || !strings.Contains(out, "syslogd.yaml:") {
		t.Errorf("unloadable config: exit %d\n%s", exitCode(err), out)
	}
	if s := p.getStats(); s.Config.Reloads != 1 || s.Config.ReloadFailures != 1 {
		t.Errorf("reloads %d, failures %d; want 1 and 1 (the unloadable file never reached the daemon)", s.Config.Reloads, s.Config.ReloadFailures)
	}
}

// TestReloadAppliesLogSettings: log.level changes on SIGHUP, for loggers
// the stages made at start too (the file sink's "reopened files" is a
// debug line).
func TestReloadAppliesLogSettings(t *testing.T) {
	dir := t.TempDir()
	cfg := `
listeners:
  - {name: udp, protocol: udp, address: "127.0.0.1:0"}
sinks:
  - {name: f, type: file, path: "{{DIR}}/log/all.log"}
routes:
  - {name: all, sinks: [f]}
stats: {address: "127.0.0.1:0"}
log: {level: info, format: json}
`
	cfgFile := writeConfig(t, dir, cfg)
	p := startFile(t, dir, cfgFile)
	p.signal(syscall.SIGUSR1)
	p.waitLog("files reopened")
	if strings.Contains(p.logs.String(), "reopened files") {
		t.Fatal("a debug line at level info")
	}
	writeConfig(t, dir, strings.Replace(cfg, "level: info", "level: debug", 1))
	p.signal(syscall.SIGHUP)
	p.waitLog("configuration reloaded")
	p.signal(syscall.SIGUSR1)
	p.waitLog("files reopened")
	if !strings.Contains(p.logs.String(), "reopened files") {
		t.Errorf("no debug line after the reload to level debug:\n%s", p.logs.String())
	}
}

// TestCheckConfigWarnsForeignTokens: an rsyslog-style path passes
// --check-config (it is valid: the file is named literally) with a warning
// at its key that names our placeholder, and the daemon logs it too.
func TestCheckConfigWarnsForeignTokens(t *testing.T) {
	dir := t.TempDir()
	cfg := `listeners:
  - {name: udp, protocol: udp, address: "127.0.0.1:0"}
sinks:
  - name: f
    type: file
    path: "` + dir + `/%HOSTNAME%/%PROGRAMNAME%.log"
routes:
  - {name: all, sinks: [f]}
stats: {address: "127.0.0.1:0"}
log: {level: info, format: json}
`
	cfgFile := writeConfig(t, dir, cfg)
	out, err := runBinary("--check-config", "--config", cfgFile)
	if err != nil {
		t.Fatalf("--check-config: %v\n%s", err, out)
	}
	for _, want := range []string{
		cfgFile + ":6:11: sinks[0].path: %HOSTNAME% is literal text here, not a placeholder; write {hostname} (warning)",
		"%PROGRAMNAME% is literal text here, not a placeholder; write {app_name} (warning)",
		cfgFile + ": OK",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("--check-config output lacks %q:\n%s", want, out)
		}
	}
	p := startFile(t, dir, cfgFile) // returns once started: the warnings are logged before
	if logs := p.logs.String(); !strings.Contains(logs, `"msg":"configuration: %HOSTNAME% is literal text here, not a placeholder; write {hostname}"`) ||
		!strings.Contains(logs, `"path":"sinks[0].path"`) {
		t.Errorf("the daemon did not log the warning:\n%s", logs)
	}
}

// TestSdNotify: under Type=notify the daemon says READY=1 once its
// listeners are bound, RELOADING=1 with MONOTONIC_USEC then READY=1 around
// a reload, and STOPPING=1 at SIGTERM, each with a STATUS= line. The test
// plays systemd: a datagram socket named by NOTIFY_SOCKET.
func TestSdNotify(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	states := make(chan string, 16)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				close(states)
				return
			}
			states <- string(buf[:n])
		}
	}()
	next := func(want string) string {
		t.Helper()
		select {
		case s, ok := <-states:
			if !ok || !strings.Contains(s, want) || !strings.Contains(s, "STATUS=") && want != "RELOADING=1" {
				t.Fatalf("notification %q, want %s with a STATUS= line", s, want)
			}
			return s
		case <-time.After(20 * time.Second):
			t.Fatalf("no %s notification", want)
			return ""
		}
	}
	cfg := `
listeners:
  - {name: udp, protocol: udp, address: "127.0.0.1:0"}
sinks:
  - {name: f, type: file, path: "{{DIR}}/log/all.log"}
routes:
  - {name: all, sinks: [f]}
stats: {address: "127.0.0.1:0"}
log: {level: debug, format: json}
`
	cfgFile := writeConfig(t, dir, cfg)
	cmd := exec.Command(binary, "--config", cfgFile)
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+sock)
	p := startCmd(t, dir, cfgFile, cmd)
	if s := next("READY=1"); !strings.Contains(s, "1 listeners, 1 sinks") {
		t.Errorf("READY notification %q lacks the summary", s)
	}
	p.signal(syscall.SIGHUP)
	if s := next("RELOADING=1"); !strings.Contains(s, "MONOTONIC_USEC=") {
		t.Errorf("RELOADING notification %q lacks MONOTONIC_USEC", s)
	}
	next("READY=1")
	p.signal(syscall.SIGTERM)
	next("STOPPING=1")
}
