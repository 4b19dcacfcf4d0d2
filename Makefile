# cstvr: the README's commands.
#   make setup  - create/update the virtual environment in .venv (scripts/setup_env.sh)
#   make test   - setup, then the whole test suite
#   make demo   - setup, then the main job: the sample clip through the shipped model (outputs/demo)
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
	$(PYTHON) examples/demo.py --out outputs/demo
