"""Charts of accounts: the product's default plans, and (later) duplication,
application to a client and the « in use » checks. The rule deciding which
account wins lives in app.accounting (pure Python)."""
