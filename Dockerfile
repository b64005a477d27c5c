# syntax=docker/dockerfile:1
#
# airbyte/source-sendoso: the connector on the Airbyte Python connector base image.
# The base image is the one metadata.yaml declares (connectorBuildOptions.baseImage), pinned
# by digest; unit_tests/test_metadata.py keeps the two equal.
#
#   docker build -t airbyte/source-sendoso:dev .
#   docker run --rm airbyte/source-sendoso:dev spec
#
# integration_tests/test_packaging.py does what this file does without a Docker engine:
# same build context (.dockerignore), same wheel build, a fresh environment, same installs,
# same commands.

# 1. Build the package as a wheel. The wheel holds real copies of the schemas that the
#    source tree keeps behind the symlink source_sendoso/schemas -> ../schemas.
FROM docker.io/airbyte/python-connector-base:4.0.2@sha256:9fdb1888c4264cf6fee473649ecb593f56f58e5d0096a87ee0b231777e2e3e73 AS builder
WORKDIR /build
COPY . .
RUN python -m pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

# 2. On a clean copy of the base image: the dependency tree from requirements.lock, every
#    version pinned and every file checked against its hash (pip refuses a dependency the lock
#    lacks), then the wheel itself. Neither the sources nor the wheel end up in a layer.
FROM docker.io/airbyte/python-connector-base:4.0.2@sha256:9fdb1888c4264cf6fee473649ecb593f56f58e5d0096a87ee0b231777e2e3e73
WORKDIR /airbyte/integration_code
RUN --mount=type=bind,source=requirements.lock,target=/tmp/requirements.lock \
    python -m pip install --no-cache-dir --require-hashes -r /tmp/requirements.lock
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    python -m pip install --no-cache-dir --no-deps /wheels/*.whl

# The base image's non-root user.
USER airbyte

ENV AIRBYTE_ENTRYPOINT="source-sendoso"
ENTRYPOINT ["source-sendoso"]

LABEL io.airbyte.name=airbyte/source-sendoso
LABEL io.airbyte.version=1.1.0
