# Session Warden: build a virtualenv from the project's own lock, then copy it into a slim,
# non-root runtime image. No secret is baked in: DISCORD_TOKEN and USEAPI_TOKEN come from
# the environment at run time (see compose.yaml and .env.example).

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# Runtime dependencies first, at the versions in requirements.lock, so that a code change
# reuses this layer. The list comes from pyproject.toml itself.
COPY requirements.lock pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > runtime.txt \
    && pip install --no-cache-dir -c requirements.lock -r runtime.txt
COPY README.md ./
COPY bot/ bot/
COPY cogs/ cogs/
RUN pip install --no-cache-dir --no-deps .

FROM ${PYTHON_IMAGE}
LABEL org.opencontainers.image.title="Session Warden" \
      org.opencontainers.image.description="Discord bot that renews useapi.net sessions and warns before they expire"
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DATABASE_PATH=/data/session-warden.sqlite3
RUN groupadd --system --gid 10001 warden \
    && useradd --system --uid 10001 --gid warden --home-dir /data --no-create-home --shell /usr/sbin/nologin warden \
    && mkdir /data \
    && chown warden:warden /data \
    && chmod 700 /data
COPY --from=builder /opt/venv /opt/venv
WORKDIR /data
USER 10001:10001
VOLUME ["/data"]
# The scheduler writes a heartbeat into the database at least every 30 s; this reads it
# (no network, about 0.1 s). HEALTH_MAX_AGE (default 3m) decides how old is too old.
HEALTHCHECK --interval=60s --timeout=10s --start-period=3m --retries=3 \
    CMD ["python", "-m", "bot", "healthcheck"]
# The bot exits cleanly on SIGTERM (docker stop) within a few seconds.
CMD ["python", "-m", "bot"]
