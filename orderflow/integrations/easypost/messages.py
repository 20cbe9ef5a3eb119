"""EasyPost's words for people: messages and field errors, as short sentences."""

from __future__ import annotations

from typing import Any

from .fields import items


def field_messages(errors: Any, where: str, strict: bool = True) -> tuple[str, ...]:
    """FieldErrors ({field, message, ...}) or plain strings, as short unique sentences."""
    if errors is None or (not strict and not isinstance(errors, list)):
        return ()
    found: list[str] = []
    for e in items(errors, where):
        text = _field_message(e)
        if text and text not in found:
            found.append(text)
    return tuple(found)


def _field_message(e: Any) -> str:
    if not isinstance(e, dict):
        return words(e)
    message = words(e.get("message"))
    field = e.get("field")
    suggestion = e.get("suggestion")
    if isinstance(field, str) and field not in ("", "address") and message:
        message = f"{field}: {message}"
    if isinstance(suggestion, str) and suggestion:
        message = f"{message} (suggestion: {suggestion})"
    return message


def words(value: Any) -> str:
    """EasyPost messages are strings, but sometimes lists or objects of strings."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return "; ".join(filter(None, (words(v) for v in value.values())))
    if isinstance(value, list):
        return "; ".join(filter(None, (words(v) for v in value)))
    return str(value).strip()
