"""A fake of Twilio's Messages API on 127.0.0.1, for the real twilio SDK (the only fake we allow:
a vendor's remote API). Thread-safe; records every request; can fail on purpose."""

from __future__ import annotations

import json
import random
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

MESSAGES = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Messages\.json$")


@dataclass
class FakeTwilio:
    fail_ratio: float = 0.0  # share of requests answered with a 500
    max_failures_per_body: int | None = None  # so "eventually sent" is certain, not merely likely
    error_for: dict[str, tuple[int, int]] = field(default_factory=dict)  # number -> (HTTP status, Twilio code)
    fail_lookups: int = 0  # how many list (GET) requests to answer with a 500 first
    garbled_for: set[str] = field(default_factory=set)  # numbers whose accepted texts get an unreadable answer
    requests: list[dict[str, str]] = field(default_factory=list)  # the form of every accepted message
    created: list[dict[str, str]] = field(default_factory=list)  # what the list endpoint answers with
    failures: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    seed: int = 7
    clock: Callable[[], float] = time.time  # the "date_created" of accepted messages

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                match = MESSAGES.match(self.path)
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if not match or not self.headers.get("Authorization", "").startswith("Basic "):
                    return self._json(404 if not match else 401, {"code": 20404, "message": "not found"})
                with fake.lock:
                    if form.get("To") in fake.error_for:
                        status, code = fake.error_for[form["To"]]
                        return self._json(status, {"code": code, "message": "refused", "status": status})
                    body = form.get("Body", "")
                    allowed = (
                        fake.max_failures_per_body is None or fake.failures.get(body, 0) < fake.max_failures_per_body
                    )
                    if allowed and fake.random.random() < fake.fail_ratio:
                        fake.failures[body] = fake.failures.get(body, 0) + 1
                        return self._json(500, {"code": 20500, "message": "internal error", "status": 500})
                    fake.requests.append(form)
                    sid = "SM" + uuid.uuid4().hex  # unique across fake instances, as real SIDs are
                    created = formatdate(fake.clock(), usegmt=True)
                    fake.created.append({"sid": sid, "to": form.get("To"), "from": form.get("From"), "body": body,
                                         "status": "queued", "date_created": created})  # fmt: skip
                    garbled = form.get("To") in fake.garbled_for
                if garbled:  # accepted, but the answer is cut off (a proxy's error page, a dropped stream)
                    return self._raw(201, b"<html>502 Bad Gateway</html>", "text/html")
                self._json(201, {"sid": sid, "account_sid": match.group(1), "to": form.get("To"),
                                 "from": form.get("From"), "body": form.get("Body"), "status": "queued"})  # fmt: skip

            def do_GET(self) -> None:
                """The Messages list (newest first), filtered by To and From as Twilio does."""
                path, _, query = self.path.partition("?")
                match = MESSAGES.match(path)
                if not match or not self.headers.get("Authorization", "").startswith("Basic "):
                    return self._json(404 if not match else 401, {"code": 20404, "message": "not found"})
                args = {k: v[0] for k, v in parse_qs(query).items()}
                with fake.lock:
                    if fake.fail_lookups > 0:
                        fake.fail_lookups -= 1
                        return self._json(500, {"code": 20500, "message": "internal error", "status": 500})
                    found = [
                        m for m in reversed(fake.created)
                        if args.get("To", m["to"]) == m["to"] and args.get("From", m["from"]) == m["from"]
                    ]  # fmt: skip
                size = int(args.get("PageSize", 50))
                self._json(200, {"messages": [{**m, "account_sid": match.group(1)} for m in found[:size]],
                                 "page": 0, "page_size": size, "start": 0, "end": min(size, len(found)) - 1,
                                 "uri": path, "first_page_uri": path, "next_page_uri": None,
                                 "previous_page_uri": None})  # fmt: skip

            def _json(self, status: int, payload: dict) -> None:
                self._raw(status, json.dumps(payload).encode(), "application/json")

            def _raw(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def bodies_to(self, number: str) -> list[str]:
        with self.lock:
            return [r["Body"] for r in self.requests if r.get("To") == number]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
