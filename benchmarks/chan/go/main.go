// The channel shapes of gosync/benches/chan.rs (crossbeam-channel's
// benchmark set) on Go's own channels, so the two can be compared side by
// side. See that file for the shapes; benchmarks/chan/run.sh builds and runs
// this with Go's toolchain.
//
// Every goroutine here is a goroutine: Go schedules them on GOMAXPROCS
// threads (by default one per CPU) and switches between them in user space.
// Selects have four fixed cases, as in the Rust bench.
//
// Output: one tab-separated line per run, "shape library messages seconds".
//
//	go run main.go [-messages N] [-handoff M] [-shapes SUBSTRING]
package main

import (
	"flag"
	"fmt"
	"runtime"
	"strings"
	"time"
)

// THREADS is senders (and receivers) per shape: crossbeam's 4 unless
// -threads says otherwise.
var THREADS = 4

// Message is one word, as crossbeam's Message.
type Message = uintptr

var sink Message

func seq(capacity, n int) {
	c := make(chan Message, capacity)
	for i := 0; i < n; i++ {
		c <- Message(i)
	}
	for i := 0; i < n; i++ {
		sink = <-c
	}
}

func spsc(capacity, n int) {
	c := make(chan Message, capacity)
	done := make(chan bool)
	go func() {
		for i := 0; i < n; i++ {
			c <- Message(i)
		}
		done <- true
	}()
	for i := 0; i < n; i++ {
		sink = <-c
	}
	<-done
}

func mpsc(capacity, n int) {
	c := make(chan Message, capacity)
	done := make(chan bool)
	for t := 0; t < THREADS; t++ {
		go func() {
			for i := 0; i < n/THREADS; i++ {
				c <- Message(i)
			}
			done <- true
		}()
	}
	for i := 0; i < n/THREADS*THREADS; i++ {
		sink = <-c
	}
	for t := 0; t < THREADS; t++ {
		<-done
	}
}

func mpmc(capacity, n int) {
	c := make(chan Message, capacity)
	done := make(chan bool)
	for t := 0; t < THREADS; t++ {
		go func() {
			for i := 0; i < n/THREADS; i++ {
				c <- Message(i)
			}
			done <- true
		}()
	}
	for t := 0; t < THREADS; t++ {
		go func() {
			var v Message
			for i := 0; i < n/THREADS; i++ {
				v = <-c
			}
			sink = v
			done <- true
		}()
	}
	for t := 0; t < 2*THREADS; t++ {
		<-done
	}
}

func four(capacity int) (c0, c1, c2, c3 chan Message) {
	return make(chan Message, capacity), make(chan Message, capacity),
		make(chan Message, capacity), make(chan Message, capacity)
}

func selectRx(capacity, n int) {
	c0, c1, c2, c3 := four(capacity)
	done := make(chan bool)
	// One sender per channel, whatever -threads says: the select is four-way.
	producer := func(c chan Message) {
		for i := 0; i < n/4; i++ {
			c <- Message(i)
		}
		done <- true
	}
	go producer(c0)
	go producer(c1)
	go producer(c2)
	go producer(c3)
	for i := 0; i < n/4*4; i++ {
		select {
		case sink = <-c0:
		case sink = <-c1:
		case sink = <-c2:
		case sink = <-c3:
		}
	}
	for t := 0; t < 4; t++ {
		<-done
	}
}

// selectBoth sends by select as well, as crossbeam's README describes the
// shape (crossbeam's go.go sends with plain sends here).
func selectBoth(capacity, n int) {
	c0, c1, c2, c3 := four(capacity)
	done := make(chan bool)
	for t := 0; t < THREADS; t++ {
		go func() {
			for i := 0; i < n/THREADS; i++ {
				m := Message(i)
				select {
				case c0 <- m:
				case c1 <- m:
				case c2 <- m:
				case c3 <- m:
				}
			}
			done <- true
		}()
	}
	for t := 0; t < THREADS; t++ {
		go func() {
			var v Message
			for i := 0; i < n/THREADS; i++ {
				select {
				case v = <-c0:
				case v = <-c1:
				case v = <-c2:
				case v = <-c3:
				}
			}
			sink = v
			done <- true
		}()
	}
	for t := 0; t < 2*THREADS; t++ {
		<-done
	}
}

func main() {
	messages := flag.Int("messages", 5000000, "N for the boundedN shapes")
	handoff := flag.Int("handoff", 100000, "N for the bounded0 and bounded1 shapes")
	filter := flag.String("shapes", "", "run only shapes whose name contains this")
	flag.IntVar(&THREADS, "threads", 4, "senders (and receivers) per shape")
	flag.Parse()
	// Every sender sends N / T: keep N a multiple of T so counts match.
	*messages = *messages / THREADS * THREADS
	*handoff = *handoff / THREADS * THREADS

	shapes := []struct {
		name string
		f    func(int, int)
	}{
		{"seq", seq}, {"spsc", spsc}, {"mpsc", mpsc}, {"mpmc", mpmc},
		{"select_rx", selectRx}, {"select_both", selectBoth},
	}
	fmt.Printf("# shape\tlibrary\tmessages\tseconds\t(GOMAXPROCS=%d)\n", runtime.GOMAXPROCS(0))
	for _, k := range []struct {
		prefix      string
		capacity, n int
	}{
		{"bounded0", 0, *handoff},
		{"bounded1", 1, *handoff},
		{"boundedN", *messages, *messages},
	} {
		for _, s := range shapes {
			if s.name == "seq" && k.capacity < k.n {
				continue
			}
			name := k.prefix + "_" + s.name
			if !strings.Contains(name, *filter) {
				continue
			}
			start := time.Now()
			s.f(k.capacity, k.n)
			secs := time.Since(start).Seconds()
			fmt.Printf("%s\t%s\t%d\t%.6f\n", name, "go", k.n, secs)
		}
	}
}
