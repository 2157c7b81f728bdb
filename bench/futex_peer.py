#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The bench's eBPF peer (bcc): per-futex wait-time histograms.

    bench/futex_peer.py [MAXACTIVE]

The same work bench/futex_hist.bt used to do, from the same kernel
functions lockmon probes: a kprobe on the entry of futex_wait() and
futex_lock_pi() stamps the time and the futex address, a kretprobe on
their return adds the wait to a log2 histogram keyed by that address, and
a kprobe on futex_wake_mark() counts wakes.

The kretprobes get MAXACTIVE return instances (default 4096, the most a
tracefs kprobe event can have), so every waiter of the bench is seen
returning; bpftrace's kretprobes use the kernel's small default and skip
returns once more than about ten tasks wait. So the bench can check it,
the peer also counts per process (tgid) the calls its entry kprobe saw and
the returns its kretprobe saw; a kprobe is never skipped for want of an
instance.

It prints "bench: attached" once every probe is attached, then waits for
SIGINT and prints, in this order:

    count tgid=T calls=C returns=R wakes=W      one line per process
    probe NAME hits=H missed=M                  the kernel's kprobe_profile
    @wait_ns[0xUADDR] 2^S:N ...                 one histogram per futex
"""
import os
import signal
import sys

from bcc import BPF

PROG = r"""
#include <uapi/linux/ptrace.h>

struct wait_start {
	u64 ns;
	u64 uaddr;
};

struct hist_key {
	u64 uaddr;
	u64 slot;
};

struct counts {
	u64 calls;
	u64 returns;
	u64 wakes;
};

BPF_HASH(started, u32, struct wait_start, 16384);
BPF_HISTOGRAM(wait_ns, struct hist_key, 65536);
BPF_HASH(per_tgid, u32, struct counts, 4096);

static struct counts *counts_of(u64 pid_tgid)
{
	struct counts zero = {};
	u32 tgid = pid_tgid >> 32;

	return per_tgid.lookup_or_try_init(&tgid, &zero);
}

int wait_entry(struct pt_regs *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 tid = id;
	struct wait_start s = {
		.ns = bpf_ktime_get_ns(),
		.uaddr = PT_REGS_PARM1(ctx),
	};
	struct counts *c = counts_of(id);

	started.update(&tid, &s);
	if (c)
		__sync_fetch_and_add(&c->calls, 1);
	return 0;
}

int wait_return(struct pt_regs *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	u32 tid = id;
	struct wait_start *s = started.lookup(&tid);
	struct counts *c;
	struct hist_key k = {};

	if (!s)
		return 0;
	k.uaddr = s->uaddr;
	k.slot = bpf_log2l(bpf_ktime_get_ns() - s->ns);
	wait_ns.increment(k);
	started.delete(&tid);
	c = counts_of(id);
	if (c)
		__sync_fetch_and_add(&c->returns, 1);
	return 0;
}

int wake_mark(struct pt_regs *ctx)
{
	struct counts *c = counts_of(bpf_get_current_pid_tgid());

	if (c)
		__sync_fetch_and_add(&c->wakes, 1);
	return 0;
}
"""

WAIT_FUNCS = ("futex_wait", "futex_lock_pi")
KPROBE_PROFILE = ("/sys/kernel/tracing/kprobe_profile",
                  "/sys/kernel/debug/tracing/kprobe_profile")


def kprobe_profile():
    """(event, hits, missed) of this process's bcc probes, from the kernel."""
    for path in KPROBE_PROFILE:
        try:
            with open(path) as f:
                rows = [l.split() for l in f]
        except OSError:
            continue
        tag = "_bcc_%d" % os.getpid()
        return [(r[0], int(r[1]), int(r[2])) for r in rows
                if len(r) == 3 and r[0].endswith(tag)]
    return []


def main():
    maxactive = int(sys.argv[1]) if len(sys.argv) > 1 else 4096
    b = BPF(text=PROG)
    for fn in WAIT_FUNCS:
        b.attach_kprobe(event=fn, fn_name="wait_entry")
        b.attach_kretprobe(event=fn, fn_name="wait_return", maxactive=maxactive)
    b.attach_kprobe(event="futex_wake_mark", fn_name="wake_mark")
    print("bench: attached (kretprobe maxactive %d)" % maxactive, flush=True)
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    for k, c in sorted(b["per_tgid"].items(), key=lambda kv: kv[0].value):
        print("count tgid=%d calls=%d returns=%d wakes=%d" % (
            k.value, c.calls, c.returns, c.wakes))
    for name, hits, missed in kprobe_profile():
        print("probe %s hits=%d missed=%d" % (name, hits, missed))
    hists = {}
    for k, n in b["wait_ns"].items():
        hists.setdefault(k.uaddr, []).append((k.slot, n.value))
    for uaddr in sorted(hists):
        print("@wait_ns[%#x] %s" % (uaddr, " ".join(
            "2^%d:%d" % sn for sn in sorted(hists[uaddr]))))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
