"""Fill msgstr entries of a .po file from {msgid: translation} dicts (helper for translators).

Usage: python -m devstack.translate locale/zh_Hans/LC_MESSAGES/django.po GLOSSARY.py [...]
where each GLOSSARY.py defines a dict named ZH. Entries already translated are kept.
`python -m devstack.translate --all` (`make messages`) extracts the catalog from the code,
fills it from every `locale/sources/zh_hans_*.py` and compiles it.
"""

import re
import runpy
import subprocess
import sys
from pathlib import Path


def unquote(block: str) -> str:
    return (
        "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', block))
        .encode()
        .decode("unicode_escape")
        .encode("latin-1")
        .decode("utf-8")
    )


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


# An untranslated first form: `msgstr[0] ""` with no wrapped lines after it (a long
# translation is written as `msgstr[0] ""` followed by its lines, which is not empty).
EMPTY_PLURAL = re.compile(r'^msgstr\[0\] ""(?!\n")(?:\nmsgstr\[1\] ""(?!\n"))?', re.M)


def fill(po_text: str, translations: dict[str, str]) -> tuple[str, list[str]]:
    entries = po_text.split("\n\n")
    missing = []
    for index, entry in enumerate(entries):
        match = re.search(r'^msgid ((?:".*"\n?)+)', entry, re.M)
        if not match or entry.lstrip().startswith('msgid ""\nmsgstr ""\n"'):
            continue
        msgid = unquote(match.group(1))
        if not msgid:
            continue
        fuzzy = "#, fuzzy" in entry or ", fuzzy" in entry
        entry = entry.replace("#, fuzzy\n", "").replace(", fuzzy", "")
        text = translations.get(msgid)
        if fuzzy:
            # gettext's guess from a similar string: never keep it.
            entry = re.sub(r'^(msgstr(?:\[0\])?) (?:".*"\n?)+', r'\1 ""', entry, flags=re.M)
        if "msgid_plural" in entry:
            if not text and EMPTY_PLURAL.search(entry):
                missing.append(msgid)
            if text and EMPTY_PLURAL.search(entry):
                # A function replacement: re.sub would turn "\\n" in the text into newlines.
                replacement = f"msgstr[0] {quote(text)}"
                entry = EMPTY_PLURAL.sub(
                    lambda _match, replacement=replacement: replacement, entry, count=1
                )
            # One form in Chinese (nplurals=1): the second, wrapped or not, goes.
            entry = re.sub(r'\nmsgstr\[1\] ".*"(?:\n".*")*', "", entry)
        elif re.search(r'^msgstr ""\s*\Z', entry, re.M):
            if text:
                replacement = f"msgstr {quote(text)}"
                entry = re.sub(
                    r'^msgstr ""\s*\Z',
                    lambda _match, replacement=replacement: replacement,
                    entry,
                    flags=re.M,
                )
            else:
                missing.append(msgid)
        entries[index] = entry
    return "\n\n".join(entries), missing


def main(po_path: str, *translations_paths: str) -> int:
    translations = {}
    for path in translations_paths:
        translations.update(runpy.run_path(path)["ZH"])
    with open(po_path, encoding="utf-8") as handle:
        text, missing = fill(handle.read(), translations)
    text = text.replace("#, fuzzy\nmsgid", "msgid", 1)
    text = re.sub(
        r'"Plural-Forms: [^"]*"', lambda _m: '"Plural-Forms: nplurals=1; plural=0;\\n"', text
    )
    text = text.replace('"Language: \\n"', '"Language: zh_Hans\\n"')
    with open(po_path, "w", encoding="utf-8") as handle:
        handle.write(text)
    for msgid in missing:
        print("untranslated:", msgid)
    return 1 if missing else 0


def extract_fill_compile() -> int:
    """The whole round: makemessages, fill from every glossary, compilemessages."""
    project = Path(__file__).resolve().parent.parent
    manage = [sys.executable, "manage.py"]
    ignores = ["-i", ".venv", "-i", ".data", "-i", "tests", "-i", "bench", "-i", "node_modules"]
    subprocess.run([*manage, "makemessages", "-l", "zh_Hans", *ignores], cwd=project, check=True)
    glossaries = sorted(str(path) for path in (project / "locale" / "sources").glob("zh_hans_*.py"))
    status = main(str(project / PO_PATH), *glossaries)
    po = project / PO_PATH
    subprocess.run(
        ["msgfmt", "--check-format", "-o", str(po.with_suffix(".mo")), str(po)], check=True
    )
    return status


PO_PATH = "locale/zh_Hans/LC_MESSAGES/django.po"

if __name__ == "__main__":
    if sys.argv[1:] == ["--all"]:
        sys.exit(extract_fill_compile())
    sys.exit(main(sys.argv[1], *sys.argv[2:]))
