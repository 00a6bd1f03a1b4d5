#!/usr/bin/env bash
# Install and prepare everything SDP needs to build and test, idempotently.
#
#   scripts/deps.sh           install missing Debian packages, prepare the kernel cache
#   scripts/deps.sh --check   install nothing; list what is missing and exit 1, else exit 0
#
# The kernel cache ($SDP_CACHE/kernel/<release>/, release from kernel.conf) holds:
#   debs/    the linux-image .deb, fetched with `apt-get download` (never installed)
#   image/   that .deb unpacked with `dpkg -x`, plus modules.dep from `depmod -b`
#   vmlinux  ELF with .BTF, decompressed from image/boot/vmlinuz-<release>
#   bin/resolve_btfids   built from /usr/src/linux-source-<series>.tar.xz
#   kdir/    a private headers tree: symlinks into /usr/src/linux-headers-<release>,
#            plus vmlinux and tools/bpf/resolve_btfids, so `make -C kdir M=...`
#            produces modules with .BTF (needed for kfuncs)
#   stamps/  one file per finished piece; a missing stamp rebuilds that piece
#            (and the pieces built from it)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SDP_CACHE=$(realpath -m "${SDP_CACHE:-$ROOT/.cache}")
export SDP_CACHE
# KERNEL_ABI: the pin of kernel.conf, or the ABI an earlier run fell back to.
# shellcheck source=scripts/kernel-abi.sh
. "$ROOT/scripts/kernel-abi.sh"
ACTIVE=$SDP_CACHE/kernel/active
SERIES=$(cut -d. -f1,2 <<<"$KERNEL_ABI_PINNED")   # 6.1.0-56 -> 6.1
set_abi() { # set_abi ABI: the names derived from the kernel ABI in use
  KERNEL_ABI=$1
  REL=${KERNEL_ABI}-${KERNEL_FLAVOUR}
  KC=$SDP_CACHE/kernel/$REL
  HDRS=/usr/src/linux-headers-$REL
  STAMPS=$KC/stamps
  PACKAGES[${#PACKAGES[@]} - 2]="linux-headers-$REL"
}
KSRC_TAR=/usr/src/linux-source-$SERIES.tar.xz

# python3 is not in the list of the brief but is needed: libbpf's build (inside
# resolve_btfids) generates bpf_helper_defs.h with scripts/bpf_doc.py.
PACKAGES=(
  build-essential cmake clang libclang-rt-14-dev llvm lld libbpf-dev bpftool liburing-dev libssl-dev
  libgtest-dev libgmock-dev qemu-system-x86 busybox-static cpio kmod iproute2
  libelf-dev zlib1g-dev dwarves xz-utils pkg-config libpcap-dev tcpdump ethtool
  file bc clang-format python3 git procps debootstrap redis-server python3-matplotlib
  "linux-headers-$KERNEL_ABI-$KERNEL_FLAVOUR" "linux-source-$SERIES"
)
set_abi "$KERNEL_ABI"
# Commands the build and the VM runner call directly.
COMMANDS=(make gcc clang cmake qemu-system-x86_64 busybox cpio depmod modprobe
          pahole readelf objcopy xz bpftool ip)

log() { printf 'deps: %s\n' "$*" >&2; }
die() { printf 'deps: error: %s\n' "$*" >&2; exit 1; }

usage() {
  sed -n '2,6s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

CHECK=0
case "${1:-}" in
  "") ;;
  --check) CHECK=1 ;;
  -h|--help) usage; exit 0 ;;
  *) usage >&2; exit 2 ;;
esac

missing_packages() {
  local p
  local -A ok=()
  while read -r p; do ok[$p]=1; done < <(
    dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${PACKAGES[@]}" 2>/dev/null |
      awk '$2 == "installed" { sub(/:.*/, "", $1); print $1 }' || true)
  for p in "${PACKAGES[@]}"; do
    [[ -n ${ok[$p]:-} ]] || printf '%s\n' "$p"
  done
}

# --- pieces of the kernel cache: name, and the files that must exist --------
PIECES=(image vmlinux resolve_btfids kdir btf-probe)
piece_files() {
  case $1 in
    image)          echo "$KC/image/boot/vmlinuz-$REL $KC/image/lib/modules/$REL/modules.dep" ;;
    vmlinux)        echo "$KC/vmlinux" ;;
    resolve_btfids) echo "$KC/bin/resolve_btfids" ;;
    kdir)           echo "$KC/kdir/Makefile $KC/kdir/vmlinux $KC/kdir/tools/bpf/resolve_btfids/resolve_btfids" ;;
    btf-probe)      echo "" ;;
  esac
}
# Pieces built from a piece: rebuilding it invalidates them.
piece_dependents() {
  case $1 in
    image)          echo "vmlinux kdir btf-probe" ;;
    vmlinux)        echo "kdir btf-probe" ;;
    resolve_btfids) echo "kdir btf-probe" ;;
    kdir)           echo "btf-probe" ;;
  esac
}
piece_ok() {
  local f
  [[ -f $STAMPS/$1 ]] || return 1
  for f in $(piece_files "$1"); do [[ -e $f ]] || return 1; done
}
piece_done() {
  local d
  for d in $(piece_dependents "$1"); do rm -f "$STAMPS/$d"; done
  mkdir -p "$STAMPS"
  date -u +%FT%TZ >"$STAMPS/$1"
}
piece_invalidate() {
  local d
  rm -f "$STAMPS/$1"
  for d in $(piece_dependents "$1"); do rm -f "$STAMPS/$d"; done
}

# --- --check ------------------------------------------------------------------
if ((CHECK)); then
  problems=()
  mapfile -t mp < <(missing_packages)
  ((${#mp[@]} == 0)) || problems+=("Debian packages not installed: ${mp[*]}")
  mc=()
  for c in "${COMMANDS[@]}"; do
    command -v "$c" >/dev/null 2>&1 || [[ -x /usr/sbin/$c || -x /sbin/$c ]] || mc+=("$c")
  done
  ((${#mc[@]} == 0)) || problems+=("commands not found: ${mc[*]}")
  for p in "${PIECES[@]}"; do
    piece_ok "$p" || problems+=("kernel cache piece '$p' not ready (under $KC)")
  done
  if ((${#problems[@]})); then
    for p in "${problems[@]}"; do printf 'missing: %s\n' "$p" >&2; done
    echo "run: make deps" >&2
    exit 1
  fi
  exit 0
fi

# --- install ------------------------------------------------------------------
((EUID == 0)) || die "must run as root (apt-get install, dpkg -x with ownership)"

APT_UPDATED=0
apt_update_once() {
  ((APT_UPDATED)) && return 0
  log "apt-get update"
  apt-get update -qq >&2 || die "apt-get update failed"
  APT_UPDATED=1
}

available_abis() {
  apt-cache search --names-only "^linux-image-${SERIES}\.[0-9]+-[0-9]+-${KERNEL_FLAVOUR}(-unsigned)?\$" 2>/dev/null |
    awk '{print $1}' | sort -V | tr '\n' ' '
}

install_packages() {
  local mp
  mapfile -t mp < <(missing_packages)
  ((${#mp[@]} == 0)) && return 0
  log "installing: ${mp[*]}"
  apt_update_once
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${mp[@]}" >&2; then
    case " ${mp[*]} " in
      *" linux-headers-$REL "*)
        log "note: kernel.conf pins KERNEL_ABI=$KERNEL_ABI; if Debian no longer ships it, change KERNEL_ABI in kernel.conf"
        log "kernel images Debian offers now: $(available_abis)" ;;
    esac
    die "apt-get install failed for: ${mp[*]}"
  fi
  mapfile -t mp < <(missing_packages)
  ((${#mp[@]} == 0)) || die "still not installed after apt-get install: ${mp[*]}"
}

# Never `CMD | grep -q` here: under pipefail, grep -q exits at the first match
# and CMD, still writing, dies of SIGPIPE, so the test fails at random (this
# made the throwaway module's .BTF check fail on about 1 run in 8). Capture
# the output first, then grep it.
has_candidate() {
  local out
  out=$(apt-cache show --no-all-versions "$1" 2>/dev/null) || return 1
  grep -q '^Filename:' <<<"$out"
}

# has_section FILE SECTION: FILE is an ELF with that section.
has_section() {
  local out
  out=$(readelf -S -W "$1" 2>&1) || return 1
  grep -qF " $2 " <<<"$out"
}

# abi_offered ABI: its headers are installed or installable, and its image is
# cached or downloadable.
abi_offered() {
  local r=$1-$KERNEL_FLAVOUR
  [[ $(dpkg-query -W -f='${db:Status-Status}' "linux-headers-$r" 2>/dev/null || true) == installed ]] ||
    has_candidate "linux-headers-$r" || return 1
  compgen -G "$SDP_CACHE/kernel/$r/debs/linux-image-${r}*.deb" >/dev/null ||
    has_candidate "linux-image-$r" || has_candidate "linux-image-$r-unsigned"
}

# resolve_abi: use the pin of kernel.conf if Debian still offers it, else the
# newest $SERIES ABI it offers (one line says so); record the choice in $ACTIVE.
resolve_abi() {
  local pin=$KERNEL_ABI_PINNED use="" a
  if abi_offered "$pin"; then
    use=$pin
  else
    apt_update_once
    if abi_offered "$pin"; then
      use=$pin
    else
      while read -r a; do
        if abi_offered "$a"; then use=$a; break; fi
      done < <(apt-cache search --names-only "^linux-headers-${SERIES}\.[0-9]+-[0-9]+-${KERNEL_FLAVOUR}\$" 2>/dev/null |
        sed -n "s/^linux-headers-\([0-9.]*-[0-9]*\)-${KERNEL_FLAVOUR} .*/\1/p" | sort -rV)
      [[ -n $use ]] || die "kernel.conf pins KERNEL_ABI=$pin, which apt does not offer, and no other linux-image/linux-headers-$SERIES.*-$KERNEL_FLAVOUR pair is offered either
  kernel images apt knows: $(available_abis)
  check the apt sources (bookworm, bookworm-updates, bookworm-security) and run make deps again"
      log "kernel ABI $pin (pinned in kernel.conf) is not offered by the apt sources; using $use, the newest $SERIES ABI it offers (recorded in $ACTIVE; change KERNEL_ABI in kernel.conf to pin it)"
    fi
  fi
  set_abi "$use"
  mkdir -p "${ACTIVE%/*}"
  printf 'pinned=%s\nused=%s\n' "$pin" "$use" >"$ACTIVE.tmp" && mv "$ACTIVE.tmp" "$ACTIVE"
}

build_image() {
  local pkg="" p deb tmp
  for p in "linux-image-$REL" "linux-image-$REL-unsigned"; do
    if has_candidate "$p"; then pkg=$p; break; fi
  done
  if [[ -z $pkg ]]; then
    apt_update_once
    for p in "linux-image-$REL" "linux-image-$REL-unsigned"; do
      if has_candidate "$p"; then pkg=$p; break; fi
    done
  fi
  [[ -n $pkg ]] || die "neither linux-image-$REL nor linux-image-$REL-unsigned is available from apt.
  kernel.conf pins KERNEL_ABI=$KERNEL_ABI; Debian offers: $(available_abis)
  change KERNEL_ABI in kernel.conf (the only place it is set) and run make deps again"
  mkdir -p "$KC/debs"
  deb=$(compgen -G "$KC/debs/${pkg}_*.deb" | head -n1 || true)
  if [[ -z $deb ]]; then
    log "apt-get download $pkg"
    rm -f "$KC"/debs/*.deb
    (cd "$KC/debs" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2) ||
      die "apt-get download $pkg failed"
    deb=$(compgen -G "$KC/debs/${pkg}_*.deb" | head -n1 || true)
    [[ -n $deb ]] || die "apt-get download $pkg left no .deb in $KC/debs"
  fi
  log "unpacking ${deb##*/} into $KC/image (dpkg -x, not installed)"
  tmp=$KC/image.tmp
  rm -rf "$tmp"
  dpkg -x "$deb" "$tmp"
  [[ -f $tmp/boot/vmlinuz-$REL ]] || die "$deb has no boot/vmlinuz-$REL"
  [[ -d $tmp/lib/modules/$REL ]] || die "$deb has no lib/modules/$REL"
  depmod -b "$tmp" "$REL" || die "depmod -b $tmp $REL failed"
  rm -rf "$KC/image"
  mv "$tmp" "$KC/image"
  echo "${deb##*/}" >"$KC/image/.sdp-source-deb"
}

# The Debian vmlinuz is a bzImage with an xz payload; the payload is the
# vmlinux ELF (stripped of DWARF, but with .BTF).
build_vmlinux() {
  local vmlinuz=$KC/image/boot/vmlinuz-$REL out=$KC/vmlinux.tmp off ok=0
  log "extracting vmlinux from ${vmlinuz##*/}"
  while read -r off; do
    [[ -n $off ]] || continue
    # (xz stops reading after the first stream, so tail may die of SIGPIPE: keep it out of pipefail)
    if xz -dc --single-stream < <(tail -c "+$((off + 1))" "$vmlinuz" 2>/dev/null) >"$out" 2>/dev/null &&
       [[ $(head -c4 "$out" | od -An -c | tr -d ' ') == '177ELF' ]]; then
      ok=1; break
    fi
  done < <(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$vmlinuz" | cut -d: -f1 | head -n 8)
  ((ok)) || { rm -f "$out"; die "no xz-compressed ELF found in $vmlinuz (expected magic FD 37 7A 58 5A)"; }
  has_section "$out" .BTF || { rm -f "$out"; die "vmlinux from $vmlinuz has no .BTF section"; }
  mv "$out" "$KC/vmlinux"
}

build_resolve_btfids() {
  local src=$KC/src.tmp top log=$KC/logs/resolve_btfids.log
  [[ -f $KSRC_TAR ]] || die "$KSRC_TAR missing (package linux-source-$SERIES)"
  log "building resolve_btfids from ${KSRC_TAR##*/}"
  rm -rf "$src"
  mkdir -p "$src" "$KC/logs" "$KC/bin"
  top=linux-source-$SERIES
  # Only what tools/bpf/resolve_btfids (and the libbpf it builds) reads.
  tar -C "$src" -xJf "$KSRC_TAR" "$top/tools" "$top/scripts/bpf_doc.py" "$top/include/uapi/linux/bpf.h" ||
    die "could not extract tools/ from $KSRC_TAR"
  if ! make -C "$src/$top/tools/bpf/resolve_btfids" -j"$(nproc)" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "building resolve_btfids failed; full log: $log"
  fi
  install -m 0755 "$src/$top/tools/bpf/resolve_btfids/resolve_btfids" "$KC/bin/resolve_btfids"
  rm -rf "$src"
}

# mirror SRC DST REL FILE: make DST a directory whose entries are symlinks to
# SRC's entries, except along the path REL, where real directories are made so
# that DST/REL can be a link to FILE.
mirror_with() {
  local src=$1 dst=$2 rel=$3 file=$4 first=${3%%/*} e n
  mkdir -p "$dst"
  if [[ -d $src ]]; then
    for e in "$src"/* "$src"/.[!.]*; do
      [[ -e $e || -L $e ]] || continue
      n=${e##*/}
      [[ $n == "$first" ]] && continue
      ln -s "$e" "$dst/$n"
    done
  fi
  if [[ $rel == */* ]]; then
    mirror_with "$src/$first" "$dst/$first" "${rel#*/}" "$file"
  else
    ln -s "$file" "$dst/$rel"
  fi
}

build_kdir() {
  local tmp=$KC/kdir.tmp e n
  [[ -f $HDRS/Makefile && -f $HDRS/Module.symvers ]] || die "$HDRS incomplete (package linux-headers-$REL)"
  log "creating private headers tree $KC/kdir"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  for e in "$HDRS"/* "$HDRS"/.[!.]*; do
    [[ -e $e || -L $e ]] || continue
    n=${e##*/}
    case $n in tools|vmlinux) continue ;; esac
    ln -s "$e" "$tmp/$n"
  done
  ln -s "$KC/vmlinux" "$tmp/vmlinux"
  mirror_with "$(readlink -f "$HDRS/tools" 2>/dev/null || echo /nonexistent)" "$tmp/tools" \
    bpf/resolve_btfids/resolve_btfids "$KC/bin/resolve_btfids"
  rm -rf "$KC/kdir"
  mv "$tmp" "$KC/kdir"
}

# Build a throwaway module with a BTF_ID and check it gets .BTF and a resolved id.
probe_btf() {
  local tmp out id
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/sdp-btf-probe.XXXXXX")
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" RETURN
  cat >"$tmp/btfprobe.c" <<'EOF'
#include <linux/module.h>
#include <linux/btf_ids.h>
#include <linux/skbuff.h>
BTF_ID_LIST(btfprobe_ids)
BTF_ID(struct, sk_buff)
static int __init btfprobe_init(void) { pr_info("btfprobe %u\n", btfprobe_ids[0]); return 0; }
static void __exit btfprobe_exit(void) { }
module_init(btfprobe_init);
module_exit(btfprobe_exit);
MODULE_LICENSE("GPL");
EOF
  echo 'obj-m := btfprobe.o' >"$tmp/Makefile"
  log "verifying module BTF with a throwaway module"
  if ! out=$(make -C "$KC/kdir" M="$tmp" modules 2>&1); then
    printf '%s\n' "$out" >&2
    die "throwaway module failed to build against $KC/kdir"
  fi
  # kbuild prints "BTF [M]" even when it goes on to skip BTF, so check both lines.
  if ! grep -q 'BTF \[M\]' <<<"$out" || grep -q 'Skipping BTF generation' <<<"$out"; then
    printf '%s\n' "$out" >&2
    die "kbuild did not generate module BTF with $KC/kdir"
  fi
  has_section "$tmp/btfprobe.ko" .BTF || { printf "%s\n" "$out" >&2; die "throwaway module has no .BTF section: pahole did not add it (build output above)"; }
  objcopy -O binary --only-section=.BTF_ids "$tmp/btfprobe.ko" "$tmp/ids" || die "throwaway module has no .BTF_ids"
  id=$(od -An -tu4 -N4 "$tmp/ids" | tr -d ' ')
  [[ ${id:-0} -gt 0 ]] || die "resolve_btfids did not resolve BTF_ID(struct, sk_buff) in the throwaway module"
}

mkdir -p "$SDP_CACHE/kernel"
exec 9>"$SDP_CACHE/kernel/.lock"
flock 9

t0=$SECONDS
resolve_abi
mkdir -p "$KC"
install_packages
did=0
piece_ok image          || { piece_invalidate image;          build_image;          piece_done image;          did=1; }
piece_ok vmlinux        || { piece_invalidate vmlinux;        build_vmlinux;        piece_done vmlinux;        did=1; }
piece_ok resolve_btfids || { piece_invalidate resolve_btfids; build_resolve_btfids; piece_done resolve_btfids; did=1; }
piece_ok kdir           || { piece_invalidate kdir;           build_kdir;           piece_done kdir;           did=1; }
piece_ok btf-probe      || { piece_invalidate btf-probe;      probe_btf;            piece_done btf-probe;      did=1; }
if ((did)); then
  log "kernel cache ready in $((SECONDS - t0)) s: $KC (KDIR=$KC/kdir)"
else
  log "up to date: $KC"
fi
