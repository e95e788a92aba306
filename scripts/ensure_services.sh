#!/usr/bin/env bash
# Start the local services the tests use, if they are not running: PostgreSQL on 127.0.0.1:5432 (trust auth)
# and NATS with JetStream on 127.0.0.1:4222; and Debian's Chromium, which the console's browser tests drive (installed
# when absent). Tests that need a service skip with a clear reason when it is absent (in CI they fail instead).
set -uo pipefail

if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if [ -d /etc/postgresql ]; then
    echo "services: starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
  for _ in $(seq 1 50); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.2; done
fi

if command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ]; then
  if ! (exec 3<>/dev/tcp/127.0.0.1/4222) 2>/dev/null; then
    echo "services: starting nats-server (JetStream)"
    mkdir -p /var/lib/nats-server
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- \
      -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log || true
  fi
fi
if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1; then
  echo "services: installing chromium (browser tests of the console)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "services: could not install chromium" >&2
fi
exit 0
