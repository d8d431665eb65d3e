"""What the dashboard calls the API's codes (English; the catalogs translate them)."""
from __future__ import annotations

JOB_STATES = {
    "received": "Received", "queued": "Queued", "sending": "Printing", "printed": "Printed",
    "failed": "Failed", "needs_attention": "Needs attention", "held": "Held",
    "cancelled": "Cancelled",
}
# How a state looks: ok (green), busy (blue), warn (amber), bad (red), off (grey).
STATE_TONES = {
    "received": "busy", "queued": "busy", "sending": "busy", "printed": "ok", "failed": "bad",
    "needs_attention": "bad", "held": "warn", "cancelled": "off",
}
JOB_KINDS = {
    "receipt": "Receipt", "correction": "Correction receipt", "open_shift": "Open shift",
    "close_shift": "Z report (close shift)", "x_report": "X report", "cash_in": "Cash in",
    "cash_out": "Cash out", "cancel_receipt": "Cancel the open receipt",
    "reprint_last": "Reprint the last document", "cut": "Cut the paper", "status": "Status",
}
OPERATIONS = {"sell": "Sale", "sell_refund": "Sale refund", "buy": "Purchase",
              "buy_refund": "Purchase refund"}
TAXATION = {"osn": "General (OSN)", "usn_income": "Simplified, income (USN)",
            "usn_income_outcome": "Simplified, income minus expenses",
            "esn": "Unified agricultural tax (ESKhN)", "patent": "Patent"}
PAYMENT_METHODS = {
    "full_payment": "Full payment", "full_prepayment": "Full prepayment",
    "prepayment": "Prepayment", "advance": "Advance", "partial_payment": "Partial payment",
    "credit": "Credit", "credit_payment": "Credit payment"}
PAYMENT_TYPES = {"cash": "Cash", "electronic": "Card (electronic)", "prepaid": "Prepaid",
                 "credit": "Credit (postpay)", "other": "Other"}
VAT = {"none": "No VAT", "vat0": "VAT 0%", "vat5": "VAT 5%", "vat7": "VAT 7%",
       "vat10": "VAT 10%", "vat20": "VAT 20%", "vat22": "VAT 22%", "vat105": "VAT 5/105",
       "vat107": "VAT 7/107", "vat110": "VAT 10/110", "vat120": "VAT 20/120",
       "vat122": "VAT 22/122"}
ROLES = {"owner": "Owner", "admin": "Administrator", "operator": "Operator",
         "viewer": "Viewer"}
# What connectors post to other systems (hub.connectors.PostingIntent.kind); others as named.
POSTING_KINDS = {"room_charge": "Room charge", "end_of_day": "End-of-day revenue",
                 "tip": "Tip"}
# What the scheduler runs (GET /api/v1/scheduled-runs kind).
RUN_KINDS = {"end_of_day": "End of day", "poll": "Polling", "shift_guard": "Shift guard (Z report)"}
