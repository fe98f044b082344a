# The quickstart: `make run` starts the hub on the embedded SQLite default,
# `make test` runs vet and the race-enabled test suite.
GO       ?= go
HUB_ADDR ?= 127.0.0.1:8080
KIOSK_ADDR ?= 127.0.0.1:8081
KIOSK_PIN ?= 1234
DATA     ?= data
BIN      ?= bin

.PHONY: run run-cluster build test e2e bench fuzz clean lint-openapi

build:
	$(GO) build -o $(BIN)/hub ./hub/cmd/hub
	$(GO) build -o $(BIN)/kiosk ./kiosk/cmd/kiosk
	$(GO) build -o $(BIN)/hubcluster ./hub/cmd/hubcluster

# make run: the hub with the demo conference (a few hundred attendees, a
# third checked in) and one kiosk paired to it (first run pairs
# data/kiosk.db with a one-time code; later runs reuse it). Ctrl-C stops
# both (the trap signals the two servers only: `kill 0` would signal the
# shell itself, whose trap would fire again). kiosk/fleet's TestMakeRun
# runs it.
run: build
	@mkdir -p $(DATA)
	@rm -f $(DATA)/pairing-code
	@set -e; hub=; kiosk=; trap 'kill $$hub $$kiosk 2>/dev/null; wait' INT TERM; \
	pair=; [ -f $(DATA)/kiosk.db ] || pair="--demo-kiosk-code $(DATA)/pairing-code"; \
	$(BIN)/hub serve --demo $$pair --addr $(HUB_ADDR) --db $(DATA)/hub.db & hub=$$!; \
	if [ -n "$$pair" ]; then \
		for i in $$(seq 300); do [ -s $(DATA)/pairing-code ] && break; sleep 0.1; done; \
		$(BIN)/kiosk pair --hub http://$(HUB_ADDR) --code "$$(cat $(DATA)/pairing-code)" --pin $(KIOSK_PIN) --db $(DATA)/kiosk.db; \
	fi; \
	$(BIN)/kiosk serve --addr $(KIOSK_ADDR) --db $(DATA)/kiosk.db & kiosk=$$!; \
	sleep 1; echo "door-staff UI:     http://$(KIOSK_ADDR)/  (staff PIN $(KIOSK_PIN))"; \
	wait

# make run-cluster: the hub as several replicas on PostgreSQL behind
# HAProxy, with the demo conference and a kiosk paired through HAProxy, all
# on this machine (needs Debian's postgresql and haproxy packages). The
# PostgreSQL cluster is throwaway. Ctrl-C stops all of it.
run-cluster: build
	@$(BIN)/hubcluster --hub $(BIN)/hub --kiosk $(BIN)/kiosk --addr $(HUB_ADDR) --kiosk-addr $(KIOSK_ADDR) --pin $(KIOSK_PIN) --dir $(DATA)/cluster

# The hub's suites run a second time on PostgreSQL (a throwaway cluster the
# tests start from Debian's server binaries): every adapter's suite checks
# both backends.
PG_SUITES = ./hub/api/... ./hub/conferences/... ./hub/hubapp/... ./hub/kiosks/... ./hub/limits/... \
	./hub/payments/... ./hub/readmodels/... ./hub/registrations/... ./hub/web/...

test:
	$(GO) vet ./...
	CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 20m ./...
	CONFERENCE_TEST_DB=postgres CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 20m $(PG_SUITES)

# The API's OpenAPI document under Redocly CLI's recommended rules (any
# error or warning fails); the CLI is installed once into ~/.cache.
# After changing the document: go generate ./hub/api/client.
lint-openapi:
	.ci/lint-openapi

# Browser tests: headless Chromium against real hub and kiosk processes.
# Screenshots land in artifacts/e2e.
e2e:
	CGO_ENABLED=1 $(GO) test -tags e2e -run E2E -count=1 -p 1 -timeout 20m ./...

# Fuzz every decoder of outside input for FUZZTIME each. An input that
# fails is saved in the package's testdata/fuzz corpus, which make test
# runs from then on; commit it with the fix.
FUZZTIME ?= 20s
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		dir=$$($(GO) list -f '{{.Dir}}' $$pkg); \
		for f in $$(grep -ho '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go 2>/dev/null | sed 's/^func //'); do \
			echo "fuzz $$pkg $$f"; \
			$(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

# Figures of the issues, one markdown row each (median of several runs).
bench:
	@echo "| figure | target | measured | verdict |"
	@echo "|---|---|---|---|"
	@$(GO) run ./shared/eventstore/cmd/storebench
	@$(GO) run ./shared/eventstore/cmd/pgstorebench
	@$(GO) run ./hub/cmd/clusterbench
	@$(GO) run ./badges/cmd/badgebench
	@$(GO) run ./hub/readmodels/cmd/readbench
	@$(GO) run ./hub/api/cmd/apibench
	@$(GO) run ./kiosk/cmd/kioskbench
	@$(GO) run ./sync/cmd/catchupbench
	@$(GO) run ./sync/cmd/syncbench

clean:
	rm -rf $(BIN)
