"""One exception per EasyPost failure that a caller handles differently.

    CarrierError
    ├── CarrierUnavailable          retry later, with backoff
    │   └── CarrierOutcomeUnknown   a buy may have happened: look the shipment up first
    ├── CarrierRejected             the request itself is wrong: retrying will not help
    │   ├── AddressUndeliverable
    │   ├── PostageExists           the shipment already has a label: fetch and reuse it
    │   ├── RateUnavailable         re-rate, then choose again
    │   └── RefundRefused
    ├── CarrierAuthError            API key wrong or account unpaid: the merchant fixes settings
    └── CarrierResponseError        EasyPost answered something we cannot read (also a ValueError)

`WebhookSignatureError` stands apart: it is about a request *to* us.
"""

from __future__ import annotations


class CarrierError(RuntimeError):
    """Base of every failure talking to EasyPost."""


class CarrierUnavailable(CarrierError):
    """Timeout, connection error, 5xx or 429: nothing was done, try again later."""


class CarrierOutcomeUnknown(CarrierUnavailable):
    """A buy was sent but no answer came back: it may or may not have been bought.

    Never buy again before retrieving the shipment: if it has a label, that label is ours.
    """


class CarrierRejected(CarrierError):
    """EasyPost refused the request itself; `message` is meant for the merchant."""

    def __init__(self, message: str, code: str | None = None, details: tuple[str, ...] = ()):
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = details


class AddressUndeliverable(CarrierRejected):
    """The carrier cannot deliver to this address; `details` are the carrier's own words."""


class PostageExists(CarrierRejected):
    """SHIPMENT.POSTAGE.EXISTS: already bought (perhaps by our own earlier, unanswered buy)."""


class RateUnavailable(CarrierRejected):
    """The rate is gone, from another shipment, or stale: re-rate and choose again."""


class RefundRefused(CarrierRejected):
    """EasyPost will not void this label (too old, already scanned, carrier refused)."""


class CarrierAuthError(CarrierError):
    """401, 402 or 403: the API key is wrong or the EasyPost account cannot pay."""


class CarrierResponseError(CarrierError, ValueError):
    """An EasyPost answer we cannot use (missing id, malformed amount, ...)."""


class WebhookSignatureError(ValueError):
    """A webhook without a valid EasyPost HMAC signature: answer 401, do not process it."""
