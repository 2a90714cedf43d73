# Two commands do everything on a fresh machine:
#   make demo   -- set up .venv and run the main demo (no network needed after install)
#   make test   -- set up .venv and run the whole test suite
# and one checks a tutorial step:
#   make step N=8   -- run steps/step08.py with its defaults and compare what it prints
#                      with steps/expected/step08.txt (also: make step-08, make step N=00a,
#                      make step N=all); exit status 1 and a diff when they differ
# and one regenerates the tutorial notebooks from the pages (commit notebooks/ afterwards):
#   make notebooks  -- write notebooks/*.ipynb from docs/tutorial/*.md (notebooks/make_notebooks.py)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench clean step notebooks

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,all,docs]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) examples/demo.py

test: $(STAMP)
	$(PY) -m pytest -n 2 -q

step: $(STAMP)
	@test -n "$(N)" || { echo 'make step: say which step, e.g. make step N=8 (or N=00a, N=all)' >&2; exit 2; }
	@$(PY) steps/check.py $(N)

step-%: $(STAMP)
	@$(PY) steps/check.py $*

notebooks: $(STAMP)
	$(PY) notebooks/make_notebooks.py

bench: $(STAMP)
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache
