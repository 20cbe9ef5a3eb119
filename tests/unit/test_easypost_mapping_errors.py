"""The EasyPost adapter's errors: recorded rejections, the class of each failure, the client's
exceptions made ours, and nothing but our errors whatever EasyPost sends. No network."""

import json

import easypost
import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from orderflow.integrations.easypost import client as ep_client
from orderflow.integrations.easypost.client import EasyPostCarrier
from orderflow.integrations.easypost.errors import (
    AddressUndeliverable,
    CarrierAuthError,
    CarrierError,
    CarrierOutcomeUnknown,
    CarrierRejected,
    CarrierResponseError,
    CarrierUnavailable,
    PostageExists,
    RateUnavailable,
    RefundRefused,
)
from orderflow.integrations.easypost.mapping import (
    address_from_easypost,
    error_from_easypost,
    label_from_easypost,
    rate_from_easypost,
    rates_from_easypost,
    shipment_from_easypost,
    tracker_from_easypost,
)

from .easypost_recordings import official, recorded

# Errors


def test_address_verify_failure_is_undeliverable_with_the_carriers_words():
    status, body = recorded("test_address_verify_invalid_address.yaml", 1)
    error = error_from_easypost(status, body)
    assert type(error) is AddressUndeliverable
    assert error.code == "ADDRESS.VERIFY.FAILURE"
    assert error.details == ("Address not found", "street1: House number is missing")
    assert "Address not found" in str(error)
    guide = official("error.ADDRESS.VERIFY.FAILURE__easypost-examples_errors-guide.json")
    assert type(error_from_easypost(422, guide)) is AddressUndeliverable


def test_recorded_rejections():
    status, body = recorded("test_error.yaml")
    error = error_from_easypost(status, body)
    assert type(error) is CarrierRejected and error.code == "PARAMETER.REQUIRED"
    assert str(error) == "Missing required parameter. (shipment: cannot be blank)"

    status, body = recorded("test_error_alternative_format.yaml")
    error = error_from_easypost(status, body)
    assert (type(error), error.code) == (CarrierRejected, "NOT_FOUND")
    assert error.details == ("No eligible insurance found with provided tracking code.",)

    payload = official("error.PAYLOAD.NOT_FOUND__easypost-python_cassette.json")
    assert error_from_easypost(404, payload).details == ()


def _error(code, message="m"):
    return {"error": {"code": code, "message": message, "errors": []}}


@pytest.mark.parametrize(
    ("status", "body", "buying", "expected"),
    [
        (422, _error("SHIPMENT.POSTAGE.EXISTS"), True, PostageExists),
        (422, _error("SHIPMENT.MISSING_RATE"), True, RateUnavailable),
        (422, _error("SHIPMENT.POSTAGE.FAILURE"), True, RateUnavailable),
        (422, _error("SHIPMENT.POSTAGE.NO_RESPONSE"), True, CarrierOutcomeUnknown),
        (422, _error("SHIPMENT.PURCHASE.IN_PROGRESS"), True, CarrierOutcomeUnknown),
        (422, _error("SHIPMENT.REFUND.UNAVAILABLE"), False, RefundRefused),
        (401, _error("APIKEY.INACTIVE"), False, CarrierAuthError),
        (402, _error("PAYMENT.REQUIRED"), True, CarrierAuthError),
        (403, None, False, CarrierAuthError),
        (429, _error("RATE_LIMITED"), False, CarrierUnavailable),
        (429, _error("RATE_LIMITED"), True, CarrierUnavailable),  # refused: nothing was bought
        (500, _error("INTERNAL_SERVER_ERROR"), False, CarrierUnavailable),
        (500, _error("INTERNAL_SERVER_ERROR"), True, CarrierOutcomeUnknown),
        (502, "<html>Bad Gateway</html>", True, CarrierOutcomeUnknown),
        (None, None, False, CarrierUnavailable),
        (None, None, True, CarrierOutcomeUnknown),
        (422, _error("ADDRESS.VERIFY.UNAVAILABLE"), False, CarrierUnavailable),
    ],
)
def test_error_classes(status, body, buying, expected):
    error = error_from_easypost(status, body, buying=buying)
    assert type(error) is expected


def test_outcome_unknown_is_also_unavailable_but_unavailable_is_not_unknown():
    assert isinstance(error_from_easypost(None, None, buying=True), CarrierUnavailable)
    assert not isinstance(error_from_easypost(503, None), CarrierOutcomeUnknown)


def test_client_exceptions_become_ours_without_network():
    def raising(exc):
        def call():
            raise exc
        return call

    with pytest.raises(CarrierOutcomeUnknown):
        ep_client._call(raising(easypost.errors.TimeoutError("Request timed out.")), buying=True)
    with pytest.raises(CarrierUnavailable) as caught:
        ep_client._call(raising(easypost.errors.HttpError("connection refused")))
    assert type(caught.value) is CarrierUnavailable
    body = json.dumps(_error("SHIPMENT.POSTAGE.EXISTS"))
    exists = easypost.errors.InvalidRequestError("m", http_status=422, http_body=body)
    with pytest.raises(PostageExists):
        ep_client._call(raising(exists), buying=True)
    html = easypost.errors.JsonError("Invalid response from API")  # a proxy's HTML page
    with pytest.raises(CarrierOutcomeUnknown):
        ep_client._call(raising(html), buying=True)
    with pytest.raises(CarrierUnavailable):
        ep_client._call(raising(requests.ConnectionError("reset")))


def test_buy_client_never_resends_a_request():
    carrier = EasyPostCarrier("EZTK_not_a_real_key", api_base="http://127.0.0.1:9/v2", timeout=1)
    adapters = carrier._buy_client._requests_session.adapters
    assert adapters
    for adapter in adapters.values():
        retry = adapter.max_retries
        assert retry.read is False and retry.other == 0 and retry.status == 0
    assert "EZTK" not in repr(carrier)


# Whatever EasyPost sends, mapping raises nothing but CarrierResponseError


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(
        st.sampled_from(["id", "rate", "currency", "carrier", "service", "rates", "messages",
                         "postage_label", "label_url", "tracker", "tracking_details", "status",
                         "datetime", "delivery_date", "delivery_days", "insurance", "object",
                         "result", "tracking_code", "verifications", "delivery", "errors"]),
        children,
        max_size=6,
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(_json)
def test_mapping_raises_only_carrier_response_error(value):
    for parse in (shipment_from_easypost, rate_from_easypost, tracker_from_easypost,
                  address_from_easypost, label_from_easypost, rates_from_easypost):
        try:
            parse(value)
        except CarrierResponseError:
            pass


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.none(), st.integers(100, 599)), _json)
def test_error_mapping_always_returns_a_carrier_error(status, body):
    assert isinstance(error_from_easypost(status, body), CarrierError)
