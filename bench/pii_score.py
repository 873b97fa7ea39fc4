#!/usr/bin/env python3
"""Recall and precision per type of a scan's spans against the gold spans.

    python3 bench/pii_score.py gold.jsonl comity.jsonl presidio.jsonl

Matching rule: a gold span is found when a predicted span of the same type overlaps it
(at least one character in common); a predicted span is correct when it overlaps a gold
span of the same type. Only the five benchmark types are scored; other types a tool
reports (PERSON, US_SSN, ...) are counted apart. Both files must list the same ids in the
same order as the gold file.
"""

import json
import sys

TYPES = ["EMAIL_ADDRESS", "PHONE_NUMBER", "IP_ADDRESS", "CREDIT_CARD", "IBAN_CODE"]


def overlaps(a, b):
    return a["start"] < b["end"] and b["start"] < a["end"]


def score(gold_path, pred_path, misses=None):
    stats = {t: {"gold": 0, "found": 0, "pred": 0, "correct": 0} for t in TYPES}
    other = {}
    with open(gold_path, encoding="utf-8") as gf, open(pred_path, encoding="utf-8") as pf:
        for n, (gl, pl) in enumerate(zip(gf, pf), start=1):
            g, p = json.loads(gl), json.loads(pl)
            if g["id"] != p["id"]:
                sys.exit(f"{pred_path}:{n}: id {p['id']!r}, expected {g['id']!r}")
            for t in TYPES:
                gs = [s for s in g["spans"] if s["type"] == t]
                ps = [s for s in p["spans"] if s["type"] == t]
                stats[t]["gold"] += len(gs)
                stats[t]["pred"] += len(ps)
                for s in gs:
                    if any(overlaps(s, q) for q in ps):
                        stats[t]["found"] += 1
                    elif misses is not None:
                        misses.append((g["id"], t, s))
                stats[t]["correct"] += sum(1 for q in ps if any(overlaps(q, s) for s in gs))
            for q in p["spans"]:
                if q["type"] not in TYPES:
                    other[q["type"]] = other.get(q["type"], 0) + 1
    return stats, other


def main():
    gold, preds = sys.argv[1], sys.argv[2:]
    results = {path: score(gold, path) for path in preds}
    print("| type | gold | " + " | ".join(f"recall {p} | precision {p}" for p in preds) + " |")
    print("| --- | --- |" + " --- | --- |" * len(preds))
    for t in TYPES:
        row = [t, str(results[preds[0]][0][t]["gold"])]
        for p in preds:
            s = results[p][0][t]
            recall = f"{s['found'] / s['gold']:.4f} ({s['found']})" if s["gold"] else "—"
            precision = f"{s['correct'] / s['pred']:.4f}" if s["pred"] else "—"
            row += [recall, f"{precision} ({s['pred']} spans)"]
        print("| " + " | ".join(row) + " |")
    for p in preds:
        if results[p][1]:
            print(f"other types in {p}: {results[p][1]}")


if __name__ == "__main__":
    main()
