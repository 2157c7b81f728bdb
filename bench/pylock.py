# SPDX-License-Identifier: GPL-2.0
"""CPython threading.Lock contention.

    python3 pylock.py [THREADS [OPS]]     default 4 threads, 40000 ops

THREADS threads share one threading.Lock and take it OPS/THREADS times
each. A short switch interval makes the GIL hand over often, so threads
find the lock held by a thread that was switched out; both the Lock and
the GIL then wait on futexes. Prints "ops=N ns=T" like the C workloads.
"""
import sys
import threading
import time


def main():
    try:
        nthreads = int(sys.argv[1]) if len(sys.argv) > 1 else 4
        ops = int(sys.argv[2]) if len(sys.argv) > 2 else 40000
    except ValueError:
        sys.exit("usage: pylock.py [THREADS [OPS]]")
    if nthreads < 1 or ops < nthreads or len(sys.argv) > 3:
        sys.exit("usage: pylock.py [THREADS [OPS]]")
    per = ops // nthreads
    lock = threading.Lock()
    count = [0]
    go = threading.Barrier(nthreads + 1)

    def work():
        go.wait()
        for _ in range(per):
            with lock:
                count[0] += 1

    sys.setswitchinterval(0.0002)
    threads = [threading.Thread(target=work) for _ in range(nthreads)]
    for t in threads:
        t.start()
    go.wait()
    t0 = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
    for t in threads:
        t.join()
    t1 = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
    if count[0] != per * nthreads:
        sys.exit("pylock: count %d, expected %d" % (count[0], per * nthreads))
    print("ops=%d ns=%d" % (count[0], t1 - t0))


if __name__ == "__main__":
    main()
