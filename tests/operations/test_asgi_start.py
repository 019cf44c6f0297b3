"""What the web process does once at start-up (tiski/asgi.py)."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = """
import gc
before = gc.get_freeze_count()
import tiski.asgi
from django.urls import get_resolver
print(before, gc.get_freeze_count(), get_resolver()._populated)
"""


def test_start_up_heap_is_frozen_out_of_full_collections(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update({"DJANGO_SETTINGS_MODULE": "tiski.settings", "TISKI_DATA_DIR": str(tmp_path)})
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, check=True, capture_output=True, text=True
    ).stdout.split()
    before, frozen, populated = int(out[0]), int(out[1]), out[2]
    assert before == 0
    # Django, the apps and the URLconf: far more than an empty interpreter's objects
    assert frozen > 50_000
    assert populated == "True"
