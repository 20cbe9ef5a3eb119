"""Label files made with the standard library: a one-page PDF, a PNG, ZPL and EPL2 as text.

Every format carries the tracking code and both addresses as readable text (the PDF content
stream is uncompressed; the PNG holds them in tEXt chunks) so tests can check what was printed.
"""

from __future__ import annotations

import struct
import zlib

FORMATS = {"PNG": ("png", "image/png"), "PDF": ("pdf", "application/pdf"),
           "ZPL": ("zpl", "application/zpl"), "EPL2": ("epl2", "application/epl2")}
CONTENT_TYPES = {ext: ctype for ext, ctype in FORMATS.values()}
DPI = 300


def label_lines(label: dict) -> list[str]:
    """The text printed on the label, top to bottom."""
    def addr(a: dict) -> list[str]:
        city = " ".join(p for p in (a.get("city"), a.get("state"), a.get("zip")) if p)
        rows = [a.get("name"), a.get("company"), a.get("street1"), a.get("street2"), city,
                a.get("country")]
        return [str(r) for r in rows if r]

    lines = [f"{label['carrier']} {label['service']}", "FROM:", *addr(label["from_address"]),
             "SHIP TO:", *addr(label["to_address"]), f"TRACKING #: {label['tracking_code']}",
             f"LABEL DATE: {label['label_date']}"]
    for key in ("print_custom_1", "print_custom_2", "print_custom_3", "invoice_number"):
        if label.get(key):
            lines.append(f"{key.upper()}: {label[key]}")
    return lines


def size_inches(label_size: str) -> tuple[float, float]:
    try:
        width, height = (float(x) for x in str(label_size).lower().split("x"))
        return width, height
    except ValueError:
        return 4.0, 6.0


def render(label: dict, fmt: str) -> bytes:
    fmt = fmt.upper()
    if fmt == "PDF":
        return pdf(label)
    if fmt == "PNG":
        return png(label)
    if fmt == "ZPL":
        return zpl(label)
    return epl2(label)


def _pdf_escape(text: str) -> str:
    text = text.encode("latin-1", "replace").decode("latin-1")
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf(label: dict) -> bytes:
    """A minimal valid PDF 1.4: one page of the label size, Helvetica text, correct xref."""
    width, height = (int(v * 72) for v in size_inches(label.get("label_size", "4x6")))
    ops = ["BT", "/F1 10 Tf", "12 TL", f"14 {height - 24} Td"]
    ops += [f"({_pdf_escape(line)}) Tj T*" for line in label_lines(label)]
    ops.append("ET")
    stream = "\n".join(ops).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}] "
         f"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>").encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    trailer = b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
    out += trailer % (len(objects) + 1, xref)
    return bytes(out)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(label: dict) -> bytes:
    """A 1-bit grayscale PNG of the label size at 300 dpi: white, a black border and a barcode
    band drawn from the tracking code; the label text rides in tEXt chunks."""
    w_in, h_in = size_inches(label.get("label_size", "4x6"))
    width, height = int(w_in * DPI), int(h_in * DPI)
    row_bytes = (width + 7) // 8
    black = b"\x00" + b"\x00" * row_bytes
    edge = bytearray(b"\xff" * row_bytes)
    edge[0] = 0x3F  # two black pixels on the left edge
    if width % 8 == 0:
        edge[-1] = 0xFC  # and on the right edge
    framed = b"\x00" + bytes(edge)
    bars = bytearray(b"\xff" * row_bytes)
    for i, ch in enumerate(label["tracking_code"].encode()):
        start = 20 + i * 6
        if start < row_bytes - 20:
            bars[start:start + 6] = bytes(((ch * 37 + k * 91) & 0xFF) for k in range(6))
    barcode = b"\x00" + bytes(bars)
    rows = [black] * 6
    for y in range(6, height - 6):
        rows.append(barcode if height * 0.70 < y < height * 0.85 else framed)
    rows += [black] * 6
    raw = b"".join(rows)
    text = "\n".join(label_lines(label)).encode("latin-1", "replace")
    return b"".join([
        b"\x89PNG\r\n\x1a\n",
        _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)),
        _png_chunk(b"pHYs", struct.pack(">IIB", int(DPI / 0.0254), int(DPI / 0.0254), 1)),
        _png_chunk(b"tEXt", b"Title\x00Shipping label " + label["tracking_code"].encode()),
        _png_chunk(b"tEXt", b"Description\x00" + text),
        _png_chunk(b"IDAT", zlib.compress(raw, 9)),
        _png_chunk(b"IEND", b""),
    ])


def zpl(label: dict) -> bytes:
    """ZPL II at 203 dpi: text fields plus a Code 128 barcode of the tracking code."""
    w_in, h_in = size_inches(label.get("label_size", "4x6"))
    out = ["^XA", "^CI28", f"^PW{int(w_in * 203)}", f"^LL{int(h_in * 203)}"]
    y = 30
    for line in label_lines(label):
        out.append(f"^FO30,{y}^A0N,28,28^FD{line}^FS")
        y += 34
    out.append(f"^FO30,{y + 20}^BY3^BCN,160,Y,N,N^FD{label['tracking_code']}^FS")
    out.append("^XZ")
    return ("\n".join(out) + "\n").encode("utf-8")


def epl2(label: dict) -> bytes:
    """EPL2 at 203 dpi: ASCII text lines and a Code 128 barcode."""
    w_in, h_in = size_inches(label.get("label_size", "4x6"))
    out = ["N", f"q{int(w_in * 203)}", f"Q{int(h_in * 203)},24"]
    y = 30
    for line in label_lines(label):
        out.append(f'A30,{y},0,3,1,1,N,"{line}"')
        y += 30
    out.append(f'B30,{y + 20},0,1,3,6,160,B,"{label["tracking_code"]}"')
    out.append("P1")
    return ("\n".join(out) + "\n").encode("ascii", "replace")
