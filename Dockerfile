# localcoin API server. In production set DATABASE_URL to a managed PostgreSQL;
# without it the container starts its own embedded PostgreSQL under /data.
FROM python:3.11-slim

RUN useradd --create-home --uid 10001 localcoin \
    && mkdir /data && chown localcoin /data
WORKDIR /app
COPY pyproject.toml README.md ./
COPY ledger ledger
COPY wallet_api wallet_api
COPY merchant merchant
COPY settlement settlement
COPY notices notices
COPY localcoin localcoin
RUN pip install --no-cache-dir .

USER localcoin
ENV LOCALCOIN_HOME=/data \
    LOCALCOIN_ENVIRONMENT=production \
    LOCALCOIN_LOG_JSON=true
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health')"
CMD ["localcoin", "serve", "--host", "0.0.0.0", "--port", "8000"]
