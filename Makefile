# SDP top-level build. `make deps` once, then `make`, `make test`, `make demo`.
SDP_CACHE      ?= $(CURDIR)/.cache
# The kernel ABI in use: the pin of kernel.conf, or the one `make deps` fell
# back to when Debian no longer offers the pin (scripts/kernel-abi.sh).
KERNEL_RELEASE := $(shell SDP_CACHE='$(SDP_CACHE)' scripts/kernel-abi.sh)
KCACHE         := $(SDP_CACHE)/kernel/$(KERNEL_RELEASE)
KDIR           ?= $(KCACHE)/kdir
BUILD          ?= $(CURDIR)/build
JOBS           ?= $(shell nproc)
CMAKE_BUILD_TYPE ?= RelWithDebInfo

export SDP_CACHE KERNEL_RELEASE

.PHONY: all deps userspace kmod bpf test unit-test fuzz vm-test demo bench bench-kv clean check-deps test-fresh

all: userspace bpf kmod

# `make test` and `make demo` install what they need themselves (idempotent,
# fast when nothing is missing); a plain `make` only checks and says
# "run: make deps".
deps:
	scripts/deps.sh

check-deps:
	@scripts/deps.sh --check

$(BUILD)/CMakeCache.txt: CMakeLists.txt | check-deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(CMAKE_BUILD_TYPE)

userspace: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

bpf: userspace

kmod: check-deps
	@echo "kmod: building sdp.ko for kernel $(KERNEL_RELEASE)"
	$(MAKE) -C $(KDIR) M=$(CURDIR)/kmod W=1 modules
	@scripts/check-module-btf.sh kmod/sdp.ko

unit-test: userspace
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

fuzz:
	tests/fuzz/run.sh

vm-test: all
	tests/vm/run-all.sh

test: deps
	$(MAKE) all
	$(MAKE) unit-test
	$(MAKE) fuzz
	$(MAKE) vm-test

demo: deps
	$(MAKE) all
	vm/run -- tests/vm/demo.sh

# `make demo` in a debootstrapped bookworm root from a clean clone of HEAD
# (6 to 17 min here, depending on the load: downloads, a full build, one TCG boot; not part of
# `make test`: run it before a release and after changing deps or the demo).
test-fresh:
	tests/fresh/run.sh

bench: deps
	$(MAKE) all
	tests/bench/run.sh

# YCSB load/A/C against sdp-kv (SDP, TCP, kTLS) and redis-server, one VM boot.
bench-kv: deps
	$(MAKE) all
	tests/bench/kv.sh

clean:
	rm -rf $(BUILD)
	-$(MAKE) -C $(KDIR) M=$(CURDIR)/kmod clean 2>/dev/null
