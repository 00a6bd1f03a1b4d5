# SDP top-level build. `make deps` once, then `make`, `make test`, `make demo`.
include kernel.conf

KERNEL_RELEASE := $(KERNEL_ABI)-$(KERNEL_FLAVOUR)
SDP_CACHE      ?= $(CURDIR)/.cache
KCACHE         := $(SDP_CACHE)/kernel/$(KERNEL_RELEASE)
KDIR           ?= $(KCACHE)/kdir
BUILD          ?= $(CURDIR)/build
JOBS           ?= $(shell nproc)
CMAKE_BUILD_TYPE ?= RelWithDebInfo

export SDP_CACHE KERNEL_RELEASE

.PHONY: all deps userspace kmod bpf test unit-test fuzz vm-test demo bench bench-kv clean check-deps

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
