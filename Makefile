# Deep learning and reinforcement learning course: every target creates .venv first if needed.
# `make help` lists the targets.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
GRADER := $(PY) -m grader.cli
SUBMISSIONS ?=
NB ?=
# Grading: WORKERS=N local Dask workers (default one per core), SCHEDULER=tcp://host:8786 for a
# running Dask cluster, UNSAFE=1 to grade without the sandbox where bubblewrap cannot run.
export WORKERS
export SCHEDULER
export UNSAFE_GRADING := $(UNSAFE)

.DEFAULT_GOAL := help
.PHONY: help setup lab test test-fast test-browser sync release autograde feedback grades report validate demo-grading bench figures mutation clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 16

$(STAMP): requirements.txt constraints.txt pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	tools/install-cpu-torch.sh $(PY)
	$(PY) -m pip install --quiet -r requirements.txt -c constraints.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

setup: $(STAMP) ## create the virtual environment (.venv) with the pinned packages

# JupyterLab opens a .md file in its text editor unless a setting says otherwise:
# tools/lab-settings/overrides.json makes Markdown Preview the default, so the links work.
lab: $(STAMP) ## open JupyterLab on course/START_HERE.md, the list of lectures (ARGS="--port 9999 ..." passes options)
	$(VENV)/bin/jupyter lab --ServerApp.root_dir=course --LabApp.default_url=/lab/tree/START_HERE.md \
		--LabApp.app_settings_dir="$(CURDIR)/tools/lab-settings" $(if $(filter 0,$(shell id -u)),--allow-root) $(ARGS)

# Tests that grade a class start their own Dask workers: they run after the others, one at a
# time (xdist's --dist loadgroup cannot keep them together under pytest 9.2).
test: $(STAMP) ## run everything CI runs (notebooks, grading, demo class, browser; BROWSER=0 skips the browser)
	tools/check-system.sh
	$(PY) -m pytest -m "not browser and not grading" -n 2
	$(PY) -m pytest -m grading
ifneq ($(BROWSER),0)
	$(PY) -m pytest -m browser
endif

test-fast: $(STAMP) ## the quick subset for iteration (no notebook runs, no grading)
	$(PY) -m pytest -m "not slow and not browser" -n 2

test-browser: $(STAMP) ## open every notebook in JupyterLab in headless Chromium
	$(PY) -m pytest -m browser

sync: $(STAMP) ## after editing a notebook: rewrite it as nbgrader releases it (L=07 for one)
	$(GRADER) sync $(L)

release: $(STAMP) ## assemble sources, generate every release, write the student bundle
	$(GRADER) release

autograde: $(STAMP) ## autograde SUBMISSIONS (a submitted/ folder or an LMS zip); WORKERS=, SCHEDULER=
	$(GRADER) autograde $(SUBMISSIONS)

feedback: $(STAMP) ## write HTML feedback for every autograded submission
	$(GRADER) feedback

grades: $(STAMP) ## write the grades CSV (build/grades.csv)
	$(GRADER) grades

report: $(STAMP) ## write the instructor's report: build/report/index.html and its CSV files
	$(GRADER) report

validate: $(STAMP) ## run a notebook's visible tests: make validate NB=path/to/notebook.ipynb
	$(GRADER) validate $(NB)

demo-grading: $(STAMP) ## build a synthetic class and run release, autograde, feedback, grades
	$(GRADER) demo-grading

bench: $(STAMP) ## measure notebook run times, autograde time and widget update times
	$(GRADER) bench

figures: $(STAMP) ## rerun the lectures' multi-seed comparisons with the reference solutions (L=08 for one); tables in build/figures/
	@for script in $(sort $(wildcard tools/figures/*.py)); do \
	  lecture=$$(basename $$(dirname $$(ls course/*/$$(basename $$script .py).ipynb))); \
	  case "$$lecture" in $(or $(L),[0-9][0-9])_*) echo "== $$lecture"; PYTHONPATH=. $(PY) $$script || exit 1;; esac; \
	done

mutation: $(STAMP) ## mutmut's mutants of solutions/ vs the hidden scenarios; fails under 95 % (COURSE_LECTURES=07)
	$(PY) -m grader.mutation

clean: ## remove build outputs (keeps .venv)
	rm -rf build .pytest_cache
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +
