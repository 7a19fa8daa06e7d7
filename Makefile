# The two commands of the README: `make serve` and `make test`. Both install what is missing.

WASM_BINDGEN_VERSION := $(shell sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' Cargo.toml)
WASM := target/wasm32-unknown-unknown/release/nqm_explorer.wasm
PORT ?= 8000
CARGO ?= cargo

.PHONY: serve test wasm tools lint unit browser browser-deps cli bench bench-dist soak dist dist-deps serve-dist python python-deps

## Build the WebAssembly and serve the explorer at http://127.0.0.1:$(PORT)/
serve: wasm dist-deps
	@node tools/dist.mjs --vendor
	@echo "Serving the explorer at http://127.0.0.1:$(PORT)/"
	python3 -m http.server $(PORT) --bind 127.0.0.1

## Every test: formatting and clippy (native and wasm32), cargo test, then headless Chromium.
## Prints how long each stage took, so that the next regression is visible.
test:
	@mkdir -p target && : > target/stages.txt
	@$(call stage,tools,$(MAKE) --no-print-directory tools)
	@$(call stage,lint,$(MAKE) --no-print-directory lint)
	@$(call stage,unit,$(MAKE) --no-print-directory unit)
	@$(call stage,wasm,$(MAKE) --no-print-directory wasm)
	@$(call stage,dist,$(MAKE) --no-print-directory dist)
	@$(call stage,python,$(MAKE) --no-print-directory python)
	@$(call stage,browser-deps,$(MAKE) --no-print-directory browser-deps)
	@$(call stage,browser,$(MAKE) --no-print-directory browser)
	@echo "make test: every stage passed. Time per stage:"; cat target/stages.txt

# $(call stage,NAME,COMMAND): runs COMMAND and records how long it took in target/stages.txt.
define stage
start=$$(date +%s); $(2) || exit 1; echo "  $(1): $$(( $$(date +%s) - start )) s" >> target/stages.txt
endef

tools:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@# `nqm figure --out x.png` draws text with a TrueType font (its test needs one).
	@[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || ! command -v apt-get >/dev/null || \
	  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y fonts-dejavu-core; }
	@if [ "$$(wasm-bindgen --version 2>/dev/null | cut -d' ' -f2)" != "$(WASM_BINDGEN_VERSION)" ]; then \
	  echo "Installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION) (the crate's pinned version; a few minutes)"; \
	  $(CARGO) install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION); \
	fi

wasm: tools
	$(CARGO) build --release --target wasm32-unknown-unknown --lib
	wasm-bindgen --target web --no-typescript --out-dir www/pkg $(WASM)

cli:
	$(CARGO) build --release --bin nqm

## The deployable static site in dist/ (WebAssembly optimised by wasm-opt, reveal.js vendored,
## a service worker versioned by the build's content hash), and the notebook widget's files.
dist: wasm dist-deps
	node tools/dist.mjs

# binaryen (wasm-opt compiled to JavaScript: nothing to download) and reveal.js, from npm.
dist-deps:
	@[ -f tools/node_modules/binaryen/bin/wasm-opt ] && [ -d tools/node_modules/reveal.js ] || (cd tools && npm ci --no-audit --no-fund)

## Serve dist/ as a static host would, at http://127.0.0.1:$(PORT)/
serve-dist: dist
	@echo "Serving dist/ at http://127.0.0.1:$(PORT)/"
	cd dist && python3 -m http.server $(PORT) --bind 127.0.0.1

## The notebook widget: install ./python (after dist) and run its Python tests.
python: python-deps
	@[ -f python/src/nqm_explorer/static/widget.mjs ] || $(MAKE) --no-print-directory dist
	python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore ./python
	python3 -m pytest -q python/tests

# JupyterLab (the widget's browser test drives one) and pytest.
python-deps:
	@python3 -c "import jupyterlab, pytest" 2>/dev/null || \
	  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore jupyterlab pytest

lint: tools
	$(CARGO) fmt --check
	$(CARGO) clippy --release --all-targets -- -D warnings
	$(CARGO) clippy --release --target wasm32-unknown-unknown --lib -- -D warnings

unit: tools
	$(CARGO) test --profile test-fast

browser-deps:
	@command -v chromium >/dev/null || { apt-get update && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-dejavu-core; }
	@[ -d tests/browser/node_modules/playwright-core ] && [ -d tests/browser/node_modules/axe-core ] || (cd tests/browser && npm ci --no-audit --no-fund)

browser: browser-deps
	cd tests/browser && node --test --test-concurrency=1

## The deployed build's kernel (wasm-opt) against wasm-bindgen's, in alternation, in Chromium
bench-dist: dist browser-deps
	node benches/wasm_kernel.mjs --chromium --rounds 9 www/pkg dist/www/pkg

## The long soak: drive the λ slider for 10 minutes, report memory and frame times
soak: wasm browser-deps
	cd tests/browser && node soak.mjs 600

## Benchmarks, all in one run: criterion (native), the numpy and JAX peers (each in its own
## process; numpy with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for that command alone),
## the browser benchmark and every panel's default figure in Chromium; one table.
bench: wasm browser-deps
	$(CARGO) bench --bench core
	@mkdir -p target/bench
	@python3 -c "import numpy, threadpoolctl" 2>/dev/null || pip install --quiet numpy threadpoolctl
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 benches/numpy_baseline.py 10000 1000 > target/bench/numpy.json
	@python3 -c "import jax" 2>/dev/null || pip install --quiet jax
	JAX_PLATFORMS=cpu python3 benches/jax_baseline.py 10000 1000 > target/bench/jax.json
	cd tests/browser && node bench.mjs > ../../target/bench/browser.json
	cd tests/browser && node bench_panels.mjs > ../../target/bench/panels.json
	@python3 benches/table.py
