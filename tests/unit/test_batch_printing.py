"""A batch's print files: labels of any size and format on 4x6 pages, and packing slips."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from io import BytesIO

from pypdf import PdfReader

from orderflow.admin.batches import merged_labels, packing_slips
from orderflow.db.models import LineItem, Order, ParcelRow, Shipment
from orderflow.sandbox.easypost import labels

FOUR_BY_SIX = (288, 432)


def label(code: str, size: str = "4x6") -> dict:
    address = {"name": "Ada Lovelace", "street1": "1 Main St", "city": "Boston", "state": "MA",
               "zip": "02110", "country": "US"}
    return {"carrier": "USPS", "service": "Priority", "tracking_code": code,
            "from_address": address, "to_address": address, "label_date": "2026-11-24",
            "label_size": size}


def pages(pdf: bytes) -> list:
    return PdfReader(BytesIO(pdf)).pages


def size(page) -> tuple[int, int]:
    return round(float(page.mediabox.width)), round(float(page.mediabox.height))


def test_pdf_and_png_labels_become_one_4x6_page_each_in_order():
    files = [("PDF", labels.pdf(label("TRK-PDF-1"))), ("PNG", labels.png(label("TRK-PNG-2"))),
             ("PDF", labels.pdf(label("TRK-PDF-3")))]
    merged = pages(merged_labels(files))
    assert [size(p) for p in merged] == [FOUR_BY_SIX] * 3
    assert "TRK-PDF-1" in merged[0].extract_text() and "TRK-PDF-3" in merged[2].extract_text()
    assert merged[1].images, "the PNG label is an image on its page"


def test_a_landscape_or_letter_label_is_turned_and_scaled_onto_a_4x6_page():
    files = [("PDF", labels.pdf(label("TRK-WIDE", "6x4"))),
             ("PDF", labels.pdf(label("TRK-BIG", "8.5x11"))),
             ("PNG", labels.png(label("TRK-WIDE-PNG", "6x4")))]
    merged = pages(merged_labels(files))
    assert [size(p) for p in merged] == [FOUR_BY_SIX] * 3
    assert "TRK-WIDE" in merged[0].extract_text() and "TRK-BIG" in merged[1].extract_text()


def slip_order(name: str, customer: str) -> tuple[Order, list[Shipment]]:
    order = Order(id=1, name=name, shopify_created_at=datetime(2026, 11, 24, tzinfo=UTC),
                  note="Gift wrap, please",
                  shipping_address={"name": customer, "address1": "12 Rue de la Paix",
                                    "city": "Montréal", "province_code": "QC", "zip": "H2X 1Y4",
                                    "country": "Canada"})
    order.line_items = [
        LineItem(title="Ceramic mug", sku="MUG-CERAMIC", quantity=2, requires_shipping=True,
                 gift_card=False),
        LineItem(title="Gift card", sku=None, quantity=1, requires_shipping=False, gift_card=True),
    ]
    shipment = Shipment(carrier="UPS", service="Ground")
    shipment.parcels = [ParcelRow(position=0, box="Small box", tracking_code="1ZTRACK0001",
                                  bought_at=datetime.now(UTC), weight_oz=Decimal(12),
                                  contents={"items": {"Ceramic mug": 2}})]
    return order, [shipment]


def test_a_packing_slip_per_order_prints_its_ship_to_items_and_tracking_verbatim():
    hostile = "<script>alert(1)</script> Zoë Ñandú"
    slips = pages(packing_slips("Ünïcode Shop", [slip_order("#1001", hostile),
                                                 slip_order("#1002", "Bob")]))
    assert len(slips) == 2
    first = slips[0].extract_text()
    for text in ("Ünïcode Shop", "#1001", "November 24, 2026", hostile, "Montréal QC H2X 1Y4",
                 "Ceramic mug", "MUG-CERAMIC", "1ZTRACK0001", "Gift wrap, please"):
        assert text in first, text
    assert "Gift card" not in first, "nothing to pack"
    assert "#1002" in slips[1].extract_text()
