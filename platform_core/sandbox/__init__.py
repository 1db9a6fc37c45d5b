"""Local stand-ins for WeChat Pay (v2 and v3), Alipay and Stripe, for offline development and tests.

No tables: payments live in the sandbox process's memory, keys in HEARTH_DATA_DIR/sandbox/keys.json.
"""
