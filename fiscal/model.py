"""The vocabulary of the canonical fiscal job: kinds, states and the FFD attribute values.

Values are the strings integrators send in JSON; where an FFD tag defines a number, the
mapping to it lives next to the list (drivers need the numbers, the API needs the names).
"""
from enum import StrEnum


class JobKind(StrEnum):
    RECEIPT = "receipt"
    CORRECTION = "correction"
    OPEN_SHIFT = "open_shift"
    CLOSE_SHIFT = "close_shift"        # the Z report
    X_REPORT = "x_report"
    CASH_IN = "cash_in"
    CASH_OUT = "cash_out"
    CANCEL_RECEIPT = "cancel_receipt"
    REPRINT_LAST = "reprint_last"
    CUT = "cut"
    STATUS = "status"


# Kinds that leave a fiscal document (an FD number in the fiscal storage) behind.
FISCAL_DOCUMENT_KINDS = frozenset({JobKind.RECEIPT, JobKind.CORRECTION,
                                   JobKind.OPEN_SHIFT, JobKind.CLOSE_SHIFT})
# Kinds that move the register's cash drawer and its through document counter but are not
# fiscal documents in the fiscal storage.
CASH_KINDS = frozenset({JobKind.CASH_IN, JobKind.CASH_OUT})
# Kinds that need an open shift (opened automatically when the register allows it).
SHIFT_KINDS = frozenset({JobKind.RECEIPT, JobKind.CORRECTION, JobKind.CASH_IN, JobKind.CASH_OUT})


class JobState(StrEnum):
    RECEIVED = "received"
    QUEUED = "queued"
    SENDING = "sending"
    PRINTED = "printed"
    FAILED = "failed"
    NEEDS_ATTENTION = "needs_attention"
    HELD = "held"
    CANCELLED = "cancelled"


class PostingState(StrEnum):
    """A posting to a source system (fiscal.ledger.postings has the state machine)."""
    PENDING = "pending"
    SENDING = "sending"
    POSTED = "posted"
    FAILED = "failed"
    NEEDS_ATTENTION = "needs_attention"
    CANCELLED = "cancelled"


class EventState(StrEnum):
    """A stored source event: translated into jobs and postings, or kept with the reason."""
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Operation(StrEnum):
    """FFD tag 1054, признак расчёта."""
    SELL = "sell"
    SELL_REFUND = "sell_refund"
    BUY = "buy"
    BUY_REFUND = "buy_refund"


OPERATION_TAG_1054 = {Operation.SELL: 1, Operation.SELL_REFUND: 2,
                      Operation.BUY: 3, Operation.BUY_REFUND: 4}
REFUND_OF = {Operation.SELL_REFUND: Operation.SELL, Operation.BUY_REFUND: Operation.BUY}


class Taxation(StrEnum):
    """FFD tag 1055, система налогообложения (one bit of the mask each)."""
    OSN = "osn"
    USN_INCOME = "usn_income"
    USN_INCOME_OUTCOME = "usn_income_outcome"
    ESN = "esn"
    PATENT = "patent"


TAXATION_TAG_1055_BIT = {Taxation.OSN: 0x01, Taxation.USN_INCOME: 0x02,
                         Taxation.USN_INCOME_OUTCOME: 0x04, Taxation.ESN: 0x10,
                         Taxation.PATENT: 0x20}


class Vat(StrEnum):
    """VAT rate of an item (FFD tag 1199). ``vatNNN`` are the calculated rates (20/120 …)."""
    NONE = "none"
    VAT0 = "vat0"
    VAT5 = "vat5"
    VAT7 = "vat7"
    VAT10 = "vat10"
    VAT20 = "vat20"
    VAT22 = "vat22"
    VAT105 = "vat105"
    VAT107 = "vat107"
    VAT110 = "vat110"
    VAT120 = "vat120"
    VAT122 = "vat122"


class PaymentMethod(StrEnum):
    """FFD tag 1214, признак способа расчёта."""
    FULL_PREPAYMENT = "full_prepayment"
    PREPAYMENT = "prepayment"
    ADVANCE = "advance"
    FULL_PAYMENT = "full_payment"
    PARTIAL_PAYMENT = "partial_payment"
    CREDIT = "credit"
    CREDIT_PAYMENT = "credit_payment"


PAYMENT_METHOD_TAG_1214 = {m: i for i, m in enumerate(PaymentMethod, start=1)}


class PaymentObject(StrEnum):
    """FFD tag 1212, признак предмета расчёта (FFD 1.05 values)."""
    COMMODITY = "commodity"
    EXCISE = "excise"
    JOB = "job"
    SERVICE = "service"
    GAMBLING_BET = "gambling_bet"
    GAMBLING_PRIZE = "gambling_prize"
    LOTTERY = "lottery"
    LOTTERY_PRIZE = "lottery_prize"
    INTELLECTUAL_ACTIVITY = "intellectual_activity"
    PAYMENT = "payment"
    AGENT_COMMISSION = "agent_commission"
    COMPOSITE = "composite"
    ANOTHER = "another"
    PROPERTY_RIGHT = "property_right"
    NON_OPERATING_GAIN = "non_operating_gain"
    INSURANCE_PREMIUM = "insurance_premium"
    SALES_TAX = "sales_tax"
    RESORT_FEE = "resort_fee"
    DEPOSIT = "deposit"


PAYMENT_OBJECT_TAG_1212 = {o: i for i, o in enumerate(PaymentObject, start=1)}


class PaymentType(StrEnum):
    """How the customer paid: FFD tags 1031 (cash), 1081 (electronic), 1215 (prepaid),
    1216 (credit, postpay), 1217 (other: counter-provision)."""
    CASH = "cash"
    ELECTRONIC = "electronic"
    PREPAID = "prepaid"
    CREDIT = "credit"
    OTHER = "other"


class AgentType(StrEnum):
    """FFD tags 1057 / 1222, признак агента (one bit each)."""
    BANK_PAYING_AGENT = "bank_paying_agent"
    BANK_PAYING_SUBAGENT = "bank_paying_subagent"
    PAYING_AGENT = "paying_agent"
    PAYING_SUBAGENT = "paying_subagent"
    ATTORNEY = "attorney"
    COMMISSION_AGENT = "commission_agent"
    ANOTHER = "another"


class CorrectionType(StrEnum):
    """FFD tag 1173: 0 self-initiated, 1 by order of the tax authority."""
    SELF = "self"
    INSTRUCTION = "instruction"
