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

# 1. Poetry, in the range pyproject.toml requires of it (`requires-poetry`), in an environment
#    of its own; then the package as a wheel.
FROM docker.io/airbyte/python-connector-base:4.0.2@sha256:9fdb1888c4264cf6fee473649ecb593f56f58e5d0096a87ee0b231777e2e3e73 AS builder
WORKDIR /build
COPY . .
RUN python -m venv /opt/poetry \
    && /opt/poetry/bin/python -m pip install --no-cache-dir \
        "poetry$(sed -n 's/^requires-poetry *= *"\([^"]*\)".*/\1/p' pyproject.toml)"
RUN POETRY_VIRTUALENVS_CREATE=false /opt/poetry/bin/poetry build --no-interaction --format wheel --output /wheels

# 2. On a clean copy of the base image: the runtime group of poetry.lock, every version pinned
#    and every file checked against the lock's hash, into the image's Python (with no virtual
#    environment to create, Poetry installs into the Python its own environment was made
#    from); then the wheel itself. Neither Poetry, its cache, the sources nor the wheel end up
#    in a layer.
FROM docker.io/airbyte/python-connector-base:4.0.2@sha256:9fdb1888c4264cf6fee473649ecb593f56f58e5d0096a87ee0b231777e2e3e73
WORKDIR /airbyte/integration_code
RUN --mount=type=bind,from=builder,source=/opt/poetry,target=/opt/poetry \
    --mount=type=bind,source=pyproject.toml,target=/tmp/project/pyproject.toml \
    --mount=type=bind,source=poetry.lock,target=/tmp/project/poetry.lock \
    --mount=type=cache,target=/root/.cache/pypoetry \
    POETRY_VIRTUALENVS_CREATE=false /opt/poetry/bin/poetry install --directory /tmp/project --only main --no-root --no-interaction
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    python -m pip install --no-cache-dir --no-deps /wheels/*.whl

# The base image's non-root user.
USER airbyte

ENV AIRBYTE_ENTRYPOINT="source-sendoso"
ENTRYPOINT ["source-sendoso"]

LABEL io.airbyte.name=airbyte/source-sendoso
LABEL io.airbyte.version=1.2.0
