#!/usr/bin/env bash
# The Debian kernel ABI SDP builds for and boots: the pin of kernel.conf, or
# the one scripts/deps.sh fell back to because Debian no longer offers the pin
# (recorded in $SDP_CACHE/kernel/active, for that pin only).
#
#   . scripts/kernel-abi.sh       sets KERNEL_ABI (the one used), KERNEL_ABI_PINNED,
#                                 KERNEL_FLAVOUR, KERNEL_RELEASE (ABI-FLAVOUR),
#                                 SDP_CACHE (absolute; default <repo>/.cache) and
#                                 KERNEL_CACHE ($SDP_CACHE/kernel/$KERNEL_RELEASE):
#                                 the one place these are computed
#   scripts/kernel-abi.sh         prints KERNEL_RELEASE (the Makefile uses this)
#
# kernel.conf stays the only place the ABI is chosen; the active file only
# says what deps.sh could get when the pin was gone.
# shellcheck shell=bash
_sdp_abi_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=/dev/null
. "$_sdp_abi_root/kernel.conf"
KERNEL_ABI_PINNED=$KERNEL_ABI
SDP_CACHE=$(realpath -m "${SDP_CACHE:-$_sdp_abi_root/.cache}")
_sdp_abi_active=$SDP_CACHE/kernel/active
if [[ -f $_sdp_abi_active ]]; then
  _sdp_abi_pin=$(sed -n 's/^pinned=//p' "$_sdp_abi_active")
  _sdp_abi_used=$(sed -n 's/^used=//p' "$_sdp_abi_active")
  if [[ $_sdp_abi_pin == "$KERNEL_ABI_PINNED" && $_sdp_abi_used =~ ^[0-9]+\.[0-9]+\.[0-9]+-[0-9]+$ ]]; then
    KERNEL_ABI=$_sdp_abi_used
  fi
  unset _sdp_abi_pin _sdp_abi_used
fi
KERNEL_RELEASE=$KERNEL_ABI-$KERNEL_FLAVOUR
KERNEL_CACHE=$SDP_CACHE/kernel/$KERNEL_RELEASE
unset _sdp_abi_root _sdp_abi_active
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  echo "$KERNEL_RELEASE"
fi
