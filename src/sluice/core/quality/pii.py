"""Finding and masking personal data in text: emails, phone numbers, card numbers, IBANs.

Card numbers must pass the Luhn check and IBANs the ISO 13616 mod-97 check, so
order numbers and random digit runs are not reported as cards or accounts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                   r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,24}\b")
CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,4}"
                   r"(?:[\s.-]?\d{2,4}){2,4}(?![\w])")

LABELS = {"email": "[EMAIL]", "card": "[CARD]", "iban": "[IBAN]", "phone": "[PHONE]"}
_IBAN_LENGTHS = {"DE": 22, "GB": 22, "FR": 27, "ES": 24, "IT": 27, "NL": 18, "BE": 16,
                 "CH": 21, "AT": 20, "PL": 28, "SE": 24, "DK": 18, "NO": 15, "FI": 18,
                 "IE": 22, "PT": 25, "LU": 20}


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int
    value: str

    @property
    def masked(self) -> str:
        v = self.value
        return v[:2] + "*" * max(0, len(v) - 4) + v[-2:] if len(v) > 4 else "*" * len(v)


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_ok(text: str) -> bool:
    iban = text.replace(" ", "")
    expected = _IBAN_LENGTHS.get(iban[:2])
    if expected is not None and len(iban) != expected:
        return False
    if not 15 <= len(iban) <= 34:
        return False
    moved = iban[4:] + iban[:4]
    number = "".join(str(int(ch, 36)) for ch in moved)
    return int(number) % 97 == 1


def find_pii(text: str) -> list[Finding]:
    """All findings in ``text``, non-overlapping, earliest first."""
    if not text:
        return []
    found: list[Finding] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern, check in _DETECTORS:
        for m in pattern.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            if check(m.group()):
                found.append(Finding(kind, m.start(), m.end(), m.group()))
                taken.append((m.start(), m.end()))
    return sorted(found, key=lambda f: f.start)


def redact(text: str, findings: list[Finding] | None = None) -> str:
    """``text`` with every finding replaced by its label, e.g. ``[EMAIL]``."""
    findings = find_pii(text) if findings is None else findings
    out, last = [], 0
    for f in findings:
        out.append(text[last:f.start])
        out.append(LABELS[f.kind])
        last = f.end
    out.append(text[last:])
    return "".join(out)


def _card(value: str) -> bool:
    digits = re.sub(r"\D", "", value)
    return 13 <= len(digits) <= 19 and luhn_ok(digits) and len(set(digits)) > 1


def _phone(value: str) -> bool:
    digits = re.sub(r"\D", "", value)
    return 9 <= len(digits) <= 15 and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip())


_DETECTORS: list[tuple[str, re.Pattern[str], Callable[[str], bool]]] = [
    ("email", EMAIL, lambda _: True),
    ("iban", IBAN, iban_ok),
    ("card", CARD, _card),
    ("phone", PHONE, _phone),
]
