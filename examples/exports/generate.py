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


def main():
    path = HERE / "example-mail.jsonl"
    with path.open("w", encoding="utf-8") as f:
        for r in example_mail():
            f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
