"""With REDIS_URL set, login throttling is shared by every web instance (two apps, one Redis)."""

from __future__ import annotations

import uuid

from app import create_app
from app.extensions import db
from tests.conftest import PASSWORD, TEST_SECRET
from tests.integration.conftest import csrf_token_from

REDIS_URL = "redis://127.0.0.1:6379/15"


def _app(database_url: str, prefix: str):
    return create_app({"DATABASE_URL": database_url, "SECRET_KEY": TEST_SECRET, "TESTING": True,
                       "REDIS_URL": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix})  # fmt: skip


def test_two_instances_share_the_failure_count(app, make_patient):
    patient = make_patient()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    prefix = f"test-{uuid.uuid4().hex}"
    first, second = _app(url, prefix), _app(url, prefix)
    assert first.config["RATELIMIT_STORAGE_URI"] == REDIS_URL
    bad = {"email": patient.email, "password": "wrong wrong wrong"}
    for _ in range(5):
        first.test_client().post("/api/v1/auth/token", json=bad)
        second.test_client().post("/api/v1/auth/token", json=bad)
    response = first.test_client().post("/api/v1/auth/token", json={"email": patient.email, "password": PASSWORD})
    assert response.status_code == 429
    for extra in (first, second):
        with extra.app_context():
            db.engine.dispose()


def test_redis_bucket_is_one_for_the_login_page_and_the_token_api(app, make_patient):
    patient = make_patient()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    prefix = f"test-{uuid.uuid4().hex}"
    first, second = _app(url, prefix), _app(url, prefix)
    for i in range(5):
        api = first.test_client()
        api.environ_base["REMOTE_ADDR"] = f"10.40.0.{i}"
        assert api.post("/api/v1/auth/token", json={"email": patient.email, "password": "nope"}).status_code == 401
        browser = second.test_client()
        browser.environ_base["REMOTE_ADDR"] = f"10.41.0.{i}"
        token = csrf_token_from(browser.get("/login").get_data(as_text=True))
        form = {"email": patient.email, "password": "nope", "csrf_token": token}
        assert browser.post("/login", data=form).status_code == 401
    last = first.test_client()
    last.environ_base["REMOTE_ADDR"] = "10.42.0.1"
    assert last.post("/api/v1/auth/token", json={"email": patient.email, "password": PASSWORD}).status_code == 429
    for extra in (first, second):
        with extra.app_context():
            db.engine.dispose()
