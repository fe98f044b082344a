# The quickstart: `make run` starts the hub on the embedded SQLite default,
# `make test` runs vet and the race-enabled test suite.
GO       ?= go
HUB_ADDR ?= 127.0.0.1:8080
DATA     ?= data

.PHONY: run build test e2e bench fuzz clean

build:
	$(GO) build -o bin/hub ./hub/cmd/hub

run: build
	@mkdir -p $(DATA)
	./bin/hub serve --demo --addr $(HUB_ADDR) --db $(DATA)/hub.db

test:
	$(GO) vet ./...
	CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 20m ./...

# Browser tests: headless Chromium against real hub and kiosk processes.
# Screenshots land in artifacts/e2e.
e2e:
	CGO_ENABLED=1 $(GO) test -tags e2e -run E2E -count=1 -timeout 20m ./...

# Figures of the issues, one markdown row each (median of several runs).
bench:
	@echo "| figure | target | measured | verdict |"
	@echo "|---|---|---|---|"
	@$(GO) run ./shared/eventstore/cmd/storebench
	@$(GO) run ./badges/cmd/badgebench
	@$(GO) run ./hub/readmodels/cmd/readbench
	@$(GO) run ./sync/cmd/catchupbench

clean:
	rm -rf bin
