"""Headless Chromium driven over the Chrome DevTools protocol, for the browser tests.

Chromium talks the protocol over a pipe (``--remote-debugging-pipe``: it reads commands
on fd 3 and writes answers and events on fd 4, each message JSON ended by a NUL byte), so
no port is opened and nothing but the standard library is needed. One page, a fixed
viewport; every console message, exception and log entry is kept in ``console``.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--no-default-browser-check", "--disable-extensions", "--mute-audio",
         "--hide-scrollbars"]


def chromium() -> str:
    """The Chromium binary; skip (fail with CAPACITY_REQUIRE_TOOLS=1) when missing."""
    exe = os.environ.get("CAPACITY_CHROMIUM") or next(
        (p for p in map(shutil.which, NAMES) if p), None)
    if exe is None:
        msg = "Chromium not found (Debian: apt-get install chromium; scripts/ci-tools.sh)"
        if os.environ.get("CAPACITY_REQUIRE_TOOLS") == "1":
            pytest.fail(msg + "; CAPACITY_REQUIRE_TOOLS=1 makes this a failure")
        pytest.skip(msg)
    return exe


class Browser:
    """One headless Chromium with one page of ``width`` × ``height`` CSS pixels."""

    def __init__(self, exe: str, tmp: Path, width: int = 1280, height: int = 800) -> None:
        self.width, self.height = width, height
        r_cmd, w_cmd = os.pipe()
        r_out, w_out = os.pipe()

        def fds() -> None:  # in the child: the pipe ends Chromium expects, on fds 3 and 4
            # Move both ends out of the way first: either may already be fd 3 or 4, and
            # dup2 onto itself would keep it close-on-exec.
            a = fcntl.fcntl(r_cmd, fcntl.F_DUPFD, 100)
            b = fcntl.fcntl(w_out, fcntl.F_DUPFD, 100)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.log = (tmp / "chromium.log").open("wb")
        # close_fds=False keeps fds 3 and 4 (dup2 makes them inheritable); every other fd
        # Python opened is close-on-exec already.
        self.proc = subprocess.Popen(
            [exe, *FLAGS, f"--user-data-dir={tmp / 'profile'}", "--remote-debugging-pipe",
             f"--window-size={width},{height}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log, close_fds=False,
            preexec_fn=fds, env={**os.environ, "HOME": str(tmp)})
        os.close(r_cmd)
        os.close(w_out)
        self._w, self._r = w_cmd, r_out
        self._buf = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []
        self.console: list[str] = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable", session=True)
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
                  session=True)

    # --- protocol ------------------------------------------------------------------------
    def _read(self, timeout: float) -> dict[str, Any]:
        end = time.monotonic() + timeout
        while b"\0" not in self._buf:
            left = end - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                raise TimeoutError("no answer from Chromium")
            ready, _, _ = select.select([self._r], [], [], left)
            if ready:
                chunk = os.read(self._r, 1 << 20)
                if not chunk:
                    raise ConnectionError("Chromium closed the pipe")
                self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        m = json.loads(msg)
        if "method" in m:
            self._event(m)
        return m

    def _event(self, m: dict[str, Any]) -> None:
        self.events.append(m)
        p = m.get("params", {})
        if m["method"] == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert",
                                                                           "warning"):
            self.console.append(f"console.{p['type']}: "
                                + " ".join(str(a.get("value", a.get("description", "")))
                                           for a in p.get("args", [])))
        elif m["method"] == "Runtime.exceptionThrown":
            self.console.append("exception: " + json.dumps(p.get("exceptionDetails", {}))[:500])
        elif m["method"] == "Log.entryAdded" and p.get("entry", {}).get("level") in ("error",
                                                                                     "warning"):
            e = p["entry"]
            self.console.append(f"log.{e['level']}: {e.get('text')} {e.get('url', '')}")

    def call(self, method: str, params: dict[str, Any] | None = None, *,
             session: bool = False, timeout: float = 120.0) -> dict[str, Any]:
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self.session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        while True:
            m = self._read(timeout)
            if m.get("id") == self._id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})

    def wait_for(self, method: str, timeout: float = 120.0) -> dict[str, Any]:
        for m in self.events:
            if m["method"] == method:
                self.events.remove(m)
                return m
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            m = self._read(end - time.monotonic())
            if m.get("method") == method:
                self.events.remove(m)
                return m
        raise TimeoutError(method)

    # --- what the tests use --------------------------------------------------------------
    def open(self, page: Path) -> None:
        """Load a local file and wait for its load event."""
        self.events.clear()
        self.call("Page.navigate", {"url": page.resolve().as_uri()}, session=True)
        self.wait_for("Page.loadEventFired")

    def js(self, expression: str) -> Any:
        r = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                           "awaitPromise": True}, session=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def screenshot(self, out: Path, clip: dict[str, float] | None = None,
                   full: bool = False) -> Path:
        """PNG of the viewport, of ``clip`` (CSS pixels of the page), or of the whole page."""
        params: dict[str, Any] = {"format": "png"}
        if full:
            h = self.js("document.documentElement.scrollHeight")
            clip = {"x": 0, "y": 0, "width": self.width, "height": h}
        if clip is not None:
            params["clip"] = {**clip, "scale": 1}
            params["captureBeyondViewport"] = True
        data = self.call("Page.captureScreenshot", params, session=True)["data"]
        out.write_bytes(base64.b64decode(data))
        return out

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, TimeoutError, ConnectionError, OSError):
            self.call("Browser.close", timeout=10)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._w, self._r):
            with contextlib.suppress(OSError):
                os.close(fd)
        self.log.close()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
