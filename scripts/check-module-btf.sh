#!/usr/bin/env bash
# check-module-btf.sh KO...: fail unless every given kernel module has a .BTF section.
#
# Without module BTF, register_btf_kfunc_id_set() still returns 0 and the kernel
# only logs "missing module BTF, cannot register kfuncs": every kfunc call from
# BPF then fails to load. Kbuild skips BTF silently when the build tree has no
# vmlinux or no resolve_btfids, so check the result instead of trusting the build.
set -euo pipefail

if (($# == 0)); then
  echo "usage: $0 MODULE.ko..." >&2
  exit 2
fi

rc=0
for ko in "$@"; do
  if [[ ! -f $ko ]]; then
    echo "check-module-btf: $ko: no such file (build it first: make kmod)" >&2
    rc=1
    continue
  fi
  if ! sections=$(readelf -S -W "$ko" 2>&1); then
    echo "check-module-btf: $ko: readelf failed: $sections" >&2
    rc=1
    continue
  fi
  if ! grep -q ' \.BTF ' <<<"$sections"; then
    cat >&2 <<EOF
check-module-btf: $ko has no .BTF section: its kfuncs would silently fail to register.
  Build it against the private headers tree that has vmlinux and resolve_btfids:
    make deps && make kmod    (KDIR=\$SDP_CACHE/kernel/<release>/kdir)
  (kbuild prints "BTF [M]" even when it then says "Skipping BTF generation ...
  due to unavailability of vmlinux": that line means the build tree is wrong.)
EOF
    rc=1
  fi
done
exit "$rc"
