"""The connector contract (hub/connectors.py): the verification helpers, the intents' JSON,
check_intents holding every connector to the canonical job schema, and connectors() refusing a
name two plugins claim."""
import base64
import hmac
import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from marshmallow import Schema, ValidationError, fields

from fiscal.samples import sample_receipt
from hub import connectors as c
from hub import verification
from hub import plugins
from hub.hookspecs import hookimpl

NOW = datetime(2026, 11, 20, 18, 0, 0, tzinfo=timezone.utc)
BODY = b'{"event_id": "e1", "total": "100.00"}'


def request(headers=None, query=None, body=BODY, received_at=NOW):
    return c.InboundRequest("POST", "/hooks/x", headers or {}, query or {}, body, received_at)


def signed(secret="s3cret", at=NOW, body=BODY, sig=None):
    stamp = str(int(at.timestamp()))
    return request({"X-Signature": sig or "sha256=" + c.sign_hmac(secret, stamp, body),
                    "X-Timestamp": stamp}, body=body)


def check_hmac(req, now=NOW, secret="s3cret"):
    c.verify_hmac(req, secret, "x-signature", "x-timestamp", window_seconds=300, now=now)


# -- verification helpers --------------------------------------------------------------------

def test_hmac_accepts_a_signed_request_inside_the_window():
    check_hmac(signed())
    check_hmac(signed(), now=NOW + timedelta(seconds=300))
    check_hmac(signed(), now=(NOW - timedelta(seconds=299)).timestamp())   # a float clock
    bare = c.sign_hmac("s3cret", int(NOW.timestamp()), BODY)                  # no sha256= prefix
    check_hmac(signed(sig=bare.upper()))


@pytest.mark.parametrize("now", [NOW + timedelta(seconds=301), NOW - timedelta(seconds=301)])
def test_hmac_refuses_a_timestamp_outside_the_window(now):
    with pytest.raises(c.VerificationFailed, match="outside the 300 s window"):
        check_hmac(signed(), now=now)


def test_hmac_window_defaults_to_when_the_request_was_received():
    old = signed(at=NOW - timedelta(hours=1))
    with pytest.raises(c.VerificationFailed, match="window"):
        c.verify_hmac(old, "s3cret", "X-Signature", "X-Timestamp")


def test_hmac_refuses_a_tampered_body_a_wrong_secret_and_a_replayed_timestamp():
    good = signed()
    tampered = request(good.headers, body=BODY.replace(b"100.00", b"1.00"))
    with pytest.raises(c.VerificationFailed, match="signature does not match"):
        check_hmac(tampered)
    with pytest.raises(c.VerificationFailed, match="signature does not match"):
        check_hmac(good, secret="other")
    moved = dict(good.headers, **{"X-Timestamp": str(int(NOW.timestamp()) + 1)})
    with pytest.raises(c.VerificationFailed, match="signature does not match"):
        check_hmac(request(moved))


@pytest.mark.parametrize("headers, message", [
    ({}, "missing x-signature"),
    ({"X-Signature": "abc"}, "missing x-timestamp"),
    ({"X-Signature": "abc", "X-Timestamp": "yesterday"}, "not a Unix timestamp"),
])
def test_hmac_names_what_is_missing(headers, message):
    with pytest.raises(c.VerificationFailed, match=message):
        check_hmac(request(headers))


def test_shared_secret_compares_in_constant_time(monkeypatch):
    seen = []
    real = hmac.compare_digest

    def spy(a, b):
        seen.append((a, b))
        return real(a, b)
    monkeypatch.setattr(verification.hmac, "compare_digest", spy)
    c.verify_shared_secret(request({"x-pos-secret": "s3cret"}), "X-POS-Secret", "s3cret")
    with pytest.raises(c.VerificationFailed, match="wrong X-POS-Secret"):
        c.verify_shared_secret(request({"X-POS-Secret": "s3cre"}), "X-POS-Secret", "s3cret")
    assert seen == [(b"s3cret", b"s3cret"), (b"s3cre", b"s3cret")]
    with pytest.raises(c.VerificationFailed, match="missing X-POS-Secret"):
        c.verify_shared_secret(request(), "X-POS-Secret", "s3cret")
    with pytest.raises(c.VerificationFailed, match="no secret"):
        c.verify_shared_secret(request({"X-POS-Secret": ""}), "X-POS-Secret", "")


def basic(user, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_http_basic():
    c.verify_basic(request(basic("pos", "pa:ss")), "pos", "pa:ss")
    for headers in (basic("pos", "wrong"), basic("other", "pa:ss")):
        with pytest.raises(c.VerificationFailed, match="wrong username or password"):
            c.verify_basic(request(headers), "pos", "pa:ss")
    with pytest.raises(c.VerificationFailed, match="missing Basic"):
        c.verify_basic(request({"Authorization": "Bearer x"}), "pos", "pa:ss")
    with pytest.raises(c.VerificationFailed, match="malformed"):
        c.verify_basic(request({"Authorization": "Basic !!!"}), "pos", "pa:ss")


def test_api_key_in_the_query():
    c.verify_query_key(request(query={"key": "k-123"}), "key", "k-123")
    with pytest.raises(c.VerificationFailed, match="wrong key"):
        c.verify_query_key(request(query={"key": "k-124"}), "key", "k-123")
    with pytest.raises(c.VerificationFailed, match="missing key"):
        c.verify_query_key(request(), "key", "k-123")


def test_inbound_request_round_trips_through_json():
    req = request({"A": "1"}, {"q": "2"}, "тело".encode())
    again = c.InboundRequest.from_json(json.loads(json.dumps(req.to_json())))
    assert again == req and again.header("a") == "1"


# -- intents ---------------------------------------------------------------------------------

def routed_job():
    job = sample_receipt("unused")
    del job["register"]
    return job


def test_intents_serialise_decimals_as_strings():
    posting = c.PostingIntent("room_charge", "folio-7", Decimal("850.50"),
                              {"lines": [Decimal("1.5")]}, "k2")
    assert posting.to_json() == {"intent": "posting", "idempotency_key": "k2",
                                 "kind": "room_charge", "target": "folio-7",
                                 "amount": "850.50", "payload": {"lines": ["1.5"]}}
    job = routed_job()
    job["receipt"]["total"] = Decimal("850.50")
    out = c.FiscalJobIntent(job, "k1").to_json()
    assert out["intent"] == "fiscal_job" and out["job"]["receipt"]["total"] == "850.50"
    json.dumps(out)


def test_check_intents_accepts_a_routed_job_and_a_posting():
    intents = [c.FiscalJobIntent(routed_job(), "k1"),
               c.FiscalJobIntent(sample_receipt("bar-1"), "k2"),
               c.PostingIntent("tip", "waiter-3", Decimal("50.00"), {}, "k3")]
    assert c.check_intents(intents) == intents
    assert c.check_intents([]) == []


def test_check_intents_catches_an_invalid_job_with_its_field_errors():
    job = routed_job()
    job["receipt"]["items"][0]["vat"] = "vat99"
    del job["receipt"]["taxation"]
    with pytest.raises(c.TranslationError, match="intent 1: invalid job") as info:
        c.check_intents([c.PostingIntent("tip", "w", Decimal("1"), {}, "k0"),
                         c.FiscalJobIntent(job, "k1")])
    receipt = info.value.errors["receipt"]
    assert "taxation" in receipt and "vat" in receipt["items"][0]
    assert "register" not in info.value.errors          # the placeholder stood in


@pytest.mark.parametrize("intents, message", [
    ({"kind": "receipt"}, "must return a list"),
    ([{"kind": "receipt"}], "intent 0 is a dict"),
    ([c.FiscalJobIntent(routed_job(), "")], "idempotency_key"),
    ([c.FiscalJobIntent(routed_job(), "k"), c.PostingIntent("tip", "w", Decimal(1), {}, "k")],
     "used twice"),
    ([c.PostingIntent("tip", "w", 1.5, {}, "k")], "finite Decimal"),
    ([c.PostingIntent("", "w", Decimal(1), {}, "k")], "kind and a target"),
])
def test_check_intents_refuses_what_is_not_an_intent(intents, message):
    with pytest.raises(c.TranslationError, match=message):
        c.check_intents(intents)


# -- the class and the registry --------------------------------------------------------------

class Settings(Schema):
    token = fields.String(required=True)
    venue = fields.String(load_default="main")


class Minimal(c.Connector):
    name = "minimal"
    settings_schema = Settings
    secret_settings = ("token",)
    settings_example = {"token": "t-1"}


class WithHealth(Minimal):
    name = "with_health"

    def health(self, http):
        return {"ok": True, "detail": "fine"}


def test_settings_load_mask_and_optional_features():
    conn = Minimal.from_settings(Minimal.settings_example)
    assert conn.settings == {"token": "t-1", "venue": "main"}
    assert Minimal.masked_settings(conn.settings) == {"token": "********", "venue": "main"}
    with pytest.raises(ValidationError) as info:
        Minimal.load_settings({})
    assert info.value.messages == {"token": ["Missing data for required field."]}
    assert conn.routes() == [] and conn.posting_arrived(None, None) is None
    for call in (lambda: conn.search("x", None), lambda: conn.poll(None, None),
                 lambda: conn.health(None), lambda: conn.end_of_day(None, None),
                 lambda: conn.send_posting(None, None)):
        with pytest.raises(c.NotSupported):
            call()
    assert not Minimal.supports("health") and WithHealth.supports("health")
    with pytest.raises(NotImplementedError):
        conn.translate(c.SourceEvent("e", "t", {}))


def host_with(*plugin_list):
    extra = [(f"p{n}", p) for n, p in enumerate(plugin_list)]
    return plugins.PluginHost(plugins.make_plugin_manager(load_entrypoints=False, extra=extra))


class Provides:
    def __init__(self, *classes):
        self.classes = classes

    @hookimpl
    def fiscalhub_register_connectors(self, hub):
        assert isinstance(hub, plugins.PluginHost)
        return list(self.classes)


def test_connectors_collects_every_plugins_classes():
    assert c.connectors(host_with()) == {}
    found = c.connectors(host_with(Provides(Minimal), Provides(WithHealth, Minimal)))
    assert found == {"minimal": Minimal, "with_health": WithHealth}


def test_connectors_refuses_one_name_from_two_classes():
    class Impostor(c.Connector):
        name = "minimal"
    with pytest.raises(plugins.PluginConflict, match="'minimal' is registered by both p"):
        c.connectors(host_with(Provides(Minimal), Provides(Impostor)))


def test_connectors_refuses_what_is_not_a_named_connector():
    class Nameless(c.Connector):
        pass
    for bad in (Nameless, object, "minimal"):
        with pytest.raises(plugins.PluginConflict, match="not a Connector subclass"):
            c.connectors(host_with(Provides(bad)))
