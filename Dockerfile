# Front-end assets: NHS.UK frontend and plotly from npm, copied into static/vendor.
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error
COPY scripts/build_assets.py scripts/build_assets.py
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends python3 >/dev/null \
    && python3 scripts/build_assets.py

FROM python:3.12-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
# WeasyPrint (the end-of-programme report's PDF) draws text with Pango and HarfBuzz.
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core >/dev/null \
    && rm -rf /var/lib/apt/lists/*
COPY requirements.lock .
RUN pip install -r requirements.lock
COPY . .
COPY --from=assets /app/static/vendor static/vendor
RUN SECRET_KEY=collectstatic-only DEBUG=0 python manage.py collectstatic --no-input -v 0 \
    && useradd --create-home --uid 1000 amhe && mkdir -p /app/media && chown amhe /app/media
USER amhe
EXPOSE 8000
CMD ["gunicorn", "collaborative.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
