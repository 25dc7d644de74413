# One task runner for people and CI alike.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install system-deps node-deps java-deps lint test test-unit demo kafka-up kafka-down clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Debian packages the tests drive for real (browser, promtool, ...); installs what is missing.
system-deps:
	scripts/system-deps.sh

# npm tools the tests use as independent checkers (each folder under tools/ with a lockfile),
# and the Node.js example subscriber the tests run against Kafka.
node-deps:
	@for dir in tools/*/ examples/subscribers/node/; do \
	  if [ -f "$$dir/package-lock.json" ] && [ ! -d "$$dir/node_modules" ]; then \
	    npm ci --prefix "$$dir" --silent --no-audit --no-fund; \
	  fi; \
	done

# The Java example subscriber the tests run against Kafka: compiled, its dependencies resolved
# from Maven Central once into Maven's own repository; built again only when its files change.
JAVA_EXAMPLE := examples/subscribers/java
JAVA_EXAMPLE_FILES := $(JAVA_EXAMPLE)/pom.xml $(shell find $(JAVA_EXAMPLE)/src -type f 2>/dev/null)

java-deps: $(JAVA_EXAMPLE)/target/classpath.txt

$(JAVA_EXAMPLE)/target/classpath.txt: $(JAVA_EXAMPLE_FILES)
	mvn --batch-mode --quiet -Dstyle.color=never -f $(JAVA_EXAMPLE)/pom.xml compile dependency:build-classpath \
	  -Dmdep.outputFile=target/classpath.txt
	touch $@

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

test: lint system-deps node-deps java-deps
	$(BIN)/pytest

test-unit: install node-deps
	$(BIN)/pytest -m "not kafka"

demo: install
	$(BIN)/python -m examples.tell_us_once

kafka-up: install
	$(BIN)/govbus kafka up

kafka-down: install
	$(BIN)/govbus kafka down

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
