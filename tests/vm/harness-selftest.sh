#!/usr/bin/env bash
# Checks the VM runner (vm/run) itself. Runs ON THE HOST; boots the VM once per case.
#   tests/vm/harness-selftest.sh [-v]     (-v: show each VM's console live)
# Prints one ok/FAIL line per case and exits 1 if any case failed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
RUN=$ROOT/vm/run
# shellcheck source=/dev/null
# shellcheck source=scripts/kernel-abi.sh
# kernel.conf's pin (or what make deps fell back to) as KERNEL_RELEASE, and
# SDP_CACHE / KERNEL_CACHE: computed there only.
. "$ROOT/scripts/kernel-abi.sh"
REL=$KERNEL_RELEASE
KDIR=$KERNEL_CACHE/kdir
OUT=$ROOT/build/vm-selftest
RW=$OUT/rw
verbose=0
[[ ${1:-} == -v ]] && verbose=1

mkdir -p "$OUT" "$RW"
cd "$ROOT"
failed=0 passed=0

ok() { printf 'ok: harness-selftest: %s\n' "$1"; passed=$((passed + 1)); }
bad() { printf 'FAIL: harness-selftest: %s\n' "$1"; failed=$((failed + 1)); }

# expect NAME RC [grep-ERE-that-the-log-must-match] -- VM_RUN_ARGS...
expect() {
  local name=$1 want=$2 pattern="" rc log=$OUT/$1.log t0=$SECONDS
  shift 2
  if [[ $1 != -- ]]; then pattern=$1; shift; fi
  shift
  set +e
  if ((verbose)); then
    "$RUN" --log "$log" "$@"
  else
    "$RUN" --log "$log" "$@" >"$OUT/$name.out" 2>&1
  fi
  rc=$?
  set -e
  if [[ $rc != "$want" ]]; then
    bad "$name: vm/run exited $rc, expected $want (log: $log)"
    ((verbose)) || tail -n 15 "$OUT/$name.out" | sed 's/^/    /'
  elif [[ -n $pattern ]] && ! grep -Eq -- "$pattern" "$log"; then
    bad "$name: exit $rc as expected, but the log has no match for /$pattern/ (log: $log)"
  else
    ok "$name (exit $rc, $((SECONDS - t0)) s)"
  fi
}

[[ -x $RUN ]] || { bad "vm/run missing"; exit 1; }
if ! "$ROOT/scripts/deps.sh" --check; then
  bad "prerequisites missing (see above): run make deps"
  echo "0 passed, 1 failed"
  exit 1
fi

# --- exit status is passed through ---------------------------------------
expect true 0 -- -- true
expect false 1 -- -- false
expect exit-7 7 -- -- sh -c 'exit 7'
expect not-found 127 -- -- /nonexistent/command

# --- arguments survive quoting; output reaches the caller -------------------
# shellcheck disable=SC2016 # $1/$2 are for the guest's sh
expect quoting 0 'ARGS-OK \[a b  c\] \[it.s \$HOME "q"\]' -- \
  -- sh -c 'test $# = 2 && echo "ARGS-OK [$1] [$2]"' _ 'a b  c' "it's \$HOME \"q\""

# --- the guest environment: no network device but lo, cwd, PATH, rwdir, modules
token=$RANDOM$RANDOM
rm -f "$RW/token"
cat >"$OUT/env-check.sh" <<EOF
#!/bin/bash
set -u
err=0
check() { if eval "\$1"; then echo "env ok: \$2"; else echo "env FAIL: \$2"; err=1; fi; }
check '[[ \$(ls /sys/class/net) == lo ]]' "only lo exists (found: \$(ls /sys/class/net | tr '\n' ' '))"
check '[[ \$(cat /sys/class/net/lo/operstate) == unknown && \$(ip -o link show lo) == *UP* ]]' "lo is up"
check '[[ \$(pwd -P) == "$ROOT" ]]' "cwd is the host's cwd"
check '[[ :\$PATH: == *:$ROOT/build/userspace:* ]]' "PATH has build/userspace"
check '[[ \$(uname -r) == "$REL" ]]' "kernel is $REL"
check '[[ \$(id -u) == 0 ]]' "runs as root"
check '[[ \${SDP_IN_VM:-} == 1 ]]' "SDP_IN_VM=1"
check 'echo $token > "$RW/token"' "rwdir $RW is writable"
check 'touch "$ROOT/.vm-write-probe"' "the host's / is writable in the guest (tmpfs overlay)"
check 'modprobe veth && modprobe sch_netem && modprobe tls' "modprobe veth, sch_netem, tls"
check '[[ -e /sys/kernel/btf/vmlinux ]]' "vmlinux BTF"
check 'stat -f -c %T /sys/fs/bpf | grep -q bpf' "bpffs on /sys/fs/bpf"
check 'stat -f -c %T /sys/kernel/debug | grep -q debugfs' "debugfs mounted"
# vm/guest-init keeps the host's /tmp (read-only root + overlay) when the repo,
# cwd or rwdir lives under it; otherwise /tmp must be a fresh tmpfs.
case "$ROOT" in
/tmp/*) check '[[ -d /tmp && -w /tmp ]]' "/tmp writable (repo under /tmp: host /tmp kept)" ;;
*) check 'stat -f -c %T /tmp | grep -q tmpfs' "tmpfs on /tmp" ;;
esac
exit \$err
EOF
chmod +x "$OUT/env-check.sh"
expect guest-env 0 -- --rwdir "$RW" -- "$OUT/env-check.sh"
if [[ $(cat "$RW/token" 2>/dev/null) == "$token" ]]; then
  ok "rwdir: the guest's write is visible on the host"
else
  bad "rwdir: $RW/token does not hold what the guest wrote"
fi
if [[ -e $ROOT/.vm-write-probe ]]; then
  rm -f "$ROOT/.vm-write-probe"
  bad "the guest wrote through to the host's / (must be a read-only 9p export under an overlay)"
else
  ok "the guest's writes to / stay in the guest"
fi

# --- accelerator modes (--mode, SDP_VM_MODE): flags from vm/run's one table --
# icount: 1 vCPU by default, the exact flags reach the guest (SDP_VM_MODE,
# SDP_VM_QEMU_FLAGS) and the log, no ERMS/FSRM, and timers still follow the
# clock (sleep=on: a 1 s sleep takes 0.9-3 s of guest uptime).
icount_flags=$("$RUN" --print-accel icount)
if [[ $icount_flags == "-accel tcg,thread=single -icount shift=0,sleep=on -cpu max,-erms,-fsrm" ]]; then
  ok "print-accel icount: $icount_flags"
else
  bad "print-accel icount printed '$icount_flags'"
fi
cat >"$OUT/icount-check.sh" <<EOF
#!/bin/bash
fails=()
[[ \$(nproc) == 1 ]] || fails+=("\$(nproc) vCPUs, want 1")
[[ \$SDP_VM_MODE == icount ]] || fails+=("SDP_VM_MODE=\$SDP_VM_MODE")
[[ \$SDP_VM_QEMU_FLAGS == "$icount_flags -smp 1" ]] || fails+=("SDP_VM_QEMU_FLAGS=\$SDP_VM_QEMU_FLAGS")
! grep -qw -e erms -e fsrm /proc/cpuinfo || fails+=("erms/fsrm in /proc/cpuinfo")
read -r u0 _ </proc/uptime; sleep 1; read -r u1 _ </proc/uptime
awk -v a=\$u0 -v b=\$u1 'BEGIN { exit !(b - a >= 0.9 && b - a <= 3) }' || fails+=("sleep 1: uptime \$u0 -> \$u1")
((\${#fails[@]} == 0)) || { printf 'icount FAIL: %s\n' "\${fails[@]}"; exit 1; }
echo "ICOUNT-OK: 1 vCPU, flags \$SDP_VM_QEMU_FLAGS, sleep 1 = \$u0 -> \$u1 s uptime"
EOF
chmod +x "$OUT/icount-check.sh"
expect icount-mode 0 'ICOUNT-OK' -- --mode icount -- "$OUT/icount-check.sh"
SDP_VM_MODE=icount expect icount-from-env 0 'qemu flags: -accel tcg,thread=single -icount shift=0,sleep=on' -- -- true
expect bad-mode 125 -- --mode turbo -- true

# --- a command printing "WARNING:" itself must not fail the run -----------
expect own-output 0 -- -- echo "WARNING: BUG: this is the command's output, not the kernel's"

# build_module NAME: build $OUT/NAME/NAME.c (source on stdin) against the private KDIR.
build_module() {
  local name=$1 dir=$OUT/$1
  rm -rf "$dir"
  mkdir -p "$dir"
  cat >"$dir/$name.c"
  echo "obj-m := $name.o" >"$dir/Makefile"
  make -C "$KDIR" M="$dir" modules >"$dir/build.log" 2>&1
}

# --- module BTF end to end: built against KDIR, accepted by the VM kernel -----
# An XDP kfunc module like SDP's: it must come out of the build with .BTF, and
# after insmod /sys/kernel/btf/<module> must exist with the kfunc in it (without
# module BTF, kfunc registration "succeeds" silently and registers nothing).
if build_module sdp_selftest_kfunc <<'EOF'
#include <linux/module.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
__diag_push();
__diag_ignore_all("-Wmissing-prototypes", "Global kfuncs as their definitions will be in BTF");
noinline u32 sdp_selftest_kfunc(u32 x) { return x + 1; }
__diag_pop();
BTF_SET8_START(sdp_selftest_kfunc_ids)
BTF_ID_FLAGS(func, sdp_selftest_kfunc)
BTF_SET8_END(sdp_selftest_kfunc_ids)
static const struct btf_kfunc_id_set sdp_selftest_kfunc_set = {
	.owner = THIS_MODULE, .set = &sdp_selftest_kfunc_ids,
};
static int __init sdp_selftest_kfunc_init(void)
{
	return register_btf_kfunc_id_set(BPF_PROG_TYPE_XDP, &sdp_selftest_kfunc_set);
}
static void __exit sdp_selftest_kfunc_exit(void) { }
module_init(sdp_selftest_kfunc_init);
module_exit(sdp_selftest_kfunc_exit);
MODULE_LICENSE("GPL");
EOF
then
  ko=$OUT/sdp_selftest_kfunc/sdp_selftest_kfunc.ko
  if "$ROOT/scripts/check-module-btf.sh" "$ko"; then
    ok "module-btf: a module built against KDIR has .BTF"
  else
    bad "module-btf: a module built against KDIR has no .BTF (KDIR: $KDIR)"
  fi
  cat >"$OUT/kfunc-check.sh" <<EOF
#!/bin/bash
. "$ROOT/tests/vm/lib.sh"
insmod_btf "$ko" sdp_selftest_kfunc
if dmesg | grep -E 'missing module BTF|failed to validate module'; then fail "kernel rejected the module BTF"; fi
btf=\$(bpftool btf dump file /sys/kernel/btf/sdp_selftest_kfunc) || fail "bpftool btf dump failed"
grep -q "'sdp_selftest_kfunc'" <<<"\$btf" ||
  fail "kfunc sdp_selftest_kfunc is not in the module's BTF"
echo KFUNC-BTF-OK
EOF
  chmod +x "$OUT/kfunc-check.sh"
  expect module-btf-in-vm 0 'KFUNC-BTF-OK' -- -- "$OUT/kfunc-check.sh"
else
  bad "module-btf: could not build the kfunc module (log: $OUT/sdp_selftest_kfunc/build.log)"
fi

# --- a real kernel WARNING fails the run -----------------------------------
# Debian's 6.1 config has no LKDTM (CONFIG_LKDTM is not set), and stock 6.1 has
# no WARN_ON a root user can reliably hit, so the selftest builds a throwaway
# module whose init calls WARN(): the kernel's own WARN path (backtrace, taint W).
if build_module sdp_selftest_warn <<'EOF'
#include <linux/module.h>
#include <linux/bug.h>
static int __init sdp_selftest_warn_init(void)
{
	WARN(1, "sdp harness selftest: deliberate kernel warning\n");
	return 0;
}
static void __exit sdp_selftest_warn_exit(void) { }
module_init(sdp_selftest_warn_init);
module_exit(sdp_selftest_warn_exit);
MODULE_LICENSE("GPL");
EOF
then
  expect kernel-warning 125 'WARNING: CPU: .*sdp_selftest_warn' -- -- insmod "$OUT/sdp_selftest_warn/sdp_selftest_warn.ko"
else
  bad "kernel-warning: could not build the WARN module (log: $OUT/sdp_selftest_warn/build.log)"
fi

# --- a kernel panic fails the run ------------------------------------------
expect kernel-panic 125 'Kernel panic' -- -- sh -c 'echo c > /proc/sysrq-trigger'

# --- the timeout kills the VM ----------------------------------------------
expect timeout 124 -- --timeout 8 -- sleep 600

echo "harness-selftest: $passed passed, $failed failed"
((failed == 0))
