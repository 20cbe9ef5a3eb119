"""Batches: buy the labels of many orders in one job, watch its progress, print what it bought.

The merchant picks ready orders (here, or on the orders list, which posts to `batches_create`);
`jobs.batches.buy_batch` buys their labels. The batch's page polls `batches_progress` and, once
the job is done, offers every label it bought as one PDF of 4x6 pages (ZPL labels, which no PDF
can hold, as one file for thermal printers) and a packing slip per order.
"""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from flask import Response, abort, g, jsonify, render_template, request
from fpdf import FPDF
from PIL import Image
from pypdf import PageObject, PdfReader, PdfWriter, Transformation
from pypdf.generic import RectangleObject
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..actions.batches import resume_if_lost, start
from ..db.models import Batch, Order, ParcelRow, Shipment
from ..fulfilment.states.batches import BatchOutcome
from ..fulfilment.states.orders import OrderState
from ..fulfilment.states.shipments import LABELLED, ShipmentState
from ..services import services
from . import bp
from .auth import FLASHES, redirect_to

MAX_ORDERS = 250
PAGE_SIZE = 50
RECENT = 20

FLASHES.update({
    "batch_started": ("", "Batch started: its labels are being bought, order by order."),
    "batch_empty": ("error", "Select at least one order to buy labels for."),
    "batch_too_big": ("error", (f"A batch holds at most {MAX_ORDERS} orders: select fewer, "
                                "then start another batch for the rest.")),
    "batch_foreign": ("error", ("Some selected orders are not this shop's orders or no longer "
                                "exist, so no batch was started. Reload the list and select "
                                "again.")),
    "batch_queue_down": ("error", ("The job queue is unavailable right now. The batch is saved "
                                   "and starts as soon as the queue is back: keep this page "
                                   "open.")),
})


@bp.get("/batches")
def batches():
    before = request.args.get("before", type=int)
    with services().db.session() as s:
        recent = s.scalars(select(Batch).where(Batch.shop_id == g.shop.id)
                           .order_by(Batch.id.desc()).limit(RECENT)).all()
        orders, rated, older = _ready_orders(s, g.shop.id, before)
    return render_template("admin/batches.html", recent=recent, orders=orders, rated=rated,
                           older=older, before=before, max_orders=MAX_ORDERS)


def _ready_orders(session, shop_id: int, before: int | None):
    """A page of ready orders, newest first; their rated shipments; the next page's cursor."""
    query = select(Order).where(Order.shop_id == shop_id, Order.state == OrderState.READY)
    if before:
        query = query.where(Order.id < before)
    orders = session.scalars(query.order_by(Order.id.desc()).limit(PAGE_SIZE + 1)).all()
    older = orders[PAGE_SIZE - 1].id if len(orders) > PAGE_SIZE else None
    orders = orders[:PAGE_SIZE]
    rated = {sh.order_id: sh for sh in session.scalars(select(Shipment).where(
        Shipment.shop_id == shop_id, Shipment.order_id.in_([o.id for o in orders]),
        Shipment.state == ShipmentState.RATED))}
    return orders, rated, older


@bp.post("/batches")
def batches_create():
    svc = services()
    with svc.db.session() as s, s.begin():
        ids, problem = _selected(s, g.shop.id, request.form.getlist("order_id"))
        if problem:
            return redirect_to("admin.batches", flash=problem)
        batch = Batch(shop_id=g.shop.id, order_ids=ids, results={}, total=len(ids))
        s.add(batch)
        s.flush()
        batch_id = batch.id
    if not start(svc, batch_id):
        return redirect_to("admin.batches_show", flash="batch_queue_down", batch_id=batch_id)
    return redirect_to("admin.batches_show", flash="batch_started", batch_id=batch_id)


def _selected(session, shop_id: int, values: list[str]) -> tuple[list[int], str | None]:
    """The posted order ids, once each in the merchant's order; or the FLASHES code of what is
    wrong with them."""
    try:
        ids = list(dict.fromkeys(int(v) for v in values))
    except ValueError:
        return [], "batch_foreign"
    if not ids:
        return [], "batch_empty"
    if len(ids) > MAX_ORDERS:
        return [], "batch_too_big"
    if not all(0 < i < 2**63 for i in ids):
        return [], "batch_foreign"
    found = set(session.scalars(select(Order.id).where(Order.shop_id == shop_id,
                                                       Order.id.in_(ids))))
    return (ids, None) if found == set(ids) else ([], "batch_foreign")


@bp.get("/batches/<int:batch_id>")
def batches_show(batch_id: int):
    with services().db.session() as s:
        batch = _batch(s, batch_id)
        resume_if_lost(services(), batch)
        return render_template("admin/batches_show.html", **_progress(s, batch))


@bp.get("/batches/<int:batch_id>/progress")
def batches_progress(batch_id: int):
    """What the page's script polls: the bar's figures and the outcomes, rendered."""
    with services().db.session() as s:
        batch = _batch(s, batch_id)
        resume_if_lost(services(), batch)
        view = _progress(s, batch)
        return jsonify(state=batch.state, total=batch.total, finished=batch.finished,
                       failed=batch.failed, text=view["count_text"],
                       html=render_template("admin/batches_progress.html", **view))


def _batch(session, batch_id: int) -> Batch:
    """The shop's batch; another shop's is a 404, like a missing one."""
    batch = session.scalar(select(Batch).where(Batch.id == batch_id, Batch.shop_id == g.shop.id))
    if batch is None:
        abort(404)
    return batch


def _progress(session, batch: Batch) -> dict:
    orders = {o.id: o for o in session.scalars(select(Order).where(
        Order.shop_id == batch.shop_id, Order.id.in_(batch.order_ids)))}
    rows = [(orders.get(i), batch.results.get(str(i))) for i in batch.order_ids]
    formats: dict[str, int] = {}
    for fmt, _ in _labels(session, batch, data=False):
        formats[fmt] = formats.get(fmt, 0) + 1
    noun = "order" if batch.total == 1 else "orders"
    return {"batch": batch, "rows": rows, "formats": formats,
            "count_text": f"{batch.finished} of {batch.total} {noun}",
            "printable": formats.get("PDF", 0) + formats.get("PNG", 0)}


def _bought(batch: Batch) -> list[int]:
    """The orders whose labels this batch bought: what it prints."""
    return [i for i in batch.order_ids
            if (batch.results.get(str(i)) or {}).get("state") == BatchOutcome.BOUGHT]


def _labels(session, batch: Batch, data: bool = True) -> list[tuple[str, bytes | None]]:
    """(format, file) of each live label the batch bought, in the batch's order of orders."""
    ids = _bought(batch)
    rows = session.execute(
        select(Shipment.order_id, ParcelRow.label_format,
               ParcelRow.label_data if data else ParcelRow.id)
        .join(Shipment, Shipment.id == ParcelRow.shipment_id)
        .where(ParcelRow.shop_id == batch.shop_id, Shipment.order_id.in_(ids),
               ParcelRow.bought_at.is_not(None), ParcelRow.voided_at.is_(None),
               ParcelRow.label_data.is_not(None))
        .order_by(Shipment.id, ParcelRow.position)).all()
    place = {order_id: n for n, order_id in enumerate(ids)}
    rows = sorted(rows, key=lambda row: place[row[0]])
    return [((fmt or "PDF").upper(), file if data else None) for _, fmt, file in rows]


@bp.get("/batches/<int:batch_id>/labels.pdf")
def batches_labels(batch_id: int):
    with services().db.session() as s:
        labels = [(f, d) for f, d in _labels(s, _batch(s, batch_id)) if f in ("PDF", "PNG")]
    if not labels:
        abort(404, "This batch has no labels that fit a PDF yet.")
    return _download(merged_labels(labels), "application/pdf", f"batch-{batch_id}-labels.pdf")


@bp.get("/batches/<int:batch_id>/labels.zpl")
def batches_labels_zpl(batch_id: int):
    with services().db.session() as s:
        labels = [d for f, d in _labels(s, _batch(s, batch_id)) if f == "ZPL"]
    if not labels:
        abort(404, "This batch has no ZPL labels.")
    joined = b"".join(d if d.endswith(b"\n") else d + b"\n" for d in labels)
    return _download(joined, "application/zpl", f"batch-{batch_id}-labels.zpl")


@bp.get("/batches/<int:batch_id>/packing-slips.pdf")
def batches_slips(batch_id: int):
    with services().db.session() as s:
        slips = _slips(s, _batch(s, batch_id))
        if not slips:
            abort(404, "This batch bought no labels, so it has no packing slips.")
        pdf = packing_slips(g.shop.name or g.shop.domain, slips)
    return _download(pdf, "application/pdf", f"batch-{batch_id}-packing-slips.pdf")


def _slips(session, batch: Batch) -> list[tuple[Order, list[Shipment]]]:
    ids = _bought(batch)
    orders = {o.id: o for o in session.scalars(
        select(Order).where(Order.shop_id == batch.shop_id, Order.id.in_(ids))
        .options(selectinload(Order.line_items)))}
    shipments: dict[int, list[Shipment]] = {}
    for shipment in session.scalars(
            select(Shipment).where(Shipment.shop_id == batch.shop_id, Shipment.order_id.in_(ids),
                                   Shipment.state.in_(LABELLED))
            .options(selectinload(Shipment.parcels)).order_by(Shipment.id)):
        shipments.setdefault(shipment.order_id, []).append(shipment)
    return [(orders[i], shipments.get(i, [])) for i in ids if i in orders]


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    return Response(body, mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# Printing. Pure functions of label files and orders; they would sit well in a module of their
# own if another page (an order's reprint) needs them.

LABEL_SIZE = (288, 432)  # 4x6 inches, in PDF points
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")  # Debian's fonts-dejavu-core


def merged_labels(labels: list[tuple[str, bytes]]) -> bytes:
    """One 4x6 portrait page per label page: PDF pages as they are, turned and scaled to fit
    when they are not 4x6; PNG images each placed on a page."""
    writer = PdfWriter()
    for fmt, data in labels:
        pages = PdfReader(BytesIO(data)).pages if fmt == "PDF" else [_image_page(data)]
        for page in pages:
            _add_4x6(writer, page)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _image_page(data: bytes) -> PageObject:
    """A page of the image's own proportions, its long side 6 inches; `_add_4x6` turns it."""
    width, height = Image.open(BytesIO(data)).size
    scale = LABEL_SIZE[1] / max(width, height)
    size = (width * scale, height * scale)
    pdf = FPDF(unit="pt", format=size)
    pdf.set_margin(0)
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.image(BytesIO(data), x=0, y=0, w=size[0], h=size[1])
    return PdfReader(BytesIO(bytes(pdf.output()))).pages[0]


def _add_4x6(writer: PdfWriter, page: PageObject) -> None:
    page = writer.add_page(page)
    page.transfer_rotation_to_content()
    box = page.mediabox
    left, bottom, width, height = (float(v) for v in (box.left, box.bottom, box.width, box.height))
    if (round(width), round(height)) == LABEL_SIZE and (left, bottom) == (0, 0):
        return
    turn = width > height  # a landscape label prints turned on the portrait roll
    w, h = (height, width) if turn else (width, height)
    scale = min(LABEL_SIZE[0] / w, LABEL_SIZE[1] / h)
    op = Transformation().translate(-left, -bottom)
    if turn:
        op = op.rotate(90).translate(height, 0)
    op = op.scale(scale).translate((LABEL_SIZE[0] - w * scale) / 2, (LABEL_SIZE[1] - h * scale) / 2)
    page.add_transformation(op)
    page.mediabox = page.cropbox = RectangleObject((0, 0, *LABEL_SIZE))


class _LatinPDF(FPDF):
    """Without DejaVu only the core fonts are there, which print Latin-1: others become '?'."""

    def normalize_text(self, text):
        return super().normalize_text(text.encode("latin-1", "replace").decode("latin-1"))


def _slip_pdf() -> FPDF:
    if not (DEJAVU / "DejaVuSans.ttf").exists():
        pdf = _LatinPDF(format="letter")
        pdf.set_font("helvetica")
        return pdf
    pdf = FPDF(format="letter")
    pdf.add_font("DejaVu", "", str(DEJAVU / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(DEJAVU / "DejaVuSans-Bold.ttf"))
    pdf.set_font("DejaVu")
    return pdf


def packing_slips(shop_name: str, orders: list[tuple[Order, list[Shipment]]]) -> bytes:
    """A packing slip per order, each starting on a new page."""
    pdf = _slip_pdf()
    pdf.set_auto_page_break(True, margin=15)
    for order, shipments in orders:
        pdf.add_page()
        _slip(pdf, shop_name, order, shipments)
    return bytes(pdf.output())


def _line(pdf: FPDF, text: str, size: float = 10, bold: bool = False, gap: float = 0) -> None:
    pdf.set_font(size=size, style="B" if bold else "")
    pdf.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(gap)


def _slip(pdf: FPDF, shop_name: str, order: Order, shipments: list[Shipment]) -> None:
    _line(pdf, shop_name, 16, bold=True, gap=2)
    _line(pdf, f"Packing slip · Order {order.name}", 13, bold=True)
    _line(pdf, f"Placed {order.shopify_created_at:%B %d, %Y}", gap=4)
    _line(pdf, "Ship to", 11, bold=True)
    _line(pdf, "\n".join(ship_to_lines(order.shipping_address)) or "(no address)", gap=4)
    _items(pdf, order)
    _line(pdf, "Parcels", 11, bold=True, gap=1)
    parcels = [(sh, p) for sh in shipments for p in sh.parcels if p.bought_at and not p.voided_at]
    for n, (shipment, parcel) in enumerate(parcels, start=1):
        contents = ", ".join(f"{name} × {count}"
                             for name, count in (parcel.contents or {}).get("items", {}).items())
        _line(pdf, f"Parcel {n} of {len(parcels)} · {parcel.box} · {shipment.carrier} "
                   f"{shipment.service} · tracking {parcel.tracking_code}"
                   + (f"\n{contents}" if contents else ""), gap=1)
    if order.note:
        pdf.ln(3)
        _line(pdf, "Note from the customer", 11, bold=True)
        _line(pdf, order.note)


def _items(pdf: FPDF, order: Order) -> None:
    items = [li for li in order.line_items if li.requires_shipping and not li.gift_card]
    pdf.set_font(size=10)
    with pdf.table(col_widths=(70, 20, 10), text_align=("LEFT", "LEFT", "RIGHT"),
                   line_height=6) as table:
        table.row(("Item", "SKU", "Quantity"))
        for li in items:
            table.row((li.title, li.sku or "", str(li.quantity)))
    pdf.ln(4)


def ship_to_lines(address: dict | None) -> list[str]:
    if not address:
        return []
    place = " ".join(p for p in (address.get("city"), address.get("province_code")
                                 or address.get("province"), address.get("zip")) if p)
    rows = (address.get("name"), address.get("company"), address.get("address1"),
            address.get("address2"), place, address.get("country"))
    return [r for r in rows if r]
