"""Serializers for the two bodies schemathesis cannot write by itself.

`application/jose` is a compact JWS (RFC 7515 §7.1), a single line of text, and
`application/x-ndjson` a provider's export, JSON Lines. The description gives both a
string or an object schema; the generated value is sent as its text (a string as it is,
anything else as JSON), so the server's own parsers meet what the fuzzer made.
"""

import json

import schemathesis


def _text(value):
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return json.dumps(value).encode()


@schemathesis.serializer("application/jose")
def jose(ctx, value):
    return _text(value)


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    if isinstance(value, list):
        return b"".join(_text(item) + b"\n" for item in value)
    return _text(value)
