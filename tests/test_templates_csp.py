"""The Content-Security-Policy allows styles and scripts from our own files only: a template
with an inline style attribute or inline script would silently render wrong in browsers."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def test_no_template_carries_inline_styles_or_scripts():
    offenders = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        text = template.read_text(encoding="utf-8")
        if re.search(r"\sstyle=|<style\b", text):
            offenders.append(f"{template.relative_to(TEMPLATES)}: style")
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text):
            offenders.append(f"{template.relative_to(TEMPLATES)}: inline script")
        if re.search(r"\son[a-z]+=\"", text):
            offenders.append(f"{template.relative_to(TEMPLATES)}: event handler attribute")
    assert offenders == []
