# Two commands on a fresh machine with Python 3.11 and make: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test test-all bench clean browser

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@# the siting's local search, compiled once into numba's cache (10-35 s), so that no plan
	@# or test run pays for it (a cold cache compiles in a process aside: see _local.py)
	$(BIN)/python -c "from gridplan.coverage._local import warm_up; \
	  print(f'numba: local search kernels ready in {warm_up():.1f} s')"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/gridplan demo --out maps/demo

# The review-map tests drive Debian's chromium (never a downloaded browser); CJK fonts make
# the Chinese labels legible in screenshots. Without apt (not root, offline) they skip.
browser:
	@(command -v chromium >/dev/null && fc-list :lang=zh | grep -q .) || \
	  (apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium \
	     fonts-wqy-microhei) >/dev/null 2>&1 || \
	  echo "make: could not apt-get install chromium fonts-wqy-microhei (the browser tests skip without chromium)"

test: $(STAMP) browser
	$(BIN)/python -m pytest -q

test-all: $(STAMP) browser
	$(BIN)/python -m pytest -q -m ''

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) maps/demo build src/*.egg-info
