# One task runner for people and CI alike.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install system-deps node-deps java-deps docker-deps docker-images lint test test-unit \
        test-containers demo kafka-up kafka-down clean

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

# The container path: a Docker engine of govbus's own (scripts/docker-engine.sh: Debian's
# dockerd on its own socket, never the default one), Compose v2 built from its Go module, and the
# images built from Debian's packages and Kafka's jars (scripts/docker-images.sh; unchanged
# inputs are not built again). A Docker you already run is used when DOCKER_HOST names it.
KAFKA_VERSION := $(shell sed -n 's/^KAFKA_VERSION = "\(.*\)"$$/\1/p' bus/broker/local/jars.py)
CONTAINER_TESTS := tests/integration/bus/test_delivery.py \
  tests/integration/adapters/rest/test_rest_suites.py tests/integration/test_round_trip.py \
  tests/integration/docker

docker-deps: system-deps
	scripts/docker-compose-plugin.sh

docker-images: install docker-deps
	scripts/docker-engine.sh start
	scripts/docker-images.sh

# Exit status 3 of a script means "cannot here" (not root, no engine): the tests then skip,
# saying why, instead of failing. Kafka runs from the locally built image when the engine has
# it, otherwise from apache/kafka (GOVBUS_KAFKA_IMAGE chooses another).
LOCAL_KAFKA_IMAGE := govbus/kafka:$(KAFKA_VERSION)
test-containers: install
	scripts/docker-engine.sh start || [ $$? -eq 3 ]
	scripts/docker-compose-plugin.sh || [ $$? -eq 3 ]
	! scripts/docker-engine.sh status >/dev/null || scripts/docker-images.sh || [ $$? -eq 3 ]
	export DOCKER_HOST=$$(scripts/docker-engine.sh host) GOVBUS_TEST_KAFKA=container; \
	if docker image inspect $(LOCAL_KAFKA_IMAGE) >/dev/null 2>&1; then \
	  export GOVBUS_KAFKA_IMAGE=$${GOVBUS_KAFKA_IMAGE:-$(LOCAL_KAFKA_IMAGE)}; \
	fi; \
	$(BIN)/pytest $(CONTAINER_TESTS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# The whole suite on the jar path (Kafka from its jars on the local JDK), then the container path.
test: lint system-deps node-deps java-deps
	$(BIN)/pytest -m "not docker"
	$(MAKE) --no-print-directory test-containers

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
