#!/usr/bin/env python3
"""Writes the example exports of examples/exports/ (docs/export-format.md).

Deterministic (a fixed seed), so the files do not change unless this script does:
    python3 examples/exports/generate.py
Everyone in them is made up; the domains are example domains (RFC 2606).
"""
import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).parent


def ts(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def record(account, kind, category, time, data):
    return {"account": account, "kind": kind, "category": category, "time": ts(time), "data": data}


def example_mail():
    """The mailbox of invest.desk@example.org (examples/requests/eu-epoc-traffic.json:
    subscriber and traffic data, May and June 2026), with what a production must drop:
    content, logins, another account, and records outside the window."""
    rng = random.Random(42)
    target = "invest.desk@example.org"
    victims = [
        ("Claire Bernard", "claire.bernard@example.fr"),
        ("Hugo Lefèvre", "h.lefevre@example.net"),
        ("Amélie Roux", "amelie.roux@example.com"),
        ("Thomas Girard", "tgirard@example.fr"),
        ("Nadia Benali", "nadia.benali@example.org"),
    ]
    accomplice = ("M. Dupont", "m.dupont.desk@example.net")
    start = datetime(2026, 5, 1, tzinfo=timezone.utc)
    out = []
    out.append(record(target, "profile", "subscriber", start + timedelta(days=2, hours=8), {
        "name": "Invest Desk", "email": target, "phone": "+33612345678",
        "address": "12 rue de la Paix, 75002 Paris", "created": "2026-02-11T10:04:00Z",
        "payment": {"method": "card", "holder": "Invest Desk SARL", "last4": "4242"},
        "recovery": {"address": "marc.dupont.perso@example.net", "name": "Marc Dupont"},
    }))
    for day in range(0, 61, 3):
        t = start + timedelta(days=day, hours=rng.randint(8, 18), minutes=rng.randint(0, 59))
        name, address = rng.choice(victims)
        outgoing = rng.random() < 0.6
        sender = {"address": target, "name": "Invest Desk"} if outgoing else {"address": address, "name": name}
        to = [{"address": address, "name": name}] if outgoing else [{"address": target, "name": "Invest Desk"}]
        cc = [{"address": accomplice[1], "name": accomplice[0]}] if rng.random() < 0.3 else []
        mid = f"<{rng.getrandbits(48):x}@mail.example.org>"
        size = rng.randint(2_000, 60_000)
        traffic = {"id": mid, "direction": "sent" if outgoing else "received", "from": sender, "to": to, "cc": cc,
                   "size": size}
        out.append(record(target, "message", "traffic", t, traffic))
        body = (
            f"Bonjour {name.split()[0]},\n\nVotre placement est confirmé. Merci de virer le solde sur "
            f"FR76 3000 6000 0112 3456 7890 189 avant vendredi. Pour toute question, appelez {accomplice[0]} "
            f"au +33 6 98 76 54 32 ou écrivez à {accomplice[1]}.\n\nCordialement,\nInvest Desk"
        ) if outgoing else (
            f"Bonjour,\n\nJ'ai bien fait le virement depuis ma carte 4111 1111 1111 1111. Mon conseiller "
            f"m'a dit de vous écrire. {name}\n{address}"
        )
        out.append(record(target, "message", "content", t, dict(traffic, subject="Votre placement", body=body,
                                                                attachments=[])))
        out.append(record(target, "login", "identification", t - timedelta(minutes=5), {
            "ip": f"203.0.113.{rng.randint(2, 250)}", "port": rng.randint(1024, 65535),
            "device": "desktop", "user_agent": "Mozilla/5.0 (X11; Linux x86_64)", "result": "success"}))
    # Out of scope: another account of the same provider, and the target outside the window.
    other = "someone.else@example.org"
    out.append(record(other, "message", "traffic", start + timedelta(days=10), {
        "id": "<other-1@mail.example.org>", "direction": "sent",
        "from": {"address": other, "name": "Someone Else"},
        "to": [{"address": "friend@example.com", "name": "A Friend"}], "cc": [], "size": 1200}))
    out.append(record(other, "profile", "subscriber", start + timedelta(days=1), {
        "name": "Someone Else", "email": other, "phone": "+33700000001", "created": "2025-01-01T00:00:00Z"}))
    for t in [start - timedelta(days=10), start + timedelta(days=63)]:
        out.append(record(target, "message", "traffic", t, {
            "id": f"<outside-{t.day}@mail.example.org>", "direction": "received",
            "from": {"address": "outside.window@example.com", "name": "Outside Window"},
            "to": [{"address": target, "name": "Invest Desk"}], "cc": [], "size": 900}))
    out.sort(key=lambda r: (r["time"], r["account"]))
    return out


def example_mail_emergency():
    """The account nightfall_1999 behind the threat of
    examples/requests/eu-epoc-emergency-subscriber.json (subscriber and identification
    data, the night of 25 to 26 November 2026), with what a production must drop: the
    messages' content, logins outside the twelve hours, and another account."""
    rng = random.Random(7)
    target = "nightfall_1999"
    start = datetime(2026, 11, 25, 18, 0, tzinfo=timezone.utc)
    out = [record(target, "profile", "subscriber", start + timedelta(hours=3, minutes=14), {
        "name": "Nightfall", "email": "nightfall.1999@example.com", "phone": "+4915112345678",
        "created": "2026-10-30T22:41:00Z",
        "recovery": {"address": "+49 30 1234567", "name": "Jonas Weber"},
    })]
    for minutes in [25, 95, 140, 310, 545]:
        out.append(record(target, "login", "identification", start + timedelta(minutes=minutes), {
            "ip": "198.51.100.23", "port": 40112 if minutes == 140 else rng.randint(1024, 65535),
            "device": "mobile", "user_agent": "ExampleMail/5.2 (Android 14)", "result": "success"}))
    out.append(record(target, "message", "content", start + timedelta(minutes=142), {
        "id": "<post-1@mail.example.org>", "direction": "sent",
        "from": {"address": "nightfall.1999@example.com", "name": "Nightfall"},
        "to": [{"address": "lena.schmidt@example.de", "name": "Lena Schmidt"}], "cc": [], "size": 700,
        "subject": "morgen", "body": "Morgen an der Schule. Ruf Lena an: +49 170 9876543.", "attachments": []}))
    for t in [start - timedelta(days=3), start + timedelta(hours=20)]:
        out.append(record(target, "login", "identification", t, {
            "ip": "203.0.113.77", "port": rng.randint(1024, 65535), "device": "desktop",
            "user_agent": "Mozilla/5.0 (Windows NT 10.0)", "result": "success"}))
    out.append(record("lena.schmidt", "login", "identification", start + timedelta(hours=1), {
        "ip": "192.0.2.10", "port": 51000, "device": "mobile", "user_agent": "ExampleMail/5.2 (iOS 18)",
        "result": "success"}))
    out.sort(key=lambda r: (r["time"], r["account"]))
    return out


def main():
    for name, records in [("example-mail.jsonl", example_mail()),
                          ("example-mail-emergency.jsonl", example_mail_emergency())]:
        path = HERE / name
        with path.open("w", encoding="utf-8") as f:
            for r in records:
                f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
