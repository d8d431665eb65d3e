"""The canonical fiscal job: one marshmallow schema for every source (DESIGN.md, "The
canonical fiscal job").

Load with :func:`load_job` (a plain dict: Decimals, plain-str enum values, defaults filled in),
dump with :func:`dump_job` (money and quantities as strings). Every rule is reported at the
field it concerns, e.g. ``{"receipt": {"items": {0: {"amount": [...]}}}}``.
"""
from fiscal.schemas.common import (AgentSchema, CashierSchema, CustomerSchema, Money,
                                   PaymentSchema, Quantity, SupplierSchema)
from fiscal.schemas.correction import CorrectionBaseSchema, CorrectionSchema
from fiscal.schemas.item import MEASURE_TAG_2108, MEASURES, ItemSchema
from fiscal.schemas.job import JobSchema, dump_job, job_total, load_job
from fiscal.schemas.receipt import ReceiptSchema

__all__ = [
    "AgentSchema", "CashierSchema", "CorrectionBaseSchema", "CorrectionSchema",
    "CustomerSchema", "ItemSchema", "JobSchema", "MEASURES", "MEASURE_TAG_2108", "Money",
    "PaymentSchema", "Quantity", "ReceiptSchema", "SupplierSchema", "dump_job", "job_total",
    "load_job",
]
