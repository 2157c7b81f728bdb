// SPDX-License-Identifier: GPL-2.0

// runtimes_test's Go workload: two goroutines take two sync.Mutex in
// opposite orders (ABBA) and deadlock, while another goroutine keeps
// running, so the runtime's own "all goroutines are asleep" check never
// fires. Each deadlocking goroutine is locked to its OS thread and prints
// "tid=N" (that thread) once it holds its first mutex; main prints
// "parked" once the runtime's own stack dump shows both waiting in
// sync.(*Mutex).Lock. Runs until killed.
package main

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

var a, b sync.Mutex
var both sync.WaitGroup

//go:noinline
func takeInOrder(first, second *sync.Mutex) {
	runtime.LockOSThread()
	first.Lock()
	fmt.Printf("tid=%d\n", syscall.Gettid())
	both.Done()
	both.Wait()
	second.Lock()
	fmt.Println("not deadlocked")
}

func main() {
	var spins uint64

	both.Add(2)
	go takeInOrder(&a, &b)
	go takeInOrder(&b, &a)
	go func() {
		for {
			spins++
			time.Sleep(5 * time.Millisecond)
		}
	}()
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if strings.Count(string(buf[:n]), "sync.(*Mutex).Lock") >= 2 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	fmt.Println("parked")
	select {}
}
