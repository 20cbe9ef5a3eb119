"""A bought PostageLabel: the file to print, and the other formats it was converted to."""

from __future__ import annotations

from typing import Any

from ...fulfilment.types import Label
from .fields import obj, reading, required_text, text

_FORMAT_URL_KEYS = (("PNG", "label_url"), ("PDF", "label_pdf_url"), ("ZPL", "label_zpl_url"),
                    ("EPL2", "label_epl2_url"))
_FORMAT_BY_FILE_TYPE = {"image/png": "PNG", "application/pdf": "PDF", "application/zpl": "ZPL",
                        "application/epl2": "EPL2"}


@reading
def label_from_easypost(d: Any) -> Label | None:
    """A PostageLabel; None when there is none yet. `label_url` is the file bought."""
    if d is None:
        return None
    d = obj(d, "postage_label")
    url = required_text(d, "label_url")
    file_type = text(d, "label_file_type")
    fmt = _FORMAT_BY_FILE_TYPE.get((file_type or "").lower()) or _format_from_url(url)
    others = tuple(
        (f, u) for f, key in _FORMAT_URL_KEYS[1:] if (u := text(d, key)) and f != fmt
    )
    return Label(url, fmt, file_type, text(d, "label_size"), others)


def _format_from_url(url: str) -> str:
    ext = url.rsplit("?", 1)[0].rsplit(".", 1)[-1].upper()
    return ext if ext in {"PNG", "PDF", "ZPL", "EPL2"} else "PNG"
