#!/usr/bin/env bash
# `make bench`: unloaded ping-pong latency, SDP vs TCP vs UDP, in one VM boot,
# two netns over veth. Writes build/bench/latency.json and prints a table of
# p50/p99 and the SDP/TCP ratio. Not a test: it only fails if a run fails.
#   tests/bench/run.sh [--iterations N] [--sizes LIST]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$ROOT/build/bench
mkdir -p "$OUT"
if [[ ${SDP_IN_VM:-} != 1 ]]; then
  exec "$ROOT/vm/run" --cpus 2 --memory 2G --timeout 1800 -- "$0" "$@"
fi

. "$ROOT/tests/vm/lib.sh"
. "$ROOT/tests/vm/sdp-lib.sh"
iterations=500
sizes=64,1K,4K,16K,64K,256K,1M
while (($#)); do
  case $1 in
    --iterations) iterations=$2; shift 2 ;;
    --sizes) sizes=$2; shift 2 ;;
    *) fail "unknown option $1" ;;
  esac
done
sdp_load ${SDP_BENCH_PARAMS:-}
netns_pair_up
ip netns exec "$NS_A" "$SDP_BENCH" server --port 6000 &
on_exit "kill $! 2>/dev/null || true"
wait_for 10 _sdp_port_bound "$NS_A"
sleep 0.5
in_b "$SDP_BENCH" client --server "$IP4_A" --port 6000 --protos sdp,tcp,udp \
  --sizes "$sizes" --iterations "$iterations" >"$OUT/latency.json" || fail "sdp-bench failed"
{
  echo "# $(uname -r), $(nproc) vCPUs, $(date -u +%FT%TZ), iterations $iterations"
  sed -n 's/.*"proto":"\([a-z]*\)","size":\([0-9]*\),.*"p50_us":\([0-9.]*\),"p99_us":\([0-9.]*\).*/\1 \2 \3 \4/p' \
    "$OUT/latency.json" | awk '
    { p50[$1, $2] = $3; p99[$1, $2] = $4; if (!($2 in seen)) { seen[$2] = 1; order[n++] = $2 } }
    END {
      printf "| size (B) | SDP p50 us | TCP p50 us | UDP p50 us | SDP/TCP p50 | SDP p99 us | TCP p99 us |\n"
      printf "|---|---|---|---|---|---|---|\n"
      for (i = 0; i < n; i++) {
        s = order[i]
        udp = ((("udp", s) in p50) ? p50["udp", s] : "n/a")
        printf "| %s | %s | %s | %s | %.2f | %s | %s |\n", s, p50["sdp", s], p50["tcp", s], udp,
               p50["sdp", s] / p50["tcp", s], p99["sdp", s], p99["tcp", s]
      }
    }'
} | tee "$OUT/latency.md"
