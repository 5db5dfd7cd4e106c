#!/usr/bin/env python3
"""Fail when a translation catalogue has an untranslated or fuzzy entry.

Usage: python scripts/i18n_check.py [PO_FILE ...]
Default: locale/en/LC_MESSAGES/django.po. Exit status 1 lists every faulty entry with its
line number; run `manage.py makemessages -l en` first so new strings are in the catalogue.

Standard library only, so CI can run it before installing the project.
"""

import ast
import sys
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_PO = Path(__file__).resolve().parent.parent / "locale/en/LC_MESSAGES/django.po"


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    fields: dict[str, str] = field(default_factory=dict)
    obsolete: bool = False

    @property
    def msgid(self) -> str:
        return self.fields.get("msgid", "")

    def translations(self) -> list[str]:
        return [value for key, value in self.fields.items() if key.startswith("msgstr")]


def _unquote(text: str) -> str:
    # PO strings use C escapes (\n, \", \\), which Python string literals share.
    return ast.literal_eval(text.strip())


def parse(path: Path) -> list[Entry]:
    entries: list[Entry] = []
    current: Entry | None = None
    key: str | None = None

    def finish() -> None:
        nonlocal current, key
        if current is not None and current.fields:
            entries.append(current)
        current, key = None, None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            if current is None:
                current = Entry(line=number)
            current.obsolete = True
            continue
        if line.startswith("#"):
            # A comment after a msgstr starts the next entry even without a blank line.
            if current is not None and any(k.startswith("msgstr") for k in current.fields):
                finish()
            if current is None:
                current = Entry(line=number)
            if line.startswith("#,"):
                current.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith('"'):
            if current is None or key is None:
                raise ValueError(f"{path}:{number}: string continuation outside an entry")
            current.fields[key] += _unquote(line)
            continue
        keyword, _, rest = line.partition(" ")
        starts_entry = keyword in ("msgctxt", "msgid")
        if (
            starts_entry
            and current is not None
            and any(k.startswith("msgstr") for k in current.fields)
        ):
            finish()
        if current is None:
            current = Entry(line=number)
        if keyword not in ("msgctxt", "msgid", "msgid_plural") and not keyword.startswith("msgstr"):
            raise ValueError(f"{path}:{number}: unexpected line: {raw}")
        key = keyword
        current.fields[key] = _unquote(rest)
    finish()
    return entries


def problems(path: Path) -> list[str]:
    found = []
    for entry in parse(path):
        if entry.obsolete:
            continue
        is_header = entry.msgid == "" and "msgctxt" not in entry.fields
        label = f"{path}:{entry.line}: {entry.msgid[:70]!r}"
        if "fuzzy" in entry.flags:
            found.append(f"{label} is fuzzy")
        if is_header:
            continue
        translations = entry.translations()
        if not translations or any(not text.strip() for text in translations):
            found.append(f"{label} is not translated")
    return found


def main(argv: list[str]) -> int:
    paths = [Path(arg) for arg in argv] or [DEFAULT_PO]
    status = 0
    for path in paths:
        if not path.is_file():
            print(f"{path}: no such catalogue", file=sys.stderr)
            status = 1
            continue
        found = problems(path)
        for problem in found:
            print(problem, file=sys.stderr)
        if found:
            status = 1
        else:
            print(f"{path}: every entry is translated")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
