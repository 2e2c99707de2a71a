// The shapes of gosync/benches/goroutine.rs on Go's own goroutines and
// channels: spawn (start N goroutines that do nothing, wait for them with a
// WaitGroup), pingpong (N round trips over two unbuffered channels),
// workers (N CPU-bound jobs through a pool of 8 goroutines) and pipeline
// (N values through four CPU-bound stages).
// benchmarks/goroutine/run.sh builds and runs this with Go's toolchain.
//
// Output: one tab-separated line per run, "shape library count seconds".
//
//	go run main.go [-spawn N] [-pingpong N] [-jobs N]
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

// work is one job: rounds of xorshift, each depending on the last (the
// same as gosync/benches/goroutine.rs).
func work(x uint64, rounds int) uint64 {
	x |= 1
	for i := 0; i < rounds; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

const (
	nworkers = 8
	rounds   = 10000
	stages   = 4
)

var sink uint64

func workers(n int) {
	jobs, results := make(chan uint64), make(chan uint64)
	for w := 0; w < nworkers; w++ {
		go func() {
			for j := range jobs {
				results <- work(j, rounds)
			}
		}()
	}
	go func() {
		for i := 0; i < n; i++ {
			jobs <- uint64(i)
		}
		close(jobs)
	}()
	var sum uint64
	for i := 0; i < n; i++ {
		sum += <-results
	}
	sink = sum
}

func pipeline(n int) {
	first := make(chan uint64)
	var input <-chan uint64 = first
	for s := 0; s < stages; s++ {
		output := make(chan uint64)
		go func(rx <-chan uint64, tx chan<- uint64) {
			for v := range rx {
				tx <- work(v, rounds/stages)
			}
			close(tx)
		}(input, output)
		input = output
	}
	go func() {
		for i := 0; i < n; i++ {
			first <- uint64(i)
		}
		close(first)
	}()
	var sum uint64
	for v := range input {
		sum += v
	}
	sink = sum
}

func main() {
	nspawn := flag.Int("spawn", 100000, "goroutines to start")
	npingpong := flag.Int("pingpong", 100000, "round trips")
	njobs := flag.Int("jobs", 10000, "jobs for workers and values for pipeline")
	flag.Parse()
	fmt.Println("# shape\tlibrary\tcount\tseconds")
	for _, r := range []struct {
		shape string
		n     int
		f     func(int)
	}{{"spawn", *nspawn, spawn}, {"pingpong", *npingpong, pingpong},
		{"workers", *njobs, workers}, {"pipeline", *njobs, pipeline}} {
		start := time.Now()
		r.f(r.n)
		fmt.Printf("%s\tgo\t%d\t%.6f\n", r.shape, r.n, time.Since(start).Seconds())
	}
}
