#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# lockmon-report record -- CMD follows every process CMD forks, to any
# depth (fork, vfork, exec, double-fork daemons), through the module's tree
# filter. Each case is checked two ways against the same run:
#  - the workload names its contending processes itself ("worker PID" from
#    tree_worker; with stress-ng -v, each mutex instance and the child each
#    futex instance forks): each must have waits in the module's locks
#    file and in the recording;
#  - every process with a blocked wait in locks has waits in the recording.
# Run as root with $LOCKMON_KO, else lockmon.ko built in the checkout
# (two levels up).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# LOCKMON_REPORTER=PATH runs another build of the reporter
lmr=${LOCKMON_REPORTER:-$top/user/lockmon-report}
ko=${LOCKMON_KO:-$top/lockmon.ko}
d=/sys/kernel/debug/lockmon
work=$(mktemp -d)
fail=0
loaded=0

ctl() { echo "$1" > $d/control; }

if [ ! -d $d ]; then
	insmod "$ko" || { echo "not ok: insmod"; exit 1; }
	loaded=1
fi

# tgids of the locks rows with a blocked wait ("TGID:0xADDR[,...]")
locks_tgids() {
	awk '!/^#/ && $1 != "futex" && $5 > 0 {
		n = split($4, p, ",")
		for (i = 1; i <= n; i++) { sub(/:.*/, "", p[i]); print p[i] }
	}' $d/locks | sort -un
}

# tgids with waits in the Tasks section of a recording's report
rec_tgids() {
	"$lmr" report "$1" | awk '/^Tasks$/ { t = 1; next } /^Findings$/ { t = 0 }
		t && $1 ~ /^[0-9]+$/ && $4 > 0 { print $2 }' | sort -un
}

# run_case NAME MIN -- CMD...: MIN contending processes at least
run_case() {
	name=$1 min=$2
	shift 3
	ctl disable; ctl reset; ctl nofilter; ctl enable
	# 16 MiB a CPU: with the default 1.4 MiB the debug kernel's recorder
	# fell behind stress-ng's mutex workers and lost 26046 events, two
	# workers' whole share (with 16 MiB, Debian's kernel still lost 9545)
	"$lmr" record --buffer-kb 16384 -o "$work/$name.lmr" -- "$@" \
		> "$work/$name.out" 2>&1
	rc=$?
	# "worker P" (tree_worker), "[P] mutex: started [P]" (a stress-ng
	# instance that contends itself), "[C] futex: exited [P]" with C
	# not P (the child a futex instance forks, which does the waiting)
	sed -n 's/^worker \([0-9]*\)$/\1/p
		s/.*\] mutex: started \[\([0-9]*\)\].*/\1/p
		s/.* \[\([0-9]*\)\] futex: exited \[\([0-9]*\)\].*/\1 \2/p' \
		"$work/$name.out" | awk 'NF == 1 || $1 != $2 { print $1 }' |
		sort -un > "$work/$name.truth"
	locks_tgids > "$work/$name.locks"
	rec_tgids "$work/$name.lmr" > "$work/$name.rec"
	nt=$(wc -l < "$work/$name.truth")
	bad=""
	[ $rc -eq 0 ] || bad="$bad record-exit-$rc"
	# the recorder must say what it lost; a worker missing from a
	# recording that lost events is that loss, said, not a silent one
	lost=$(sed -n 's/.*; lost events: \([0-9]*\).*/\1/p' "$work/$name.out")
	[ -n "$lost" ] || bad="$bad no-lost-count"
	[ "$nt" -ge "$min" ] || bad="$bad only-$nt-workers"
	for p in $(cat "$work/$name.truth"); do
		grep -qx "$p" "$work/$name.locks" || bad="$bad $p-not-in-locks"
		grep -qx "$p" "$work/$name.rec" || [ "${lost:-0}" -gt 0 ] ||
			bad="$bad $p-not-recorded"
	done
	for p in $(cat "$work/$name.locks"); do
		grep -qx "$p" "$work/$name.rec" || [ "${lost:-0}" -gt 0 ] ||
			bad="$bad locks-$p-not-recorded"
	done
	echo "# $name: workers $(echo $(cat "$work/$name.truth")); locks $(echo $(cat "$work/$name.locks")); recorded $(echo $(cat "$work/$name.rec"))"
	grep "recorded .* events" "$work/$name.out" | sed 's/^/# /'
	if [ -n "$bad" ]; then
		echo "not ok $name:$bad"
		sed 's/^/#   /' "$work/$name.out" | tail -20
		fail=1
	else
		echo "ok $name"
	fi
}

tw=$here/tree_worker
command -v stress-ng > /dev/null ||
	{ echo "not ok: stress-ng is not installed (scripts/deps installs it)"; fail=1; }
run_case sh_c 2 -- sh -c "$tw contend & $tw contend; wait"
run_case daemon 1 -- "$tw" daemon
run_case vfork 1 -- "$tw" vfork
run_case stress_mutex 4 -- stress-ng -v --mutex 4 --timeout 4
run_case stress_futex 4 -- stress-ng -v --futex 4 --timeout 4
# The live graph of a real deadlock: user/demo/abba's two threads each
# hold one mutex and wait for the other's; its main thread joins them.
graph_case() {
	ctl disable; ctl reset; ctl nofilter; ctl enable
	"$top/user/demo/abba" > /dev/null &
	pid=$!
	i=0
	# until both waits and the join are seen (LOCKMON_SLOW: lockmon_util.h)
	while [ $i -lt $((200 * ${LOCKMON_SLOW:-1})) ]; do
		"$lmr" graph -p $pid > "$work/graph.txt" 2>&1
		[ "$(grep -c 'CYCLE' "$work/graph.txt")" -eq 2 ] &&
			[ "$(wc -l < "$work/graph.txt")" -eq 3 ] && break
		i=$((i + 1))
		sleep 0.05
	done
	"$lmr" graph -p $pid --dot > "$work/graph.dot" 2>&1
	tids=$(ls /proc/$pid/task | sort -n | tr '\n' ' ')
	kill $pid; wait $pid 2>/dev/null
	bad=""
	[ "$(grep -c '<== CYCLE$' "$work/graph.txt")" -eq 2 ] || bad="$bad cycles"
	# each waiter once, by name, with the truth's tids only
	for t in $tids; do
		[ "$(grep -c "^abba/$t --" "$work/graph.txt")" -eq 1 ] || bad="$bad text-$t"
		[ "$(grep -c "^	t$t \[shape=box, label=\"abba/$t\"\];" "$work/graph.dot")" -eq 1 ] ||
			bad="$bad dot-$t"
	done
	[ "$(grep -c 'shape=box' "$work/graph.dot")" -eq 3 ] || bad="$bad boxes"
	[ "$(grep -c 'label="cycle"' "$work/graph.dot")" -eq 2 ] || bad="$bad dot-cycles"
	# one held-by edge per futex; the two on the cycle are red
	[ -z "$(grep -- '-> t[0-9]* \[style=dashed' "$work/graph.dot" |
		awk '{ print $1 }' | sort | uniq -d)" ] || bad="$bad held-by-twice"
	[ "$(grep -c -- '-> t[0-9]* \[style=dashed, color=red' "$work/graph.dot")" -eq 2 ] ||
		bad="$bad held-by-cycle"
	# a holder is named, another thread of the truth's, and never a
	# waiter of the lock it holds
	awk -v tids=" $tids" '/<== CYCLE/ { split($1, w, "/"); split($3, h, "/");
		if ($3 !~ /^abba\/[0-9]+$/ || index(tids, " " h[2] " ") == 0 ||
		    w[2] == h[2] || $2 == "--[" $8 "]-->") exit 1 }' \
		"$work/graph.txt" || bad="$bad holder"
	echo "# graph (threads $tids):"; sed 's/^/#   /' "$work/graph.txt"
	if [ -n "$bad" ]; then
		echo "not ok graph:$bad"; sed 's/^/#   /' "$work/graph.dot"; fail=1
	else
		echo "ok graph"
	fi
}
graph_case

# the filter is off again once record is done
grep -qx "tree 0" $d/control || { echo "not ok: tree filter left on"; fail=1; }
ctl disable
[ $loaded -eq 1 ] && rmmod lockmon
rm -rf "$work"
exit $fail
