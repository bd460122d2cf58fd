# labelgate: the gateway alone. It expects an external PostgreSQL and S3 (see compose.yaml):
#   LABELGATE_DATABASE_URL, LABELGATE_S3_ENDPOINT, LABELGATE_S3_ACCESS_KEY, LABELGATE_S3_SECRET_KEY,
#   LABELGATE_S3_PUBLIC_ENDPOINT (the S3 address clients reach: signed URLs name it), LABELGATE_S3_BUCKET.
# The embedded mode (no LABELGATE_DATABASE_URL) is for local runs, not for this image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
# Metadata first, so the dependency layer is rebuilt only when pyproject.toml changes.
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt
COPY gateway ./gateway
COPY schema ./schema
COPY resolvers ./resolvers
RUN pip install --no-deps . && cd / && rm -rf /src

RUN useradd --system --uid 10001 --user-group --home-dir /home/labelgate --create-home labelgate
USER labelgate
WORKDIR /home/labelgate

EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2)"]
ENTRYPOINT ["labelgate"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
