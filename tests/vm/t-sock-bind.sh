#!/usr/bin/env bash
# Bind addresses and ports (issue 9 items 7 and 9): a socket bound to an
# address receives only packets sent to that address (wildcard binds stay
# wildcard), two sockets may share a port on different addresses but a
# wildcard bind conflicts with any other bind of its port, and ports below
# net.ipv4.ip_unprivileged_port_start need CAP_NET_BIND_SERVICE in the
# netns' user namespace. IPv4 and IPv6; live echo servers and clients.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sdp-lib.sh"
need_vm
need_root
need_cmd setpriv unshare
need_file "$SDP_SOCK_TEST"
# A copy that user nobody can run, whatever the permissions of the tree.
BIN=$(mktemp -d)
chmod 755 "$BIN"
install -m 755 "$SDP_SOCK_TEST" "$BIN/"
SOCK_TEST=$BIN/sdp-sock-test
sdp_load
netns_pair_up
in_a ip addr add 10.77.0.3/24 dev "$VETH_A" || fail "second IPv4 address"
in_a ip -6 addr add fd77::3/64 dev "$VETH_A" nodad || fail "second IPv6 address"
in_a ip link set lo up
FAILED=()

# served SERVER_ADDR PORT: one 100-byte RPC from netns B to SERVER_ADDR:PORT completes.
served() {
  in_b "$SDP_ECHO" client --server "$1" --port "$2" --sizes 100 --count 1 >/dev/null 2>&1
}

# not_served LABEL DST PORT: the RPC to DST:PORT fails, the server's netns
# starts no server RPC for it and counts its packets as drop_no_socket.
not_served() {
  local n0 n1 s0 s1 why=""
  n0=$(sdp_stat "$NS_A" drop_no_socket) s0=$(sdp_stat "$NS_A" server_rpcs_started)
  served "$2" "$3" && why+="the RPC to $2:$3 completed; "
  n1=$(sdp_stat "$NS_A" drop_no_socket) s1=$(sdp_stat "$NS_A" server_rpcs_started)
  ((s1 == s0)) || why+="$((s1 - s0)) server RPCs started; "
  ((n1 > n0)) || why+="no drop_no_socket counted; "
  if [[ -z $why ]]; then
    pass "$1: RPC to $2:$3 not served, no server RPC, $((n1 - n0)) packets counted drop_no_socket"
  else
    FAILED+=("$1: $why")
    note "FAILED: $1: $why"
  fi
}

# bind_errno NETNS ADDR PORT [PREFIX...]: errno of one bind (0: bound).
bind_errno() {
  local ns=$1 a=$2 p=$3 out
  shift 3
  out=$(ip netns exec "$ns" "$@" "$SOCK_TEST" bind "$a" "$p") || fail "sdp-sock-test bind $a $p failed"
  json_field "$out" errno
}

expect_bind() { # expect_bind LABEL WANT NETNS ADDR PORT [PREFIX...]
  local label=$1 want=$2 got
  shift 2
  got=$(bind_errno "$@")
  if [[ $got == "$want" ]]; then pass "$label: errno $got"
  else FAILED+=("$label: errno $got, expected $want"); note "FAILED: $label: errno $got, expected $want"; fi
}

sockets_are() { [[ $(sdp_stat "$NS_A" sockets) -ge $1 ]]; }

# 1. Bound to loopback: nothing from the link reaches it.
start_echo_server "$NS_A" --port 5000 --bind 127.0.0.1
not_served "bound to 127.0.0.1" "$IP4_A" 5000
stop_echo_server

# 2. Bound to one address of the link: only that address is served.
for fam in 4 6; do
  if [[ $fam == 4 ]]; then a=$IP4_A other=10.77.0.3 six=()
  else a=$IP6_A other=fd77::3 six=(-6); fi
  start_echo_server "$NS_A" --port 5000 "${six[@]}" --bind "$a"
  if served "$a" 5000; then pass "IPv$fam bound to $a: RPC to $a served"
  else FAILED+=("IPv$fam bound to $a: RPC to $a not served"); note "FAILED: IPv$fam bound to $a: RPC to $a not served"; fi
  not_served "IPv$fam bound to $a" "$other" 5000
  stop_echo_server
done

# 3. Two sockets on one port, different addresses: each serves its own
# address only; a wildcard bind of that port conflicts with both.
start_echo_server "$NS_A" --port 5001 --bind "$IP4_A"
P1=$ECHO_PID O1=$ECHO_OUT
start_echo_server "$NS_A" --port 5001 --bind 10.77.0.3
P2=$ECHO_PID O2=$ECHO_OUT
if ! (wait_for 10 sockets_are 2); then
  FAILED+=("a second socket could not bind port 5001 on another address")
  note "FAILED: a second socket could not bind port 5001 on another address"
  ECHO_PID=$P1 ECHO_OUT=$O1 stop_echo_server
else
  ok=1
  for i in 1 2 3; do served "$IP4_A" 5001 || ok=0; done
  for i in 1 2; do served 10.77.0.3 5001 || ok=0; done
  if ((ok)); then pass "two sockets on port 5001 ($IP4_A, 10.77.0.3): every RPC served"
  else FAILED+=("two sockets on one port: an RPC was not served"); note "FAILED: two sockets on one port"; fi
  expect_bind "wildcard bind of a port bound to two addresses" 98 "$NS_A" 0.0.0.0 5001
  expect_bind "the same address again" 98 "$NS_A" "$IP4_A" 5001
  ECHO_PID=$P1 ECHO_OUT=$O1 stop_echo_server
  r1=$(json_field "$(cat "$O1")" requests)
  ECHO_PID=$P2 ECHO_OUT=$O2 stop_echo_server
  r2=$(json_field "$(cat "$O2")" requests)
  if [[ $r1 == 3 && $r2 == 2 ]]; then pass "each socket was handed only its own address's requests (3 and 2)"
  else FAILED+=("requests per socket: $r1 and $r2, expected 3 and 2"); note "FAILED: requests per socket $r1, $r2"; fi
fi
start_echo_server "$NS_A" --port 5002
expect_bind "a specific bind of a port bound to the wildcard" 98 "$NS_A" "$IP4_A" 5002
stop_echo_server
start_echo_server "$NS_A" --port 5002 -6 --bind "$IP6_A"
expect_bind "IPv6: wildcard bind of a port bound to $IP6_A" 98 "$NS_A" :: 5002
expect_bind "IPv6: another address on the same port" 0 "$NS_A" fd77::3 5002
stop_echo_server

# 4. Privileged ports, as inet: below ip_unprivileged_port_start only with
# CAP_NET_BIND_SERVICE in the user namespace that owns the netns.
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all)
expect_bind "root binds port 80" 0 "$NS_A" 0.0.0.0 80
expect_bind "nobody binds port 80" 13 "$NS_A" 0.0.0.0 80 "${NOBODY[@]}"
expect_bind "nobody binds IPv6 port 80" 13 "$NS_A" :: 80 "${NOBODY[@]}"
expect_bind "nobody binds port 1023" 13 "$NS_A" 0.0.0.0 1023 "${NOBODY[@]}"
expect_bind "nobody binds port 1024" 0 "$NS_A" 0.0.0.0 1024 "${NOBODY[@]}"
expect_bind "nobody binds port 0 (ephemeral)" 0 "$NS_A" 0.0.0.0 0 "${NOBODY[@]}"
in_a sysctl -qw net.ipv4.ip_unprivileged_port_start=80 || fail "sysctl ip_unprivileged_port_start"
expect_bind "nobody binds port 80 with ip_unprivileged_port_start=80" 0 "$NS_A" 0.0.0.0 80 "${NOBODY[@]}"
expect_bind "nobody binds port 79 with ip_unprivileged_port_start=80" 13 "$NS_A" 0.0.0.0 79 "${NOBODY[@]}"
in_a sysctl -qw net.ipv4.ip_unprivileged_port_start=1024
# In a netns owned by its own user namespace, its root may bind port 80.
out=$("${NOBODY[@]}" unshare --user --map-root-user --net "$SOCK_TEST" bind 0.0.0.0 80) ||
  fail "unshare -Urn: $out"
if [[ $(json_field "$out" errno) == 0 ]]; then pass "root of a netns's own user namespace binds port 80"
else FAILED+=("userns root could not bind port 80: $out"); note "FAILED: userns root: $out"; fi

if ((${#FAILED[@]})); then
  printf 'failed check: %s\n' "${FAILED[@]}" >&2
  fail "${#FAILED[@]} check(s) failed"
fi
pass "bound addresses and privileged ports hold"
