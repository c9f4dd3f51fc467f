# Two commands do all the set-up on a fresh machine:
#   make book   create .venv, install, execute every chapter (ci profile), build the HTML book
#   make test   create .venv, install, run the test suite
# Data: set OSA_DATA_DIR to the data root (default: data/ in this repository).

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PROFILE ?= ci
# The book's repository and launch buttons (scripts/book_config.py): REPOSITORY=https://github.com/you/repo
# (else GitHub Actions' repository, else a GitHub origin remote, else no buttons), JUPYTERHUB=https://your.hub.
BOOK_ENV = $(if $(REPOSITORY),OSA_BOOK_REPOSITORY=$(REPOSITORY)) $(if $(JUPYTERHUB),OSA_BOOK_JUPYTERHUB=$(JUPYTERHUB))

.PHONY: book test paper paper-ae ae-study lab bench check-pages clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,book]'
	$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (osa_lib)"
	touch $@

book: $(VENV)/.installed
	$(BOOK_ENV) $(PY) scripts/build_book.py --profile $(PROFILE)
	@echo "open _build/_build/html/index.html"

test: $(VENV)/.installed
	MPLBACKEND=Agg $(PY) -m pytest -n auto

# Full-size runs (the paper's data sizes and hyperparameters); writes results/paper/ and
# builds the book from those runs.
paper: $(VENV)/.installed
	$(BOOK_ENV) $(PY) scripts/build_book.py --profile paper

# Table 1's AE rows on the paper's protocol: 15 resumable (row, seed) jobs of 500 epochs.
# Runs what is missing, resumes what is unfinished, writes the rows' records. Options:
#   make paper-ae WORKERS=2 BUDGET=120      (stop, checkpointed, after 120 minutes)
#   make paper-ae DEVICE=cuda WORKERS=1
#   make paper-ae EXECUTOR=slurm PARTITION=gpu DEVICE=cuda GPUS=1 TIME=180
#       (one Slurm job per (row, seed) through submitit, TIME minutes each, requeued when
#        preempted or out of time; rerun make paper-ae when they are done to write the records)
#   make paper-ae EXECUTOR=local            (the same code path through submitit's local executor)
#   RESULTS=/tmp/r AE_ARGS="--epochs 1 ..." (another results folder; more options of scripts/run_ae_jobs.py)
WORKERS  ?= 2
DEVICE   ?= cpu
EXECUTOR ?= joblib
TIME     ?= 180
GPUS     ?= 0
paper-ae: $(VENV)/.installed
	$(PY) scripts/run_ae_jobs.py --workers $(WORKERS) --device $(DEVICE) $(if $(BUDGET),--budget-minutes $(BUDGET)) \
	    --executor $(EXECUTOR) $(if $(PARTITION),--partition $(PARTITION)) --time-minutes $(TIME) --gpus $(GPUS) \
	    $(if $(RESULTS),--results-dir $(RESULTS)) $(AE_ARGS)

# JupyterLab on the chapters, with the project's kernel ("python3", registered in .venv) and the
# data root set (OSA_DATA_DIR, else data/ here). LAB_ARGS: more options, e.g. "--no-browser --port 8890".
lab: $(VENV)/.installed
	OSA_DATA_DIR="$${OSA_DATA_DIR:-$(CURDIR)/data}" $(PY) -m jupyter lab --notebook-dir="$(CURDIR)" \
	    --ServerApp.default_url=/lab/tree/notebooks $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

# The readings study of the AE rows (issue: what the paper leaves open), phase by phase, resumable:
#   make ae-study WORKERS=2 BUDGET=120
ae-study: $(VENV)/.installed
	$(PY) scripts/run_ae_study.py --workers $(WORKERS) --device $(DEVICE) $(if $(BUDGET),--budget-minutes $(BUDGET))

# Headless-Chromium check of the built pages (needs Debian's chromium).
check-pages: $(VENV)/.installed
	$(PY) scripts/check_pages.py

bench: $(VENV)/.installed
	$(PY) benchmarks/bench_shallow_acrbm.py

clean:
	rm -rf _build results/ci
