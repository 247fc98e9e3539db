package e2e

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// stallProxy forwards TCP connections to a NATS server. While stalled, it
// holds back what the server sends (acknowledgements, PONGs), so that
// publishes reach the stream and their acknowledgements do not reach the
// sink: the moment at which a crash of the publisher matters most.
type stallProxy struct {
	ln      net.Listener
	target  string
	stalled atomic.Bool
	mu      sync.Mutex
	resume  *sync.Cond
	conns   []net.Conn
}

func newStallProxy(t *testing.T, target string) *stallProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallProxy{ln: ln, target: target}
	p.resume = sync.NewCond(&p.mu)
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.stall(false)
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
	})
	return p
}

func (p *stallProxy) url() string { return "nats://" + p.ln.Addr().String() }

func (p *stallProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		go p.pipe(s, c, false) // client → server: always flowing
		go p.pipe(c, s, true)  // server → client: held back while stalled
	}
}

func (p *stallProxy) pipe(dst, src net.Conn, holds bool) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if holds {
				p.mu.Lock()
				for p.stalled.Load() {
					p.resume.Wait()
				}
				p.mu.Unlock()
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return // EOF or closed: dst is closed in turn
		}
	}
}

func (p *stallProxy) stall(on bool) {
	p.mu.Lock()
	p.stalled.Store(on)
	p.mu.Unlock()
	if !on {
		p.resume.Broadcast()
	}
}

// TestNATSReplaySurvivesKills: a NATS sink buffers everything while NATS
// is down; then, while it replays through a connection whose
// acknowledgements stall now and then, syslogd is killed (SIGKILL) at
// random moments and started again, several times. Every message the
// buffer had accepted is in the stream at the end, and the stream's
// de-duplication (the same Nats-Msg-Id on every replay) keeps it there
// once.
func TestNATSReplaySurvivesKills(t *testing.T) {
	e := runNATS(t)
	px := newStallProxy(t, e.srv.Addr().String())
	e.stop() // the proxy dials the same port once the server is back
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 0))
	t.Logf("seed %d", seed)

	const n = 20000
	p := start(t, fmt.Sprintf(natsConfig, px.url()))
	frames := framesFile(t, n, func(i int) string { return fmt.Sprintf("<13>Dec  1 10:00:00 host app: seq %05d", i) })
	logger(t, p.addrs["tcp"], "-T", "--octet-count", "--prio-prefix", "--skip-empty", "-f", frames)
	p.waitBus("every message in the buffer", func(b sinkStats) bool { return b.Spooled != nil && *b.Spooled == n })
	kill := func(p *proc) {
		if err := p.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		<-p.exited
	}
	kill(p)

	// Stall the acknowledgements for 50–300 ms every 50–300 ms until the
	// end of the test.
	done := make(chan struct{})
	var stallers sync.WaitGroup
	stallRng := rand.New(rand.NewPCG(uint64(seed), 1)) // rng is the test goroutine's
	stallers.Go(func() {
		for {
			select {
			case <-done:
				px.stall(false)
				return
			case <-time.After(time.Duration(50+stallRng.IntN(250)) * time.Millisecond):
			}
			px.stall(!px.stalled.Load())
		}
	})
	defer func() { close(done); stallers.Wait() }()

	e.start()
	midReplay := 0
	for round := range 4 {
		p := startFile(t, p.dir, p.cfg)
		before := p.getStats().Sinks["bus"]
		// Kill a random moment after this run has got something through.
		p.waitBus("replay under way", func(b sinkStats) bool { return b.Written > 0 || *b.Spooled == 0 })
		time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond) // the random moment, not synchronisation
		b := p.getStats().Sinks["bus"]
		kill(p)
		if *b.Spooled > 0 {
			midReplay++
		}
		t.Logf("round %d: started with %d buffered; killed with %d buffered (%d acknowledged in this run)",
			round, *before.Spooled, *b.Spooled, b.Written)
	}
	p = startFile(t, p.dir, p.cfg)
	p.waitBus("the buffer replayed", func(b sinkStats) bool { return *b.Spooled == 0 })
	p.stop()
	if midReplay == 0 {
		t.Error("no kill came while the buffer still held messages: the test proves nothing")
	}

	seen := map[string]int{}
	for _, m := range streamPayloads(t, e.url()) {
		s := string(m.Data())
		i := strings.Index(s, "seq ")
		if i < 0 || len(s) < i+9 {
			t.Fatalf("unexpected payload %q", s)
		}
		seen[s[i:i+9]]++
	}
	missing, dups := 0, 0
	for i := range n {
		switch c := seen[fmt.Sprintf("seq %05d", i)]; {
		case c == 0:
			missing++
		case c > 1:
			dups += c - 1
		}
	}
	t.Logf("%d messages: %d in the stream, %d missing, %d duplicates", n, len(seen), missing, dups)
	if missing != 0 {
		t.Errorf("%d messages the buffer had accepted are not in the stream", missing)
	}
	if dups != 0 {
		t.Errorf("%d duplicates in the stream: a replay got a new Nats-Msg-Id", dups)
	}
}
