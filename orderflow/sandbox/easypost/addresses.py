"""Address objects and deterministic verification (see the test_address_create_verify* cassettes).

An address fails delivery verification when its street is empty or contains "UNDELIVERABLE",
or, in the US, when the ZIP is not 5 digits (ZIP+4 accepted), the city is empty or the state is
not a US state code. Otherwise it passes and comes back corrected: upper case, street2 merged
into street1, ZIP+4 added, `residential` set and lat/lng in `verifications.delivery.details`.
"""

from __future__ import annotations

import datetime as dt
import re

from .rates import hash_fraction
from .util import ApiError, iso_offset, new_id

FIELDS = ("name", "company", "street1", "street2", "city", "state", "zip", "country", "phone",
          "email", "carrier_facility", "residential", "federal_tax_id", "state_tax_id")
US_STATES = set("""AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO
MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR VI GU AS MP AA AE
AP""".split())
ZIP_RE = re.compile(r"^\d{5}(-\d{4})?$")
# By first ZIP digit: (latitude, longitude, time zone) of a point in that region.
REGIONS = {
    "0": (42.36, -71.06, "America/New_York"), "1": (40.71, -74.01, "America/New_York"),
    "2": (38.90, -77.04, "America/New_York"), "3": (33.75, -84.39, "America/New_York"),
    "4": (39.96, -83.00, "America/New_York"), "5": (44.98, -93.27, "America/Chicago"),
    "6": (38.63, -90.20, "America/Chicago"), "7": (32.78, -96.80, "America/Chicago"),
    "8": (39.74, -104.99, "America/Denver"), "9": (37.77, -122.42, "America/Los_Angeles"),
}


def build_address(params: dict, now: dt.datetime) -> dict:
    """An unverified Address object, fields as sent (like the first create_verify interaction)."""
    stamp = iso_offset(now)
    address = {"id": new_id("adr"), "object": "Address", "created_at": stamp, "updated_at": stamp}
    for field in FIELDS:
        value = params.get(field)
        address[field] = None if value == "" else value
    address["country"] = (params.get("country") or "US").upper()
    address["mode"] = "test"
    address["verifications"] = {}
    order = ("id", "object", "created_at", "updated_at", "name", "company", "street1", "street2",
             "city", "state", "zip", "country", "phone", "email", "mode", "carrier_facility",
             "residential", "federal_tax_id", "state_tax_id", "verifications")
    return {k: address.get(k) for k in order}


def verification_errors(address: dict) -> list[dict]:
    """FieldErrors (with codes, as in the python cassette) or [] when deliverable."""
    street = (address.get("street1") or "").strip()
    errors = []
    us = address.get("country", "US") == "US"
    if not street or "UNDELIVERABLE" in street.upper():
        errors.append(_field_error("E.ADDRESS.NOT_FOUND", "address", "Address not found"))
    elif us and not (address.get("city") and (address.get("state") or "").upper() in US_STATES
                     and ZIP_RE.match(str(address.get("zip") or "").strip())):
        errors.append(_field_error("E.ADDRESS.NOT_FOUND", "address", "Address not found"))
    if errors and street and not street[0].isdigit():
        errors.append(_field_error("E.HOUSE_NUMBER.MISSING", "street1", "House number is missing"))
    return errors


def _field_error(code: str, field: str, message: str) -> dict:
    return {"code": code, "field": field, "message": message, "suggestion": None}


def verify(address: dict) -> bool:
    """Apply verification to `address` in place; return whether it is deliverable."""
    errors = verification_errors(address)
    us = address.get("country") == "US"
    if errors:
        address["verifications"] = {
            "zip4": {"success": False, "errors": errors[:1], "details": None},
            "delivery": {"success": False, "errors": errors, "details": {}},
        }
        if not us:
            del address["verifications"]["zip4"]
        return False
    _correct(address)
    zip5 = str(address.get("zip") or "")[:5]
    lat, lng, zone = REGIONS.get(zip5[:1], (0.0, 0.0, "UTC")) if us else (0.0, 0.0, "UTC")
    h = hash_fraction(f"{address.get('street1')}|{zip5}")
    details = {"latitude": round(lat + (h - 0.5) * 2, 5),
               "longitude": round(lng + (h - 0.5) * 3, 5), "time_zone": zone}
    address["verifications"] = {"zip4": {"success": True, "errors": [], "details": None},
                                "delivery": {"success": True, "errors": [], "details": details}}
    if not us:
        del address["verifications"]["zip4"]
    return True


def _correct(address: dict) -> None:
    for field in ("name", "company", "city", "state"):
        if address.get(field):
            address[field] = str(address[field]).upper()
    street = " ".join(p for p in (address.get("street1"), address.get("street2")) if p)
    address["street1"], address["street2"] = street.upper(), ""
    zip_code = str(address.get("zip") or "").strip()
    if address.get("country") == "US" and len(zip_code) == 5:
        plus4 = int(hash_fraction(address["street1"] + zip_code) * 9000) + 1000
        address["zip"] = f"{zip_code}-{plus4}"
    address["residential"] = not address.get("company")


def strict_failure(address: dict) -> ApiError:
    errors = address["verifications"]["delivery"]["errors"]
    return ApiError(422, "ADDRESS.VERIFY.FAILURE", "Unable to verify address.", errors)
