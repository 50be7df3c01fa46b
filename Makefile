# The two set-up commands of the README: `make run` and `make test`.
# Both create the virtual environment and install the locked dependencies first.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.9
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: run test install install-dev demo worker beat messages check-deploy bench clean screenshots

$(UV):
	$(PYTHON) -c 'import sys; sys.exit("Python 3.12 or newer is needed (see .python-version), found " + sys.version.split()[0]) if sys.version_info < (3, 12) else None'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --inexact --no-dev --python $(PY)
	touch $@

$(VENV)/.installed-dev: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --inexact --python $(PY)
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(PY) manage.py migrate --no-input
	$(PY) manage.py collectstatic --no-input --verbosity 0
	$(PY) manage.py load_demo_data
	$(PY) manage.py runserver 127.0.0.1:8000

# axe-core, which the browser journeys inject into every page (package.json, locked in package-lock.json).
node_modules/axe-core/axe.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

test: install-dev node_modules/axe-core/axe.min.js
	$(PY) -m pytest $(PYTEST_ARGS)

# The browser journeys write screenshots into var/screenshots/; the README shows these.
SCREENSHOTS := directory organization programme-with-side-event organization-registration delegation-form registration-decision registration-timeline review-queue side-event-schedule statistics
screenshots: install-dev node_modules/axe-core/axe.min.js
	$(PY) -m pytest tests/test_journeys_*.py -q $(PYTEST_ARGS)
	mkdir -p docs/screenshots
	for name in $(SCREENSHOTS); do cp var/screenshots/$$name.png docs/screenshots/$$name.png; done

worker: install
	$(VENV)/bin/celery -A portal worker --loglevel INFO

beat: install
	mkdir -p var
	$(VENV)/bin/celery -A portal beat --loglevel INFO --schedule var/celerybeat-schedule

messages: install
	$(PY) manage.py makemessages --all --ignore '.venv/*' --ignore 'var/*' --ignore 'node_modules/*' --ignore 'bench/*' --ignore 'tests/*' --no-obsolete
	$(PY) manage.py compilemessages --ignore '.venv/*' --ignore 'node_modules/*'

check-deploy: install
	DEBUG=0 SECRET_KEY=check-deploy-$$(date +%s)-a-long-random-string-for-the-check-only \
	ALLOWED_HOSTS=ngo-portal.example.org EMAIL_HOST=smtp.example.org \
	$(PY) manage.py check --deploy --fail-level WARNING

# The benchmark at UNODC scale (bench/run.py): PostgreSQL and Redis on 127.0.0.1, wrk if installed.
# Generates the data sets once (portal_scale, portal_scale_tenth), writes docs/performance.md.
bench: install
	$(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var
