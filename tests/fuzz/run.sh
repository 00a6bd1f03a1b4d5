#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Build SDP's libFuzzer targets with clang (ASan + UBSan) and run each for a
# bounded time, seeded from tests/fuzz/corpus/<target>/.
#
# usage: tests/fuzz/run.sh [--gen-corpus] [TARGET...]
#   TARGET          parse_header, reasm, window, assemble, resp (default: all)
#   --gen-corpus    rewrite the committed seed corpora, then exit
# environment:
#   FUZZ_SECONDS    seconds per target (default 10; 0 = only replay the
#                   seed and work corpora once, a regression run)
#   BUILD           build directory (default <repo>/build); binaries,
#                   work corpora, logs and crash files go to $BUILD/fuzz/
#   CC              compiler (default clang; needs libFuzzer, i.e. clang's
#                   compiler-rt, as Debian's clang package has)
#
# Exit status: 0 when every target built and ran without a finding;
# 1 on any crash, sanitizer report, invariant failure, timeout or OOM
# (the input is saved as $BUILD/fuzz/artifacts/<target>-crash-*, and can be
# replayed with: $BUILD/fuzz/fuzz_<target> FILE); 2 on a usage or build error.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${BUILD:-$root/build}
out=$build/fuzz
seconds=${FUZZ_SECONDS:-10}
cc=${CC:-clang}
all_targets=(parse_header reasm window assemble resp)
# Targets whose seed corpus gen_corpus.c writes (assemble's and resp's
# seeds are hand-made files in corpus/<target>/).
gen_targets=(parse_header reasm window)
# C++ targets (fuzz_<target>.cpp) and the sources they test.
declare -A cxx_sources=([resp]="$root/userspace/kv/resp.cpp")
cxx=${CXX:-clang++}
cflags=(-std=gnu11 -g -O1 -Wall -Wextra -Werror
	-I"$root/kmod" -I"$root/kmod/uapi")

die() { echo "fuzz: $*" >&2; exit 2; }

[[ $seconds =~ ^[0-9]+$ ]] || die "FUZZ_SECONDS must be a whole number"
command -v "$cc" >/dev/null || die "$cc not found (apt-get install clang)"
mkdir -p "$out/artifacts"

if [[ ${1:-} == --gen-corpus ]]; then
	"$cc" "${cflags[@]}" -o "$out/gen_corpus" "$here/gen_corpus.c"
	for t in "${gen_targets[@]}"; do
		rm -rf "$here/corpus/$t"
		mkdir -p "$here/corpus/$t"
	done
	"$out/gen_corpus" "$here/corpus"
	echo "fuzz: seed corpora written to $here/corpus"
	exit 0
fi

targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
	[[ -f $here/fuzz_$t.c || -f $here/fuzz_$t.cpp ]] || die "unknown target '$t' (${all_targets[*]})"
done

passed=0
failed=0
for t in "${targets[@]}"; do
	bin=$out/fuzz_$t
	log=$out/$t.log
	echo "fuzz: building $t"
	if [[ -f $here/fuzz_$t.cpp ]]; then
		# shellcheck disable=SC2086 # a list of source files
		if ! "$cxx" -std=c++20 -g -O1 -Wall -Wextra -Werror -I"$root/userspace/kv" \
			-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
			-o "$bin" "$here/fuzz_$t.cpp" ${cxx_sources[$t]}; then
			die "cannot build $t with $cxx"
		fi
	elif ! "$cc" "${cflags[@]}" -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all -o "$bin" "$here/fuzz_$t.c"; then
		die "cannot build $t with $cc"
	fi
	mkdir -p "$out/corpus/$t"
	if [[ $seconds -eq 0 ]]; then
		limit=(-runs=0)
	else
		limit=(-max_total_time="$seconds")
	fi
	# The work corpus comes first: libFuzzer adds new inputs only there,
	# the committed seeds stay as they are.
	rc=0
	"$bin" "${limit[@]}" -print_final_stats=1 -timeout=10 \
		-rss_limit_mb=2048 -max_len=4096 \
		-artifact_prefix="$out/artifacts/$t-" \
		"$out/corpus/$t" "$here/corpus/$t" >"$log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
	if [[ $rc -eq 0 ]]; then
		passed=$((passed + 1))
		echo "fuzz: $t ok: ${execs:-?} executions, ${rate:-?} exec/s, ${cov:-cov: ?} (log: $log)"
	else
		failed=$((failed + 1))
		echo "fuzz: $t FAILED (exit $rc); last lines of $log:"
		tail -n 30 "$log" | sed 's/^/    /'
	fi
done

echo "fuzz: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
