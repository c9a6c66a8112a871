#!/usr/bin/env bash
# `make loadtest`: serve the bench data with gunicorn and the production settings, drive it with locust.
# Environment: BENCH_DATABASE_URL, REDIS_URL, LOADTEST_USERS (150), LOADTEST_TIME (60 s, measured after
# everyone has signed in), LOADTEST_SPAWN_RATE (10/s), LOADTEST_WORKERS (gunicorn, 3), LOADTEST_PORT (8321).
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
DB=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/amhe_bench}
REDIS=${REDIS_URL:-redis://127.0.0.1:6379/0}
USERS=${LOADTEST_USERS:-150}
TIME=${LOADTEST_TIME:-60}
RATE=${LOADTEST_SPAWN_RATE:-10}
WORKERS=${LOADTEST_WORKERS:-3}
PORT=${LOADTEST_PORT:-8321}
TMP=$(mktemp -d)
GUNICORN_PID=""
cleanup() {
  if [ -n "$GUNICORN_PID" ]; then kill "$GUNICORN_PID" 2>/dev/null || true; wait "$GUNICORN_PID" 2>/dev/null || true; fi
  rm -rf "$TMP"
}
trap cleanup EXIT

# Production settings: DEBUG off, a fresh secret key, the one host, static files collected and served by whitenoise.
export DEBUG=0 TESTING=0 DATABASE_URL="$DB" REDIS_URL="$REDIS" ALLOWED_HOSTS=127.0.0.1 STATIC_ROOT="$TMP/static"
export SECRET_KEY
SECRET_KEY=$("$PY" -c "import secrets; print(secrets.token_urlsafe(50))")
# The load test plays the load balancer (X-Forwarded-For per user): the sign-in rate limits count that address.
export TRUSTED_PROXY_COUNT=1
"$PY" manage.py collectstatic --no-input -v 0
"$PY" -m gunicorn collaborative.wsgi --bind "127.0.0.1:$PORT" --workers "$WORKERS" \
  --access-logfile /dev/null --error-logfile "$TMP/gunicorn.log" --log-level warning &
GUNICORN_PID=$!
for _ in $(seq 1 60); do
  curl -fs -o /dev/null "http://127.0.0.1:$PORT/healthz" && break
  sleep 0.5
done
curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" || { echo "gunicorn did not answer /healthz" >&2; cat "$TMP/gunicorn.log" >&2; exit 1; }
echo "Serving the bench data on 127.0.0.1:$PORT with $WORKERS gunicorn workers; $USERS users (8 leads : 2 coaches : 1 national)."
LOADTEST_TIME=$TIME "$PY" -m locust -f scripts/loadtest/locustfile.py --headless --only-summary \
  --users "$USERS" --spawn-rate "$RATE" --run-time "$((TIME + 600))s" --host "http://127.0.0.1:$PORT" \
  --loglevel WARNING --skip-log-setup 2>&1 | grep -v "^\s*$" | sed -n '/^Signed in\|^Load test\|^page\|^Errors\|^  \|^[a-zA-Z(].*  [0-9]/p'
if [ -s "$TMP/gunicorn.log" ]; then echo "gunicorn said:"; tail -20 "$TMP/gunicorn.log"; fi
