"""Running manage.py in a process of its own, as an operator would, with an environment the test controls."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def manage(*args, env, forget=()):
    """Run ``manage.py *args`` with the test run's environment minus ``forget`` (and the test settings module),
    plus ``env``. Returns the completed process, its output as text."""
    kept = {k: v for k, v in os.environ.items() if k not in forget and k != "DJANGO_SETTINGS_MODULE"}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**kept, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
