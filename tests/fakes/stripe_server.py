"""A fake of the parts of Stripe's API we call, on 127.0.0.1, for the real stripe SDK (the only fake
we allow: a vendor's remote API). It records the form bodies the SDK sends, honours idempotency
keys, holds subscriptions the tests move through their lifecycle, and signs webhook events as
Stripe does (``t=...,v1=HMAC-SHA256(secret, "t.payload")``)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl


def _nest(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Stripe's form encoding (``a[b][0][c]=v``) back into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node: Any = root
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            nxt_is_index = not last and parts[i + 1].isdigit()
            if isinstance(node, list):
                idx = int(part)
                while len(node) <= idx:
                    node.append({} if not last else None)
                if last:
                    node[idx] = value
                else:
                    if not isinstance(node[idx], (dict, list)) or (nxt_is_index and not isinstance(node[idx], list)):
                        node[idx] = [] if nxt_is_index else {}
                    node = node[idx]
            else:
                if last:
                    node[part] = value
                else:
                    node = node.setdefault(part, [] if nxt_is_index else {})
    return root


@dataclass
class FakeStripe:
    webhook_secret: str = "whsec_test_secret_for_the_fake_stripe_0123456789"
    requests: list[tuple[str, str, dict[str, Any], dict[str, str]]] = field(default_factory=list)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    idempotent: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    fail_next: list[int] = field(default_factory=list)  # HTTP statuses to answer the next calls with
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _body(self) -> dict[str, Any]:
                length = int(self.headers.get("Content-Length", 0))
                return _nest(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))

            def do_GET(self) -> None:
                self._answer("GET", {})

            def do_POST(self) -> None:
                self._answer("POST", self._body())

            def _answer(self, method: str, form: dict[str, Any]) -> None:
                path = self.path.split("?")[0]
                headers = {k.lower(): v for k, v in self.headers.items()}
                if not headers.get("authorization", "").startswith("Bearer sk_"):
                    return self._json(401, {"error": {"type": "invalid_request_error", "message": "no key"}})
                with fake.lock:
                    fake.requests.append((method, path, form, headers))
                    if fake.fail_next:
                        status = fake.fail_next.pop(0)
                        return self._json(status, {"error": {"type": "api_error", "message": "fake outage"}})
                    key = headers.get("idempotency-key")
                    if method == "POST" and key and key in fake.idempotent:
                        return self._json(*fake.idempotent[key])
                    status, payload = fake.route(method, path, form)
                    if method == "POST" and key:
                        fake.idempotent[key] = (status, payload)
                self._json(status, payload)

            def _json(self, status: int, payload: dict[str, Any]) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Request-Id", "req_" + uuid.uuid4().hex[:14])
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # --- the API -----------------------------------------------------------------------------

    def route(self, method: str, path: str, form: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        parts = path.strip("/").split("/")
        if method == "POST" and path == "/v1/customers":
            cid = "cus_" + uuid.uuid4().hex[:14]
            self.customers[cid] = {"id": cid, "object": "customer", **form}
            return 200, self.customers[cid]
        if method == "POST" and path == "/v1/checkout/sessions":
            sid = "cs_test_" + uuid.uuid4().hex[:20]
            self.sessions[sid] = {"id": sid, "object": "checkout.session", "status": "open", "subscription": None,
                                  "url": f"https://checkout.stripe.test/c/pay/{sid}", **form}  # fmt: skip
            return 200, self.sessions[sid]
        if method == "GET" and parts[:3] == ["v1", "checkout", "sessions"] and len(parts) == 4:
            session = self.sessions.get(parts[3])
            return (200, session) if session else self._missing("checkout session")
        if method == "GET" and parts[:2] == ["v1", "subscriptions"] and len(parts) == 3:
            sub = self.subscriptions.get(parts[2])
            return (200, sub) if sub else self._missing("subscription")
        if method == "POST" and path == "/v1/billing_portal/sessions":
            return 200, {"id": "bps_" + uuid.uuid4().hex[:14], "object": "billing_portal.session",
                         "url": f"https://billing.stripe.test/p/session/{form.get('customer')}", **form}  # fmt: skip
        return self._missing(path)

    def _missing(self, what: str) -> tuple[int, dict[str, Any]]:
        return 404, {"error": {"type": "invalid_request_error", "message": f"No such {what}"}}

    # --- what Stripe does on its side --------------------------------------------------------

    def complete_checkout(self, session_id: str, now: int | None = None) -> dict[str, Any]:
        """The customer paid (or started the trial): a subscription exists, the session is complete."""
        now = now or int(time.time())
        with self.lock:
            session = self.sessions[session_id]
            data = session.get("subscription_data", {})
            trial_days = int(data.get("trial_period_days", 0) or 0)
            sub_id = "sub_" + uuid.uuid4().hex[:14]
            period_end = now + (trial_days * 86400 if trial_days else 30 * 86400)
            self.subscriptions[sub_id] = {
                "id": sub_id, "object": "subscription", "customer": session["customer"],
                "status": "trialing" if trial_days else "active", "created": now,
                "trial_start": now if trial_days else None, "trial_end": period_end if trial_days else None,
                "cancel_at_period_end": False, "canceled_at": None, "metadata": data.get("metadata", {}),
                "items": {"object": "list", "data": [{
                    "id": "si_" + uuid.uuid4().hex[:10], "object": "subscription_item",
                    "price": {"id": session["line_items"][0]["price"], "object": "price"},
                    "current_period_end": period_end}]},
            }  # fmt: skip
            session.update(status="complete", subscription=sub_id)
            return dict(session)

    def update_subscription(self, sub_id: str, **changes: Any) -> dict[str, Any]:
        with self.lock:
            sub = self.subscriptions[sub_id]
            period_end = changes.pop("current_period_end", None)
            sub.update(changes)
            if period_end is not None:
                sub["items"]["data"][0]["current_period_end"] = period_end
            return json.loads(json.dumps(sub))

    def event(self, kind: str, obj: dict[str, Any], created: int | None = None) -> dict[str, Any]:
        return {"id": "evt_" + uuid.uuid4().hex[:20], "object": "event", "type": kind, "api_version": "2025-03-31",
                "created": created or int(time.time()), "livemode": False,
                "data": {"object": json.loads(json.dumps(obj))}}  # fmt: skip

    def sign(self, payload: str, timestamp: int | None = None) -> str:
        ts = timestamp or int(time.time())
        signature = hmac.new(self.webhook_secret.encode(), f"{ts}.{payload}".encode(), hashlib.sha256).hexdigest()
        return f"t={ts},v1={signature}"
