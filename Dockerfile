# UNTESTED: written for those who deploy with containers; it could not be built where this
# project is developed (no Docker engine). It runs the same commands as the Procfile.
#   docker build -t pixel-studio .
# One image for both roles: the web command (default) or the worker (compose.yaml).
FROM python:3.11-slim

RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm unzip curl libomp5 libvulkan1 \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY pixel_studio ./pixel_studio
COPY workers ./workers
COPY alembic ./alembic
COPY alembic.ini rxconfig.py Procfile ./
COPY assets ./assets
COPY tools/package.json tools/package-lock.json ./tools/
COPY reflex.lock ./reflex.lock
RUN pip install --no-cache-dir -e . \
    && npm ci --prefix tools --no-audit --no-fund --loglevel=error

ENV PATH=/app/tools/node_modules/.bin:$PATH \
    REFLEX_DIR=/app/.reflex \
    REFLEX_TELEMETRY_ENABLED=false \
    REFLEX_CHECK_LATEST_VERSION=0 \
    LOG_FORMAT=json \
    PROMETHEUS_MULTIPROC_DIR=/tmp/metrics \
    HOST=0.0.0.0 \
    PORT=8000

EXPOSE 8000
# The backend builds the frontend at start (reflex run --env prod), as under honcho.
CMD ["sh", "-c", "pixel-studio metrics reset && exec reflex run --env prod --single-port --frontend-port $PORT --backend-port $PORT --backend-host $HOST"]
