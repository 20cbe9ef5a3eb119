"""Transport: the official `easypost` client, wrapped so that every call has a timeout, raises
only our typed errors (errors.py) and returns our types (through mapping.py).

Re-sending a buy. `easypost.EasyPostClient` mounts `requests.adapters.HTTPAdapter(max_retries=3)`
on the API host, i.e. urllib3 `Retry(total=3)`. urllib3 refuses to re-send a POST after a read
timeout or a dropped connection (those are "read" errors and POST is not an idempotent method),
but it re-sends *any* method on errors it files as "other", and an `ssl.SSLError` raised while
waiting for the response — after the whole request went out — is one of those (urllib3 2.x,
connectionpool.urlopen → SSLError → Retry.increment "Other retry?"). EasyPost has no idempotency
key, so such a re-send can buy a second label. Buys therefore go through a second client whose
adapter has `Retry(connect=2, read=False, other=0, status=0, redirect=0)`: it retries only
failures to *connect* (nothing was sent), and everything else surfaces as
`CarrierOutcomeUnknown`. The other calls keep the library's retries: they are reads, or POSTs
whose repetition costs nothing (a second unbought shipment, a second refund request).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import urlsplit

import easypost
import requests
from easypost.errors import ApiError, EasyPostError, SignatureVerificationError
from easypost.util import validate_webhook as _easypost_validate_webhook
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from ...fulfilment.types import Address, TrackerUpdate, VerifiedAddress
from .errors import (
    AddressUndeliverable,
    CarrierError,
    CarrierOutcomeUnknown,
    CarrierRejected,
    CarrierResponseError,
    CarrierUnavailable,
    WebhookSignatureError,
)
from .mapping import (
    CarrierShipment,
    address_from_easypost,
    address_to_easypost,
    error_from_easypost,
    rates_from_easypost,
    shipment_from_easypost,
    tracker_from_easypost,
)

DEFAULT_API_BASE = "https://api.easypost.com/v2"
LABEL_FORMATS = frozenset({"PNG", "PDF", "ZPL", "EPL2"})
_NO_RESEND = Retry(total=None, connect=2, read=False, redirect=0, status=0, other=0)

_T = TypeVar("_T")


class EasyPostCarrier:
    """EasyPost, behind our types. One instance per API key; keep it for the process."""

    def __init__(self, api_key: str, api_base: str = DEFAULT_API_BASE, timeout: float = 20.0):
        self._timeout = timeout
        self._client = easypost.EasyPostClient(api_key, api_base=api_base, timeout=timeout)
        self._buy_client = easypost.EasyPostClient(api_key, api_base=api_base, timeout=timeout)
        _never_resend(self._buy_client)

    def __repr__(self) -> str:  # the API key must not reach logs through a repr
        return f"EasyPostCarrier(api_base={self._client.api_base!r})"

    # Addresses

    def verify_address(self, address: Address) -> VerifiedAddress:
        """EasyPost's verified (maybe corrected) version; raises AddressUndeliverable."""
        params = address_to_easypost(address)
        answer = _call(lambda: self._client.address.create(verify=True, **params))
        verified = _map(address_from_easypost, answer, address)
        if not verified.deliverable:
            raise AddressUndeliverable(
                "The carrier cannot deliver to this address: " + "; ".join(verified.messages),
                "ADDRESS.VERIFY.FAILURE",
                verified.messages,
            )
        return verified

    # Shipments

    def create_shipment(
        self,
        to: Address,
        origin: Address,
        parcel: dict,
        options: dict,
        reference: str,
        carrier_accounts: list[str] | None = None,
    ) -> CarrierShipment:
        """A shipment with its rates; carriers that could not rate are in `rate_errors`."""
        params: dict[str, Any] = {
            "to_address": address_to_easypost(to),
            "from_address": address_to_easypost(origin),
            "parcel": parcel,
            "options": options,
            "reference": reference,
        }
        if carrier_accounts:
            params["carrier_accounts"] = list(carrier_accounts)
        answer = _call(lambda: self._client.shipment.create(**params))
        return _map(shipment_from_easypost, answer)

    def retrieve(self, shipment_id: str) -> CarrierShipment:
        answer = _call(lambda: self._client.shipment.retrieve(shipment_id))
        return _map(shipment_from_easypost, answer)

    def rerate(self, shipment_id: str) -> CarrierShipment:
        """Fresh rates (the old rate ids stop being buyable). EasyPost answers the rates only,
        so the shipment is read back and given exactly the rates the rerate returned."""
        answer = _call(lambda: self._client.shipment.regenerate_rates(shipment_id))
        rates = _map(rates_from_easypost, answer)
        return replace(self.retrieve(shipment_id), rates=rates)

    def buy(
        self, shipment_id: str, rate_id: str, insurance: Decimal | None = None
    ) -> CarrierShipment:
        """Buy one rate. Never call it again for a shipment after CarrierOutcomeUnknown or
        PostageExists without `retrieve` first: a label it has is ours, already paid for."""
        params: dict[str, Any] = {"rate": {"id": rate_id}}
        if insurance is not None:
            params["insurance"] = str(insurance)
        answer = _call(lambda: self._buy_client.shipment.buy(shipment_id, **params), buying=True)
        try:
            return shipment_from_easypost(_as_dict(answer))
        except CarrierResponseError as e:  # bought, probably, but we cannot read the label
            raise CarrierOutcomeUnknown(f"unreadable answer to a buy: {e}") from e

    def convert_label(self, shipment_id: str, file_format: str) -> CarrierShipment:
        """Another format of a bought PNG label; see `Label.url_for`."""
        fmt = file_format.upper()
        if fmt not in LABEL_FORMATS:
            raise ValueError(f"label format must be one of {sorted(LABEL_FORMATS)}, not {fmt!r}")
        answer = _call(lambda: self._client.shipment.label(shipment_id, file_format=fmt))
        return _map(shipment_from_easypost, answer)

    def refund(self, shipment_id: str) -> str:
        """Ask to void the label: submitted, refunded, rejected (may be re-asked later) or
        not_applicable. A refusal EasyPost answers with an error raises RefundRefused."""
        answer = _call(lambda: self._client.shipment.refund(shipment_id))
        status = _map(shipment_from_easypost, answer).refund_status
        if status is None:
            raise CarrierResponseError("refund answer has no refund_status")
        return status

    # Trackers

    def create_tracker(self, tracking_code: str, carrier: str) -> TrackerUpdate:
        answer = _call(
            lambda: self._client.tracker.create(tracking_code=tracking_code, carrier=carrier)
        )
        return _map(tracker_from_easypost, answer)

    def retrieve_tracker(self, tracker_id: str) -> TrackerUpdate:
        answer = _call(lambda: self._client.tracker.retrieve(tracker_id))
        return _map(tracker_from_easypost, answer)

    # Files

    def download(self, url: str, max_bytes: int = 5_000_000) -> bytes:
        """A label file. Sent without credentials: label URLs are public (S3), and the API key
        must never travel to a host other than EasyPost's API."""
        if urlsplit(url).scheme not in ("https", "http"):
            raise CarrierResponseError(f"not a downloadable label URL: {url!r}")
        try:
            with requests.get(url, timeout=self._timeout, stream=True) as response:
                _check_download_status(response)
                return _read_at_most(response, max_bytes)
        except requests.RequestException as e:
            raise CarrierUnavailable(f"label download failed: {type(e).__name__}") from e


def validate_webhook(body: bytes, headers: Mapping[str, str], secret: str) -> dict:
    """The parsed event if `X-Hmac-Signature` is right for the raw `body`, else
    WebhookSignatureError. Header names are matched case-insensitively (the library looks up
    exactly "X-Hmac-Signature", which a plain dict of lower-cased headers would miss)."""
    if not secret:
        raise WebhookSignatureError("no webhook secret configured: refusing every webhook")
    signature = next(
        (value for name, value in headers.items() if name.lower() == "x-hmac-signature"), None
    )
    if not signature:
        raise WebhookSignatureError("webhook has no X-Hmac-Signature header")
    try:
        event = _easypost_validate_webhook(body, {"X-Hmac-Signature": signature}, secret)
    except SignatureVerificationError:
        raise WebhookSignatureError("webhook signature does not match") from None
    except ValueError as e:  # signed, but not JSON
        raise CarrierResponseError(f"webhook body is not JSON: {e}") from None
    if not isinstance(event, dict):
        raise CarrierResponseError("webhook body is not a JSON object")
    return event


# Helpers


def _never_resend(client: easypost.EasyPostClient) -> None:
    """Replace every adapter of the client's session with one that never re-sends a request.
    Fails loudly if a library upgrade moves the session, rather than silently re-sending buys."""
    session = getattr(client, "_requests_session", None)
    if not isinstance(session, requests.Session):
        raise RuntimeError("easypost client has no requests session: re-check buy retries")
    for prefix in list(session.adapters):
        session.mount(prefix, HTTPAdapter(max_retries=_NO_RESEND))


def _call(fn: Callable[[], _T], buying: bool = False) -> _T:
    """Run one client call, turning its exceptions into ours."""
    try:
        return fn()
    except ApiError as e:
        raise _error_from_client(e, buying) from e
    except (EasyPostError, requests.RequestException) as e:
        cls = CarrierOutcomeUnknown if buying else CarrierUnavailable
        raise cls(f"EasyPost call failed: {type(e).__name__}") from e


def _error_from_client(e: ApiError, buying: bool) -> CarrierError:
    """An error of the easypost client. HTTP answers carry `http_status` and the body; a timeout
    (TimeoutError), a broken connection (HttpError) and a body that is not JSON (JsonError, e.g.
    a proxy's HTML 502 page) carry no status: for us, no answer."""
    body = getattr(e, "json_body", None) or e.http_body
    return error_from_easypost(e.http_status, body, buying=buying)


def _map(fn: Callable[..., _T], answer: Any, *args: Any) -> _T:
    return fn(_as_dict(answer), *args)


def _as_dict(answer: Any) -> Any:
    """The client's EasyPostObject (or list of them) as plain JSON values."""
    if hasattr(answer, "to_dict"):
        return answer.to_dict()
    if isinstance(answer, list):
        return [_as_dict(item) for item in answer]
    return answer


def _check_download_status(response: requests.Response) -> None:
    if response.status_code >= 500 or response.status_code == 429:
        raise CarrierUnavailable(f"label download: HTTP {response.status_code}")
    if response.status_code >= 400:
        raise CarrierRejected(
            f"The label file could not be downloaded (HTTP {response.status_code}).",
            f"HTTP.{response.status_code}",
        )


def _read_at_most(response: requests.Response, max_bytes: int) -> bytes:
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise CarrierResponseError(f"label file is {declared} bytes, over {max_bytes}")
    chunks, size = [], 0
    for chunk in response.iter_content(chunk_size=65536):
        size += len(chunk)
        if size > max_bytes:
            raise CarrierResponseError(f"label file is over {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


