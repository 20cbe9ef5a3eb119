"""What every benchmark shares: the repository's root, the app's bench credentials, the output.

Each benchmark runs as `python bench/NAME.py` from the repository's root. Python then puts
`bench/` on `sys.path`, not the root, so every benchmark puts the root there itself before it
imports `bench.*` (the first lines after its standard library imports). Nothing here imports the
app.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
API_KEY, API_SECRET = "bench-client-id", "bench-client-secret-that-is-32-bytes-or-more"


def say(*parts) -> None:
    print(*parts, flush=True)


def result_line(**figures) -> str:
    """The machine-readable last line of a run: `RESULT key=value ...`, values as given."""
    return "RESULT " + " ".join(f"{key}={value}" for key, value in figures.items())


def session_token(shop: str, api_key: str = API_KEY, api_secret: str = API_SECRET,
                  ttl: int = 60) -> str:
    """An App Bridge session token for `shop`, as Shopify's admin would mint it."""
    import jwt

    now = int(time.time())
    claims = {
        "iss": f"https://{shop}/admin",
        "dest": f"https://{shop}",
        "aud": api_key,
        "sub": "42",
        "exp": now + ttl,
        "nbf": now - 5,
        "iat": now - 5,
        "jti": uuid.uuid4().hex,
        "sid": uuid.uuid4().hex,
    }
    return jwt.encode(claims, api_secret, algorithm="HS256")


def app_version() -> str:
    """The commit the app runs at, and whether its files differ from it (for comparing runs)."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "orderflow"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
        return (head or "unknown") + (" with uncommitted changes in orderflow/" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
