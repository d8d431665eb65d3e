"""Canonical jobs used across the hub tests."""
from fiscal.samples import sample_receipt as receipt_job  # noqa: F401
