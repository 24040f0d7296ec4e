# streamaudit — every target installs or builds what it needs (see scripts/install-deps.sh).
SHELL := /bin/bash
GO    ?= go
BIN   := $(CURDIR)/bin
export TESTCONTAINERS_RYUK_DISABLED := true
export GOFLAGS := -buildvcs=false

CMDS := verify streamsvc kafkavet testbroker

.PHONY: all deps build run test test-unit test-dogfood bench soak images serve audit docs fmt vet lint clean

all: build

deps:
	@./scripts/install-deps.sh

build: deps
	@mkdir -p $(BIN)
	@for c in $(CMDS); do \
	  if [ -d cmd/$$c ]; then CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/$$c ./cmd/$$c || exit 1; fi; \
	done

## run: the main job: verify this repo and the drifted fixture, print the summary, write reports.
run: build
	@mkdir -p reports/latest/self reports/latest/dashstream-v7
	@echo "== verify: this repository"
	@$(BIN)/verify -format md,json,sarif,text -o reports/latest/self -fail-on never . && \
	 cat reports/latest/self/report.txt
	@echo
	@echo "== verify: fixtures/dashstream-v7 (the audited state; findings expected), baseline: its v6 report"
	@$(BIN)/verify -format md,json,sarif,text -o reports/latest/dashstream-v7 -fail-on never \
	   -baseline fixtures/dashstream-v7/report-v6.json fixtures/dashstream-v7 && \
	 cat reports/latest/dashstream-v7/report.txt
	@echo
	@echo "reports written under reports/latest/{self,dashstream-v7}/report.{md,json,sarif,txt}"

## test: every test (unit, integration on the in-process broker, kcat, promtool, browser,
## the short soak when a Docker engine answers) plus the dogfood gate.
test: deps
	@echo "== gofmt"
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '/testdata/')); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi
	@echo "== go vet"
	@$(GO) vet ./...
	@echo "== go test"
	@$(GO) test -count=1 -timeout 25m ./...
	@echo "== short soak (streamsvc must pass, the audited dashstream-v7 design must fail; skips without a Docker engine)"
	@SOAK_DURATION=$${SOAK_DURATION:-45s} $(GO) test -tags soak -run 'TestShortSoak|TestExternalBrokers|TestBrokerContainerRestartKeepsData' -count=1 -timeout 25m ./checks/soak/
	@$(MAKE) --no-print-directory test-dogfood

## test-dogfood: verify on this repository must report no error-level finding.
test-dogfood: build
	@echo "== verify (dogfood: no error-level finding on this repository)"
	@$(BIN)/verify -format text -color never -fail-on error .

## bench: cross-package benchmarks (consume path, vet, rules) and the lag monitor's, then one
## line per figure with its ratio to the baseline of the same run (docs/PERFORMANCE.md).
bench: deps
	@$(GO) test -run '^$$' -bench 'Consume' -benchmem -count 5 -timeout 60m ./bench/ | tee bench.out
	@$(GO) test -run '^$$' -bench 'Vet|Rules|VerifyRepo' -benchmem -count 1 -timeout 60m ./bench/ | tee -a bench.out
	@$(GO) test -run '^$$' -bench . -benchmem -count 3 -timeout 30m ./streamsvc/lagmon/ | tee -a bench.out
	@$(GO) run ./bench/ratios bench.out

## soak: the long soak (SOAK_DURATION per scenario, default 10m; every scenario, dlq-outage and
## broker-restart included, unless SOAK_SCENARIOS; SOAK_BROKERS for an external cluster);
## report, figures and plots in reports/latest/soak/.
soak: build
	@SOAK_DURATION=$${SOAK_DURATION:-10m} SOAK_SCENARIOS=$${SOAK_SCENARIOS:-throughput,slow-kafka,rebalance,dlq-outage,broker-restart} $(GO) test -tags soak -run TestShortSoak -count=1 -timeout 300m -v ./checks/soak/

images: build
	@docker build -q -f deploy/docker/streamsvc.Dockerfile -t streamaudit/streamsvc:dev bin
	@docker build -q -f deploy/docker/testbroker.Dockerfile -t streamaudit/testbroker:dev bin

serve: build
	@$(BIN)/streamsvc serve --embedded

audit: build
	@$(BIN)/verify -format md -fail-on never . > reports/AUDIT.md.tmp && mv reports/AUDIT.md.tmp reports/AUDIT.md
	@echo "reports/AUDIT.md regenerated"

docs:
	@$(GO) test ./streamsvc/kafkaconf -run TestConfigurationDoc -update >/dev/null
	@$(GO) test ./checks -run TestChecksDoc -update >/dev/null

fmt:
	@gofmt -w $$(git ls-files '*.go' | grep -v '/testdata/')

clean:
	rm -rf $(BIN) reports/latest bench.out
