# kefu: the two commands a newcomer needs are `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PY := .venv/bin/python
STACK := deploy/local/stack.sh
SERVICES := deploy/local/services.sh
CALLS ?= 12000
RATE ?= 0
DURATION ?= 60
PRELOAD ?= 0
STORES ?= per-service
KEEP ?= 0
KB_DOCS ?= 10000

.PHONY: help setup stack stack-stop up down demo test test-unit classify-report kb-report kb-bench bench schemas asyncapi clean

help:
	@echo "make demo    set up everything, run the seven services, replay the sample contacts, show what happened"
	@echo "make test    set up everything and run the whole test suite on real Kafka and a real store"
	@echo "make up      start Kafka, the stores (a SecantusDB per service) and the seven services in the background; make down stops them"
	@echo "make bench   end-to-end throughput and latency against a bare Kafka relay; options:"
	@echo "               CALLS=$(CALLS)      calls in a burst (~6 min at ~35 calls/s; ~10 min at the ~20/s of a busy shared box)"
	@echo "               RATE=100 DURATION=$(DURATION)  a steady offered rate (calls/s) for DURATION s instead of a burst"
	@echo "               PRELOAD=100000   start from that many calls' cases already stored (seeded, not replayed)"
	@echo "               STORES=$(STORES)  a SecantusDB per service (as make up runs them; 1.5x shared on 2 cores),"
	@echo "                 shared (the stack's one server for all three) or private (one of the bench's own for all three)"
	@echo "make kb-report  knowledge search quality: top-1/top-3 on the held-out labelled inquiries"
	@echo "make kb-bench   knowledge search latency (p50/p95) at KB_DOCS=$(KB_DOCS) articles and cases"
	@echo "make schemas regenerate the pinned contract schemas (review the diff!)"
	@echo "make asyncapi write each service's AsyncAPI document to docs/asyncapi/"

setup:
	@scripts/bootstrap.sh

stack:
	@$(STACK) start

stack-stop:
	@$(STACK) stop

up: setup stack
	@eval "$$($(STACK) env)" && $(SERVICES) up
	@$(STACK) env | sed 's/^export /  /'

down:
	@$(SERVICES) down
	@$(STACK) stop

demo: setup stack
	@set -e; eval "$$($(STACK) env)"; \
	if $(SERVICES) status | grep -q running; then echo "demo: services are already running; 'make down' first" >&2; exit 1; fi; \
	export KEFU_NAMESPACE=demo$$(date +%s); echo "demo: namespace $$KEFU_NAMESPACE (topics, groups and databases of this run)"; \
	trap 'if [ "$(KEEP)" != 1 ]; then $(SERVICES) down; $(STACK) stop; else echo "demo: still running (KEEP=1); make down stops it"; fi' EXIT; \
	$(SERVICES) up; \
	n=$$(grep -c . tools/cli/src/kefu_cli/data/sample_calls.jsonl); \
	echo "demo: publishing $$n sample contacts to $$KEFU_NAMESPACE.call.received"; \
	.venv/bin/kefu-publish-calls --sample $$n; \
	.venv/bin/kefu demo-summary --expect $$n

test: setup
	@$(STACK) install
	@scripts/install-browser.sh
	@scripts/install-promtool.sh
	@scripts/run-tests.sh

classify-report: setup
	@for split in dev test all; do .venv/bin/python -m kefu_intake.evaluate data/labelled_contacts.jsonl --split $$split; echo; done

kb-report: setup
	@.venv/bin/kefu kb-report

kb-bench: setup
	@.venv/bin/kefu kb-bench --docs $(KB_DOCS)

test-unit: setup
	@.venv/bin/pytest -q tests/unit tests/contracts

bench: setup stack
	@eval "$$($(STACK) env)" && $(PY) -m kefu_cli.bench --calls $(CALLS) --rate $(RATE) --duration $(DURATION) \
		--preload $(PRELOAD) --stores $(STORES)

schemas: setup
	@KEFU_UPDATE_SCHEMAS=1 .venv/bin/pytest -q tests/contracts

asyncapi: setup
	@scripts/asyncapi.sh

clean:
	rm -rf .venv .pytest_cache
