package e2e

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	natstest "github.com/nats-io/nats-server/v2/test"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// natsCluster is a 3-node JetStream cluster in the test process, on
// loopback ports picked up front so that the nodes can name each other.
type natsCluster struct {
	t     *testing.T
	opts  []server.Options
	nodes []*server.Server
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func runCluster(t *testing.T) *natsCluster {
	t.Helper()
	c := &natsCluster{t: t}
	const n = 3
	clusterPorts := make([]int, n)
	for i := range clusterPorts {
		clusterPorts[i] = freePort(t)
	}
	var routes []*url.URL
	for _, p := range clusterPorts {
		routes = append(routes, &url.URL{Scheme: "nats", Host: fmt.Sprintf("127.0.0.1:%d", p)})
	}
	for i := range n {
		o := natstest.DefaultTestOptions
		o.ServerName = fmt.Sprintf("n%d", i+1)
		o.Port = freePort(t)
		o.JetStream = true
		o.StoreDir = t.TempDir()
		o.Cluster.Name = "logs"
		o.Cluster.Host = "127.0.0.1"
		o.Cluster.Port = clusterPorts[i]
		o.Routes = routes
		c.opts = append(c.opts, o)
	}
	c.nodes = make([]*server.Server, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { c.start(i) })
	}
	wg.Wait()
	t.Cleanup(func() {
		for i := range c.nodes {
			c.stop(i)
		}
	})
	// JetStream is clustered once a meta leader is elected.
	deadline := time.Now().Add(30 * time.Second)
	for {
		ready := true
		for _, s := range c.nodes {
			ready = ready && s.JetStreamIsClustered() && s.JetStreamIsCurrent()
		}
		if ready {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the JetStream cluster did not form")
		}
		time.Sleep(50 * time.Millisecond) // polling the servers: there is no event to await
	}
	return c
}

func (c *natsCluster) start(i int) {
	o := c.opts[i]
	s, err := server.NewServer(&o)
	if err != nil {
		c.t.Error(err)
		return
	}
	go s.Start()
	if !s.ReadyForConnections(20 * time.Second) {
		c.t.Errorf("node %d not ready", i)
	}
	c.nodes[i] = s
}

func (c *natsCluster) stop(i int) {
	if s := c.nodes[i]; s != nil {
		s.Shutdown()
		s.WaitForShutdown()
		c.nodes[i] = nil
	}
}

// urls is the YAML list of the nodes' client URLs.
func (c *natsCluster) urls() string {
	var u []string
	for _, o := range c.opts {
		u = append(u, fmt.Sprintf("nats://127.0.0.1:%d", o.Port))
	}
	return "[" + strings.Join(u, ", ") + "]"
}

// TestCentralOnACluster: an edge syslogd publishes sequence-numbered
// messages into an R3 stream on a 3-node cluster; two central instances
// consume one durable consumer into files of their own. During the run a
// NATS node is killed, and one central instance is killed with SIGKILL and
// started again. Every message is in the union of the central files;
// duplicates (at-least-once) are reported and stay below 1 %. The negative
// control, a consumer that acks on receipt and is killed the same way,
// loses messages in the same harness.
func TestCentralOnACluster(t *testing.T) {
	if testing.Short() {
		t.Skip("a 3-node cluster run (-short)")
	}
	cl := runCluster(t)
	edge := start(t, fmt.Sprintf(`
listeners: [{name: tcp, protocol: tcp, address: "127.0.0.1:0"}]
sinks:
  - {name: bus, type: nats, url: %s, subject: "syslog.{facility}", spool_dir: "{{DIR}}/spool",
     stream: {name: SYSLOG, replicas: 3}}
routes: [{name: all, sinks: [bus]}]
stats: {address: "127.0.0.1:0"}
`, cl.urls()))
	dir := t.TempDir()
	centralCfg := func(file string) string {
		return fmt.Sprintf(`
listeners:
  - {name: bus, protocol: jetstream, url: %s, stream: SYSLOG, consumer: central, retry_delays: [200ms],
     max_in_flight: 256, create_consumer: {filter_subjects: ["syslog.>"], ack_wait: 5s, max_ack_pending: 8192}}
sinks: [{name: f, type: file, path: "%s", format: rfc3164}]
routes: [{name: all, sinks: [f]}]
stats: {address: "127.0.0.1:0"}
`, cl.urls(), file)
	}
	fa, fb := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	a := start(t, centralCfg(fa))
	b := start(t, centralCfg(fb))
	// What a killed central had written and not yet acknowledged comes
	// again: at most its max_in_flight (256) and what the dead node had in
	// flight, so the 1 % bound is for a stream of 50,000 or more.
	n := faultSize(50000, 100000)
	s := sendSeq(t, edge.addrs["tcp"], "app", 8000, n)

	s.await(t, n/4)
	cl.stop(2) // a NATS node dies
	t.Log("killed NATS node n3")
	s.await(t, n/2)
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil { // a central instance dies, no cleanup
		t.Fatal(err)
	}
	<-a.exited
	t.Log("killed central instance a")
	a2 := startFile(t, a.dir, a.cfg)
	sent := s.wait()
	s.noFaults(t)
	edge.waitBus("the edge published everything", func(st sinkStats) bool { return st.Written >= uint64(sent) })

	deadline := time.Now().Add(60 * time.Second)
	var seen map[int]int
	for {
		seen = seqsIn(t, fa, fb)
		if len(seen) >= sent || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond) // polling files: there is no event to await
	}
	missing, dups := 0, 0
	for i := range sent {
		switch k := seen[i]; {
		case k == 0:
			missing++
		case k > 1:
			dups += k - 1
		}
	}
	t.Logf("%d sent; a wrote %d, b %d; missing %d, duplicates %d (%.2f %%)",
		sent, len(seqsIn(t, fa)), len(seqsIn(t, fb)), missing, dups, 100*float64(dups)/float64(sent))
	if missing != 0 {
		t.Errorf("%d messages missing from the central files", missing)
	}
	if dups*100 >= sent {
		t.Errorf("%d duplicates, 1 %% or more", dups)
	}
	a2.stop()
	b.stop()
	edge.stop()

	// The negative control: the same stream read by a consumer that acks
	// each message when it receives it and writes it later, killed while
	// it holds some. What it acked and had not written is gone.
	lost := ackOnReceiptLoses(t, cl, sent)
	t.Logf("negative control (ack on receipt, killed): %d of %d lost", lost, sent)
	if lost == 0 {
		t.Error("the negative control lost nothing: the harness cannot see a loss")
	}
}

// ackOnReceiptLoses reads the whole stream with a new durable consumer
// that acks on receipt and "writes" a message only 5 ms later, stops dead
// (as kill -9 would) once half the stream is acked, and then reads what is
// left with a correct consumer. It returns how many sequence numbers below
// n neither of them wrote.
func ackOnReceiptLoses(t *testing.T, cl *natsCluster, n int) int {
	t.Helper()
	nc, err := nats.Connect(strings.Trim(strings.ReplaceAll(cl.urls(), " ", ""), "[]"))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cons, err := js.CreateOrUpdateConsumer(ctx, "SYSLOG", jetstream.ConsumerConfig{
		Durable: "control", AckPolicy: jetstream.AckExplicitPolicy, AckWait: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	written := map[int]bool{}
	seqOf := func(m jetstream.Msg) (int, bool) {
		d := string(m.Data())
		i := strings.Index(d, "seq ")
		var k int
		if i < 0 || len(d) < i+12 {
			return 0, false
		}
		_, err := fmt.Sscanf(d[i+4:i+12], "%d", &k)
		return k, err == nil
	}
	// The faulty consumer: ack, queue, write later; killed at n/2 acks.
	queue := make(chan int, n) // room for everything: only the kill loses
	acked := 0
	writerDone := make(chan struct{})
	killed := make(chan struct{})
	go func() {
		defer close(writerDone)
		for {
			select {
			case k := <-queue:
				select {
				case <-killed:
					return // what is queued dies with the process
				case <-time.After(5 * time.Millisecond): // a slow write
				}
				written[k] = true
			case <-killed:
				return
			}
		}
	}()
	for acked < n/2 {
		b, err := cons.Fetch(256, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		for m := range b.Messages() {
			_ = m.Ack()
			acked++
			if k, ok := seqOf(m); ok {
				queue <- k
			}
		}
	}
	close(killed)
	<-writerDone
	// The rest, read correctly by the next instance.
	for {
		b, err := cons.Fetch(1024, jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for m := range b.Messages() {
			if k, ok := seqOf(m); ok {
				written[k] = true
			}
			_ = m.Ack()
			got++
		}
		if got == 0 {
			break
		}
	}
	lost := 0
	for i := range n {
		if !written[i] {
			lost++
		}
	}
	return lost
}
