#!/usr/bin/env python3
"""A labelled corpus for the redaction benchmark (bench/pii.sh).

Writes two JSON Lines files of the same length and order:

- the corpus, one message a line: {"id": "m0000001", "text": "..."}
- the gold spans: {"id": "m0000001", "spans": [{"start": s, "end": e, "type": T}]}

Offsets count characters (Unicode scalar values, as Python and Presidio count them).
The messages are e-mail and chat bodies in English, French, German and Spanish, with
accents, curly quotes and the odd emoji, so that character and byte offsets differ. They
carry the five types of the benchmark in the formats people write them in, and
look-alikes that are not personal data: dates, times, version numbers, amounts, order and
tracking numbers that fail Luhn, IBANs with a wrong check digit, postal codes.

Only EMAIL_ADDRESS, PHONE_NUMBER, IP_ADDRESS, CREDIT_CARD and IBAN_CODE are labelled.
Person names appear (greetings, signatures) but are not labelled: the benchmark compares
the pattern types, which need no language model.

Deterministic: the same --seed and --messages give the same files, byte for byte.

    python3 bench/pii_corpus.py --messages 40000 --out target/pii/corpus.jsonl \
        --gold target/pii/gold.jsonl
"""

import argparse
import json
import random
import string

FIRST = [
    "Jean", "Claire", "Élodie", "François", "Hélène", "Zoë", "Anna", "Jürgen", "Jörg",
    "Käthe", "Lukas", "José", "María", "Iñaki", "Lucía", "Ángel", "Sofía", "James",
    "Emily", "Oliver", "Grace", "Noah", "Chloé", "Mathéo", "Søren", "Björn", "Ines",
]
LAST = [
    "Martin", "Dubois", "Lefèvre", "Moreau", "Müller", "Schröder", "Weiß", "Groß",
    "García", "Núñez", "Fernández", "Peña", "Smith", "O'Brien", "Johnson", "Walker",
    "Bernard", "Fontaine", "Köhler", "Ibáñez", "Navarro", "Brown", "Taylor", "Roux",
]
DOMAINS = [
    "example.org", "example.com", "exemple.fr", "beispiel.de", "ejemplo.es",
    "mail.example.net", "post.example.co.uk", "correo.example.es", "web.example.de",
    "example.fr", "student.example.edu", "example.io",
]

GREETINGS = {
    "en": ["Hi {n},", "Hello {n},", "Dear {n},", "Hey {n} 👋"],
    "fr": ["Bonjour {n},", "Salut {n},", "Cher {n},", "Chère {n},"],
    "de": ["Hallo {n},", "Liebe {n},", "Lieber {n},", "Guten Tag {n},"],
    "es": ["Hola {n},", "Estimado {n}:", "Querida {n},", "Buenos días {n},"],
}
SIGNOFFS = {
    "en": ["Best regards,", "Thanks,", "Cheers,", "Kind regards,"],
    "fr": ["Cordialement,", "Bien à vous,", "Merci d’avance,", "À bientôt,"],
    "de": ["Viele Grüße,", "Mit freundlichen Grüßen", "Beste Grüße,", "Danke und Gruß,"],
    "es": ["Saludos,", "Un abrazo,", "Atentamente,", "Gracias,"],
}
# Filler sentences, with no personal data; {d}, {t}, {v}, {a}, {o}, {z} are look-alikes.
FILLER = {
    "en": [
        "I hope this finds you well.",
        "The meeting moved to {d} at {t}, room 4.12 on the third floor.",
        "We upgraded the client to version {v} last week, so please retry.",
        "The invoice of {a} is still open — order {o} was shipped on {d}.",
        "Could you send me the slides before Friday?",
        "The office at postcode {z} is closed on {d}.",
        "Let me know if anything is unclear; happy to jump on a call.",
        "Our ticket #{k} was escalated to the second line.",
        "The parcel {o} should arrive between {t} and 18:00.",
    ],
    "fr": [
        "J’espère que tu vas bien.",
        "La réunion est décalée au {d} à {t}, salle 3.07 au deuxième étage.",
        "Nous avons installé la version {v} hier soir ; peux-tu réessayer ?",
        "La facture de {a} reste à régler — commande {o} expédiée le {d}.",
        "Peux-tu m’envoyer le compte rendu avant vendredi ?",
        "L’agence du {z} Paris sera fermée le {d}.",
        "N’hésite pas si quelque chose n’est pas clair, on peut s’appeler.",
        "Le dossier n° {k} a été transmis au service juridique.",
        "Le colis {o} arrivera entre {t} et 18 h.",
    ],
    "de": [
        "Ich hoffe, es geht dir gut.",
        "Das Treffen ist auf den {d} um {t} verschoben, Raum 2.14 im Erdgeschoss.",
        "Wir haben gestern auf Version {v} aktualisiert; bitte noch einmal versuchen.",
        "Die Rechnung über {a} ist noch offen — Bestellung {o} ging am {d} raus.",
        "Kannst du mir die Unterlagen bis Freitag schicken?",
        "Die Filiale in {z} Berlin bleibt am {d} geschlossen.",
        "Melde dich, falls etwas unklar ist – wir können gern telefonieren.",
        "Vorgang Nr. {k} wurde an die Rechtsabteilung übergeben.",
        "Das Paket {o} kommt zwischen {t} und 18 Uhr.",
    ],
    "es": [
        "Espero que estés bien.",
        "La reunión se movió al {d} a las {t}, sala 1.05 en la planta baja.",
        "Actualizamos a la versión {v} ayer; ¿puedes volver a intentarlo?",
        "La factura de {a} sigue pendiente — el pedido {o} salió el {d}.",
        "¿Me mandas el informe antes del viernes?",
        "La oficina del código postal {z} cierra el {d}.",
        "Avísame si algo no está claro, podemos hablar por teléfono.",
        "El expediente n.º {k} pasó al departamento jurídico.",
        "El paquete {o} llegará entre las {t} y las 18:00.",
    ],
}
# Sentences that carry personal data; {x} is the value.
CARRIERS = {
    "EMAIL_ADDRESS": {
        "en": ["You can reach {p} at {x} from now on.", "Please write to {x} instead.",
               "Forwarded message from {x}:", "cc: {x}"],
        "fr": ["Tu peux écrire à {p} : {x}.", "Sa nouvelle adresse est {x}.",
               "Message transféré de {x} :", "En copie : {x}"],
        "de": ["Du erreichst {p} unter {x}.", "Bitte schreib an {x}.",
               "Weitergeleitet von {x}:", "Kopie an {x}"],
        "es": ["Puedes escribir a {p} en {x}.", "Su correo nuevo es {x}.",
               "Mensaje reenviado de {x}:", "Con copia a {x}"],
    },
    "PHONE_NUMBER": {
        "en": ["Call me on {x} if it is urgent.", "My mobile: {x}", "{p}'s number is {x}.",
               "Tel. {x} (office hours)"],
        "fr": ["Appelle-moi au {x} si c’est urgent.", "Mon portable : {x}",
               "Le numéro de {p} est le {x}.", "Tél. : {x}"],
        "de": ["Ruf mich unter {x} an, wenn es eilt.", "Handy: {x}",
               "{p} ist unter {x} erreichbar.", "Tel.: {x}"],
        "es": ["Llámame al {x} si es urgente.", "Mi móvil: {x}", "El número de {p} es {x}.",
               "Tfno.: {x}"],
    },
    "IP_ADDRESS": {
        "en": ["The login came from {x} at {t}.", "Blocked address: {x}",
               "The server at {x} stopped answering."],
        "fr": ["La connexion venait de {x} à {t}.", "Adresse bloquée : {x}",
               "Le serveur {x} ne répond plus."],
        "de": ["Der Login kam von {x} um {t}.", "Gesperrte Adresse: {x}",
               "Der Server {x} antwortet nicht mehr."],
        "es": ["El acceso vino de {x} a las {t}.", "Dirección bloqueada: {x}",
               "El servidor {x} dejó de responder."],
    },
    "CREDIT_CARD": {
        "en": ["Charge it to my card {x}, expiry 09/27.", "Card number: {x}"],
        "fr": ["Tu peux débiter la carte {x}, exp. 09/27.", "N° de carte : {x}"],
        "de": ["Bitte die Karte {x} belasten, gültig bis 09/27.", "Kartennummer: {x}"],
        "es": ["Cárgalo a la tarjeta {x}, caduca 09/27.", "Número de tarjeta: {x}"],
    },
    "IBAN_CODE": {
        "en": ["Please transfer it to {x} (account of {p}).", "IBAN: {x}"],
        "fr": ["Merci de virer la somme sur {x} (compte de {p}).", "IBAN : {x}"],
        "de": ["Bitte auf {x} überweisen (Konto von {p}).", "IBAN: {x}"],
        "es": ["Transfiere a {x} (cuenta de {p}).", "IBAN: {x}"],
    },
}

IBAN_LAYOUT = {  # country: (length, BBAN alphabet per position: n digit, a letter, c either)
    "DE": "n" * 18, "FR": "n" * 10 + "c" * 11 + "n" * 2, "ES": "n" * 20,
    "IT": "a" + "n" * 10 + "c" * 12, "GB": "aaaa" + "n" * 14, "NL": "aaaa" + "n" * 10,
    "BE": "n" * 12, "CH": "n" * 5 + "c" * 12, "AT": "n" * 16, "PT": "n" * 21,
    "IE": "aaaa" + "n" * 14, "LU": "nnn" + "c" * 13, "PL": "n" * 24,
}
CARD_PREFIXES = [  # (prefix, length, grouping)
    ("4", 16, (4, 4, 4, 4)), ("4", 16, (4, 4, 4, 4)), ("51", 16, (4, 4, 4, 4)),
    ("55", 16, (4, 4, 4, 4)), ("2221", 16, (4, 4, 4, 4)), ("34", 15, (4, 6, 5)),
    ("37", 15, (4, 6, 5)), ("6011", 16, (4, 4, 4, 4)), ("65", 16, (4, 4, 4, 4)),
    ((3528, 3589), 16, (4, 4, 4, 4)), ("36", 14, (4, 6, 4)), ("4", 13, (4, 4, 5)),
]
# A range (low, high) stands for every prefix in it: JCB is 3528-3589 (ISO/IEC 7812 as the
# brands publish it), not all of 35, whose other numbers are no card.


def luhn_complete(r, digits):
    """Appends the Luhn check digit: the one digit that makes the number pass."""
    return next(digits + c for c in "0123456789" if luhn_ok(digits + c))


def luhn_ok(digits):
    total = 0
    for i, d in enumerate(reversed(digits)):
        v = int(d)
        if i % 2 == 1:
            v *= 2
            if v > 9:
                v -= 9
        total += v
    return total % 10 == 0


def digits(r, n):
    return "".join(r.choice(string.digits) for _ in range(n))


def group(s, sizes, sep):
    out, i = [], 0
    for size in sizes:
        if i >= len(s):
            break
        out.append(s[i:i + size])
        i += size
    if i < len(s):
        out.append(s[i:])
    return sep.join(out)


def email(r, name):
    first, last = name
    def ascii_(s):
        table = str.maketrans("éèêëàâäîïôöûüùçñáíóúÉÁÓÚÍÑÖÜÄßøØ'",
                              "eeeeaaaiioouuucnaiouEAOUINOUAsoo ")
        return s.translate(table).replace(" ", "").lower()
    f, l = ascii_(first), ascii_(last)
    local = r.choice([f"{f}.{l}", f"{f[0]}{l}", f"{f}_{l}{r.randint(1, 99)}",
                      f"{f}+{r.choice(['news', 'shop', 'work'])}", f"{l}-{f}", f"{f}{r.randint(70, 99)}"])
    addr = f"{local}@{r.choice(DOMAINS)}"
    if r.random() < 0.1:
        addr = addr.capitalize()
    style = r.random()
    if style < 0.15:
        return f"{first} {last} <", addr, ">"
    if style < 0.22:
        return "mailto:", addr, ""
    if style < 0.27:
        return "(", addr, ")"
    return "", addr, ""


def phone(r):
    kind = r.random()
    if kind < 0.14:  # French, international
        n = r.choice(["6" + r.choice("1245"), "7" + r.choice("5678")]) + digits(r, 7)
        return r.choice([f"+33 {n[0]} {group(n[1:], (2, 2, 2, 2), ' ')}",
                         f"+33 (0){n[0]} {group(n[1:], (2, 2, 2, 2), ' ')}",
                         f"+33{n}", f"0033 {n[0]} {group(n[1:], (2, 2, 2, 2), ' ')}"])
    if kind < 0.26:  # French, national
        n = "0" + r.choice("1234567") + digits(r, 8)
        sep = r.choice([" ", ".", " ", "-"])
        return group(n, (2, 2, 2, 2, 2), sep)
    if kind < 0.38:  # German
        mobile = "15" + r.choice("12579") + digits(r, 8)
        berlin = "30" + r.choice("2345678") + digits(r, 7)
        return r.choice([f"+49 {mobile[:3]} {mobile[3:]}", f"+49 (0){berlin[:2]} {berlin[2:]}",
                         f"0{mobile[:3]} {mobile[3:]}", f"0{berlin[:2]}/{berlin[2:]}",
                         f"+49 30 {berlin[2:5]} {berlin[5:]}", f"0{berlin[:2]} {berlin[2:]}"])
    if kind < 0.50:  # British
        mobile = "7" + r.choice("4579") + digits(r, 2) + " " + digits(r, 6)
        london = "20 7946 0" + digits(r, 3)
        return r.choice([f"+44 {mobile}", f"+44 {london}", f"+44 (0){london}", f"0{mobile}",
                         f"0{london}"])
    if kind < 0.62:  # Spanish
        n = "6" + digits(r, 8)
        land = "91" + r.choice("2345") + digits(r, 6)
        return r.choice([f"+34 {group(n, (3, 3, 3), ' ')}", f"+34 {group(n, (3, 2, 2, 2), ' ')}",
                         f"{group(n, (3, 2, 2, 2), ' ')}", f"+34{land}", f"{group(land, (3, 3, 3), ' ')}"])
    if kind < 0.68:  # Italian, Dutch, Swiss, Belgian, Irish
        return r.choice([f"+39 3{r.choice('2345689')}{digits(r, 1)} {digits(r, 3)} {digits(r, 4)}",
                         f"+31 6 {r.choice('12345')}{digits(r, 3)} {digits(r, 4)}",
                         f"+41 7{r.choice('6789')} {digits(r, 3)} {digits(r, 2)} {digits(r, 2)}",
                         f"+32 4{r.choice('789')}{digits(r, 1)} {digits(r, 2)} {digits(r, 2)} {digits(r, 2)}",
                         f"+353 8{r.choice('5679')} {digits(r, 3)} {digits(r, 4)}"])
    # North American
    area = r.choice(["202", "212", "312", "415", "617", "646", "718", "416", "514"])
    line = f"555-01{digits(r, 2)}" if r.random() < 0.3 else f"{r.choice('2345678')}{digits(r, 2)}-{digits(r, 4)}"
    a, b = line.split("-")
    return r.choice([f"({area}) {a}-{b}", f"{area}-{a}-{b}", f"{area}.{a}.{b}",
                     f"+1 {area} {a} {b}", f"+1 ({area}) {a}-{b}", f"1-{area}-{a}-{b}",
                     f"+1-{area}-{a}-{b}"])


def ip(r):
    kind = r.random()
    if kind < 0.7:
        first = r.choice([r.randint(1, 223), 10, 192, 172, 203, 198, 85, 91])
        addr = f"{first}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"
        style = r.random()
        if style < 0.1:
            return "", addr, f":{r.choice([443, 8080, 22, 3389])}"
        if style < 0.15:
            return "", addr, "/24"
        return "", addr, ""
    groups = [f"{r.randint(0, 0xffff):x}" for _ in range(8)]
    style = r.random()
    if style < 0.25:
        addr = "2001:db8:" + ":".join(groups[2:])
    elif style < 0.55:
        addr = f"2001:db8:{groups[2]}::{groups[7]}"
    elif style < 0.7:
        addr = f"fe80::{groups[4]}:{groups[5]}:{groups[6]}:{groups[7]}"
    elif style < 0.85:
        addr = f"::ffff:{r.randint(1, 223)}.{r.randint(0, 255)}.{r.randint(0, 255)}.{r.randint(1, 254)}"
    else:
        addr = f"2a01:cb00:{groups[2]}:{groups[3]}::{groups[6]}"
    if r.random() < 0.1:
        return "[", addr, f"]:{r.choice([443, 8443])}"
    if r.random() < 0.1:
        addr = addr.upper()
    return "", addr, ""


def card(r):
    prefix, length, sizes = r.choice(CARD_PREFIXES)
    if isinstance(prefix, tuple):
        prefix = str(r.randint(*prefix))
    number = luhn_complete(r, prefix + digits(r, length - len(prefix) - 1))
    sep = r.choice([" ", " ", "-", ""])
    return group(number, sizes, sep)


def iban_checked(country, bban):
    def num(s):
        return "".join(str(int(c, 36)) for c in s)
    check = 98 - int(num(bban + country + "00")) % 97
    return f"{country}{check:02d}{bban}"


def iban(r, wrong=False):
    country = r.choice(list(IBAN_LAYOUT))
    bban = "".join(
        r.choice(string.digits) if k == "n" else
        r.choice(string.ascii_uppercase) if k == "a" else
        r.choice(string.digits + string.ascii_uppercase)
        for k in IBAN_LAYOUT[country]
    )
    value = iban_checked(country, bban)
    if wrong:
        check = (int(value[2:4]) + r.randint(1, 9)) % 100
        value = f"{value[:2]}{check:02d}{value[4:]}"
    return group(value, [4] * 9, " ") if r.random() < 0.7 else value


def lookalike(r, slot):
    """Values that are not personal data but look like some."""
    if slot == "d":
        y, m, d = r.randint(2019, 2027), r.randint(1, 12), r.randint(1, 28)
        return r.choice([f"{d:02d}.{m:02d}.{y}", f"{y}-{m:02d}-{d:02d}", f"{d:02d}/{m:02d}/{y}",
                         f"{d}.{m}.{y}"])
    if slot == "t":
        return f"{r.randint(7, 20):02d}:{r.choice(['00', '15', '30', '45'])}"
    if slot == "v":
        return r.choice([f"{r.randint(1, 12)}.{r.randint(0, 20)}.{r.randint(0, 9)}",
                         f"10.0.{r.randint(17000, 26000)}.{r.randint(1, 4000)}",
                         f"v{r.randint(1, 5)}.{r.randint(0, 9)}.{r.randint(0, 30)}.{r.randint(0, 9)}"])
    if slot == "a":
        return r.choice([f"{r.randint(1, 99)} {r.randint(100, 999)},{r.randint(10, 99)} €",
                         f"${r.randint(1, 9)},{r.randint(100, 999)}.{r.randint(10, 99)}",
                         f"{r.randint(10, 999)},{r.randint(10, 99)} EUR", f"£{r.randint(10, 999)}.00"])
    if slot == "o":
        while True:
            n = r.choice("789") + digits(r, 15)
            if not luhn_ok(n):
                break
        return r.choice([f"#{r.randint(100000, 999999)}", f"{group(n, (4, 4, 4, 4), ' ')}",
                         f"1Z{digits(r, 3)}AA{digits(r, 10)}", f"INV-{r.randint(2019, 2026)}-{r.randint(1, 99999):05d}",
                         iban(r, wrong=True)])
    if slot == "z":
        return f"{r.randint(10000, 99999)}"
    if slot == "k":
        return f"{r.randint(10000, 999999)}"
    raise KeyError(slot)


def fill(r, template, values):
    """Formats a template, returning the text and the char offsets of labelled values."""
    out, spans, i = [], [], 0
    pos = 0
    while i < len(template):
        if template[i] == "{":
            j = template.index("}", i)
            slot = template[i + 1:j]
            if slot == "x":
                kind, (before, value, after) = values[0], values[1]
                out.append(before)
                pos += len(before)
                spans.append((pos, pos + len(value), kind))
                out.append(value + after)
                pos += len(value) + len(after)
            elif slot in ("p", "n"):
                name = values[2] if len(values) > 2 else r.choice(FIRST)
                out.append(name)
                pos += len(name)
            else:
                v = lookalike(r, slot)
                out.append(v)
                pos += len(v)
            i = j + 1
        else:
            out.append(template[i])
            pos += 1
            i += 1
    return "".join(out), spans


def message(r):
    lang = r.choice(["en", "fr", "de", "es"])
    sentences = []
    first = r.choice(FIRST)
    sentences.append((r.choice(GREETINGS[lang]).replace("{n}", first), []))
    count = r.randint(3, 9)
    for _ in range(count):
        if r.random() < 0.45:
            kind = r.choices(
                ["EMAIL_ADDRESS", "PHONE_NUMBER", "IP_ADDRESS", "CREDIT_CARD", "IBAN_CODE"],
                weights=[30, 30, 15, 12, 13])[0]
            name = (r.choice(FIRST), r.choice(LAST))
            if kind == "EMAIL_ADDRESS":
                value = email(r, name)
            elif kind == "PHONE_NUMBER":
                value = ("", phone(r), "")
            elif kind == "IP_ADDRESS":
                value = ip(r)
            elif kind == "CREDIT_CARD":
                value = ("", card(r), "")
            else:
                value = ("", iban(r), "")
            template = r.choice(CARRIERS[kind][lang])
            sentences.append(fill(r, template, (kind, value, f"{name[0]} {name[1]}")))
        else:
            sentences.append(fill(r, r.choice(FILLER[lang]), ()))
    me = (r.choice(FIRST), r.choice(LAST))
    sign = f"{r.choice(SIGNOFFS[lang])}\n{me[0]} {me[1]}"
    text, spans, pos = "", [], 0
    for k, (s, ss) in enumerate(sentences):
        sep = "\n\n" if k == 1 else ("\n" if r.random() < 0.3 else " ")
        if k > 0:
            text += sep
            pos += len(sep)
        for (a, b, t) in ss:
            spans.append({"start": pos + a, "end": pos + b, "type": t})
        text += s
        pos += len(s)
    text += "\n\n" + sign
    return text, spans


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--messages", type=int, default=40000)
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--out", required=True)
    ap.add_argument("--gold", required=True)
    args = ap.parse_args()
    r = random.Random(args.seed)
    with open(args.out, "w", encoding="utf-8") as out, open(args.gold, "w", encoding="utf-8") as gold:
        for i in range(args.messages):
            text, spans = message(r)
            mid = f"m{i:07d}"
            out.write(json.dumps({"id": mid, "text": text}, ensure_ascii=False) + "\n")
            gold.write(json.dumps({"id": mid, "spans": spans}) + "\n")


if __name__ == "__main__":
    main()
