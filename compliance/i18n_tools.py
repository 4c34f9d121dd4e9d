"""Build the message catalogues from the sources.

`python -m compliance.i18n_tools update` extracts every translatable string from the Python
packages and the templates, takes the Chinese for each from the JSON files under
`compliance/translations/src/*.json` (one file per area, so people working on different packages
never edit the same file), and writes `zh` and `en` catalogues (.po and compiled .mo).
`python -m compliance.i18n_tools check` lists strings that have no Chinese yet and exits 1.

A string marked with a message context (`pgettext("ledger column", "Attendance")`, or
`lazy_pgettext`/`_lp`, `npgettext`) is its own entry, so one English word can have two Chinese
translations; in the JSON files its key is the context and the string joined by "|"
("ledger column|Attendance"), and in the catalogues it carries a msgctxt.
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

SOURCES = ("compliance", "inspections", "training", "rotation", "evaluation", "templates")
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
    "pgettext": ((1, "c"), 2),
    "lazy_pgettext": ((1, "c"), 2),
    "_lp": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
    "lazy_npgettext": ((1, "c"), 2, 3),
}
CONTEXT_SEPARATOR = "|"  # between a message context and the string, in the JSON keys
TRANSLATIONS_DIR = PROJECT_ROOT / "compliance" / "translations"
SRC_DIR = TRANSLATIONS_DIR / "src"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|%[sd]|\{\w*\}")


def message_key(msgid: str, context: str | None) -> str:
    """How a string is named in the JSON files and in `extract()`: the msgid, or
    "context|msgid" for a string with a message context."""
    return f"{context}{CONTEXT_SEPARATOR}{msgid}" if context else msgid


def split_key(key: str, contexts: set[str] | None = None) -> tuple[str | None, str]:
    """(context, msgid) of a key made by `message_key`."""
    context, sep, msgid = key.partition(CONTEXT_SEPARATOR)
    if sep and (contexts is None or context in contexts):
        return context, msgid
    return None, key


def extract() -> dict[str, list[str]]:
    """Key (see `message_key`) -> list of 'file:line' locations."""
    messages: dict[str, list[str]] = {}
    for source in SOURCES:
        root = PROJECT_ROOT / source
        if not root.exists():
            continue
        for filename, lineno, message, _comments, context in extract_from_dir(
            str(root),
            method_map=METHOD_MAP,
            keywords=KEYWORDS,
            options_map={"**.html": {"extensions": "jinja2.ext.do"}},
        ):
            msgid = message[0] if isinstance(message, tuple) else message
            if not msgid:
                continue
            key = message_key(msgid, context)
            messages.setdefault(key, []).append(f"{source}/{filename}:{lineno}")
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
    for key, where in sorted(messages.items()):
        zh = chinese.get(key)
        msgid = split_key(key)[1] if CONTEXT_SEPARATOR in key else key
        if not zh:
            found.append(f"missing Chinese: {key!r} ({where[0]})")
        elif placeholders(zh) != placeholders(msgid):
            found.append(f"placeholders differ: {key!r} -> {zh!r}")
    return found


def build(messages: dict[str, list[str]], chinese: dict[str, str]) -> None:
    for locale in ("zh", "en"):
        catalog = Catalog(locale=locale, project="window-compliance", fuzzy=False)
        for key in sorted(messages):
            context, msgid = split_key(key) if CONTEXT_SEPARATOR in key else (None, key)
            text = chinese.get(key, "") if locale == "zh" else msgid
            locations = [
                (loc.rsplit(":", 1)[0], int(loc.rsplit(":", 1)[1])) for loc in messages[key][:3]
            ]
            flags = ("python-format",) if "%(" in msgid else ()
            catalog.add(msgid, text, locations=locations, flags=flags, context=context)
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
