package listener

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

// TestUpdateKeepsConnections: an Update keeps the socket and the open
// connection, which goes on with the settings it was admitted with (here
// its framing), while a new connection gets the new ones; the
// listener-wide max_connections applies at once.
func TestUpdateKeepsConnections(t *testing.T) {
	r := newRecorder()
	o := Options{Protocol: "tcp", Address: "127.0.0.1:0", Framing: FramingNonTransparent}
	l := start(t, o, r, nil)
	old := dial(t, l, nil)
	write(t, old, "before\n")
	r.expect(t, "before")

	o2 := withDefaults(o)
	o2.Framing = FramingOctetCounting
	o2.MaxConnections = 2
	r2 := newRecorder()
	if err := l.Update(o2, r2.newHandler); err != nil {
		t.Fatal(err)
	}
	write(t, old, "after\n") // still non-transparent, still the first handler
	r.expect(t, "after")
	fresh := dial(t, l, nil)
	write(t, fresh, "3 new")
	r2.expect(t, "new")
	third := dial(t, l, nil) // beyond the new max_connections of 2
	waitClosed(t, third)
	r.none(t)
	r2.none(t)
}

// TestUpdateRefusesAnotherSocket: protocol and address are the socket;
// changing either is ErrRebind, and nothing changes.
func TestUpdateRefusesAnotherSocket(t *testing.T) {
	r := newRecorder()
	o := withDefaults(Options{Protocol: "tcp", Address: "127.0.0.1:0"})
	l := start(t, o, r, nil)
	for _, edit := range []func(*Options){
		func(o *Options) { o.Address = "127.0.0.1:1" },
		func(o *Options) { o.Protocol = "udp" },
	} {
		o2 := o
		edit(&o2)
		if err := l.Update(o2, r.newHandler); !errors.Is(err, ErrRebind) {
			t.Errorf("Update to %s %s: %v, want ErrRebind", o2.Protocol, o2.Address, err)
		}
	}
	bad := o
	bad.MaxConnections = -1
	if err := l.Update(bad, r.newHandler); err == nil || errors.Is(err, ErrRebind) {
		t.Errorf("Update with max_connections -1: %v, want a check error", err)
	}
	c := dial(t, l, nil)
	write(t, c, "still here\n")
	r.expect(t, "still here")
}

// TestRetireLetsConnectionsFinish: a retired listener refuses new
// connections — its address can be bound again at once — while an open
// connection goes on delivering until it ends.
func TestRetireLetsConnectionsFinish(t *testing.T) {
	r := newRecorder()
	l := start(t, Options{Protocol: "tcp", Address: "127.0.0.1:0"}, r, nil)
	addr := l.Addr().String()
	c := dial(t, l, nil)
	write(t, c, "one\n")
	r.expect(t, "one")
	if err := l.Retire(context.Background()); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", addr) // the address is free for a new listener
	if err != nil {
		t.Fatalf("address still taken after Retire: %v", err)
	}
	_ = ln.Close()
	write(t, c, "two\n")
	r.expect(t, "two")
	if n := l.Connections(); n != 1 {
		t.Errorf("connections = %d, want 1", n)
	}
	_ = c.Close()
	eventually(t, "the connection to end", func() bool { return l.Connections() == 0 })
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("a retired listener accepted a connection")
	}
}
