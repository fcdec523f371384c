# BeykuSay: one single-process instance. Untested here (no Docker engine on the build machine).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    BEYKUSAY_ENV=production \
    DATA_DIR=/data \
    HOST=0.0.0.0 \
    PORT=8000

RUN useradd --create-home --uid 10001 beykusay && mkdir /data && chown beykusay /data
WORKDIR /app
COPY pyproject.toml README.md ./
COPY beykusay ./beykusay
COPY pages ./pages
RUN pip install '.[postgres,redis]'
COPY main.py ./
COPY prompts ./prompts

USER beykusay
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/api/health', timeout=4).status != 200)"
CMD ["python", "main.py"]
