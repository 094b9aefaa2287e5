"""Invoice and credit-note PDFs, rendered once when the document is issued and kept."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from fpdf import FPDF

from billing.models import CreditNote, Invoice

# DejaVu covers Latin text; Chinese shop names fall back to Noto CJK when it is installed.
BODY_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
CJK_FONT = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2)  # 2: Simplified


def _document() -> tuple[FPDF, str]:
    pdf = FPDF(format="A4")
    pdf.set_creator(settings.PLATFORM_NAME)
    pdf.add_page()
    if not Path(BODY_FONT).exists():
        return pdf, "helvetica"
    pdf.add_font("body", fname=BODY_FONT)
    if Path(CJK_FONT[0]).exists():
        pdf.add_font("cjk", fname=CJK_FONT[0], collection_font_number=CJK_FONT[1])
        pdf.set_fallback_fonts(["cjk"])
    return pdf, "body"


def _text(font: str, value: str) -> str:
    if font == "helvetica":
        # The core font only has Latin-1; anything else prints as "?".
        return value.encode("latin-1", "replace").decode("latin-1")
    return value


def _header(pdf: FPDF, font: str, title: str, number: str, merchant_name: str) -> None:
    pdf.set_font(font, size=18)
    pdf.cell(0, 10, _text(font, settings.PLATFORM_NAME), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(font, size=14)
    pdf.cell(0, 8, _text(font, f"{title} {number}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(font, size=10)
    pdf.cell(0, 6, _text(font, _("Billed to: %(shop)s") % {"shop": merchant_name}))
    pdf.ln(8)


def _row(pdf: FPDF, font: str, left: str, right: str, *, bold_size: int = 10) -> None:
    pdf.set_font(font, size=bold_size)
    pdf.cell(150, 6, _text(font, left))
    pdf.cell(0, 6, _text(font, right), align="R", new_x="LMARGIN", new_y="NEXT")


def render_invoice(invoice: Invoice) -> bytes:
    pdf, font = _document()
    _header(pdf, font, _("Invoice"), invoice.number or "", invoice.merchant.name)
    pdf.cell(
        0,
        6,
        _text(
            font,
            _("Period %(start)s – %(end)s · issued %(issued)s · due %(due)s")
            % {
                "start": invoice.period_start.isoformat(),
                "end": invoice.period_end.isoformat(),
                "issued": invoice.issued_at.date().isoformat() if invoice.issued_at else "",
                "due": invoice.due_on.isoformat() if invoice.due_on else "",
            },
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.cell(
        0,
        6,
        _text(
            font,
            _("GMV %(gmv)s, net of same-period refunds %(net)s %(currency)s")
            % {"gmv": invoice.gmv, "net": invoice.net_gmv, "currency": invoice.currency},
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(4)
    for line in invoice.lines.all():
        text = line.description + (f" — {line.reason}" if line.reason else "")
        _row(pdf, font, text[:90], f"{line.amount:,.2f}")
    pdf.ln(2)
    _row(
        pdf,
        font,
        _("Total (%(currency)s)") % {"currency": invoice.currency},
        f"{invoice.total:,.2f}",
        bold_size=12,
    )
    if invoice.total == 0:
        pdf.ln(6)
        pdf.set_font(font, size=9)
        pdf.multi_cell(0, 5, _text(font, _("Nothing to pay: this invoice is settled at zero.")))
    elif invoice.collection_method == "bank_transfer":
        pdf.ln(6)
        pdf.set_font(font, size=9)
        pdf.multi_cell(
            0,
            5,
            _text(
                font,
                _("Pay by bank transfer to %(account)s quoting %(number)s.")
                % {"account": settings.BILLING_BANK_ACCOUNT, "number": invoice.number},
            ),
        )
    return bytes(pdf.output())


def render_credit_note(note: CreditNote) -> bytes:
    pdf, font = _document()
    _header(pdf, font, _("Credit note"), note.number or "", note.merchant.name)
    _row(pdf, font, _("Against invoice %(number)s") % {"number": note.invoice.number or ""}, "")
    _row(pdf, font, note.reason[:90], f"-{note.amount:,.2f}")
    _row(
        pdf,
        font,
        _("Total credited (%(currency)s)") % {"currency": note.invoice.currency},
        f"{note.amount:,.2f}",
        bold_size=12,
    )
    return bytes(pdf.output())
