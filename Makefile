# langserver: the documented way to build, test, benchmark and regenerate.
GO        ?= go
BIN       := bin
PLUGINS   := $(patsubst plugins/%/,%,$(sort $(dir $(wildcard plugins/*/main.go))))
VERSION   ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X github.com/langserver/langserver/supervisor/cli.Version=$(VERSION)
GOBIN_DIR := $(shell $(GO) env GOPATH)/bin

.PHONY: help deps build run test bench proto proto-check lint clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

deps: ## install missing language runtimes (Debian packages); does nothing when present
	@scripts/deps.sh

build: ## build bin/langserver and bin/plugins/langpack-*
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/langserver ./cmd/langserver
	@for p in $(PLUGINS); do \
		echo "$(GO) build -o $(BIN)/plugins/langpack-$$p ./plugins/$$p"; \
		$(GO) build -ldflags "-X main.version=$(VERSION)" -o $(BIN)/plugins/langpack-$$p ./plugins/$$p || exit 1; \
	done

run: deps build ## serve the example algorithms of configs/ on :9999
	$(BIN)/langserver serve --config configs/

test: deps proto-check ## generated code up to date, gofmt, go vet, every test (unit and end-to-end) with -race
	@test -z "$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$'))" || { gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 45m ./...

bench: deps ## print latency and throughput figures next to the raw runner baseline
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 30m ./supervisor/e2e/

proto: ## regenerate sdk/internal/langpackpb from sdk/proto/langpack.proto
	@PROTO=1 scripts/deps.sh
	$(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
	$(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.5.1
	PATH="$(GOBIN_DIR):$$PATH" protoc -I sdk/proto \
		--go_out=sdk/internal/langpackpb --go_opt=paths=source_relative \
		--go-grpc_out=sdk/internal/langpackpb --go-grpc_opt=paths=source_relative \
		sdk/proto/langpack.proto

proto-check: proto ## fail when the committed generated code differs from the .proto
	git diff --exit-code -- sdk/internal/langpackpb

clean: ## remove build output
	rm -rf $(BIN)
