"""The shop's own tracking emails, in its settings (`emails`): which customer emails it sends,
its logo, colour and addresses, and its own subject line and intro per kind of email, each
checked by the same rules the renderer applies (`email_rules`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..email_rules import (
    DEFAULT_COLOUR,
    INTRO_MAX,
    KINDS,
    SUBJECT_MAX,
    Wording,
    is_email_address,
    is_hex_colour,
    is_https_url,
    wording_problem,
)
from .values import SettingsError


@dataclass(frozen=True)
class EmailSettings:
    """The shop's own tracking emails (separate from Shopify's shipping confirmation)."""

    customer: frozenset[str] = frozenset(KINDS)  # which customer emails the shop sends
    logo_url: str | None = None  # https:// only
    colour: str = DEFAULT_COLOUR  # #hex, for the header line, links and buttons
    reply_to: str | None = None  # where customers' replies go
    alert_email: str | None = None  # where delivery-problem alerts for the merchant go
    # The merchant's own subject line and opening paragraph, per kind of customer email
    templates: Mapping[str, Wording] = field(default_factory=dict)

    def wording(self, kind: str) -> Wording | None:
        return self.templates.get(kind)


_EMAIL_CHECKS = {
    "logo_url": (is_https_url, "give the image's https:// address, such as "
                               "https://cdn.shopify.com/s/files/logo.png"),
    "colour": (is_hex_colour, "give a hex colour such as #2c6ecb"),
    "reply_to": (is_email_address, "give an email address such as help@example.com"),
    "alert_email": (is_email_address, "give an email address such as you@example.com"),
}
EMAIL_KEYS = ("customer", *_EMAIL_CHECKS, "templates")
WORDING_LIMITS = {"subject": SUBJECT_MAX, "intro": INTRO_MAX}


def read_emails(data) -> EmailSettings:
    if data is None:
        return EmailSettings()
    if not isinstance(data, dict):
        raise SettingsError("emails", "give an object with " + ", ".join(EMAIL_KEYS))
    for key in data:
        if key not in EMAIL_KEYS:
            raise SettingsError(f"emails.{key}", f"unknown setting; use {', '.join(EMAIL_KEYS)}")
    values = {key: _optional(data, key, *check) for key, check in _EMAIL_CHECKS.items()}
    return EmailSettings(customer=_email_kinds(data.get("customer", KINDS)),
                         templates=_templates(data.get("templates")),
                         **{key: value for key, value in values.items() if value is not None})


def _templates(data) -> dict[str, Wording]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SettingsError("emails.templates",
                            f"give an object keyed by email: {', '.join(KINDS)}")
    templates = {}
    for kind, parts in data.items():
        if kind not in KINDS:
            raise SettingsError(f"emails.templates.{kind}",
                                f"not one of our emails; use {', '.join(KINDS)}")
        wording = _wording(parts, f"emails.templates.{kind}")
        if wording.subject or wording.intro:
            templates[kind] = wording
    return templates


def _wording(parts, path: str) -> Wording:
    if not isinstance(parts, dict):
        raise SettingsError(path, "give an object with a subject and an intro")
    texts = {}
    for key, value in parts.items():
        if key not in WORDING_LIMITS:
            raise SettingsError(f"{path}.{key}", "unknown setting; use subject, intro")
        if value is not None and not isinstance(value, str):
            raise SettingsError(f"{path}.{key}", "give text")
        texts[key] = value.strip() if value and value.strip() else None
        problem = texts[key] and wording_problem(texts[key], WORDING_LIMITS[key])
        if key == "subject" and texts[key] and "\n" in texts[key]:
            problem = "keep the subject on one line"
        if problem:
            raise SettingsError(f"{path}.{key}", problem)
    return Wording(texts.get("subject"), texts.get("intro"))


def _email_kinds(kinds) -> frozenset[str]:
    if not isinstance(kinds, (list, tuple)):
        raise SettingsError("emails.customer",
                            f"give a list of the emails to send: {', '.join(KINDS)}")
    for kind in kinds:
        if kind not in KINDS:
            raise SettingsError("emails.customer", f"{kind!r} is not one of our emails; "
                                f"use any of {', '.join(KINDS)}")
    return frozenset(kinds)


def _optional(data: dict, key: str, valid, advice: str) -> str | None:
    """The value, or None when absent or blank (a cleared form field)."""
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    value = value.strip() if isinstance(value, str) else value
    if not valid(value):
        raise SettingsError(f"emails.{key}", f"{value!r} does not work here: {advice}")
    return value
