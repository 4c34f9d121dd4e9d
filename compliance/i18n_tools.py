"""Build the message catalogues from the sources.

`python -m compliance.i18n_tools update` extracts every translatable string from the Python
packages and the templates, takes the Chinese for each from the JSON files under
`compliance/translations/src/*.json` (one file per area, so people working on different packages
never edit the same file), and writes `zh` and `en` catalogues (.po and compiled .mo).
`python -m compliance.i18n_tools check` lists strings that have no Chinese yet and exits 1.
"""

from __future__ import annotations

import json
import re
import sys
from io import BytesIO

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import write_po

from .config import PROJECT_ROOT

SOURCES = ("compliance", "inspections", "training", "rotation", "templates")
METHOD_MAP = [
    ("**/.venv/**", "ignore"),
    ("**/tests/**", "ignore"),
    ("**.py", "python"),
    ("**.html", "jinja2"),
    ("**.txt", "ignore"),
]
KEYWORDS = {
    "_": None,
    "gettext": None,
    "lazy_gettext": None,
    "_l": None,
    "N_": None,
    "gettext_noop": None,
    "ngettext": (1, 2),
    "lazy_ngettext": (1, 2),
}
TRANSLATIONS_DIR = PROJECT_ROOT / "compliance" / "translations"
SRC_DIR = TRANSLATIONS_DIR / "src"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|%[sd]|\{\w*\}")


def extract() -> dict[str, list[str]]:
    """msgid -> list of 'file:line' locations."""
    messages: dict[str, list[str]] = {}
    for source in SOURCES:
        root = PROJECT_ROOT / source
        if not root.exists():
            continue
        for filename, lineno, message, _comments, _context in extract_from_dir(
            str(root),
            method_map=METHOD_MAP,
            keywords=KEYWORDS,
            options_map={"**.html": {"extensions": "jinja2.ext.do"}},
        ):
            msgid = message[0] if isinstance(message, tuple) else message
            if not msgid:
                continue
            messages.setdefault(msgid, []).append(f"{source}/{filename}:{lineno}")
    return messages


def load_chinese() -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted(SRC_DIR.glob("*.json")):
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def problems(messages: dict[str, list[str]], chinese: dict[str, str]) -> list[str]:
    found = []
    for msgid, where in sorted(messages.items()):
        zh = chinese.get(msgid)
        if not zh:
            found.append(f"missing Chinese: {msgid!r} ({where[0]})")
        elif placeholders(zh) != placeholders(msgid):
            found.append(f"placeholders differ: {msgid!r} -> {zh!r}")
    return found


def build(messages: dict[str, list[str]], chinese: dict[str, str]) -> None:
    for locale in ("zh", "en"):
        catalog = Catalog(locale=locale, project="window-compliance", fuzzy=False)
        for msgid in sorted(messages):
            text = chinese.get(msgid, "") if locale == "zh" else msgid
            locations = [
                (loc.rsplit(":", 1)[0], int(loc.rsplit(":", 1)[1])) for loc in messages[msgid][:3]
            ]
            flags = ("python-format",) if "%(" in msgid else ()
            catalog.add(msgid, text, locations=locations, flags=flags)
        out = TRANSLATIONS_DIR / locale / "LC_MESSAGES"
        out.mkdir(parents=True, exist_ok=True)
        buf = BytesIO()
        write_po(buf, catalog, width=0, omit_header=False, sort_output=True)
        (out / "messages.po").write_bytes(buf.getvalue())
        buf = BytesIO()
        write_mo(buf, catalog, use_fuzzy=False)
        (out / "messages.mo").write_bytes(buf.getvalue())


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "update"
    messages = extract()
    chinese = load_chinese()
    issues = problems(messages, chinese)
    if command == "check":
        for line in issues:
            print(line)
        print(f"{len(messages)} strings, {len(issues)} problems")
        return 1 if issues else 0
    if command == "missing":
        # A JSON skeleton of the strings still lacking Chinese, to fill in and save under src/.
        missing = {m: "" for m in sorted(messages) if not chinese.get(m)}
        print(json.dumps(missing, ensure_ascii=False, indent=1))
        return 0
    build(messages, chinese)
    for line in issues:
        print(line)
    print(f"wrote catalogues: {len(messages)} strings, {len(issues)} problems")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
