# Remora — the two commands of the README.
#   make demo   set up this machine, build, run the whole pipeline on a generated world
#   make test   set up this machine, build, run every test (unit, integration, end to end)

SWIFT ?= swift
CONFIG ?= debug

.PHONY: deps build demo test bench clean

deps:
	@deploy/install-deps.sh

build: deps
	$(SWIFT) build -c $(CONFIG)

demo: build
	.build/$(CONFIG)/remora demo

test:
	@deploy/install-deps.sh test
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# Figures worth quoting come from release builds.
bench: deps
	$(SWIFT) build -c release
	.build/release/remora bench bus
	.build/release/remora bench quant
	.build/release/remora bench simulate
	.build/release/remora bench pipeline --rate 1000 --seconds 10

clean:
	-.build/debug/remora db down 2>/dev/null
	rm -rf .build .remora
