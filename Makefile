# Kumo's everyday targets. `make run` and `make test` install what they need.

GO          ?= go
BIN         := bin/kumo
COMMIT      := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
LDFLAGS     := -X main.commit=$(COMMIT)
GOBIN       := $(shell $(GO) env GOPATH)/bin
STATICCHECK := $(GOBIN)/staticcheck
FYNE        := $(GOBIN)/fyne
STATICCHECK_VERSION := v0.8.2
FYNE_VERSION        := v1.7.4

.PHONY: all build run test bench lint package deps deps-test clean

all: build

deps: ## system libraries for the cgo build of the Fyne app
	@bash scripts/deps.sh build

deps-test: ## the above plus the real components the tests start
	@bash scripts/deps.sh test

build: deps ## build bin/kumo
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) .

run: build ## build and open the desktop app
	./$(BIN)

test: deps-test build lint ## install test components, then run every test
	KUMO_BIN=$(abspath $(BIN)) $(GO) test -count=1 -timeout 15m ./...

# Kumo against rclone on the same Apache, table printed and saved as JSON
# (BENCH_OUT); BENCH_REPS, BENCH_FILES, BENCH_NOOP_FILES, BENCH_RTT_FILES,
# BENCH_BIG_MIB and BENCH_IDLE_SECONDS shrink it for a quick look.
bench: deps-test build ## performance against real servers (never part of make test)
	KUMO_BIN=$(abspath $(BIN)) BENCH_OUT=$${BENCH_OUT:-$(abspath bin/bench.json)} \
		$(GO) test -tags bench -run TestBench -v -count=1 -timeout 120m ./internal/bench/
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 30m ./backup/

lint: $(STATICCHECK) ## gofmt, go vet, staticcheck
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "not gofmt-clean:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags bench ./internal/bench/
	$(STATICCHECK) ./...
	$(STATICCHECK) -tags bench ./internal/bench/

$(STATICCHECK):
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(FYNE):
	$(GO) install fyne.io/tools/cmd/fyne@$(FYNE_VERSION)

# fyne package bumps Build in FyneApp.toml; the copy keeps the tree clean.
package: build $(FYNE) ## release archive for this OS (fyne package)
	@cp FyneApp.toml .FyneApp.toml.keep
	$(FYNE) package --release --executable $(BIN); status=$$?; \
	mv .FyneApp.toml.keep FyneApp.toml; exit $$status

clean:
	rm -rf bin Kumo.tar.xz
