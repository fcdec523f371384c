# BeykuSay: one instance, installed from its wheel. Untested here (no Docker engine on the
# build machine). Everything it writes is under /data: mount a volume there.

# Build stage: the wheel, exactly what `pip install .` would install.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY beykusay ./beykusay
COPY pages ./pages
COPY prompts ./prompts
RUN pip wheel --no-deps --wheel-dir /wheels .

# Final stage: the wheel with both extras (PostgreSQL and Redis, for several instances).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    BEYKUSAY_ENV=production \
    DATA_DIR=/data \
    NICEGUI_STORAGE_PATH=/data/nicegui \
    HOST=0.0.0.0 \
    PORT=8000

RUN useradd --create-home --uid 10001 beykusay && mkdir /data && chown beykusay /data
COPY --from=build /wheels /wheels
RUN pip install "$(ls /wheels/beykusay-*.whl)[postgres,redis]" && rm -rf /wheels

USER beykusay
# The working folder is where .env would be read from; the app writes nothing here.
WORKDIR /home/beykusay
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/api/health', timeout=4).status != 200)"
CMD ["beykusay", "serve"]
