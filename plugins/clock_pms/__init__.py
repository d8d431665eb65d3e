"""Clock PMS+ (Clock Software) connector."""
