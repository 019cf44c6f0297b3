#!/usr/bin/env bash
# System packages and services the test suite talks to: Debian's Chromium
# for the browser tests, Dovecot for the IMAP tests, a running PostgreSQL
# and Redis. Needs root (CI is root); without root it only says what is
# missing.
set -uo pipefail
need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v msgfmt >/dev/null 2>&1 || need_apt+=(gettext)
# Dovecot: the IMAP server the email tests run privately (tests/connectors/email/dovecot.py).
[ -x /usr/sbin/dovecot ] || command -v dovecot >/dev/null 2>&1 || need_apt+=(dovecot-imapd)
# Voikko: Finnish lemmas and compound words for search (Snowball stems without it).
[ -d /usr/lib/voikko ] || [ -d /usr/share/voikko ] || need_apt+=(libvoikko1 voikko-fi)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "Missing system packages: ${need_apt[*]} (install them as root: apt-get install ${need_apt[*]})" >&2
  fi
fi

# PostgreSQL and Redis: start them when they are installed but not running.
if command -v pg_isready >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if [ "$(id -u)" = 0 ] && [ -d /etc/postgresql ]; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 20); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
  fi
fi
if command -v redis-cli >/dev/null 2>&1 && ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v redis-server >/dev/null 2>&1; then
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
  fi
fi
exit 0
