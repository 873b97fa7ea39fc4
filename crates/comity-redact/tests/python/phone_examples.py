#!/usr/bin/env python3
"""Phone numbers nobody here wrote: libphonenumber's example numbers (Python port,
`phonenumbers`), for every region and every type the metadata has an example of, each
formatted the four ways the library formats (E.164, international, national, RFC 3966),
some with an extension, inside sentences with punctuation glued on.

Writes JSON Lines to standard output, one case a line:

    {"region": "FR", "type": "MOBILE", "format": "NATIONAL", "number": "06 12 34 56 78",
     "text": "(06 12 34 56 78).", "start": 1, "end": 15, "extension": false}

`start` and `end` locate `number` in `text` in characters (Unicode scalar values); for
RFC 3966 they exclude the `tel:` scheme and the `;ext=` parameter is part of the
number. The cases are deterministic: the same library version writes the same lines.

    python3 phone_examples.py > cases.jsonl
"""

import json
import sys

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

TYPES = [
    PhoneNumberType.FIXED_LINE,
    PhoneNumberType.MOBILE,
    PhoneNumberType.TOLL_FREE,
    PhoneNumberType.PREMIUM_RATE,
    PhoneNumberType.SHARED_COST,
    PhoneNumberType.VOIP,
    PhoneNumberType.PERSONAL_NUMBER,
    PhoneNumberType.PAGER,
    PhoneNumberType.UAN,
    PhoneNumberType.VOICEMAIL,
]
TYPE_NAMES = {getattr(PhoneNumberType, n): n for n in dir(PhoneNumberType) if n.isupper()}
FORMATS = [
    ("E164", PhoneNumberFormat.E164),
    ("INTERNATIONAL", PhoneNumberFormat.INTERNATIONAL),
    ("NATIONAL", PhoneNumberFormat.NATIONAL),
    ("RFC3966", PhoneNumberFormat.RFC3966),
]
# Sentences with punctuation glued to the number, in the languages comity's productions
# carry; `{}` is the number.
SENTENCES = [
    "Call me on {}.",
    "({}).",
    "Tél. : {} ;",
    "Nummer:{}, bitte zurückrufen",
    "[{}]",
    "«{}»",
    "\"{}\",",
    "Mobile/{}!",
    "Llámame al {}?",
    "{}",
    "numéro {}… merci",
    "<{}>",
]
# Extensions as people and the library write them.
EXTENSIONS = [" ext. {}", " x{}", " ext {}", " Ext. {}", " #{}"]


def cases():
    n = 0
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for kind in TYPES:
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            for fmt_name, fmt in FORMATS:
                n += 1
                number = phonenumbers.format_number(example, fmt)
                extension = False
                # One number in five carries an extension (E.164 has none).
                if n % 5 == 0 and fmt_name != "E164":
                    extension = True
                    digits = str(100 + n % 900)
                    if fmt_name == "RFC3966":
                        number += ";ext=" + digits
                    else:
                        number += EXTENSIONS[(n // 5) % len(EXTENSIONS)].format(digits)
                sentence = SENTENCES[n % len(SENTENCES)]
                if fmt_name == "RFC3966":
                    # A tel: URI as written in text: the scheme glued on, then the number.
                    number_part = number[len("tel:"):]
                    text = sentence.format(number)
                    start = text.index(number) + len("tel:")
                    number = number_part
                else:
                    text = sentence.format(number)
                    start = text.index(number)
                yield {
                    "region": region,
                    "type": TYPE_NAMES[kind],
                    "format": fmt_name,
                    "number": number,
                    "text": text,
                    "start": start,
                    "end": start + len(number),
                    "extension": extension,
                }
    # Non-geographic entities (+800, +808, +870, +881, +882, +883, +888, +979): only
    # international forms exist.
    for code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        example = phonenumbers.example_number_for_non_geo_entity(code)
        if example is None:
            continue
        for fmt_name, fmt in FORMATS[:2]:
            n += 1
            number = phonenumbers.format_number(example, fmt)
            text = SENTENCES[n % len(SENTENCES)].format(number)
            start = text.index(number)
            yield {
                "region": "001+" + str(code),
                "type": "NON_GEO",
                "format": fmt_name,
                "number": number,
                "text": text,
                "start": start,
                "end": start + len(number),
                "extension": False,
            }


def main():
    out = sys.stdout
    for case in cases():
        out.write(json.dumps(case, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
