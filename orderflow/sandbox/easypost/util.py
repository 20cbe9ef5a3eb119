"""Small helpers shared by the sandbox EasyPost modules: ids, timestamps, money, API errors."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import ROUND_HALF_UP, Decimal

UTC = dt.UTC


def new_id(prefix: str) -> str:
    """EasyPost-style id: `shp_` + 32 lowercase hex characters."""
    return f"{prefix}_{uuid.uuid4().hex}"


def utcnow() -> dt.datetime:
    return dt.datetime.now(UTC).replace(microsecond=0)


def iso_z(moment: dt.datetime) -> str:
    """Shipments, rates, trackers: `2025-03-07T16:46:20Z`."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


def iso_offset(moment: dt.datetime) -> str:
    """Addresses use `2025-03-06T19:47:19+00:00` (see the address cassettes)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def iso_millis(moment: dt.datetime) -> str:
    """Events use `2024-08-02T19:26:52.000Z`."""
    millis = f"{moment.microsecond // 1000:03d}"
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + millis + "Z"


def money(value: float | Decimal, places: int = 2) -> str:
    """Round half up to `places` decimals and render as EasyPost does ("7.58", "6.07000")."""
    quantum = Decimal(1).scaleb(-places)
    return str(Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def to_float(value, default: float | None = None) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def truthy(value) -> bool:
    """Query booleans arrive as "true"/"True"/"1" (requests renders Python True as "True")."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


class ApiError(Exception):
    """An error answered in EasyPost's body shape `{"error": {"code", "message", "errors"}}`."""

    def __init__(self, status: int, code: str, message: str, errors: list | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message
        self.errors = list(errors or [])

    def body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "errors": self.errors}}


def not_found() -> ApiError:
    return ApiError(404, "NOT_FOUND", "The requested resource could not be found.")


def param_required(field: str, message: str = "cannot be blank") -> ApiError:
    return ApiError(422, "PARAMETER.REQUIRED", "Missing required parameter.",
                    [{"field": field, "message": message}])
