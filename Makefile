# Guichet developer tasks. `make test` is what CI runs (see .ci/run).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
CARGO ?= cargo
DEMO_DATA ?= data/demo.redb

.PHONY: run demo test crash-test fuzz bench bench-10m loadtest lint check-data deb deb-test

run:
	$(CARGO) run --release -- serve

demo:
	mkdir -p $(dir $(DEMO_DATA))
	$(CARGO) run --release -- demo --transactions 250000 --data $(DEMO_DATA)
	@echo
	@echo "Demo data written to $(DEMO_DATA). Serve it with:"
	@echo "  cargo run --release -- serve --data $(DEMO_DATA)"

# The email tests talk to a real SMTP server: aiosmtpd from PyPI, in a local virtualenv.
.venv-smtp/bin/aiosmtpd:
	python3 -m venv .venv-smtp
	.venv-smtp/bin/pip install -q aiosmtpd==1.4.6

# The merchant API is driven by a real public client in the tests: PyPI's `payzone`.
.venv-smtp/.payzone-0.1.1: .venv-smtp/bin/aiosmtpd
	.venv-smtp/bin/pip install -q payzone==0.1.1
	touch $@

# pipefail (above) makes the recipe fail when cargo test fails, even if output is piped.
# The packaged systemd unit is checked first (systemd-analyze, a second or two).
test: .venv-smtp/bin/aiosmtpd .venv-smtp/.payzone-0.1.1
	packaging/debian/check-unit
	$(CARGO) test --all-targets 2>&1

# The crash harness (tests/it/crash.rs): the release binary under payment and refund
# load, SIGKILLed at random moments and restarted, 100 times (`make test` runs 5);
# prints `crash: … cycles, acknowledged …, found …, duplicates 0, lost 0`.
CRASH_CYCLES ?= 100
crash-test:
	GUICHET_CRASH_CYCLES=$(CRASH_CYCLES) $(CARGO) test --release --test it crash:: -- --nocapture 2>&1

# The parser property tests (src/domain/fuzz.rs, names `fuzz_…`) with a million cases
# each in release mode; `make test` runs the same properties with proptest's default count.
fuzz:
	PROPTEST_CASES=1000000 $(CARGO) test --release --lib fuzz_ 2>&1

# Figures on generated data files (built once, then reused): 1M rows, and 10M with bench-10m.
bench:
	mkdir -p data
	test -f data/bench-1m.redb || $(CARGO) run --release -- demo --transactions 1000000 --data data/bench-1m.redb
	$(CARGO) run --release -- bench --data data/bench-1m.redb

bench-10m:
	mkdir -p data
	test -f data/bench-10m.redb || $(CARGO) run --release -- demo --transactions 10000000 --data data/bench-10m.redb
	$(CARGO) run --release -- bench --data data/bench-10m.redb

# A sign-in flood (200 clients) against the release binary while a signed-in user
# browses: prints the page's p50/p95 alone and during the flood.
loadtest:
	$(CARGO) build --release --bin guichet --example signin_flood
	target/release/examples/signin_flood

lint:
	$(CARGO) fmt --check && $(CARGO) clippy --all-targets -- -D warnings

check-data:
	$(CARGO) run --release -- check --data $(DEMO_DATA)

# The Debian package (issue 16): target/debian/guichet_VERSION_ARCH.deb, from the
# release binary (cargo reuses it when up to date). Built by Debian's own
# `dpkg-deb --build` on a staged tree (packaging/debian/build-deb): nothing to
# compile or install, where cargo-deb would first be compiled from source on every
# fresh machine and in CI (several minutes on 2 cores) to do the same staging.
# The unit, maintainer scripts, settings file and man pages are in packaging/debian.
deb:
	$(CARGO) build --release --bin guichet
	packaging/debian/build-deb $${CARGO_TARGET_DIR:-target}/release/guichet target/debian

# Tests the package: contents, lintian, the binary with the packaged settings; as
# root with CI=true, also dpkg -i, a start as the unit does, /healthz, purge.
deb-test: deb
	packaging/debian/test-deb $$(ls -t target/debian/guichet_*.deb | head -n 1)
