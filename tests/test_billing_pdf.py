"""The invoice and credit-note PDFs read like commercial documents, in the merchant's
language, and every character printed is a glyph of a font embedded in the file."""

import io
import re
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from fontTools.cffLib import CFFFontSet
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from billing.models import BillingAccount, CreditNote, Invoice, TaxRate
from billing.run import run_billing
from billing.services import add_adjustment, approve, create_credit_note, issue_credit_note
from tests.factories import UserFactory
from tests.factories_billing import MerchantRowFactory, PlanFactory, sale, subscribe

pytestmark = pytest.mark.django_db

LONG_REASON = (
    "Goodwill credit for the checkout outage of 12 October (ticket #4411), agreed with the "
    "owner on the phone after the weekend rush was lost"
)


def issued_invoice(*, name: str, language: str, legal_name: str, address: str, tax_id: str):
    plan = PlanFactory(name="Advanced", monthly_fee=Decimal("299"), tiers=[("0", "1")])
    merchant = MerchantRowFactory(name=name, language=language)
    subscribe(merchant, plan, start=date(2026, 9, 1))
    BillingAccount.objects.create(
        merchant=merchant,
        collection_method="bank_transfer",
        legal_name=legal_name,
        address=address,
        tax_id=tax_id,
        region="CN",
    )
    TaxRate.objects.get_or_create(
        region="CN", defaults={"name": "VAT", "rate_percent": Decimal("6")}
    )
    sale(merchant, date(2026, 10, 9), "65380.00", "a")
    run_billing(2026, 10)
    invoice = Invoice.objects.get(merchant=merchant)
    actor = UserFactory()
    add_adjustment(invoice.pk, amount="-50", reason=LONG_REASON, actor=actor)
    with time_machine.travel("2026-11-03 09:00Z"):
        return approve(invoice.pk, actor=actor), actor


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def squeeze(text: str) -> str:
    """pypdf puts spaces (or, for fpdf2's CID fonts, NULs) between CJK characters and
    breaks lines where the PDF wraps."""
    return re.sub(r"[\s\x00]+", "", text)


def glyph_problems(data: bytes) -> list[str]:
    """Characters the PDF shows that its embedded fonts cannot draw. Every font must be
    embedded; every code the text uses (read back through the font's ToUnicode map) must
    name a real glyph of the embedded program, not .notdef (the empty box): for TrueType
    the code is the glyph id, for CID-keyed CFF (Noto CJK) the encoding CMap turns it into
    a CID that the font's charset must hold. And every character pypdf reads from the page
    must be one of those drawable ones."""
    problems = []
    drawable: set[str] = set()
    reader = PdfReader(io.BytesIO(data))
    for page in reader.pages:
        for name, ref in page["/Resources"]["/Font"].items():
            font = ref.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            program = descriptor.get("/FontFile2") or descriptor.get("/FontFile3")
            if program is None:
                problems.append(f"{name} {font['/BaseFont']} is not embedded")
                continue
            glyphs = embedded_glyphs(program.get_object())
            encoding = font["/Encoding"]
            cid_of = None
            if not isinstance(encoding, str):  # an embedded CMap: code -> CID
                cmap_text = encoding.get_object().get_data().decode("latin-1")
                cid_of = {
                    int(code, 16): int(cid)
                    for code, cid in re.findall(r"<([0-9A-Fa-f]+)>\s+(\d+)", cmap_text)
                }
            to_unicode = font["/ToUnicode"].get_object().get_data().decode("latin-1")
            for code, text in _to_unicode_pairs(to_unicode):
                if text in ("\x00", " "):
                    continue  # .notdef mapped to nothing, and the space
                if cid_of is None:
                    ok = 0 < code < len(glyphs)
                else:
                    ok = cid_of.get(code, 0) > 0 and f"cid{cid_of[code]:05d}" in glyphs
                if ok:
                    drawable.add(text)
                else:
                    problems.append(f"{text!r} (code {code}) is no glyph of {font['/BaseFont']}")
    shown = set(squeeze(pdf_text(data)))
    problems += [f"{char!r} is in no embedded font" for char in sorted(shown - drawable)]
    return problems


def embedded_glyphs(program) -> list[str]:
    """The glyph names of an embedded font program: TrueType (FontFile2) or bare CFF."""
    data = program.get_data()
    if program.get("/Subtype") == "/CIDFontType0C":
        fonts = CFFFontSet()
        fonts.decompile(io.BytesIO(data), None)
        return list(fonts[fonts.fontNames[0]].charset)
    return TTFont(io.BytesIO(data)).getGlyphOrder()


def _to_unicode_pairs(cmap: str):
    for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S):
        for source, target in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            yield int(source, 16), bytes.fromhex(target).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", cmap, re.S):
        for low, high, start in re.findall(
            r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block
        ):
            first = int(start, 16)
            for offset, gid in enumerate(range(int(low, 16), int(high, 16) + 1)):
                yield gid, chr(first + offset)


def test_an_english_invoice_reads_like_a_commercial_invoice():
    invoice, _actor = issued_invoice(
        name="Tea House",
        language="en",
        legal_name="Tea House Trading Ltd",
        address="12 Harbour Road, Wan Chai, Hong Kong",
        tax_id="HK-55123",
    )

    text = pdf_text(invoice.pdf)
    flat = squeeze(text)

    for expected in (
        "Merchant Platform Ltd",
        "91310000MA1FL0000X",  # the issuer's tax id
        "Tea House Trading Ltd",
        "12 Harbour Road, Wan Chai, Hong Kong",
        "Tax id: HK-55123",
        invoice.number,
        "2026-10-01 – 2026-10-31",  # one date format: ISO in English
        "2026-11-03",
        "65,380.00",
        "Subtotal",
        "VAT 6%",
        "Total due (CNY)",
        "Payment",
    ):
        assert expected in text, expected
    # 299 fee + 653.80 commission - 50 goodwill = 902.80; VAT 6% = 54.17; total 956.97.
    assert "902.80" in text and "54.17" in text and "956.97" in text
    assert invoice.total == Decimal("956.97")
    # The whole reason, once, wrapped rather than cut; no raw four-place amounts or US dates.
    assert squeeze(LONG_REASON) in flat
    assert flat.count(squeeze("(ticket #4411)")) == 1
    assert "65380.0000" not in text and "11/0" not in text and "10/01/2026" not in text
    assert glyph_problems(invoice.pdf) == []


def test_a_chinese_invoice_prints_chinese_names_in_an_embedded_cjk_font():
    invoice, _actor = issued_invoice(
        name="茶馆",
        language="zh-hans",
        legal_name="上海茶馆贸易有限公司",
        address="上海市黄浦区南京东路100号",
        tax_id="91310101MA1FPX1234",
    )

    text = pdf_text(invoice.pdf)
    flat = squeeze(text)

    for expected in ("上海茶馆贸易有限公司", "上海市黄浦区南京东路100号", "91310101MA1FPX1234"):
        assert squeeze(expected) in flat, expected
    for label in ("发票", "小计", "应付总额"):
        assert label in flat, label
    assert "2026年10月1日" in flat and "2026年11月3日" in flat  # one date format in Chinese
    assert "2026-10-01" not in flat
    assert "65,380.00" in flat and "956.97" in flat
    fonts = [
        ref.get_object()["/BaseFont"]
        for ref in PdfReader(io.BytesIO(invoice.pdf)).pages[0]["/Resources"]["/Font"].values()
    ]
    assert any("NotoSansCJK" in font for font in fonts)
    assert glyph_problems(invoice.pdf) == []


def test_a_credit_note_pdf_has_its_date_the_invoice_and_the_customer():
    invoice, actor = issued_invoice(
        name="茶馆",
        language="zh-hans",
        legal_name="上海茶馆贸易有限公司",
        address="上海市黄浦区南京东路100号",
        tax_id="91310101MA1FPX1234",
    )
    note = create_credit_note(invoice.pk, amount="100.00", reason="服务中断补偿", actor=actor)
    with time_machine.travel("2026-11-20 09:00Z"):
        issue_credit_note(note.pk, actor=actor)
    note = CreditNote.objects.get(pk=note.pk)

    flat = squeeze(pdf_text(note.pdf))

    for expected in (note.number, invoice.number, "2026年11月20日", "服务中断补偿", "100.00"):
        assert expected in flat, expected
    assert "上海茶馆贸易有限公司" in flat
    assert glyph_problems(note.pdf) == []


def test_a_yen_invoice_has_no_decimals_and_a_zero_tax_rate_still_shows_its_line():
    plan = PlanFactory(monthly_fee=Decimal("3000"), tiers=[("0", "1")])
    merchant = MerchantRowFactory(name="Sushi Bar", language="en", currency="JPY")
    subscribe(merchant, plan, start=date(2026, 9, 1))
    BillingAccount.objects.create(merchant=merchant, collection_method="bank_transfer")
    sale(merchant, date(2026, 10, 9), "123456", "a")
    run_billing(2026, 10)
    invoice = approve(Invoice.objects.get(merchant=merchant).pk, actor=UserFactory())

    text = pdf_text(invoice.pdf)

    assert invoice.total == Decimal("4235")  # 3000 + 1,234.56 rounded half-up to 1,235
    assert "4,235" in text and "4,235.00" not in text and "Tax 0%" in text
    assert not invoice.lines.filter(kind="tax").exists()
