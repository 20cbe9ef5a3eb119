"""The README's demo command keeps working: embedded SQLite, in-process queue, sandbox Shopify."""

import os
import re
import subprocess
import sys
from pathlib import Path

from .helpers import free_port


def test_demo_installs_processes_and_prints_every_order(tmp_path):
    root = Path(__file__).resolve().parents[1]
    flask = Path(sys.executable).with_name("flask")
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    result = subprocess.run(
        [str(flask), "--app", "orderflow", "demo", "--exit", "--port", str(free_port()),
         "--sandbox-port", str(free_port()), "--carrier-port", str(free_port())],
        cwd=tmp_path, env=env | {"PYTHONPATH": str(root)}, capture_output=True, text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    table = result.stdout
    assert "through the OAuth code flow" in table
    for case, state in [("pending payment", "on_hold"), ("digital only", "nothing_to_ship"),
                        ("60 line items", "delivered"), ("to be cancelled", "cancelled"),
                        ("too few in stock", "Not enough stock"),
                        ("edited after creation", "(failed)"), ("paid", "delivered")]:
        line = [row for row in table.splitlines()
                if re.match(rf"#\d+\s+{re.escape(case)}\s\s", row)][-1]
        assert state in line, line
    assert "Alert for" in table and "Package Lost" in table
    mails = list((tmp_path / "instance" / "mail").glob("*.eml"))
    assert len(mails) >= 5 and any("delivered" in m.read_text().lower() for m in mails)
    shipped = next(row for row in table.splitlines() if re.match(r"#\d+\s+paid\s\s", row))
    assert "USPS" in shipped or "UPS" in shipped or "FedEx" in shipped
    assert "Cheapest" in shipped
    assert (tmp_path / "instance" / "demo.db").exists()
