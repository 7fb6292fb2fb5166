# Two commands do all the set-up: `make demo` and `make test` (see README.md).
# The virtual environment is built from Debian's /usr/bin/python3.11 when it exists: it lives
# outside root's home, so the sandbox's unprivileged uid can read the interpreter and site-packages.
PYTHON ?= $(shell test -x /usr/bin/python3.11 && echo /usr/bin/python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TORCH_VERSION ?= 2.13.0
PYTEST_ARGS ?=

.PHONY: venv demo test validate lint clean image container-demo proxy

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first: a bare `torch` requirement would pull a multi-GB CUDA build.
	$(BIN)/python -c "import torch" 2>/dev/null || $(BIN)/python -m pip install -q "torch==$(TORCH_VERSION)"
	$(BIN)/python -m pip install -q -e ".[service,dask,dev]"
	touch $(STAMP)

demo: venv
	HF_HUB_OFFLINE=1 $(BIN)/autograder grade sheet_3_2 examples/submissions/* --out build/demo --regrade

# The tests start what they need (podman, a hub, browsers) and skip, saying why, where it is missing.
# One line before the tests says which Debian packages are missing (and the apt-get command); when any
# is, the run also ends with that line (when none is, pytest's own summary stays the last line).
test: venv proxy
	@bash .ci/system-packages --check
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest $(PYTEST_ARGS); status=$$?; bash .ci/system-packages --check-missing; exit $$status

# configurable-http-proxy (Node.js) for the real-JupyterHub tests in tests/hub/.
CHP := build/chp/node_modules/.bin/configurable-http-proxy
proxy:
	@test -x $(CHP) || { command -v npm >/dev/null && npm install --silent --no-audit --no-fund --prefix build/chp configurable-http-proxy@4; } \
		|| echo "configurable-http-proxy not installed (needs npm): the hub tests will skip"

# The course image (autograder:local) with podman, from a Debian base made here; cached in build/image/.
image: venv
	PYTHON=$(BIN)/python TORCH_VERSION=$(TORCH_VERSION) bash deploy/local/build-image.sh

# `make demo` inside the image, with the sandbox's isolation layers there (docs/deploy.md).
container-demo: image
	bash deploy/local/container-demo.sh

# Sheet 3.2 end to end alone: the release gate's gradings (reference, untouched notebook, every known-wrong
# variant and correct alternative) and the alternatives as notebooks (also in `test`).
validate: venv
	HF_HUB_OFFLINE=1 $(BIN)/python -m pytest tests/sheet_3_2 -o addopts="-p no:cacheprovider --durations=25" $(PYTEST_ARGS)

# ruff over the code, the tests and the benchmarks, then mypy (pydantic plugin) over the engine; both always
# run, so one run shows every finding, and lint fails when either does (.ci/run runs it before the tests).
lint: venv
	@status=0; $(BIN)/ruff check autograder tests benchmarks || status=1; $(BIN)/mypy autograder || status=1; exit $$status

clean:
	rm -rf build $(VENV)
