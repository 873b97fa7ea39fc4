#!/usr/bin/env python3
"""How long a 404 takes for a request outside the caller's scope and for one that does not
exist (issue 12, finding 3): medians and 10th/90th percentiles of N answers each, asked
alternately over one keep-alive connection so that both see the same load.

Usage: bench/not_found.py URL TOKEN HIDDEN_ID [N]. The ids that do not exist are fresh
UUIDv7s, so no cache can have seen them. Run by bench/not_found.sh.
"""
import http.client
import os
import statistics
import sys
import time
import urllib.parse
import uuid


def uuid7() -> str:
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms << 80) | (0x7 << 76) | ((rand >> 68) & 0xFFF) << 64 | (0b10 << 62) | (rand & ((1 << 62) - 1))
    return str(uuid.UUID(int=value))


def main() -> None:
    url, token, hidden = sys.argv[1], sys.argv[2], sys.argv[3]
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 150
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port)
    headers = {"authorization": f"Bearer {token}"}

    def ask(request_id: str) -> float:
        start = time.perf_counter()
        conn.request("GET", f"/v1/requests/{request_id}", headers=headers)
        answer = conn.getresponse()
        answer.read()
        took = time.perf_counter() - start
        if answer.status != 404:
            sys.exit(f"{request_id} answered {answer.status}, not 404")
        return took * 1000

    for _ in range(20):  # warm up: connections, caches, the party cache
        ask(hidden)
        ask(uuid7())
    times = {"outside the caller's scope": [], "does not exist": []}
    for _ in range(n):
        times["outside the caller's scope"].append(ask(hidden))
        times["does not exist"].append(ask(uuid7()))
    print(f"n = {n} each, alternating, one keep-alive connection; milliseconds")
    print(f"{'request':<28} {'p10':>7} {'median':>7} {'p90':>7}")
    for what, ts in times.items():
        deciles = statistics.quantiles(ts, n=10)
        print(f"{what:<28} {deciles[0]:7.3f} {statistics.median(ts):7.3f} {deciles[-1]:7.3f}")


if __name__ == "__main__":
    main()
