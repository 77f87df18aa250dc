# Kumo's everyday targets. `make run` and `make test` install what they need.

GO          ?= go
BIN         := bin/kumo
COMMIT      := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
DATE        := $(shell git log -1 --format=%cs 2>/dev/null || date -u +%F)
VERSION     := $(shell sed -n 's/^Version *= *"\(.*\)"/\1/p' FyneApp.toml)
# APP_API_KEY is Kumo's own InfiniCLOUD REST API key, issued to the app by
# the service's registration form: set by whoever builds a release
# (make build APP_API_KEY=...), empty in the repository.
APP_API_KEY ?=
LDFLAGS     := -X main.commit=$(COMMIT) -X main.date=$(DATE) $(if $(APP_API_KEY),-X github.com/kumo-backup/kumo/account.AppAPIKey=$(APP_API_KEY))
PREFIX      ?= $(HOME)/.local
ARCHIVE     := kumo-$(VERSION)-linux-$(shell $(GO) env GOARCH).tar.xz
GOBIN       := $(shell $(GO) env GOPATH)/bin
STATICCHECK := $(GOBIN)/staticcheck
FYNE        := $(GOBIN)/fyne
STATICCHECK_VERSION := v0.8.2
FYNE_VERSION        := v1.7.4

.PHONY: all build run test test-windows bench fuzz lint guide package package-windows install uninstall cross deps deps-test clean

all: build

deps: ## system libraries for the cgo build of the Fyne app
	@bash scripts/deps.sh build

deps-test: ## the above plus the real components the tests start
	@bash scripts/deps.sh test

build: deps ## build bin/kumo
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN) .

run: build ## build and open the desktop app
	./$(BIN)

test: deps-test build lint cross ## install test components, then run every test
	KUMO_BIN=$(abspath $(BIN)) $(GO) test -count=1 -timeout 15m ./...
	bash scripts/fuzz.sh
	bash scripts/test-windows.sh

# The engine's tests as Windows programs under Wine (about half a minute
# warm): what Windows does to files, names and paths, tested there.
test-windows: ## run the engine's Windows tests under Wine
	bash scripts/test-windows.sh

# Every parser of outside input (the list is in scripts/fuzz.sh). make test
# fuzzes each for a fixed number of executions, which cannot fail on the
# clock (golang/go#75804); make fuzz runs each for FUZZTIME.
FUZZTIME ?= 60s
fuzz: ## fuzz every parser of outside input for FUZZTIME each (60s)
	bash scripts/fuzz.sh $(FUZZTIME)

guide: build ## the user guide's screenshots, from the real binary under Xvfb (docs/guide/)
	bash scripts/deps.sh guide
	KUMO_BIN=$(abspath $(BIN)) $(GO) test -tags guide -run TestGuide -count=1 -v .

# Everything but the UI compiles for Windows and macOS without cgo: seconds,
# and platform code (autostart, paths, keyring) never rots.
ENGINE_PKGS := ./backup/... ./transport/... ./account/... ./watcher/... ./emulator/... ./internal/cli/... \
	./internal/service/... ./internal/session/... ./internal/problem/... ./internal/autostart/... ./internal/instance/... ./internal/paths/... ./internal/human/... ./internal/certs/... ./internal/conditions/... \
	./internal/msg/... ./internal/portal/... ./internal/console/...
cross: ## compile the engine, and its tests, for windows and darwin
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) build $(ENGINE_PKGS)
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) vet $(ENGINE_PKGS) ./internal/testenv/...
	GOOS=darwin GOARCH=arm64 CGO_ENABLED=0 $(GO) build $(ENGINE_PKGS)

# Kumo against rclone on the same Apache, tables printed and saved as JSON
# (BENCH_OUT; BENCH_LINKS_OUT for the far links); BENCH_REPS, BENCH_FILES,
# BENCH_NOOP_FILES, BENCH_BIG_MIB, BENCH_IDLE_SECONDS, BENCH_FAR_RCLONE_FILES
# and BENCH_CAPPED_MIB shrink it for a quick look.
bench: deps-test build ## performance against real servers (never part of make test)
	KUMO_BIN=$(abspath $(BIN)) BENCH_OUT=$${BENCH_OUT:-$(abspath bin/bench.json)} \
		BENCH_LINKS_OUT=$${BENCH_LINKS_OUT:-$(abspath bin/bench-links.json)} \
		$(GO) test -tags bench -run 'TestBench' -v -count=1 -timeout 150m ./internal/bench/
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 30m ./backup/ ./backup/crypt/

lint: $(STATICCHECK) ## gofmt, go vet, staticcheck
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "not gofmt-clean:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags bench ./internal/bench/
	$(GO) vet -tags guide .
	$(STATICCHECK) ./...
	$(STATICCHECK) -tags bench ./internal/bench/
	$(STATICCHECK) -tags guide .

$(STATICCHECK):
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

$(FYNE):
	$(GO) install fyne.io/tools/cmd/fyne@$(FYNE_VERSION)

# fyne package bumps Build in FyneApp.toml; the copy keeps the tree clean.
# Its archive is then completed with the desktop entry, AppStream metadata,
# icons at every hicolor size and scripts/install.sh, and named by version.
package: build $(FYNE) ## Linux release archive (fyne package -os linux), bin/$(ARCHIVE)
	@cp FyneApp.toml .FyneApp.toml.keep
	$(FYNE) package -os linux --release --executable $(BIN); status=$$?; \
	mv .FyneApp.toml.keep FyneApp.toml; exit $$status
	rm -rf bin/pkg && mkdir -p bin/pkg && tar -xJf Kumo.tar.xz -C bin/pkg && rm Kumo.tar.xz
	d=bin/pkg/kumo-$(VERSION) && mkdir -p $$d/share/applications $$d/share/metainfo $$d/share/icons $$d/scripts && \
	mv bin/pkg/kumo/usr/local/bin $$d/bin && \
	cp packaging/linux/io.kumobackup.kumo.desktop.in $$d/share/applications/ && \
	cp packaging/linux/io.kumobackup.kumo.metainfo.xml $$d/share/metainfo/ && \
	cp -r assets/hicolor $$d/share/icons/ && cp scripts/install.sh $$d/scripts/ && \
	printf 'Kumo %s\n\nInstall for yourself:  scripts/install.sh install\nfor everyone (root):  scripts/install.sh install --prefix /usr/local\nUninstall:            scripts/install.sh uninstall [--prefix DIR]\n' $(VERSION) >$$d/README && \
	rm -rf bin/pkg/kumo && tar -C bin/pkg -cJf bin/$(ARCHIVE) kumo-$(VERSION)
	@echo "bin/$(ARCHIVE)"

install: build ## install for this user (or PREFIX=/usr/local for everyone)
	bash scripts/install.sh install --prefix $(PREFIX) --bin $(BIN)

uninstall: ## remove exactly what install put under PREFIX
	bash scripts/install.sh uninstall --prefix $(PREFIX)

# A cold cross-build of the cgo Fyne app takes minutes: never part of make test.
package-windows: $(FYNE) ## bin/kumo.exe for Windows with mingw-w64, icon and version embedded
	bash scripts/deps.sh windows
	@cp FyneApp.toml .FyneApp.toml.keep
	CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc $(FYNE) package -os windows --release --name Kumo \
		--app-version $(VERSION); status=$$?; \
	mv .FyneApp.toml.keep FyneApp.toml; exit $$status
	mv Kumo.exe bin/kumo.exe && ls -l bin/kumo.exe

clean:
	rm -rf bin Kumo.tar.xz Kumo.exe
