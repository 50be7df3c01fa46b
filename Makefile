# The two set-up commands of the README: `make run` and `make test`.
# Both create the virtual environment and install the locked dependencies first.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.9
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: run test install install-dev demo worker beat messages check-deploy bench clean

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

test: install-dev
	$(PY) -m pytest $(PYTEST_ARGS)

worker: install
	$(VENV)/bin/celery -A portal worker --loglevel INFO

beat: install
	mkdir -p var
	$(VENV)/bin/celery -A portal beat --loglevel INFO --schedule var/celerybeat-schedule

messages: install
	$(PY) manage.py makemessages --all --ignore '.venv/*' --ignore 'var/*' --no-obsolete
	$(PY) manage.py compilemessages --ignore '.venv/*'

check-deploy: install
	DEBUG=0 SECRET_KEY=check-deploy-$$(date +%s)-a-long-random-string-for-the-check-only \
	ALLOWED_HOSTS=ngo-portal.example.org EMAIL_HOST=smtp.example.org \
	$(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) var
