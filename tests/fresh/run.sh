#!/usr/bin/env bash
# tests/fresh/run.sh (`make test-fresh`): the first command of a new user, on a
# fresh Debian 12 root. Debootstraps bookworm (minbase) with the stock apt
# sources (main: bookworm, bookworm-updates, bookworm-security), adds what this
# machine kind ships (g++ make cmake git libgtest-dev), clones this repository
# (its committed HEAD, not the work tree) into it and runs TARGET (default:
# `make demo`) inside the chroot. Nothing of the host's build or cache is used.
#
#   tests/fresh/run.sh [--keep] [--dir DIR] [--rev REV] [TARGET...]
#
#   --keep     leave the root in DIR afterwards (default: removed on success)
#   --dir DIR  where the root goes (default: a new /var/tmp/sdp-fresh.XXXXXX)
#   --rev REV  the commit to clone (default: HEAD)
#   SDP_FRESH_MIRROR / SDP_FRESH_SECURITY: apt URIs (default: the host's own
#   Debian and Debian security sources)
#
# Took 6 to 17 min on 2 shared cores with a fast mirror (270 MB of packages, a full build,
# one TCG VM boot; slow downloads make it longer), so
# it is not part of `make test`: run it before a release and after changing
# scripts/deps.sh, kernel.conf or the demo. Log: DIR/fresh.log.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
me=test-fresh
say() { printf '%s: %s\n' "$me" "$*" >&2; }
die() { printf '%s: error: %s\n' "$me" "$*" >&2; exit 1; }
usage() { sed -n '2,18s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }

keep=0 dir="" rev=HEAD
while (($#)); do
  case $1 in
    --keep) keep=1; shift ;;
    --dir) dir=${2:?--dir needs a value}; shift 2 ;;
    --rev) rev=${2:?--rev needs a value}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    -*) usage >&2; die "unknown option $1" ;;
    *) break ;;
  esac
done
target=("$@")
((${#target[@]})) || target=(demo)

((EUID == 0)) || die "must run as root (debootstrap, chroot, mounts)"
command -v debootstrap >/dev/null || [[ -x /usr/sbin/debootstrap ]] ||
  die "debootstrap not found: run make deps (it installs it)"
commit=$(git -C "$ROOT" rev-parse --verify "$rev^{commit}") || die "no commit $rev in $ROOT"
[[ -z $(git -C "$ROOT" status --porcelain --untracked-files=no) ]] ||
  say "note: the work tree has uncommitted changes; the fresh root gets commit ${commit:0:12} only"

# apt_uri SUITE: the URI of the host's Debian source for SUITE (deb822 or one-line format).
apt_uri() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    awk -v s="$1" 'BEGIN { RS = ""; FS = "\n" }
      { uri = ""; ok = 0
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/) { uri = $i; sub(/^URIs:[ \t]*/, "", uri); sub(/[ \t].*/, "", uri) }
          if ($i ~ /^Suites:/) { n = split($i, w, /[ \t]+/); for (j = 2; j <= n; j++) if (w[j] == s) ok = 1 }
        }
        if (ok && uri != "") { print uri; exit } }' "$f"
  done
  { cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true; } |
    awk -v s="$1" '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i + 1) == s) print $i }'
}
mirror=${SDP_FRESH_MIRROR:-$(apt_uri bookworm | head -n1)}
security=${SDP_FRESH_SECURITY:-$(apt_uri bookworm-security | head -n1)}
[[ -n $mirror ]] || die "no apt source for bookworm on this host: set SDP_FRESH_MIRROR"
[[ -n $security ]] || die "no apt source for bookworm-security on this host: set SDP_FRESH_SECURITY"

if [[ -z $dir ]]; then
  dir=$(mktemp -d /var/tmp/sdp-fresh.XXXXXX)
else
  [[ ! -e $dir || -z $(ls -A "$dir") ]] || die "$dir exists and is not empty: give a new --dir"
  mkdir -p "$dir"
fi
dir=$(cd "$dir" && pwd -P)
R=$dir/root
LOG=$dir/fresh.log
: >"$LOG"
mounted=()
cleanup() {
  local rc=$? i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null || true; done
  if ((rc == 0 && !keep)); then
    rm -rf "$R"
  else
    say "the root is kept in $R (log: $LOG); remove it with: rm -rf $R"
  fi
  exit "$rc"
}
trap cleanup EXIT

t0=$SECONDS
phase() { say "[$((SECONDS - t0)) s] $*"; }
run_logged() { # run_logged WHAT CMD...: CMD with its output in the log; its tail on failure
  if ! "${@:2}" >>"$LOG" 2>&1; then
    tail -n 40 "$LOG" >&2
    die "$1 failed (full log: $LOG)"
  fi
}
in_root() { chroot "$R" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"; }

phase "debootstrap bookworm (minbase) into $R"
run_logged debootstrap debootstrap --variant=minbase bookworm "$R" "$mirror"
cat >"$R/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
rm -f "$R/etc/apt/sources.list"
cp /etc/resolv.conf "$R/etc/resolv.conf" 2>/dev/null || true

for m in proc sys dev; do
  mount --rbind "/$m" "$R/$m"
  mount --make-rslave "$R/$m"
  mounted+=("$R/$m")
done

phase "what this machine kind ships: g++ make cmake git libgtest-dev"
run_logged "apt-get update" in_root apt-get update
run_logged "apt-get install (base tools)" in_root env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends g++ make cmake git libgtest-dev ca-certificates

phase "git clone (commit ${commit:0:12}) into /root/sdp"
git clone -q --no-local "$ROOT" "$R/root/sdp" >>"$LOG" 2>&1 || die "git clone $ROOT failed"
git -C "$R/root/sdp" checkout -q --detach "$commit" || die "checkout $commit failed"

phase "make ${target[*]} (inside the chroot; output also in $LOG)"
t1=$SECONDS
rc=0
in_root bash -c 'cd /root/sdp && make "$@"' make "${target[@]}" 2>&1 | tee -a "$LOG" || rc=${PIPESTATUS[0]}
phase "make ${target[*]}: exit $rc after $((SECONDS - t1)) s (whole lane $((SECONDS - t0)) s)"
((rc == 0)) || die "make ${target[*]} failed on a fresh bookworm root (exit $rc)"
say "OK: make ${target[*]} passes on a fresh bookworm root"
