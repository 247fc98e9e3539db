package buffer

import (
	"errors"
	"runtime"
	"testing"
)

// drain reads and commits everything.
func drain(b testing.TB, buf *Buffer) {
	for {
		recs, err := buf.Read(1000)
		if err != nil {
			b.Fatal(err)
		}
		if recs == nil {
			return
		}
		if err := buf.Commit(len(recs)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppend: one 256-byte record per op, without fsync (what Append
// promises: survives SIGKILL). The buffer is drained, untimed, when full.
func BenchmarkAppend(b *testing.B) {
	buf := open(b, b.TempDir(), 64<<20)
	r := rec(1, 256)
	b.SetBytes(int64(len(r)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		err := buf.Append(r)
		if errors.Is(err, ErrFull) {
			b.StopTimer()
			drain(b, buf)
			b.StartTimer()
			err = buf.Append(r)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadCommit: one 256-byte record per op, read in batches of 100
// and committed batch by batch (one position write per batch). Records are
// appended untimed, in chunks.
func BenchmarkReadCommit(b *testing.B) {
	const chunk, batch = 50_000, 100
	buf := open(b, b.TempDir(), 64<<20)
	r := rec(1, 256)
	b.SetBytes(int64(len(r)))
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		b.StopTimer()
		n := min(chunk, b.N-done)
		for range n {
			if err := buf.Append(r); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		for got := 0; got < n; {
			recs, err := buf.Read(min(batch, n-got))
			if err != nil || len(recs) == 0 {
				b.Fatalf("Read: %d records, %v", len(recs), err)
			}
			if err := buf.Commit(len(recs)); err != nil {
				b.Fatal(err)
			}
			got += len(recs)
		}
		done += n
	}
}

// BenchmarkAppendParallel: Appends from several goroutines into one buffer
// while a reader drains it.
func BenchmarkAppendParallel(b *testing.B) {
	buf := open(b, b.TempDir(), 64<<20)
	r := rec(1, 256)
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			recs, err := buf.Read(1000)
			if err != nil {
				b.Error(err)
				return
			}
			if recs == nil {
				runtime.Gosched()
				continue
			}
			if err := buf.Commit(len(recs)); err != nil {
				b.Error(err)
				return
			}
		}
	}()
	b.SetBytes(int64(len(r)))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			for {
				err := buf.Append(r)
				if err == nil {
					break
				}
				if !errors.Is(err, ErrFull) {
					b.Error(err)
					return
				}
				runtime.Gosched()
			}
		}
	})
	b.StopTimer()
	close(stop)
	<-done
}

// BenchmarkOpen: the scan of 64 MiB of uncommitted 256-byte records.
func BenchmarkOpen(b *testing.B) {
	dir := b.TempDir()
	buf, err := Open(dir, 64<<20, nil)
	if err != nil {
		b.Fatal(err)
	}
	r := rec(1, 256)
	for buf.Append(r) == nil {
	}
	buf.Close()
	b.SetBytes(64 << 20)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf, err := Open(dir, 64<<20, nil)
		if err != nil {
			b.Fatal(err)
		}
		buf.Close()
	}
}
