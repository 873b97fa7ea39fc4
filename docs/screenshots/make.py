#!/usr/bin/env python3
"""Makes the README's screenshots of the portal from the demo, so they stay true.

Starts `comity serve --demo` on a fresh data directory and a free port, signs each demo
person in through the sign-in page in Debian's Chromium (driven over W3C WebDriver by
chromedriver), and saves their home page, and the page of a request for the provider's
legal team and the judge, as PNG files beside this script.

    cargo build --release -p comity
    python3 docs/screenshots/make.py [--comity target/release/comity]

Needs: chromium and chromium-driver (apt-get install chromium chromium-driver). Standard
library only.
"""

import argparse
import base64
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read() or b"null")


def wait_for(url, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except Exception:
            time.sleep(0.2)
    sys.exit(f"nothing answered at {url} within {seconds} s")


class Browser:
    """One Chromium session through chromedriver."""

    def __init__(self, driver):
        self.driver = driver
        caps = {"capabilities": {"alwaysMatch": {"goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--no-first-run", "--hide-scrollbars", "--window-size=1280,900", "--lang=en"],
        }}}}
        self.id = call(driver, "POST", "/session", caps)["value"]["sessionId"]

    def cmd(self, method, path, body=None):
        return call(self.driver, method, f"/session/{self.id}{path}", body)["value"]

    def go(self, url):
        self.cmd("POST", "/url", {"url": url})

    def find(self, css):
        element = self.cmd("POST", "/element", {"using": "css selector", "value": css})
        return next(iter(element.values()))

    def type(self, css, text):
        self.cmd("POST", f"/element/{self.find(css)}/value", {"text": text})

    def click(self, css):
        self.cmd("POST", f"/element/{self.find(css)}/click", {})

    def screenshot(self, path):
        # The whole page's height, so nothing below the fold is cut.
        height = self.cmd("POST", "/execute/sync", {"script": "return document.documentElement.scrollHeight", "args": []})
        self.cmd("POST", "/window/rect", {"width": 1280, "height": min(max(height, 600), 2400)})
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.cmd("GET", "/screenshot")))
        print(f"wrote {os.path.relpath(path, ROOT)}")

    def close(self):
        call(self.driver, "DELETE", f"/session/{self.id}")


def people(credentials):
    """(user name, password, TOTP secret) of each demo person, from credentials.txt."""
    text = open(credentials).read()
    found = re.findall(r"^(\w+)\s+\(.*?\n\s+password\s+(\S+)\n\s+totp secret\s+(\S+)", text, re.M)
    if not found:
        sys.exit(f"no people in {credentials}")
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--comity", default=os.path.join(ROOT, "target", "release", "comity"))
    args = parser.parse_args()
    for tool in (args.comity, "/usr/bin/chromium", "/usr/bin/chromedriver"):
        if not os.path.exists(tool):
            sys.exit(f"{tool} is missing: cargo build --release -p comity; apt-get install chromium chromium-driver")
    data = tempfile.mkdtemp(prefix="comity-screenshots-")
    port, driver_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([args.comity, "serve", "--demo", "--data-dir", data, "--listen", f"127.0.0.1:{port}",
                               "--insecure-cookies"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    driver = subprocess.Popen(["/usr/bin/chromedriver", f"--port={driver_port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(base + "/healthz")
        wait_for(f"http://127.0.0.1:{driver_port}/status")
        driver_url = f"http://127.0.0.1:{driver_port}"
        anonymous = Browser(driver_url)
        anonymous.go(base + "/")
        anonymous.screenshot(os.path.join(HERE, "public.png"))
        anonymous.close()
        for username, password, secret in people(os.path.join(data, "demo", "credentials.txt")):
            browser = Browser(driver_url)
            browser.go(base + "/signin")
            code = subprocess.run([args.comity, "totp", "code"], env={**os.environ, "COMITY_TOTP_SECRET": secret},
                                  capture_output=True, text=True, check=True).stdout.strip()
            browser.type("#username", username)
            browser.type("#password", password)
            browser.type("#code", code)
            browser.click("main form button[type=submit]")
            time.sleep(1)
            browser.screenshot(os.path.join(HERE, f"{username}.png"))
            if username in ("legal", "judge"):
                first = browser.find("table.requests tbody a")
                browser.cmd("POST", f"/element/{first}/click", {})
                time.sleep(1)
                browser.screenshot(os.path.join(HERE, f"{username}-request.png"))
            browser.close()
    finally:
        driver.terminate()
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
