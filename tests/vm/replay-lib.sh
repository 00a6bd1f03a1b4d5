# Helpers shared by t-tamper.sh and t-replay.sh (on top of lib.sh and sdp-lib.sh,
# whose new_keyfile and sdp_capture_start they use): counter snapshots and the
# "everything injected was dropped" checks.
# shellcheck shell=bash

SDP_REPLAY=${SDP_REPLAY:-$SDP_REPO/build/userspace/sdp-replay}

# snap NETNS FILE: copy of /proc/net/sdp_stats.
snap() {
  ip netns exec "$1" cat /proc/net/sdp_stats >"$2" || fail "cannot read /proc/net/sdp_stats in $1"
}

# delta FILE1 FILE2 NAME: counter NAME in FILE2 minus in FILE1.
delta() {
  awk -v k="$3" 'NR == FNR { if ($1 == k) a = $2; next } $1 == k { b = $2; found = 1 }
    END { if (!found) exit 1; print b - a }' "$1" "$2" || fail "no counter $3 in /proc/net/sdp_stats"
}

# drop_delta FILE1 FILE2: growth of the sum of all drop_* counters.
drop_delta() {
  awk 'NR == FNR { if ($1 ~ /^drop_/) a += $2; next } $1 ~ /^drop_/ { b += $2 } END { print b - a }' "$1" "$2"
}

# drop_reasons FILE1 FILE2: "reason=delta ..." for every drop counter that grew.
drop_reasons() {
  awk 'NR == FNR { a[$1] = $2; next } $1 ~ /^drop_/ && $2 > a[$1] { printf "%s=%d ", substr($1, 6), $2 - a[$1] }' "$1" "$2"
}

# settle NETNS: wait until the netns' rx_packets stops moving (0.3 s apart).
settle() {
  local a b
  b=$(sdp_stat "$1" rx_packets)
  for _ in $(seq 50); do
    sleep 0.3
    a=$b
    b=$(sdp_stat "$1" rx_packets)
    [[ $a == "$b" ]] && return 0
  done
  fail "rx_packets in $1 never settled"
}

# inject FROM_NS TO_NS LABEL SDP-REPLAY-SEND-ARGS...: run sdp-replay send $PCAP in FROM_NS
# (the namespace that owns the captured source address) and measure the
# receiving namespace TO_NS around it. Sets SENT, RX (rx_packets delta), DROPS
# (all drop_* delta), REASONS, STARTED (server_rpcs_started delta) and
# DELIVERED (requests_delivered + responses_delivered delta).
inject() {
  local from=$1 to=$2 label=$3 out
  shift 3
  local s0 s1
  s0=$(mktemp) s1=$(mktemp)
  snap "$to" "$s0"
  out=$(ip netns exec "$from" "$SDP_REPLAY" send "$PCAP" "$@") || fail "$label: sdp-replay send $* failed: $out"
  sleep 0.3 # the raw socket hands packets to veth synchronously; let softirqs finish
  snap "$to" "$s1"
  SENT=$(json_field "$out" sent)
  RX=$(delta "$s0" "$s1" rx_packets)
  DROPS=$(drop_delta "$s0" "$s1")
  REASONS=$(drop_reasons "$s0" "$s1")
  STARTED=$(delta "$s0" "$s1" server_rpcs_started)
  DELIVERED=$(($(delta "$s0" "$s1" requests_delivered) + $(delta "$s0" "$s1" responses_delivered)))
  note "[${SECONDS}s] $label: $out -> $to rx=$RX drops=$DROPS [$REASONS] started=$STARTED delivered=$DELIVERED"
  CHANGED=$(awk 'NR == FNR { a[$1] = $2; next } $2 != a[$1] { printf "%s%+d ", $1, $2 - a[$1] }' "$s0" "$s1")
  rm -f "$s0" "$s1"
  ((SENT > 0)) || fail "$label: nothing selected to send"
}

# expect_all_dropped LABEL: every packet of the last inject() arrived and was
# dropped and counted; nothing reached an application.
expect_all_dropped() {
  ((RX >= SENT)) || fail "$1: $SENT sent but only $RX received (lost on the way?)"
  ((DROPS == SENT)) || fail "$1: $SENT injected, $DROPS counted as dropped [$REASONS]; counters that moved: $CHANGED"
  ((DELIVERED == 0)) || fail "$1: $DELIVERED messages delivered to an application"
  pass "$1: $SENT injected, $DROPS dropped [$REASONS]"
}

# expect_reasons_within LABEL REASON...: the last inject()'s drops are all of these reasons.
expect_reasons_within() {
  local label=$1 r name ok
  shift
  for r in $REASONS; do
    name=${r%%=*} ok=0
    for a in "$@"; do [[ $name == "$a" ]] && ok=1; done
    ((ok)) || fail "$label: unexpected drop reason $r (expected only: $*)"
  done
}

# pick LIST-FILE SUBSTRING...: indices of the lines of LIST-FILE (output of
# sdp-replay list) that contain every SUBSTRING, comma separated (empty if none).
pick() {
  local f=$1
  shift
  awk -v pats="$(printf '%s\034' "$@")" 'BEGIN { n = split(pats, p, "\034") - 1 }
    { for (i = 1; i <= n; i++) if (index($0, p[i]) == 0) next
      sub(/^\{"index":/, ""); sub(/,.*/, ""); print }' "$f" | paste -sd, -
}

# pick_len LIST-FILE MIN MAX SUBSTRING...: like pick, and MIN <= len <= MAX.
pick_len() {
  local f=$1 min=$2 max=$3
  shift 3
  awk -v pats="$(printf '%s\034' "$@")" -v min="$min" -v max="$max" '
    BEGIN { n = split(pats, p, "\034") - 1 }
    { for (i = 1; i <= n; i++) if (index($0, p[i]) == 0) next
      l = $0; sub(/.*"len":/, "", l); sub(/\}.*/, "", l); l += 0
      if (l < min || l > max) next
      sub(/^\{"index":/, ""); sub(/,.*/, ""); print }' "$f" | paste -sd, -
}

# first_of LIST: the first element of a comma-separated list.
first_of() { echo "${1%%,*}"; }

# A client kept waiting: the server process ($SERVER_PID) is stopped
# (SIGSTOP) while the client ($CLIENT, output in $KD/client.out) waits for a
# response, so both sockets stay alive with their receive state.
# stop_at N: stop the server process as soon as it has been handed N
# requests. One shell busy-polls inside netns A without forking (read
# builtin), so the stop comes within a millisecond of the Nth request.
_poller() {
  in_a timeout 120 bash -c "while :; do
      while read -r k v; do [[ \$k == requests_delivered ]] && break; done </proc/net/sdp_stats
      ((v >= $1)) && break
    done; kill -STOP $SERVER_PID"
}
stop_at() {
  _poller "$1" || fail "the server was not handed $1 requests within 120 s"
}
# resume_one: let the server answer the waiting RPC and stop it at the next
# request, so the client (whose receive timeout is 30 s) keeps waiting.
resume_one() {
  local n p
  n=$(sdp_stat "$NS_A" requests_delivered)
  _poller $((n + 1)) &
  p=$!
  sleep 0.5 # the poller runs before the server does
  kill -CONT "$SERVER_PID"
  wait "$p" || fail "the server was not handed request $((n + 1)) within 120 s"
  kill -0 "$CLIENT" 2>/dev/null || fail "the client finished early: $(cat "$KD/client.out")"
}


# finish_session: resume the server; the client's $COUNT RPCs must all
# complete exactly once with the right bytes, and the server must have been
# handed exactly $COUNT requests, none twice. Failures go to FAILED.
finish_session() {
  local rc=0 out reqs
  kill -CONT "$SERVER_PID"
  wait "$CLIENT" || rc=$?
  out=$(cat "$KD/client.out")
  note "client: $out $(head -5 "$KD/client.err" | tr '\n' ' ')"
  if ((rc != 0)) || [[ $(json_field "$out" ok) != "$COUNT" ]]; then
    FAILED+=("the client's RPCs did not all complete exactly once after the injections (exit $rc)")
  else
    pass "the client's $COUNT RPCs completed exactly once with the right bytes"
  fi
  [[ $(json_field "$out" duplicates) == 0 && $(json_field "$out" mismatched) == 0 ]] ||
    FAILED+=("the client saw duplicate or altered responses: $out")
  stop_echo_server
  reqs=$(json_field "$(cat "$ECHO_OUT")" requests)
  ((reqs == COUNT)) || FAILED+=("server was handed $reqs requests, expected exactly $COUNT")
}
