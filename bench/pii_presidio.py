#!/usr/bin/env python3
"""Presidio's pattern recognizers over a JSON Lines corpus, as `comity pii scan` does it.

Reads {"id": ..., "text": ...} lines and writes {"id": ..., "spans": [...]} lines with
character offsets, in one process. The recognizers are used directly, without an NLP
engine (`analyze(text, entities, nlp_artifacts=None)`): EmailRecognizer, PhoneRecognizer
(python-phonenumbers, Presidio's default regions), IpRecognizer, CreditCardRecognizer and
IbanRecognizer, each with its defaults. A result counts at any score above Presidio's
minimum (no context words, no threshold), and exact duplicates are dropped, as
AnalyzerEngine does.

    python bench/pii_presidio.py < corpus.jsonl > presidio.jsonl
"""

import json
import sys
import time

import tldextract
from presidio_analyzer.predefined_recognizers import (
    CreditCardRecognizer,
    EmailRecognizer,
    IbanRecognizer,
    IpRecognizer,
    PhoneRecognizer,
)


def main():
    # The e-mail recognizer checks the top-level domain with tldextract, which first tries
    # to download the Public Suffix List and falls back to the snapshot it ships. This
    # machine reaches no such host; use the snapshot directly rather than time the
    # failed downloads.
    tldextract.extract = tldextract.TLDExtract(suffix_list_urls=())
    recognizers = [
        EmailRecognizer(),
        PhoneRecognizer(),
        IpRecognizer(),
        CreditCardRecognizer(),
        IbanRecognizer(),
    ]
    out = sys.stdout
    started = time.perf_counter()
    for line in sys.stdin:
        record = json.loads(line)
        text = record["text"]
        found = set()
        for recognizer in recognizers:
            for r in recognizer.analyze(text, recognizer.supported_entities, None):
                if r.score > 0:
                    found.add((r.start, r.end, r.entity_type))
        spans = [{"start": s, "end": e, "type": t} for (s, e, t) in sorted(found)]
        out.write(json.dumps({"id": record["id"], "spans": spans}) + "\n")
    print(f"presidio: {time.perf_counter() - started:.2f} s in the loop, after imports", file=sys.stderr)


if __name__ == "__main__":
    main()
