"""A real SMTP server (aiosmtpd) that keeps each message it accepts as a JSON file.

    smtp_sink.py OUT_DIR

Listens on 127.0.0.1 at a port the system picks, and prints that port on the first line
of standard output. Each message is parsed by Python's email package (the RFC 5322 and
MIME reading of a mail client: RFC 2047 headers and transfer encodings decoded) and
written to OUT_DIR/<n>.json with the envelope, the decoded headers and the body.

Recipients at refuse.example are refused for good (550), at busy.example for now (451).
"""

import asyncio
import email
import email.policy
import json
import os
import sys

from aiosmtpd.smtp import SMTP


class Keep:
    def __init__(self, out):
        self.out = out
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@refuse.example"):
            return "550 5.1.1 No such user here"
        if address.endswith("@busy.example"):
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        kept = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "from": str(message["From"]),
            "to": str(message["To"]),
            "subject": str(message["Subject"]),
            "message_id": str(message["Message-ID"]),
            "date": str(message["Date"]),
            "content_type": message.get_content_type(),
            "charset": message.get_content_charset(),
            "body": message.get_content(),
            "raw": raw.decode("ascii", errors="replace"),
        }
        self.count += 1
        path = os.path.join(self.out, f"{self.count}.json")
        with open(path + ".part", "w", encoding="utf-8") as f:
            json.dump(kept, f, ensure_ascii=False)
        os.replace(path + ".part", path)
        return "250 Message accepted for delivery"


async def main():
    handler = Keep(sys.argv[1])
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, hostname="sink.test"), "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
