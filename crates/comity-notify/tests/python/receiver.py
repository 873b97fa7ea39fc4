"""A webhook receiver that verifies comity's notices with pyauth's http-message-signatures.

    receiver.py PUBLIC_KEY_PEM KEY_ID [OUT_DIR [FAIL_FIRST]]

Serves HTTP on 127.0.0.1 at a port the system picks, and prints that port on the first
line of standard output. Each POST is verified as RFC 9421 says (Ed25519, the signature
tagged "comity-webhook", covering @method, @target-uri, content-digest and content-type,
created at most five minutes ago) and its body against the signed Content-Digest
(RFC 9530). The answer is 204 when everything verifies, 401 with the library's reason
otherwise. Nothing here checks a signature itself: the library does all of it.

With OUT_DIR, each verified body is kept as OUT_DIR/<n>.json (n from 1). With FAIL_FIRST,
the first FAIL_FIRST verified notices are answered 503 instead (a receiver down for a
while), and not kept.
"""

import datetime
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from http_message_signatures import HTTPMessageVerifier, InvalidSignature, MappingKeyResolver, algorithms


class Received:
    """The request as the library reads it: method, URL and header field lines."""

    def __init__(self, method, url, headers):
        self.method = method
        self.url = url
        self.headers = headers


class Lines:
    """Header field lines in wire order, repeated names kept."""

    def __init__(self, lines):
        self.lines = lines

    def items(self):
        return list(self.lines)

    def __iter__(self):
        return iter(dict.fromkeys(name for name, _ in self.lines))

    def __contains__(self, name):
        return any(n.lower() == name.lower() for n, _ in self.lines)


def main():
    public_key_file, key_id = sys.argv[1], sys.argv[2]
    out = sys.argv[3] if len(sys.argv) > 3 else None
    fail_first = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    seen = {"verified": 0, "kept": 0}
    lock = threading.Lock()
    with open(public_key_file, "rb") as f:
        public_key = f.read()
    verifier = HTTPMessageVerifier(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(public_keys={key_id: public_key}, private_keys={}),
    )

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            url = f"http://{self.headers['Host']}{self.path}"
            message = Received("POST", url, Lines(self.headers.items()))
            try:
                verifier.verify(
                    message,
                    max_age=datetime.timedelta(minutes=5),
                    expect_tag="comity-webhook",
                    require_components=("@method", "@target-uri", "content-digest", "content-type"),
                    body=body,
                )
            except InvalidSignature as e:
                # A signature that does not verify is the cryptography package's own
                # InvalidSignature, which has no message: name it.
                cause = e.__cause__
                reason = str(e) or (f"{type(cause).__module__}.{type(cause).__name__}" if cause else "")
                self.answer(401, f"InvalidSignature: {reason}")
                return
            with lock:
                seen["verified"] += 1
                if seen["verified"] <= fail_first:
                    self.answer(503, "down for maintenance")
                    return
                if out:
                    seen["kept"] += 1
                    path = os.path.join(out, f"{seen['kept']}.json")
                    with open(path + ".part", "wb") as f:
                        f.write(body)
                    os.replace(path + ".part", path)
            self.answer(204, "")

        def answer(self, status, text):
            data = text.encode()
            self.send_response(status)
            if data:
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if data:
                self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
