#!/usr/bin/env bash
# `make demo` as a VM test: the demo (tests/vm/demo.sh) must pass in every
# `make test`, so the first command of a new user cannot break unnoticed.
exec "$(dirname "$0")/demo.sh"
