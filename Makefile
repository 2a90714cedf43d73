# Two commands do everything on a fresh machine:
#   make demo   -- set up .venv and run the main demo (no network needed after install)
#   make test   -- set up .venv and run the whole test suite
# and one checks a tutorial step:
#   make step N=8   -- run steps/step08.py with its defaults and compare what it prints
#                      with steps/expected/step08.txt (also: make step-08, make step N=00a,
#                      make step N=all); exit status 1 and a diff when they differ
# and one runs a docs page's examples, exercise solutions and pictures against what it shows:
#   make page P=03  -- tests/test_docs.py for the pages whose name contains 03
# and two regenerate what is made from the pages (commit the results afterwards):
#   make notebooks  -- write notebooks/*.ipynb from docs/tutorial/*.md (notebooks/make_notebooks.py)
#   make pictures   -- redraw docs/images/ from the pages' own code
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench clean step notebooks page pictures

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

page: $(STAMP)
	@test -n "$(P)" || { echo 'make page: say which page, e.g. make page P=03 (or P=broadcasting)' >&2; exit 2; }
	$(PY) -m pytest -q tests/test_docs.py -k "page_examples_run and $(P)"

pictures: $(STAMP)
	DEZERO_UPDATE_DOCS_IMAGES=1 $(PY) -m pytest -q -n 2 tests/test_docs.py -k page_examples_run

bench: $(STAMP)
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) .pytest_cache
