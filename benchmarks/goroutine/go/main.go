// The shapes of gosync/benches/goroutine.rs on Go's own goroutines and
// channels: spawn (start N goroutines that do nothing, wait for them with a
// WaitGroup) and pingpong (N round trips over two unbuffered channels).
// benchmarks/goroutine/run.sh builds and runs this with Go's toolchain.
//
// Output: one tab-separated line per run, "shape library count seconds".
//
//	go run main.go [-spawn N] [-pingpong N]
package main

import (
	"flag"
	"fmt"
	"sync"
	"time"
)

func spawn(n int) {
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() { wg.Done() }()
	}
	wg.Wait()
}

func pingpong(n int) {
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v
		}
	}()
	for i := 0; i < n; i++ {
		ping <- i
		if <-pong != i {
			panic("pingpong: wrong value")
		}
	}
	close(ping)
}

func main() {
	nspawn := flag.Int("spawn", 100000, "goroutines to start")
	npingpong := flag.Int("pingpong", 100000, "round trips")
	flag.Parse()
	fmt.Println("# shape\tlibrary\tcount\tseconds")
	for _, r := range []struct {
		shape string
		n     int
		f     func(int)
	}{{"spawn", *nspawn, spawn}, {"pingpong", *npingpong, pingpong}} {
		start := time.Now()
		r.f(r.n)
		fmt.Printf("%s\tgo\t%d\t%.6f\n", r.shape, r.n, time.Since(start).Seconds())
	}
}
