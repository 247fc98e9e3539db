package buffer

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

const (
	envKillDir   = "BUFFER_KILL_DIR"
	envKillStart = "BUFFER_KILL_START"
	killMaxBytes = 4 << 20 // 1 MiB segments: a round rolls and deletes a few
)

// killRecord is record seq of the SIGKILL test: the number, then a body
// whose length and bytes follow from it, so that any damage shows.
func killRecord(seq uint64) []byte {
	r := binary.BigEndian.AppendUint64(nil, seq)
	for i := range seq % 500 {
		r = append(r, byte(seq*7+i))
	}
	return r
}

// TestKillChild is the process TestSIGKILL kills; on its own it does nothing.
// It appends records numbered from $BUFFER_KILL_START, and now and then reads
// some and commits most of what it has read, and reports on fd 3, one write
// per line, each event after it happened:
//
//	a N   Append of record N returned
//	p N   Commit through record N is about to be called
//	c N   that Commit returned
func TestKillChild(t *testing.T) {
	dir := os.Getenv(envKillDir)
	if dir == "" {
		t.Skip("the child of TestSIGKILL")
	}
	seq, err := strconv.ParseUint(os.Getenv(envKillStart), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	events := os.NewFile(3, "events")
	b, err := Open(dir, killMaxBytes, nil)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(seq, uint64(os.Getpid())))
	var read []uint64 // read, not committed
	readSome := func(max int) {
		recs, err := b.Read(max)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			read = append(read, binary.BigEndian.Uint64(r))
		}
	}
	commit := func(n int) {
		if n == 0 {
			return
		}
		fmt.Fprintf(events, "p %d\n", read[n-1])
		if err := b.Commit(n); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(events, "c %d\n", read[n-1])
		read = read[n:]
	}
	for {
		err := b.Append(killRecord(seq))
		if errors.Is(err, ErrFull) {
			readSome(500)
			commit(len(read))
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(events, "a %d\n", seq)
		seq++
		if rng.IntN(32) == 0 { // reads 20 a time on average: the backlog grows to ErrFull over the rounds
			readSome(1 + rng.IntN(40))
			commit(len(read) - rng.IntN(min(len(read), 10)+1)) // leave a few read and not committed
		}
	}
}

// TestSIGKILL kills a process that appends and commits at a random moment,
// several times over the same directory, and checks after each kill that
// the buffer holds exactly what it must: every record after the last
// acknowledged commit up to the last acknowledged append, in order, with no
// gap and no damage; nothing that was committed; at most one record more
// than acknowledged at the end, and at most the records of one Commit more
// at the start.
func TestSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	dir := t.TempDir()
	// The buffer holds records first..next-1 (none when first == next).
	first, next := uint64(1), uint64(1)
	var commits, appends int
	for round := range 5 {
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), envKillDir+"="+dir, envKillStart+"="+strconv.FormatUint(next, 10))
		cmd.ExtraFiles = []*os.File{pw}
		cmd.Stdout, cmd.Stderr = &stderr, &stderr
		began := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		pw.Close() // so that the pipe ends when the child does
		// The kill comes after a random number of events, or at the latest
		// after two seconds (a slow machine, the race detector).
		killAt := 500 + rand.IntN(30000)
		bound := time.AfterFunc(2*time.Second, func() { cmd.Process.Kill() })
		var a, p, c uint64
		var hasA, hasP, hasC bool
		sc := bufio.NewScanner(pr)
		for n := 1; sc.Scan(); n++ {
			if n == killAt {
				cmd.Process.Signal(syscall.SIGKILL)
			}
			var kind string
			var seq uint64
			if _, err := fmt.Sscanf(sc.Text(), "%s %d", &kind, &seq); err != nil {
				t.Fatalf("round %d: child said %q", round, sc.Text())
			}
			switch kind {
			case "a":
				a, hasA = seq, true
				appends++
			case "p":
				p, hasP = seq, true
			case "c":
				c, hasC = seq, true
				commits++
			}
		}
		bound.Stop()
		pr.Close()
		err = cmd.Wait()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: child ended with %v, not by SIGKILL:\n%s", round, err, stderr.Bytes())
		}

		b, err := Open(dir, killMaxBytes, nil)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		var got []uint64
		var size int64
		for {
			recs, err := b.Read(1000)
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			if recs == nil {
				break
			}
			for _, r := range recs {
				if len(r) < 8 {
					t.Fatalf("round %d: record of %d bytes", round, len(r))
				}
				seq := binary.BigEndian.Uint64(r)
				if !bytes.Equal(r, killRecord(seq)) {
					t.Fatalf("round %d: record %d is damaged", round, seq)
				}
				if len(got) > 0 && seq != got[len(got)-1]+1 {
					t.Fatalf("round %d: record %d follows %d", round, seq, got[len(got)-1])
				}
				got = append(got, seq)
				size += int64(len(r) + frameHeader)
			}
		}
		if b.Len() != int64(len(got)) || b.Bytes() != size {
			t.Fatalf("round %d: Len %d Bytes %d, but read %d records of %d bytes", round, b.Len(), b.Bytes(), len(got), size)
		}
		t.Logf("round %d: %v; killed after %d events; appended to %d (acknowledged: %v), committed through %d (acknowledged %d); buffer holds %d records, %d bytes cut",
			round, time.Since(began).Round(time.Millisecond), killAt, a, hasA, p, c, len(got), b.Recovered())
		if err := b.Close(); err != nil { // commits nothing: the next round reads these first
			t.Fatal(err)
		}

		// The oldest record is the one after the last commit: after the
		// last acknowledged one, and not after the last one begun.
		lo, hi := first, first
		if hasC {
			lo = c + 1
		}
		if hasP {
			hi = p + 1
		}
		// The newest record is the last acknowledged append, or the one
		// after it, whose Append may have returned just before the kill.
		last := next - 1
		if hasA {
			last = a
		}
		if len(got) == 0 {
			if (hasP && p < last) || (!hasP && (first != next || hasA)) {
				t.Fatalf("round %d: buffer empty, but records through %d were appended and at most %d committed (%v)", round, last, p, hasP)
			}
			first = max(next, last+1, p+1)
			next = first
			continue
		}
		if got[0] < lo || got[0] > hi {
			t.Fatalf("round %d: oldest record %d, want %d..%d", round, got[0], lo, hi)
		}
		if n := got[len(got)-1]; n < last || n > last+1 {
			t.Fatalf("round %d: newest record %d, want %d or %d", round, n, last, last+1)
		}
		first, next = got[0], got[len(got)-1]+1
	}
	if commits == 0 || appends == 0 {
		t.Fatalf("the children made %d appends and %d commits: nothing was tested", appends, commits)
	}
}
