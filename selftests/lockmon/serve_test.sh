#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# lockmon-report serve with real clients: Debian's prometheus scrapes it,
# and a query through Prometheus's HTTP API (/api/v1/query) must give the
# per-lock wait time of a contended workload (serve_worker) within 2 % of
# what the workload measured itself with clock_gettime() around each
# pthread_mutex_lock(); `go tool pprof -raw` fetches a mutex profile from
# the same server over HTTP and must show the threads blocked on the lock
# now. Also: serve refuses to start without the module (one line), and
# outlives the module being unloaded and loaded again (lockmon_up 0, 503
# for the profiles, then lockmon_up 1). Every wait is a poll with a
# deadline, never a fixed sleep.
# Run as root with $LOCKMON_KO, else lockmon.ko built in the checkout
# (two levels up).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
lmr=${LOCKMON_REPORTER:-$top/user/lockmon-report}
ko=${LOCKMON_KO:-$top/lockmon.ko}
d=/sys/kernel/debug/lockmon
work=$(mktemp -d)
port=19464
pport=19090
fail=0
spid="" ppid="" wpid=""

for tool in prometheus curl python3 go; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "ok 1 # SKIP $tool not installed (scripts/deps)"
		exit 4
	fi
done

cleanup() {
	for p in $wpid $ppid $spid; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	[ -d $d ] && rmmod lockmon 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

ok() { echo "ok $1"; }
notok() { echo "not ok $1"; fail=1; }

# until CMD succeeds, polling every 0.2 s, for at most SECS seconds
# (times LOCKMON_SLOW, as lockmon_util.h's lm_wait_until())
wait_for() {
	secs=$(($1 * ${LOCKMON_SLOW:-1}))
	shift
	end=$(($(date +%s) + secs))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.2
	done
	return 0
}

ip link set lo up 2>/dev/null || busybox ip link set lo up 2>/dev/null

# refused without the module: one line, exit 1
[ -d $d ] && rmmod lockmon
out=$("$lmr" serve --listen 127.0.0.1:$port 2>&1)
rc=$?
if [ $rc -eq 1 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] &&
   printf '%s' "$out" | grep -q "module is not loaded"; then
	ok "serve refuses without the module: $out"
else
	notok "serve without the module: rc $rc: $out"
fi

insmod "$ko" || { echo "not ok insmod"; exit 1; }
echo nofilter > $d/control
echo reset > $d/control
echo enable > $d/control

metrics() { curl -sf http://127.0.0.1:$port/metrics; }
up_is() { metrics | grep -qx "lockmon_up $1"; }

"$lmr" serve --listen 127.0.0.1:$port 2>"$work/serve.err" &
spid=$!
wait_for 60 up_is 1 || { notok "serve did not come up"; cat "$work/serve.err"; exit 1; }

cat > "$work/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: lockmon
    static_configs:
      - targets: ['127.0.0.1:$port']
EOF
prometheus --config.file="$work/prometheus.yml" \
	--storage.tsdb.path="$work/tsdb" \
	--web.listen-address=127.0.0.1:$pport >"$work/prometheus.log" 2>&1 &
ppid=$!
if ! wait_for 180 curl -sf http://127.0.0.1:$pport/-/ready; then
	notok "prometheus did not get ready"
	tail -20 "$work/prometheus.log" | sed 's/^/#   /'
	exit 1
fi

# the workload: 3 threads, 30 takes each of a lock held 20 ms
"$here/serve_worker" 3 30 20 >"$work/worker.out" &
wpid=$!
if ! wait_for 300 grep -q '^holding' "$work/worker.out"; then
	notok "serve_worker did not finish"
	exit 1
fi
fin=$(date +%s.%N)
truth=$(awk '$1 == "pid" { print $4 }' "$work/worker.out")

# Prometheus's own view of the lock, from a scrape after the workload's end
q="lockmon_lock_wait_seconds_total{pid=\"$wpid\",lock=~\".*serve_lock.*\"}"
query() {
	curl -sfG --data-urlencode "query=$1" \
		http://127.0.0.1:$pport/api/v1/query |
	python3 -c 'import json,sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if len(r) == 1 else "none")'
}
scraped_after() {
	ts=$(query "timestamp($q)")
	[ "$ts" != none ] && python3 -c "import sys; sys.exit(0 if $ts > $fin else 1)"
}
if ! wait_for 120 scraped_after; then
	notok "prometheus has no sample of serve_lock scraped after the workload"
	metrics | grep serve_lock | sed 's/^/#   /'
	exit 1
fi
got=$(query "$q")
if python3 -c "import sys
got, truth = float('$got'), int('$truth') / 1e9
print('# prometheus %.6f s, the workload measured %.6f s: %+.3f %%' %
      (got, truth, (got - truth) / truth * 100))
sys.exit(0 if truth > 0 and abs(got - truth) <= 0.02 * truth else 1)"; then
	ok "prometheus's per-lock wait time within 2 % of the workload's"
else
	notok "prometheus's per-lock wait time: $got s, workload $truth ns"
fi

# go tool pprof over HTTP: the two threads blocked on hold_lock now
PPROF_TMPDIR=$work HOME=$work go tool pprof -raw \
	http://127.0.0.1:$port/debug/pprof/mutex >"$work/pprof.raw" 2>"$work/pprof.err"
rc=$?
if [ $rc -eq 0 ] && grep -q 'contentions/count delay/nanoseconds' "$work/pprof.raw" &&
   grep -q 'hold_lock' "$work/pprof.raw"; then
	ok "go tool pprof -raw fetched the mutex profile over HTTP"
else
	notok "go tool pprof -raw: rc $rc"
	sed 's/^/#   /' "$work/pprof.err" "$work/pprof.raw" | head -40
fi
grep -v '^Fetching\|^Saved\|^Fetched' "$work/pprof.err" | grep -q . &&
	{ echo "# go tool pprof said:"; sed 's/^/#   /' "$work/pprof.err"; }

# ?seconds=N: a recording of N seconds, mutex charged to the releasing
# stack; a second workload contends while it runs
PPROF_TMPDIR=$work HOME=$work go tool pprof -raw -seconds 8 \
	http://127.0.0.1:$port/debug/pprof/mutex >"$work/pprof2.raw" 2>"$work/pprof2.err" &
gpid=$!
recording() { ls -d /sys/kernel/tracing/instances/lockmon-report-* ||
	      ls -d /sys/kernel/debug/tracing/instances/lockmon-report-*; }
if wait_for 120 recording; then
	"$here/serve_worker" 3 40 20 >"$work/worker2.out" &
	w2=$!
	wait $gpid
	rc=$?
	kill $w2 2>/dev/null
	wait $w2 2>/dev/null
	if [ $rc -eq 0 ] && grep -q 'serve_lock' "$work/pprof2.raw" &&
	   grep -q 'contentions/count delay/nanoseconds' "$work/pprof2.raw"; then
		ok "go tool pprof -seconds 8 fetched a recorded mutex profile"
		grep -c '^ *[0-9]* *[0-9]*: ' "$work/pprof2.raw" |
			sed 's/^/# samples: /'
	else
		notok "go tool pprof -seconds 8: rc $rc"
		sed 's/^/#   /' "$work/pprof2.err" "$work/pprof2.raw" | head -40
	fi
else
	notok "no recording started for ?seconds=8"
	kill $gpid 2>/dev/null
fi

# lockmon-report metrics -o: the same exposition, renamed into place
if "$lmr" metrics -o "$work/lockmon.prom" &&
   grep -qx 'lockmon_up 1' "$work/lockmon.prom" &&
   grep -q '^lockmon_lock_wait_seconds_total{.*serve_lock' "$work/lockmon.prom" &&
   promtool check metrics < "$work/lockmon.prom" >/dev/null 2>&1 &&
   [ -z "$(ls "$work" | grep 'lockmon.prom.tmp')" ]; then
	ok "metrics -o wrote the exposition, promtool takes it"
else
	notok "metrics -o"
fi

# the module unloaded and loaded again under the server
kill $wpid
wait $wpid 2>/dev/null
wpid=""
rmmod lockmon || notok "rmmod"
code=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$port/debug/pprof/mutex)
if up_is 0 && [ "$code" = 503 ]; then
	ok "module away: lockmon_up 0, the profile 503"
else
	notok "module away: profile $code; $(metrics | grep '^lockmon_up')"
fi
insmod "$ko" || notok "insmod again"
if wait_for 30 up_is 1 && kill -0 $spid 2>/dev/null; then
	ok "module back: lockmon_up 1 from the same server"
else
	notok "module back"
	cat "$work/serve.err"
fi
exit $fail
