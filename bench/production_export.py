#!/usr/bin/env python3
"""Writes a large provider export (docs/export-format.md) for bench/production.sh.

The mailbox of invest.desk@example.org, the target of
examples/requests/eu-epoc-traffic.json, over May and June 2026: messages in both
directions with thousands of correspondents (traffic and content records, the content's
bodies full of phone numbers, IBANs, card numbers and other people's addresses), logins,
and records of another account and outside the window, which a production drops.
Deterministic (a fixed seed). Usage:

    python3 bench/production_export.py --bytes 2000000000 --correspondents 5000 > export.jsonl
"""

import argparse
import json
import random
import sys
from datetime import datetime, timedelta, timezone

FIRST = ["Claire", "Hugo", "Amélie", "Thomas", "Nadia", "Jonas", "Lena", "Marco", "Sofia", "Pieter",
         "Aoife", "Liam", "Chiara", "Mateo", "Ines", "Karim", "Yuki", "Olga", "Tomás", "Eva"]
LAST = ["Bernard", "Lefèvre", "Roux", "Girard", "Benali", "Weber", "Schmidt", "Rossi", "García", "de Vries",
        "Murphy", "O'Brien", "Bianchi", "López", "Martins", "Haddad", "Tanaka", "Ivanova", "Novák", "Larsen"]
DOMAINS = ["example.fr", "example.net", "example.com", "example.de", "example.it", "example.es", "example.ie"]


def ts(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bytes", type=int, default=2_000_000_000)
    parser.add_argument("--correspondents", type=int, default=5000)
    args = parser.parse_args()
    rng = random.Random(2026)
    target = "invest.desk@example.org"
    people = []
    for i in range(args.correspondents):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        local = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
        local = local.encode("ascii", "ignore").decode() + str(i)
        people.append((f"{first} {last}", f"{local}@{rng.choice(DOMAINS)}"))
    start = datetime(2026, 5, 1, tzinfo=timezone.utc)
    span = int(timedelta(days=61).total_seconds())
    out = sys.stdout
    written = 0
    n = 0

    def emit(record):
        nonlocal written
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        out.write(line)
        written += len(line.encode("utf-8"))

    emit({"account": target, "kind": "profile", "category": "subscriber", "time": ts(start + timedelta(days=2)),
          "data": {"name": "Invest Desk", "email": target, "phone": "+33612345678",
                   "address": "12 rue de la Paix, 75002 Paris", "created": "2026-02-11T10:04:00Z",
                   "recovery": {"address": "marc.dupont.perso@example.net", "name": "Marc Dupont"}}})
    while written < args.bytes:
        n += 1
        t = start + timedelta(seconds=rng.randrange(span))
        name, address = people[rng.randrange(len(people))]
        other_name, other = people[rng.randrange(len(people))]
        outgoing = rng.random() < 0.5
        me = {"address": target, "name": "Invest Desk"}
        them = {"address": address, "name": name}
        traffic = {"id": f"<{n:x}.{rng.getrandbits(32):x}@mail.example.org>",
                   "direction": "sent" if outgoing else "received",
                   "from": me if outgoing else them, "to": [them] if outgoing else [me],
                   "cc": [{"address": other, "name": other_name}] if rng.random() < 0.3 else [],
                   "size": rng.randint(2_000, 60_000)}
        account = target if rng.random() < 0.97 else "someone.else@example.org"
        emit({"account": account, "kind": "message", "category": "traffic", "time": ts(t), "data": traffic})
        body = (f"Bonjour {name.split()[0]},\n\nVotre placement est confirmé. Merci de virer le solde sur "
                f"FR76 3000 6000 0112 3456 7890 189 avant vendredi. Pour toute question, appelez "
                f"{other_name} au +33 6 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
                f"{rng.randint(10, 99)} ou écrivez à {other}. Ma carte 4111 1111 1111 1111 est bloquée; "
                f"mon IP était 203.0.113.{rng.randint(1, 254)}.\n\nCordialement,\n{name}\n{address}\n") * 2
        emit({"account": account, "kind": "message", "category": "content", "time": ts(t),
              "data": dict(traffic, subject=f"Placement {n}", body=body, attachments=[])})
        if n % 10 == 0:
            emit({"account": target, "kind": "login", "category": "identification", "time": ts(t),
                  "data": {"ip": f"198.51.100.{rng.randint(1, 254)}", "port": rng.randint(1024, 65535),
                           "device": "desktop", "user_agent": "Mozilla/5.0 (X11; Linux x86_64)",
                           "result": "success"}})
    print(f"{written} bytes, {n} messages, {len(people)} correspondents", file=sys.stderr)


if __name__ == "__main__":
    main()
