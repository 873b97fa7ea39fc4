#!/usr/bin/env python3
"""An outside corpus for the redaction benchmark (bench/pii.sh): personal data in formats
nobody here wrote, and look-alikes that are not personal data.

- Phone numbers: libphonenumber's example numbers (this Python port, `phonenumbers`) for
  every region and every number type it has an example of, formatted by the library
  E.164, international, RFC 3966 (`tel:` URIs), and national; national formats only for
  the regions either tool tries by default (comity: the EU, the rest of the EEA, CH, GB,
  US, CA; Presidio: US, GB, DE, IL, IN, CA, BR), since a national number of a region no
  tool is told about is no number to either. One in five carries an extension as people
  and the library write them (` ext. 123`, ` x123`, `;ext=123`).
- Payment cards: the test numbers the brands and processors publish
  (crates/comity-redact/tests/fixtures/test_cards.tsv, sources in its header), as
  published, in one piece, and grouped as printed.
- E-mail addresses glued to punctuation: `(jean@example.fr).`, `mailto:...;`, `«...»`.
- Look-alikes, unlabelled: dates, amounts, order, invoice, customer and tracking
  numbers, times, versions, ISBNs, postcodes.

Each is put in a sentence with punctuation glued on. Writes the corpus and the gold spans
as bench/pii_corpus.py does (same format, character offsets). Deterministic for a given
phonenumbers version, --seed and --messages.

    python bench/pii_outside.py --messages 6000 --out outside.jsonl --gold outside-gold.jsonl
"""

import argparse
import json
import random
from pathlib import Path

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

COMITY_REGIONS = set(
    "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE "
    "IS LI NO CH GB US CA".split()
)
PRESIDIO_REGIONS = {"US", "GB", "DE", "IL", "IN", "CA", "BR"}
TYPES = [
    PhoneNumberType.FIXED_LINE,
    PhoneNumberType.MOBILE,
    PhoneNumberType.TOLL_FREE,
    PhoneNumberType.PREMIUM_RATE,
    PhoneNumberType.SHARED_COST,
    PhoneNumberType.VOIP,
    PhoneNumberType.PERSONAL_NUMBER,
    PhoneNumberType.UAN,
]
FORMATS = [
    ("E164", PhoneNumberFormat.E164),
    ("INTERNATIONAL", PhoneNumberFormat.INTERNATIONAL),
    ("RFC3966", PhoneNumberFormat.RFC3966),
    ("NATIONAL", PhoneNumberFormat.NATIONAL),
]
EXTENSIONS = [" ext. {}", " x{}", " ext {}", " Ext. {}", " #{}"]
# `{}` is the item; punctuation glued on both sides.
SENTENCES = [
    "Call me on {}.",
    "Please call back ({}).",
    "Tél. : {} ;",
    "Erreichbar unter:{}, danke.",
    "[{}]",
    "Contacto «{}».",
    "Number \"{}\", thanks",
    "Mobile/{}!",
    "¿Me llamas al {}?",
    "{}",
    "numéro {}… merci",
    "see <{}>;",
    "Card: {}.",
    "paid with {}, receipt attached",
    "n°{};",
]
FILLER = [
    "The meeting moved to Thursday.",
    "Le dossier est complet, merci.",
    "Bitte die Unterlagen bis Freitag senden.",
    "Nos vemos mañana en la oficina.",
    "Attached is the signed form.",
    "Merci pour votre retour rapide.",
    "Das Paket kommt morgen an.",
    "Thanks for the quick reply!",
]
NAMES = ["jean.martin", "claire_d", "j.mueller", "ana-garcia", "o.brien", "zoe42", "luis", "m.rossi"]
DOMAINS = ["example.fr", "beispiel.de", "example.com", "correo.example.es", "mail.example.co.uk"]


def look_alikes(r):
    """Text that is not personal data but has digits and separators."""
    d, m, y = r.randint(1, 28), r.randint(1, 12), r.randint(2019, 2027)
    digits = lambda n: "".join(r.choice("0123456789") for _ in range(n))  # noqa: E731
    return r.choice(
        [
            f"on {d:02d}.{m:02d}.{y}",
            f"due {y}-{m:02d}-{d:02d}",
            f"le {d:02d}/{m:02d}/{y}",
            f"Invoice date {d:02d} {m:02d} {y}",
            f"at {r.randint(0, 23):02d}:{r.randint(0, 59):02d}",
            f"total {r.randint(1, 99)} {r.randint(100, 999)},{r.randint(10, 99)} €",
            f"${r.randint(1, 9)},{r.randint(100, 999)}.{r.randint(10, 99)}",
            f"EUR {r.randint(1, 99)}.{r.randint(100, 999)},{r.randint(10, 99)}",
            f"Preis: {r.randint(1, 99)} {r.randint(100, 999)} {r.randint(100, 999)} EUR",
            f"Order #{digits(4)}-{digits(4)}-{y}",
            f"INV-{y}-{digits(5)}",
            f"Bestellnummer {digits(4)} {digits(4)} {digits(4)}",
            f"ref {y}{m:02d}{d:02d}",
            f"Kundennr. {digits(7)}",
            f"order {r.choice('123456789')}{digits(r.randint(7, 11))}",
            f"tracking 1Z{digits(3)}AA{digits(10)}",
            f"version {r.randint(1, 20)}.{r.randint(0, 9)}.{digits(5)}",
            f"ISBN 978-{r.randint(1, 9)}-{digits(2)}-{digits(6)}-{r.randint(0, 9)}",
            f"{digits(5)} Paris",
            f"I have {r.randint(10, 99)} {r.randint(10, 99)} {r.randint(10, 99)} items",
            f"case {digits(4)} {digits(4)} {digits(4)} {digits(4)}",
        ]
    )


def phone_items():
    """(text of the number, gold start and end within it) for every example."""
    items = []
    n = 0
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in TYPES:
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            for name, fmt in FORMATS:
                if name == "NATIONAL" and region not in COMITY_REGIONS | PRESIDIO_REGIONS:
                    continue
                n += 1
                number = phonenumbers.format_number(example, fmt)
                if n % 5 == 0 and name != "E164":
                    ext = str(100 + n % 900)
                    number += ";ext=" + ext if name == "RFC3966" else EXTENSIONS[(n // 5) % len(EXTENSIONS)].format(ext)
                start = len("tel:") if name == "RFC3966" else 0
                items.append((number, start, len(number)))
    return items


def card_items():
    path = Path(__file__).resolve().parent.parent / "crates/comity-redact/tests/fixtures/test_cards.tsv"
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#") or line.startswith("brand\t"):
            continue
        number = line.split("\t")[1]
        digits = "".join(c for c in number if c.isdigit())
        sizes = {15: [4, 6, 5], 14: [4, 6, 4]}.get(len(digits), [4, 4, 4, 4, 4])
        groups, at = [], 0
        for s in sizes:
            if at < len(digits):
                groups.append(digits[at : at + s])
                at += s
        for layout in dict.fromkeys([number, digits, " ".join(groups), "-".join(groups)]):
            items.append(layout)
    return items


def email_items(r):
    return [f"{r.choice(NAMES)}@{r.choice(DOMAINS)}" for _ in range(200)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--messages", type=int, default=6000)
    ap.add_argument("--seed", type=int, default=17)
    ap.add_argument("--out", required=True)
    ap.add_argument("--gold", required=True)
    args = ap.parse_args()
    r = random.Random(args.seed)
    phones, cards, emails = phone_items(), card_items(), email_items(r)
    # Every phone example and card layout at least once, then drawn at random.
    pool = [("PHONE_NUMBER", p) for p in phones] + [("CREDIT_CARD", c) for c in cards] * 4
    pool += [("EMAIL_ADDRESS", e) for e in emails]
    r.shuffle(pool)
    with open(args.out, "w", encoding="utf-8") as out, open(args.gold, "w", encoding="utf-8") as gold:
        for i in range(args.messages):
            parts, spans, text = [], [], ""
            for k in range(r.randint(1, 3)):
                choice = r.random()
                if choice < 0.35:
                    piece, gold_span = r.choice(FILLER), None
                elif choice < 0.6:
                    piece, gold_span = r.choice(SENTENCES).format(look_alikes(r)), None
                else:
                    kind, item = pool[(i * 3 + k) % len(pool)]
                    if kind == "PHONE_NUMBER":
                        number, s, e = item
                    else:
                        number, s, e = item, 0, len(item)
                    sentence = r.choice(SENTENCES)
                    piece = sentence.format(number)
                    at = piece.index(number)
                    gold_span = (at + s, at + e, kind)
                if text:
                    text += " "
                if gold_span:
                    spans.append({"start": len(text) + gold_span[0], "end": len(text) + gold_span[1], "type": gold_span[2]})
                text += piece
            mid = f"o{i:06d}"
            out.write(json.dumps({"id": mid, "text": text}, ensure_ascii=False) + "\n")
            gold.write(json.dumps({"id": mid, "spans": spans}) + "\n")


if __name__ == "__main__":
    main()
