"""Invoice and credit-note PDFs, rendered once when the document is issued and kept.

Laid out like a commercial invoice: the issuer's and the customer's blocks (name, address,
tax id), the document's dates, lines that wrap, amounts in the currency's exponent, subtotal,
tax, credits applied, total, due date and how to pay; all in the merchant's language with
one date format for it (`billing.formatting`). Chinese text is set in Noto Sans CJK, embedded
(subset) in the file; Debian's `fonts-noto-cjk` provides it (`.ci/run`, Dockerfile).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import WrapMode
from fpdf.fonts import FontFace

from billing.formatting import format_date, format_money
from billing.models import BillingAccount, CreditNote, Invoice, InvoiceLine, LineKind

BODY_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
CJK_FONT = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2)  # 2: Simplified

WIDTH = 180  # A4 less 15 mm margins
GREY = (110, 110, 110)
# Credits are applied after tax (they give back money paid tax included).
POST_TAX_KINDS = (LineKind.CREDIT, LineKind.CARRY_FORWARD, LineKind.TAX)


@dataclass(frozen=True)
class Party:
    name: str
    address: str
    tax_id: str
    email: str = ""


def issuer() -> Party:
    return Party(
        name=settings.BILLING_ISSUER_NAME or settings.PLATFORM_NAME,
        address=settings.BILLING_ISSUER_ADDRESS,
        tax_id=settings.BILLING_ISSUER_TAX_ID,
    )


def customer(merchant, account: BillingAccount | None) -> Party:
    if account is None:
        return Party(name=merchant.name, address="", tax_id="")
    return Party(
        name=account.legal_name or merchant.name,
        address=account.address,
        tax_id=account.tax_id,
        email=account.billing_email,
    )


def needs_cjk(language: str, texts: list[str]) -> bool:
    """Chinese language, or a character beyond what DejaVu Sans draws (CJK and beyond)."""
    return language.startswith("zh") or any(
        ord(char) >= 0x2E80 for text in texts if text for char in text
    )


class _Document:
    """An A4 page with the body font, Noto CJK as the fallback for Chinese, and helpers."""

    def __init__(self, language: str, texts: list[str]) -> None:
        self.language = language
        pdf = FPDF(format="A4")
        pdf.set_margins(15, 15, 15)
        pdf.set_auto_page_break(True, margin=18)
        pdf.set_creator(settings.PLATFORM_NAME)
        pdf.set_lang(language)
        self.font = "helvetica"
        if Path(BODY_FONT).exists():
            pdf.add_font("body", fname=BODY_FONT)
            self.font = "body"
            # Parsing the 19 MB collection costs most of a render: load it only for a
            # document with Chinese in it (its language, or any name, address or line).
            if needs_cjk(language, texts) and Path(CJK_FONT[0]).exists():
                pdf.add_font("cjk", fname=CJK_FONT[0], collection_font_number=CJK_FONT[1])
                pdf.set_fallback_fonts(["cjk"])
        # Break at spaces, never inside a Latin word; fpdf2 breaks a run of Chinese (which
        # has no spaces) by character when it does not fit on a line.
        self.wrap = WrapMode.WORD
        pdf.add_page()
        self.pdf = pdf

    def text(self, value: str) -> str:
        if self.font == "helvetica":
            # The core font only has Latin-1; anything else prints as "?".
            return value.encode("latin-1", "replace").decode("latin-1")
        return value

    def style(self, size: float, *, bold: bool = False, grey: bool = False) -> None:
        # One regular weight: emphasis is by size (a bold face mixed with the CJK fallback
        # mis-encodes digits in fpdf2 2.8), so `bold` only makes the text a little larger.
        # fpdf2 skips set_font when it believes the font is current, but a CJK fallback run
        # may have left the other font selected in the page: forget it, so it is re-set.
        self.pdf.font_family = ""
        self.pdf.set_font(self.font, size=size + (0.5 if bold else 0))
        self.pdf.set_text_color(*(GREY if grey else (0, 0, 0)))

    def line(self, value: str, *, size: float = 9, bold=False, grey=False, align="L") -> None:
        self.style(size, bold=bold, grey=grey)
        self.pdf.multi_cell(
            0,
            size * 0.5,
            self.text(value),
            align=align,
            wrapmode=self.wrap,
            new_x="LMARGIN",
            new_y="NEXT",
        )

    def title(self, heading: str, number: str) -> None:
        pdf = self.pdf
        self.style(16, bold=True)
        pdf.cell(WIDTH / 2, 9, self.text(settings.PLATFORM_NAME))
        pdf.cell(WIDTH / 2, 9, self.text(heading), align="R", new_x="LMARGIN", new_y="NEXT")
        self.style(10)
        pdf.cell(0, 6, self.text(number), align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)

    def parties(self, seller: Party, buyer: Party) -> None:
        """The issuer's block on the left, the customer's on the right, side by side."""
        pdf = self.pdf
        top = pdf.get_y()
        half = WIDTH / 2 - 4
        bottoms = []
        for index, (label, party) in enumerate(((_("From"), seller), (_("Bill to"), buyer))):
            left = pdf.l_margin + index * (WIDTH / 2 + 4)
            pdf.set_xy(left, top)
            self.style(8, grey=True)
            pdf.cell(half, 5, self.text(label), new_x="LEFT", new_y="NEXT")
            self.style(10, bold=True)
            pdf.multi_cell(
                half,
                5,
                self.text(party.name),
                align="L",
                wrapmode=self.wrap,
                new_x="LEFT",
                new_y="NEXT",
            )
            self.style(9)
            for value in (
                party.address,
                _("Tax id: %(id)s") % {"id": party.tax_id} if party.tax_id else "",
                party.email,
            ):
                if value:
                    pdf.multi_cell(
                        half,
                        4.5,
                        self.text(value),
                        align="L",
                        wrapmode=self.wrap,
                        new_x="LEFT",
                        new_y="NEXT",
                    )
            bottoms.append(pdf.get_y())
        pdf.set_xy(pdf.l_margin, max(bottoms) + 4)

    def facts(self, rows: list[tuple[str, str]]) -> None:
        """Label/value pairs in a ruled table (document dates, period, currency)."""
        self.style(9)
        with self.pdf.table(
            col_widths=(45, WIDTH - 45),
            first_row_as_headings=False,
            borders_layout="HORIZONTAL_LINES",
            line_height=5.5,
            wrapmode=self.wrap,
            text_align="LEFT",
        ) as table:
            for label, value in rows:
                row = table.row()
                row.cell(self.text(label), style=FontFace(color=GREY))
                row.cell(self.text(value))
        self.pdf.ln(4)

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def line_text(line: InvoiceLine) -> str:
    """An adjustment reads as its reason once (its stored description repeats it)."""
    if line.kind == LineKind.ADJUSTMENT and line.reason:
        return _("Adjustment: %(reason)s") % {"reason": line.reason}
    if line.kind == LineKind.CARRY_FORWARD:
        return str(line.get_kind_display())
    return line.description


def line_detail(line: InvoiceLine, currency: str) -> str:
    if line.kind == LineKind.COMMISSION and line.basis is not None:
        return _("on %(basis)s %(currency)s of GMV") % {
            "basis": format_money(line.basis, currency),
            "currency": currency,
        }
    return ""


def render_invoice(invoice: Invoice) -> bytes:
    language = invoice.merchant.language or settings.LANGUAGE_CODE
    with translation.override(language):
        return _render_invoice(invoice, language)


def _render_invoice(invoice: Invoice, language: str) -> bytes:
    currency = invoice.currency
    account = BillingAccount.objects.filter(merchant_id=invoice.merchant_id).first()
    lines = list(invoice.lines.all())
    seller, buyer = issuer(), customer(invoice.merchant, account)
    doc = _Document(
        language,
        [
            *vars(seller).values(),
            *vars(buyer).values(),
            invoice.plan.name if invoice.plan_id else "",
            invoice.tax_name,
            settings.BILLING_BANK_ACCOUNT,
            settings.PLATFORM_NAME,
            *(line.description for line in lines),
            *(line.reason for line in lines),
        ],
    )
    doc.title(_("Invoice"), invoice.number or _("Draft"))
    doc.parties(seller, buyer)
    rows = [
        (_("Invoice number"), invoice.number or _("Draft")),
        (_("Issue date"), format_date(invoice.issued_at.date() if invoice.issued_at else None)),
        (
            _("Billing period"),
            f"{format_date(invoice.period_start)} – {format_date(invoice.period_end)}",
        ),
        (_("Due date"), format_date(invoice.due_on)),
        (_("Currency"), currency),
    ]
    if invoice.plan_id:
        rows.append((_("Plan"), invoice.plan.name))
    rows.append(
        (
            _("GMV in the period"),
            _("%(gmv)s, net of same-period refunds %(net)s")
            % {
                "gmv": format_money(invoice.gmv, currency),
                "net": format_money(invoice.net_gmv, currency),
            },
        )
    )
    if invoice.replaces_id:
        rows.append((_("Replaces"), invoice.replaces.number or ""))
    doc.facts(rows)

    charges = [line for line in lines if line.kind not in POST_TAX_KINDS]
    taxes = [line for line in lines if line.kind == LineKind.TAX]
    credits = [line for line in lines if line.kind in (LineKind.CREDIT, LineKind.CARRY_FORWARD)]
    subtotal = sum((line.amount for line in charges), Decimal("0"))
    tax = sum((line.amount for line in taxes), Decimal("0"))
    doc.style(9)
    with doc.pdf.table(
        col_widths=(35, WIDTH - 35 - 35, 35),
        borders_layout="HORIZONTAL_LINES",
        line_height=5,
        wrapmode=doc.wrap,
        text_align=("LEFT", "LEFT", "RIGHT"),
        headings_style=FontFace(color=GREY),
    ) as table:
        heading = table.row()
        for label in (
            _("Item"),
            _("Description"),
            _("Amount (%(currency)s)") % {"currency": currency},
        ):
            heading.cell(doc.text(label))
        for line in charges:
            _line_row(doc, table, line, currency)
    doc.pdf.ln(2)
    summary = [(_("Subtotal"), format_money(subtotal, currency), False)]
    tax_label = _("%(tax)s %(rate)s%%") % {
        "tax": invoice.tax_name or _("Tax"),
        "rate": f"{invoice.tax_rate_percent.normalize():f}",
    }
    summary.append((tax_label, format_money(tax, currency), False))
    for line in credits:
        summary.append((line_text(line), format_money(line.amount, currency), False))
    summary.append(
        (
            _("Total due (%(currency)s)") % {"currency": currency},
            format_money(invoice.total, currency),
            True,
        )
    )
    for label, amount, bold in summary:
        doc.style(11 if bold else 9, bold=bold)
        doc.pdf.set_x(doc.pdf.l_margin + 60)
        top = doc.pdf.get_y()
        doc.pdf.multi_cell(
            85, 6, doc.text(label), align="L", wrapmode=doc.wrap, new_x="RIGHT", new_y="NEXT"
        )
        bottom = doc.pdf.get_y()
        doc.pdf.set_y(top)
        doc.pdf.set_x(doc.pdf.l_margin + 145)
        doc.style(11 if bold else 9, bold=bold)  # the label may have left the CJK font on
        doc.pdf.cell(35, 6, doc.text(amount), align="R", new_x="LMARGIN", new_y="NEXT")
        doc.pdf.set_y(max(bottom, doc.pdf.get_y()))
    doc.pdf.ln(4)
    _payment_instructions(doc, invoice)
    return doc.output()


def _line_row(doc: _Document, table, line: InvoiceLine, currency: str) -> None:
    row = table.row()
    row.cell(doc.text(str(line.get_kind_display())))
    detail = line_detail(line, currency)
    text = line_text(line) + (f"\n{detail}" if detail else "")
    row.cell(doc.text(text))
    row.cell(doc.text(format_money(line.amount, currency)))


def _payment_instructions(doc: _Document, invoice: Invoice) -> None:
    doc.line(_("Payment"), size=10, bold=True)
    if invoice.total == 0:
        doc.line(_("Nothing to pay: this invoice is settled at zero."))
    elif invoice.collection_method == BillingAccount.Collection.BANK_TRANSFER:
        doc.line(
            _(
                "Pay %(amount)s %(currency)s by bank transfer by %(due)s to %(account)s, "
                "quoting %(number)s."
            )
            % {
                "amount": format_money(invoice.total, invoice.currency),
                "currency": invoice.currency,
                "due": format_date(invoice.due_on),
                "account": settings.BILLING_BANK_ACCOUNT,
                "number": invoice.number or "",
            }
        )
    else:
        doc.line(
            _(
                "%(amount)s %(currency)s will be charged to your card on file by %(due)s; "
                "you can also pay online from your billing page."
            )
            % {
                "amount": format_money(invoice.total, invoice.currency),
                "currency": invoice.currency,
                "due": format_date(invoice.due_on),
            }
        )
    doc.pdf.ln(2)
    doc.line(
        _("Questions about this invoice: reply to the email it came with, quoting its number."),
        size=8,
        grey=True,
    )


def render_credit_note(note: CreditNote) -> bytes:
    language = note.merchant.language or settings.LANGUAGE_CODE
    with translation.override(language):
        return _render_credit_note(note, language)


def _render_credit_note(note: CreditNote, language: str) -> bytes:
    invoice = note.invoice
    currency = invoice.currency
    account = BillingAccount.objects.filter(merchant_id=note.merchant_id).first()
    seller, buyer = issuer(), customer(note.merchant, account)
    texts = [*vars(seller).values(), *vars(buyer).values(), note.reason, settings.PLATFORM_NAME]
    doc = _Document(language, texts)
    doc.title(_("Credit note"), note.number or _("Draft"))
    doc.parties(seller, buyer)
    doc.facts(
        [
            (_("Credit note number"), note.number or _("Draft")),
            (_("Issue date"), format_date(note.issued_at.date() if note.issued_at else None)),
            (_("Against invoice"), invoice.number or ""),
            (
                _("Billing period"),
                f"{format_date(invoice.period_start)} – {format_date(invoice.period_end)}",
            ),
            (_("Currency"), currency),
        ]
    )
    doc.line(_("Reason"), size=10, bold=True)
    doc.line(note.reason)
    doc.pdf.ln(3)
    doc.line(
        _("Total credited (%(currency)s): %(amount)s")
        % {"currency": currency, "amount": format_money(note.amount, currency)},
        size=12,
        bold=True,
    )
    doc.pdf.ln(2)
    doc.line(
        _("This credit is deducted from your next invoice."),
        size=9,
        grey=True,
    )
    return doc.output()
