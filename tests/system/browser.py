"""browser — a headless Chromium for the system tests, driven over the
DevTools protocol (python3-websocket): the live page's test and the audit
page's. Chromium().eval(js) runs a script in the page; screenshot() keeps a
PNG of the whole page under tests/out/ (and in the test's work directory)."""

import base64
import json
import os
import shutil
import subprocess
import urllib.request

import gk

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--remote-debugging-port=0", "--remote-allow-origins=*",
    "--window-size=1200,900",
]


class Chromium:
    """A headless Chromium with a fresh profile, driven over the DevTools protocol."""

    def __init__(self):
        import websocket

        exe = shutil.which("chromium") or shutil.which("chromium-browser")
        if not exe:
            gk.fatal("chromium is not installed (deploy/install-deps.sh installs it)")
        self.profile = os.path.join(gk.work_dir(), "chromium-profile")
        shutil.rmtree(self.profile, ignore_errors=True)
        os.makedirs(self.profile)
        self.proc = gk.spawn([exe, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
                             "chromium.log")
        port_file = os.path.join(self.profile, "DevToolsActivePort")

        def port():
            if self.proc.poll() is not None:
                gk.fatal(f"chromium exited {self.proc.returncode}; see chromium.log")
            try:
                with open(port_file) as f:
                    return int(f.readline())
            except (OSError, ValueError):
                return None

        p = gk.wait_for(port, 30, "chromium's DevToolsActivePort")
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{p}/json/list", timeout=10))
        page = next(t for t in targets if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30,
                                              suppress_origin=True)
        self.n = 0

    def call(self, method, **params):
        self.n += 1
        self.ws.send(json.dumps({"id": self.n, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == self.n:
                if "error" in msg:
                    gk.fatal(f"DevTools {method}: {msg['error']}")
                return msg.get("result", {})

    def eval(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            gk.fatal(f"page script failed: {expr}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def close(self):
        try:
            self.call("Browser.close")
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def screenshot(browser, name, min_height=1500):
    """The whole page as a PNG under tests/out/ (and in GONGKAI_WORK); returns its path."""
    height = browser.eval("document.documentElement.scrollHeight")
    browser.call("Emulation.setDeviceMetricsOverride", width=1200, height=int(height), deviceScaleFactor=1,
                 mobile=False)
    shot = browser.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
    out_dir = os.path.join(gk.REPO, "tests", "out")
    os.makedirs(out_dir, exist_ok=True)
    png = os.path.join(out_dir, name)
    with open(png, "wb") as f:
        f.write(base64.b64decode(shot["data"]))
    shutil.copy(png, os.path.join(gk.work_dir(), name))
    size = png_size(png)
    gk.check(size is not None and size[0] == 1200 and size[1] >= min_height,
             f"{name}: a PNG of the whole page", size)
    print(f"# screenshot: {png}", flush=True)
    return png
