# jalon against a PostgreSQL server (JALON_DATABASE_URL); the embedded database is
# for development machines, not images. Not built in CI: no Docker engine runs there.
FROM python:3.11-slim AS build
WORKDIR /srv/jalon
RUN python -m venv /opt/venv
COPY pyproject.toml requirements.lock README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY openapi ./openapi
RUN /opt/venv/bin/pip install --no-cache-dir --constraint requirements.lock -e .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --no-create-home jalon
COPY --from=build /opt/venv /opt/venv
COPY --from=build /srv/jalon /srv/jalon
WORKDIR /srv/jalon
USER jalon
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["jalon", "serve", "--host", "0.0.0.0", "--port", "8000"]
