"""EasyPost's error answers (or the lack of one) as the exception a caller handles."""

from __future__ import annotations

import json
from typing import Any

from .errors import (
    AddressUndeliverable,
    CarrierAuthError,
    CarrierError,
    CarrierOutcomeUnknown,
    CarrierRejected,
    CarrierUnavailable,
    PostageExists,
    RateUnavailable,
    RefundRefused,
)
from .messages import field_messages, words

# The carrier may have bought the label; only a lookup tells.
_OUTCOME_UNKNOWN_CODES = frozenset(
    {"SHIPMENT.POSTAGE.NO_RESPONSE", "SHIPMENT.POSTAGE.TIMED_OUT", "SHIPMENT.PURCHASE.IN_PROGRESS"}
)
_UNAVAILABLE_CODES = frozenset({"ADDRESS.VERIFY.UNAVAILABLE", "REFUND.NO_RESPONSE"})
_RATE_CODES = frozenset(
    {
        "SHIPMENT.MISSING_RATE",
        "SHIPMENT.RATE.NOT_FOUND",
        "SHIPMENT.RATE.EXPIRED",
        "SHIPMENT.RATE.CARRIER_ACCOUNT_INVALID",
        "SHIPMENT.POSTAGE.FAILURE",  # usually a stale rate: re-rate and buy again (notes §2)
        "RATE.NOT_FOUND",
    }
)
_REFUND_CODES = frozenset({"SHIPMENT.REFUND.UNAVAILABLE", "SHIPMENT.REFUND.FAILURE",
                           "REFUND.FAILURE"})
_BY_CODE: dict[str, type[CarrierRejected]] = {
    "ADDRESS.VERIFY.FAILURE": AddressUndeliverable,
    "SHIPMENT.POSTAGE.EXISTS": PostageExists,
    **{code: RateUnavailable for code in _RATE_CODES},
    **{code: RefundRefused for code in _REFUND_CODES},
}


def error_from_easypost(http_status: int | None, body: Any, buying: bool = False) -> CarrierError:
    """The exception for an EasyPost error answer.

    `body` is the parsed JSON, or its text/bytes, or None. `http_status` None means no HTTP
    answer at all. With `buying`, anything that does not prove the buy was refused is
    `CarrierOutcomeUnknown`: a 5xx may come from a proxy after EasyPost bought the label.
    """
    code, message, details = _error_parts(body)
    if code in _OUTCOME_UNKNOWN_CODES:
        return CarrierOutcomeUnknown(_sentence(message, code))
    if http_status in (401, 402, 403):
        return CarrierAuthError(_sentence(message, code or f"HTTP {http_status}"))
    if http_status is None and not message:
        cls = CarrierOutcomeUnknown if buying else CarrierUnavailable
        return cls("EasyPost sent no usable answer (timeout, broken connection or non-JSON body)")
    if http_status is None or http_status in (408, 429) or http_status >= 500 or http_status < 400:
        unknown = buying and http_status != 429  # 429: refused before any work was done
        cls = CarrierOutcomeUnknown if unknown else CarrierUnavailable
        return cls(_sentence(message, code or f"HTTP {http_status}"))
    if code in _UNAVAILABLE_CODES:
        return CarrierUnavailable(_sentence(message, code))
    cls = _BY_CODE.get(code or "", CarrierRejected)
    return cls(_merchant_message(message, details, cls), code, details)


def _error_parts(body: Any) -> tuple[str | None, str, tuple[str, ...]]:
    if isinstance(body, bytes | str):
        try:
            body = json.loads(body)
        except ValueError:
            return None, "", ()
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, "", ()
    code = error.get("code") if isinstance(error.get("code"), str) else None
    details = field_messages(error.get("errors"), "error.errors", strict=False)
    return code, words(error.get("message")), details


def _merchant_message(message: str, details: tuple[str, ...], cls: type) -> str:
    if cls is AddressUndeliverable:
        return "The carrier cannot deliver to this address: " + (
            "; ".join(details) or message or "no reason given"
        ) + "."
    text = message or "EasyPost refused the request."
    return f"{text} ({'; '.join(details)})" if details else text


def _sentence(message: str, code: str) -> str:
    return f"{message} [{code}]" if message else f"EasyPost: {code}"
