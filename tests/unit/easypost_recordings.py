"""The recorded EasyPost responses the adapter's unit tests read.

Recordings: ../shared/fixtures/easypost (VCR cassettes of easypost-python's test suite, and
EasyPost's published example objects in official/). No network.
"""

import json
from pathlib import Path

import yaml

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "easypost"
OFFICIAL = FIXTURES / "official"


def recorded(cassette: str, index: int = 0) -> tuple[int, dict]:
    """(HTTP status, parsed body) of one interaction of a cassette."""
    interaction = yaml.safe_load((FIXTURES / cassette).read_text())["interactions"][index]
    response = interaction["response"]
    return response["status"]["code"], json.loads(response["body"]["string"])


def official(name: str):
    return json.loads((OFFICIAL / name).read_text())
