package file

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"syslogd/message"
	"syslogd/sinks/format"
	"syslogd/sinks/template"
)

func TestFormatsPerHostFiles(t *testing.T) {
	for _, f := range []format.Format{format.RFC3164, format.RFC5424, format.JSON, format.Raw} {
		t.Run(f.String(), func(t *testing.T) {
			dir := t.TempDir()
			s := newSink(t, testConfig{Name: "files", Path: pathTemplate(t, dir+"/{hostname}/{app_name}.log"), Format: f}, nil)
			a1, a2 := msg("web-1", "nginx", "one"), msg("web-1", "nginx", "two\nlines")
			b1, c1 := msg("web-2", "nginx", "three"), msg("web-1", "cron", "four")
			write(t, s, a1, b1, a2)
			write(t, s, c1)
			checkFile(t, filepath.Join(dir, "web-1", "nginx.log"), lines(f, a1, a2))
			checkFile(t, filepath.Join(dir, "web-2", "nginx.log"), lines(f, b1))
			checkFile(t, filepath.Join(dir, "web-1", "cron.log"), lines(f, c1))
		})
	}
}

func TestHostileHostnames(t *testing.T) {
	hostile := []string{"../../etc/passwd", "..", "/abs", "a/../../b", "a/b/../../../../c", ".", "", "x\x00y", "..\\..\\win"}
	tests := []struct {
		name string
		tpl  func(base string) expander
		// unsafe is how many hostile messages must land in _unsafe-path.log.
		unsafe int
	}{
		// The template sanitises: every value stays one path component.
		{"template", func(base string) expander { return pathTemplate(t, base+"/{hostname}/{app_name}.log") }, 0},
		// Unsanitised values: the sink's own guard must catch the four
		// escapes and the NUL byte.
		{"unsanitised template", func(base string) expander { return rawTemplate{base} }, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			base := filepath.Join(root, "logs")
			var logBuf bytes.Buffer
			s := newSink(t, testConfig{Path: tc.tpl(base)}, slog.New(slog.NewTextHandler(&logBuf, nil)))
			var batch []*message.Message
			for _, h := range hostile {
				batch = append(batch, msg(h, "app", "from "+h))
			}
			write(t, s, batch...)
			write(t, s, batch...) // the guard holds on cached and repeated paths too

			// Walk everything the test could reach with "../": only base may hold files.
			n := 0
			err := filepath.WalkDir(filepath.Dir(root), func(p string, d os.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if p == base || strings.HasPrefix(p, base+"/") {
					if !d.IsDir() {
						n++
					}
					return nil
				}
				if !d.IsDir() || !strings.HasPrefix(base, p) {
					t.Errorf("created outside %s: %s", base, p)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				t.Error("no file written")
			}
			unsafe, _ := os.ReadFile(filepath.Join(base, unsafeName))
			if got := bytes.Count(unsafe, []byte("\n")); got != 2*tc.unsafe {
				t.Errorf("%s holds %d lines, want %d:\n%s", unsafeName, got, 2*tc.unsafe, unsafe)
			}
			if got := strings.Count(logBuf.String(), "level=WARN"); got != min(tc.unsafe, 1) {
				t.Errorf("%d warnings, want %d:\n%s", got, min(tc.unsafe, 1), logBuf.String())
			}
		})
	}
}

func TestWithin(t *testing.T) {
	tests := []struct {
		dir, p string
		want   bool
	}{
		{"/var/log", "/var/log/a", true},
		{"/var/log", "/var/log", false},
		{"/var/log", "/var/logs/a", false},
		{"/var/log", "/var", false},
		{"/", "/a", true},
		{"/", "/", false},
		{".", "a/b", true},
		{".", "..", false},
		{".", "../a", false},
		{".", "..a", true},
		{".", "/a", false},
		{".", ".", false},
		{"logs", "logs/a", true},
		{"logs", "logs", false},
		{"logs", "other/a", false},
	}
	for _, tc := range tests {
		if got := within(tc.dir, tc.p); got != tc.want {
			t.Errorf("within(%q, %q) = %v", tc.dir, tc.p, got)
		}
	}
}

func TestRelativeTemplate(t *testing.T) {
	t.Chdir(t.TempDir())
	s := newSink(t, testConfig{Path: rawTemplate{"."}}, nil)
	m, bad := msg("h", "a", "in"), msg("..", "a", "out")
	write(t, s, m, bad)
	checkFile(t, "h/a.log", lines(format.RFC3164, m))
	checkFile(t, unsafeName, lines(format.RFC3164, bad))
}

func TestLRUEviction(t *testing.T) {
	dir := t.TempDir()
	s := newSink(t, testConfig{Path: pathTemplate(t, dir+"/{hostname}.log"), MaxOpenFiles: 2}, nil)
	hosts := []string{"h0", "h1", "h2", "h3", "h4"}
	want := map[string][]*message.Message{}
	for round := range 6 {
		var batch []*message.Message
		n := 2 // touch two hosts per batch, rotating, so files are evicted and reopened
		if round == 3 {
			n = len(hosts) // more files than the cache holds in one batch
		}
		for i := range n {
			h := hosts[(round*2+i)%len(hosts)]
			m := msg(h, "app", h+" round "+string(rune('0'+round)))
			batch = append(batch, m)
			want[h] = append(want[h], m)
		}
		write(t, s, batch...)
		if s.lru.len > 2 || len(s.files) > 2 {
			t.Fatalf("round %d: %d files open, %d cached; want at most 2", round, s.lru.len, len(s.files))
		}
	}
	for _, h := range hosts {
		checkFile(t, filepath.Join(dir, h+".log"), lines(format.RFC3164, want[h]...))
	}
}

func TestReopenAfterRename(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "h.log")
	s := newSink(t, testConfig{Path: pathTemplate(t, dir+"/{hostname}.log")}, nil)
	m1, m2, m3 := msg("h", "a", "before"), msg("h", "a", "after rename"), msg("h", "a", "after reopen")
	write(t, s, m1)
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	write(t, s, m2) // still the open descriptor: lands in the renamed file
	if err := s.Reopen(); err != nil {
		t.Fatal(err)
	}
	write(t, s, m3)
	checkFile(t, path+".1", lines(format.RFC3164, m1, m2))
	checkFile(t, path, lines(format.RFC3164, m3))
}

func TestFSyncBatch(t *testing.T) {
	dir := t.TempDir()
	s := newSink(t, testConfig{Path: pathTemplate(t, dir+"/{hostname}.log"), FSync: "batch"}, nil)
	if !s.fsync {
		t.Fatal("fsync batch not enabled")
	}
	a, b := msg("a", "x", "1"), msg("b", "x", "2")
	write(t, s, a, b)
	checkFile(t, filepath.Join(dir, "a.log"), lines(format.RFC3164, a))
	checkFile(t, filepath.Join(dir, "b.log"), lines(format.RFC3164, b))
}

func TestNewValidation(t *testing.T) {
	opts := func(f func(*Options)) Options {
		o := DefaultOptions()
		o.Path = "/tmp/{hostname}.log"
		f(&o)
		return o
	}
	tests := []struct {
		name string
		o    Options
		want string // the error, "" for none
	}{
		{"defaults", opts(func(*Options) {}), ""},
		{"fsync batch", opts(func(o *Options) { o.FSync = FSyncBatch }), ""},
		{"fsync unknown", opts(func(o *Options) { o.FSync = 7 }), "fsync: unknown fsync 7"},
		{"no path", opts(func(o *Options) { o.Path = "" }), "path: required"},
		{"bad path", opts(func(o *Options) { o.Path = "{host}.log" }), "path: unknown placeholder {host} (known: " + template.Placeholders + ")"},
		{"bad format", opts(func(o *Options) { o.Format = format.Format(9) }), "format: unknown format 9"},
		{"zero max open files", opts(func(o *Options) { o.MaxOpenFiles = 0 }), "max_open_files: must be > 0"},
	}
	for _, tc := range tests {
		s, err := New(tc.o, nil)
		if got := fmt.Sprint(err); (err != nil || tc.want != "") && got != tc.want {
			t.Errorf("%s: New error = %v, want %q", tc.name, err, tc.want)
		}
		if err == nil && (s.maxOpen != tc.o.MaxOpenFiles || s.fsync != (tc.o.FSync == FSyncBatch)) {
			t.Errorf("%s: maxOpen %d fsync %v", tc.name, s.maxOpen, s.fsync)
		}
	}
}

func TestModes(t *testing.T) {
	old := syscall.Umask(0) // show the modes the sink asks for, untouched
	t.Cleanup(func() { syscall.Umask(old) })
	dir := t.TempDir()
	s := newSink(t, testConfig{Path: pathTemplate(t, dir+"/logs/{hostname}/{app_name}.log")}, nil)
	write(t, s, msg("h", "a", "x"))
	for _, c := range []struct {
		path string
		want os.FileMode
	}{
		{filepath.Join(dir, "logs"), os.ModeDir | 0o750},
		{filepath.Join(dir, "logs", "h"), os.ModeDir | 0o750},
		{filepath.Join(dir, "logs", "h", "a.log"), 0o640},
	} {
		fi, err := os.Stat(c.path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != c.want {
			t.Errorf("%s: mode %v, want %v", c.path, fi.Mode(), c.want)
		}
	}
}

func TestSymlinkRefused(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(dir, "h.log")); err != nil {
		t.Fatal(err)
	}
	s := newSink(t, testConfig{Path: pathTemplate(t, dir+"/{hostname}.log")}, nil)
	err := s.Write(context.Background(), []*message.Message{msg("h", "a", "x")})
	if !errors.Is(err, syscall.ELOOP) {
		t.Errorf("Write through a symlink: %v, want ELOOP", err)
	}
	checkFile(t, target, "secret\n")
}

func TestReopenConcurrentWithWrite(t *testing.T) {
	dir := t.TempDir()
	s := newSink(t, testConfig{Path: pathTemplate(t, dir+"/{hostname}.log"), MaxOpenFiles: 3}, nil)
	const batches, perBatch = 200, 8
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				if err := s.Reopen(); err != nil {
					t.Error(err)
					return
				}
			}
		}
	})
	for i := range batches {
		var batch []*message.Message
		for j := range perBatch {
			batch = append(batch, msg(string(rune('a'+(i+j)%5)), "x", "m"))
		}
		write(t, s, batch...)
	}
	close(stop)
	wg.Wait()
	total := 0
	for h := range 5 {
		b, err := os.ReadFile(filepath.Join(dir, string(rune('a'+h))+".log"))
		if err != nil {
			t.Fatal(err)
		}
		total += bytes.Count(b, []byte("\n"))
	}
	if total != batches*perBatch {
		t.Errorf("%d lines written, want %d", total, batches*perBatch)
	}
}

func TestClosedAndCanceled(t *testing.T) {
	dir := t.TempDir()
	s := newSink(t, testConfig{Path: pathTemplate(t, dir+"/{hostname}.log")}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Write(ctx, []*message.Message{msg("h", "a", "x")}); !errors.Is(err, context.Canceled) {
		t.Errorf("Write with canceled ctx: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "h.log")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("canceled Write created the file (%v)", err)
	}
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(context.Background(), []*message.Message{msg("h", "a", "x")}); !errors.Is(err, errClosed) {
		t.Errorf("Write after Close: %v", err)
	}
}

// TestRemovedFileIsRecreated: a file deleted, or renamed away, without a
// SIGUSR1 is noticed at the next check and reopened; the lines after it go
// to a new file at the path.
func TestRemovedFileIsRecreated(t *testing.T) {
	dir := t.TempDir()
	s := newSink(t, testConfig{Path: pathTemplate(t, dir+"/{hostname}.log")}, nil)
	s.checkEvery = 0 // check at every batch
	path := filepath.Join(dir, "h.log")
	m1, m2, m3 := msg("h", "a", "one"), msg("h", "a", "two"), msg("h", "a", "three")
	write(t, s, m1)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	write(t, s, m2)
	checkFile(t, path, lines(format.RFC3164, m2))
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	write(t, s, m3)
	checkFile(t, path, lines(format.RFC3164, m3))
	checkFile(t, path+".1", lines(format.RFC3164, m2))
	if s.Reopens() != 2 {
		t.Errorf("reopens = %d, want 2", s.Reopens())
	}
	write(t, s, m3) // unchanged path: no reopen
	if s.Reopens() != 2 {
		t.Errorf("reopens = %d after a write to an unchanged file, want 2", s.Reopens())
	}
}
