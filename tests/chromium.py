"""Load a local HTML page in headless Chromium and report what went wrong in it.

Talks the DevTools protocol over `--remote-debugging-pipe` (file descriptors 3 and 4, JSON
messages ended by NUL), so no port, websocket library or driver is needed. Collected:
uncaught exceptions (`Runtime.exceptionThrown`), `console.error`/`console.assert` calls,
browser log entries at level error (CSP violations, failed loads), and images that did not
decode. `require_chromium()` skips the calling test with a visible reason when Debian's
chromium is not installed (`apt-get install chromium`; the Makefile's `setup` tries it as root).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--remote-debugging-pipe",
)
IMAGES_JS = (
    "Array.from(document.images).map(i => ({src: i.src.slice(0, 40), ok: i.complete && "
    "i.naturalWidth > 0, width: i.naturalWidth}))"
)


def chromium_path() -> str | None:
    found = shutil.which("chromium")
    return found or next((p for p in CANDIDATES if Path(p).is_file()), None)


def require_chromium() -> str:
    path = chromium_path()
    if path is None:
        pytest.skip(
            "headless Chromium check skipped: chromium is not installed "
            "(as root: apt-get install -y chromium, or `make setup`)"
        )
    return path


@dataclass
class PageCheck:
    errors: list[str] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)
    title: str = ""
    text: str = ""


class _Pipe:
    def __init__(self, binary: str, profile: str) -> None:
        to_r, self._to_w = os.pipe()
        self._from_r, from_w = os.pipe()

        def child() -> None:  # Chromium reads commands on fd 3 and writes on fd 4
            a = fcntl.fcntl(to_r, fcntl.F_DUPFD, 10)
            b = fcntl.fcntl(from_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [binary, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            preexec_fn=child,
            close_fds=False,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_r)
        os.close(from_w)
        self._buffer = b""
        self._id = 0
        self.events: list[dict] = []

    def _read(self, want, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            while b"\0" in self._buffer:
                raw, _, self._buffer = self._buffer.partition(b"\0")
                message = json.loads(raw)
                if "id" not in message:
                    self.events.append(message)
                if want(message):
                    return message
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("chromium did not answer in time")
            ready, _, _ = select.select([self._from_r], [], [], left)
            if ready:
                chunk = os.read(self._from_r, 1 << 16)
                if not chunk:
                    raise EOFError("chromium closed the DevTools pipe")
                self._buffer += chunk

    def call(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._id += 1
        number = self._id
        message = {"id": number, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_w, json.dumps(message).encode() + b"\0")
        reply = self._read(lambda m: m.get("id") == number, 60)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def wait_event(self, method: str, timeout: float = 60) -> dict:
        for event in self.events:
            if event.get("method") == method:
                return event
        return self._read(lambda m: m.get("method") == method, timeout)

    def close(self) -> None:
        with contextlib.suppress(EOFError, OSError, RuntimeError, TimeoutError):
            self.call("Browser.close")
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_w)
        os.close(self._from_r)


def _describe(event: dict) -> str | None:
    method, params = event.get("method"), event.get("params", {})
    if method == "Runtime.exceptionThrown":
        details = params["exceptionDetails"]
        exception = details.get("exception", {}).get("description") or details.get("text")
        return f"exception: {exception} (line {details.get('lineNumber', 0) + 1})"
    if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
        args = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
        return f"console.{params['type']}: {args}"
    if method == "Log.entryAdded" and params["entry"].get("level") == "error":
        return f"log: {params['entry'].get('text')}"
    return None


def check_page(path: str | Path, binary: str) -> PageCheck:
    """Open `path` (a local file), wait for load, and collect errors and image states."""
    with tempfile.TemporaryDirectory(prefix="dilmanc-chromium-") as profile:
        pipe = _Pipe(binary, profile)
        try:
            target = pipe.call("Target.createTarget", {"url": "about:blank"})
            session = pipe.call(
                "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
            )["sessionId"]
            for domain in ("Runtime", "Log", "Page"):
                pipe.call(f"{domain}.enable", session=session)
            pipe.call("Page.navigate", {"url": Path(path).resolve().as_uri()}, session=session)
            pipe.wait_event("Page.loadEventFired")

            def evaluate(expression: str):
                result = pipe.call(
                    "Runtime.evaluate",
                    {"expression": expression, "returnByValue": True},
                    session=session,
                )
                return result["result"].get("value")

            check = PageCheck(
                images=evaluate(IMAGES_JS) or [],
                title=evaluate("document.title") or "",
                text=evaluate("document.body ? document.body.innerText : ''") or "",
            )
            pipe.call("Runtime.evaluate", {"expression": "0"}, session=session)  # flush events
        finally:
            pipe.close()
    check.errors = [text for text in map(_describe, pipe.events) if text]
    check.errors += [f"image not rendered: {i['src']}..." for i in check.images if not i["ok"]]
    return check
