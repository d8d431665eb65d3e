"""The Lightspeed Restaurant K-Series connector: the hub is the PMS endpoint Lightspeed calls
(``GET …/search``, ``POST …/charge``; plugins/lightspeed/README.md has the set-up).

Events it stores, by type:

- ``charge`` (``charge:<X-Lightspeed-Idempotency-Key>``): a charge request as Lightspeed sent
  it; it makes the bill's room-charge postings (onto the linked PMS connection), which the
  charge route sends while Lightspeed waits;
- ``receipt`` (``receipt:<fiscId>``, or the uuid/receiptId without one): the same bill once
  its room part is on the folio (or at once when nothing goes to a room: the MIRRORING
  feature sends every closed bill); it makes the fiscal receipt;
- ``bill``: a bill delivered to the plain ``/hooks/<id>`` (no one waiting): both at once, the
  postings sent by the posting worker.

Refunds and voids (negative quantities, ``initialAccountId``) are a ``sell_refund`` receipt
when they fall on the original bill's business day or the next (what Lightspeed allows); later,
a correction receipt (``correction_type: self``) on the current day, its basis naming the
original bill. The original is found as the stored ``receipt:<initialAccountId>`` event; when
the hub never saw it, the refund is taken to be within the window (a refund receipt).
"""
from __future__ import annotations

import hmac
import json
from datetime import date

from marshmallow import fields, validate

from hub.connectors import (Connector, ConnectorRoute, FiscalJobIntent, PostingIntent,
                            SourceEvent, TranslationError, VerificationFailed)
from plugins.lightspeed import routes
from plugins.lightspeed.routes import bill_id
from plugins.lightspeed.messages import LANGUAGES
from plugins.lightspeed.revenue import end_of_day_posting
from plugins.lightspeed.settings import LightspeedTranslationSettings
from plugins.lightspeed.translation import translate_charge

# A refund receipt up to this many business days after the original; later, a correction.
REFUND_DAYS = 1


class LightspeedSettings(LightspeedTranslationSettings):
    """A Lightspeed connection's settings: the translation's (plugins.lightspeed.settings) and
    these."""

    api_key = fields.String(required=True, validate=validate.Length(min=16, max=200),
                            metadata={"description": "The key Lightspeed sends as apiKey; "
                                      "the provider registration's apiKey"})
    pms_connection_id = fields.String(allow_none=True, validate=validate.Length(max=36),
                                      metadata={"description": "The PMS connection room "
                                                "charges and the day's revenue go to"})
    language = fields.String(validate=validate.OneOf(LANGUAGES),
                             metadata={"description": "Of the messages printed at the POS"})
    post_daily_revenue = fields.Boolean(metadata={"description": "Post the day's non-room "
                                                  "revenue to the PMS at closing time"})


class LightspeedConnector(Connector):
    name = "lightspeed"
    title = "Lightspeed Restaurant K-Series"
    version = "1"
    settings_schema = LightspeedSettings
    secret_settings = ("api_key",)
    settings_example = {"api_key": "a-long-random-key-given-to-lightspeed",
                        "pms_connection_id": None, "language": "ru",
                        "group_templates": {"Food": "Restaurant", "Drinks": "Bar"}}

    def routes(self) -> list[ConnectorRoute]:
        return [ConnectorRoute("/search", "search_guests", ("GET",)),
                ConnectorRoute("/charge", "charge", ("POST",))]

    @property
    def language(self) -> str:
        return self.settings.get("language") or "en"

    # -- the contract -----------------------------------------------------------------------
    def verify(self, request) -> None:
        """``apiKey`` in the query (Lightspeed: "passed in the PMS request in the query
        parameter apiKey"), else in the charge body; compared in constant time."""
        given = request.query.get("apiKey")
        if given is None and request.body:
            try:
                body = json.loads(request.body)
            except ValueError:
                body = None
            if isinstance(body, dict) and isinstance(body.get("apiKey"), str):
                given = body["apiKey"]
        if given is None:
            raise VerificationFailed("missing apiKey")
        if not hmac.compare_digest(given.encode("utf-8"),
                                   str(self.settings["api_key"]).encode("utf-8")):
            raise VerificationFailed("wrong apiKey")

    def parse(self, request) -> list[SourceEvent]:
        """A charge body delivered to ``/hooks/<id>``: one ``bill`` event."""
        body = json.loads(request.body)
        if not isinstance(body, dict):
            raise ValueError("the body is not a JSON object")
        key = (request.header("X-Lightspeed-Idempotency-Key") or "").strip()
        ident = key or bill_id(body)
        if not ident:
            raise ValueError("no X-Lightspeed-Idempotency-Key and no fiscId/uuid/receiptId")
        return [SourceEvent(event_id=f"bill:{ident}"[:200], type="bill",
                            payload={"body": body})]

    def translate(self, event: SourceEvent) -> list:
        payload = event.payload or {}
        settings = dict(self.settings, business_day=payload.get("business_day"))
        intents = translate_charge(payload.get("body"), settings)
        postings = [i for i in intents if isinstance(i, PostingIntent)]
        if postings and not self.settings.get("pms_connection_id"):
            raise TranslationError("the bill charges a room, but no PMS connection is linked "
                                   "(settings pms_connection_id)",
                                   {"pms_connection_id": ["required for room charges"]})
        if event.type == "charge":
            return postings
        jobs = [self._dated(i, payload) for i in intents if isinstance(i, FiscalJobIntent)]
        return jobs if event.type == "receipt" else jobs + postings

    def end_of_day(self, business_day, http, events=()) -> list:
        return end_of_day_posting(business_day, list(events), self.settings)

    # -- routes -----------------------------------------------------------------------------
    def search_guests(self, request, context):
        return routes.search(self, request, context)

    def charge(self, request, context):
        return routes.charge(self, request, context)

    # -- refunds after the window -----------------------------------------------------------
    @staticmethod
    def _dated(intent: FiscalJobIntent, payload: dict) -> FiscalJobIntent:
        """A refund receipt more than REFUND_DAYS business days after its bill becomes a
        correction receipt of the current day."""
        receipt = intent.job.get("receipt") or {}
        day, original = payload.get("business_day"), payload.get("original_business_day")
        if receipt.get("operation") != "sell_refund" or not day or not original:
            return intent
        if (date.fromisoformat(day) - date.fromisoformat(original)).days <= REFUND_DAYS:
            return intent
        body = payload.get("body") or {}
        name = (f"Возврат по счёту {body.get('initialAccountId', '')} от {original}")[:256]
        correction = dict(receipt, correction_type="self", base={"date": day, "name": name})
        job = {k: v for k, v in intent.job.items() if k != "receipt"}
        job.update(kind="correction", correction=correction)
        return FiscalJobIntent(job=job, idempotency_key=intent.idempotency_key)
