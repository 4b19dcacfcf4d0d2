# cstvr: the README's commands.
#   make setup  - create/update the virtual environment in .venv (scripts/setup_env.sh)
#   make test   - setup, then the whole test suite
#   make demo   - the main job; arrives with the shipped model (says so and fails until then)
VENV   ?= .venv
PYTHON := $(VENV)/bin/python

.PHONY: setup test demo

setup:
	bash scripts/setup_env.sh

# pytest exits 5 when it collected no test: for this suite that means something is broken
# (wrong path, collection errors swallowed), so it fails like any other non-zero exit.
test: setup
	@rc=0; $(PYTHON) -m pytest -q tests || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests (exit 5): failing"; fi; \
	exit $$rc

demo: setup
	@echo "make demo: the main job (resampling the sample clip with the shipped default model)"
	@echo "is not available yet: it arrives with the shipped-model issue. Nothing was run."
	@exit 1
