#!/usr/bin/env bash
# Install Tiski and start it on its embedded default (SQLite) with demo data.
# Usage: scripts/demo.sh [--port N]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/venv.sh
exec .venv/bin/tiski demo "$@"
