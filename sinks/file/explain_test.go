package file

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"syslogd/sinks/format"
)

// TestDestinationIsWhereWriteWrites writes each hostile message with a
// real sink and finds its line in the file Destination names.
func TestDestinationIsWhereWriteWrites(t *testing.T) {
	hostile := []string{"../../etc", "a/b", "..", ".hidden", "", "x\x00y", "web01", "..\\..\\win", "\x1b[31m"}
	for _, tplSrc := range []string{"/{hostname}/{app_name}.log", "/{hostname}/../../{app_name}.log", "/all.log"} {
		t.Run(tplSrc, func(t *testing.T) {
			dir := t.TempDir()
			o := DefaultOptions()
			o.Path, o.Format = filepath.Join(dir, "logs")+tplSrc, format.JSON
			s, err := New(o, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = s.Close(context.Background()) }()
			for _, h := range hostile {
				m := msg(h, "app", "from "+h)
				d, err := o.Destination(m)
				if err != nil {
					t.Fatal(err)
				}
				fd := d.(Destination)
				before, _ := os.ReadFile(fd.Path)
				write(t, s, m)
				after, err := os.ReadFile(fd.Path)
				if err != nil {
					t.Fatalf("host %q: %v", h, err)
				}
				if got, want := string(after[len(before):]), lines(format.JSON, m); got != want {
					t.Errorf("host %q: %s got %q, want %q", h, fd.Path, got, want)
				}
				if fd.Unsafe != (filepath.Base(fd.Path) == unsafeName) {
					t.Errorf("host %q: %+v", h, fd)
				}
			}
		})
	}
}

func TestDestinationSanitises(t *testing.T) {
	o := DefaultOptions()
	o.Path = "/var/log/remote/{hostname}/{app_name}.log"
	for host, want := range map[string]string{
		"../../etc": "/var/log/remote/___.._etc/sshd.log",
		"a/b":       "/var/log/remote/a_b/sshd.log",
		"..":        "/var/log/remote/__/sshd.log",
		"":          "/var/log/remote/-/sshd.log",
	} {
		d, err := o.Destination(msg(host, "sshd", "x"))
		if err != nil {
			t.Fatal(err)
		}
		if fd := d.(Destination); fd.Path != want || fd.Unsafe {
			t.Errorf("host %q: %+v, want path %s", host, fd, want)
		}
	}
	o.Path = "/var/log/remote/{hostname}/../../x.log"
	d, _ := o.Destination(msg("h", "sshd", "x"))
	if fd := d.(Destination); fd.Path != "/var/log/remote/"+unsafeName || !fd.Unsafe || fd.Rendered != "/var/log/remote/h/../../x.log" {
		t.Errorf("escaping template: %+v", fd)
	}
}
