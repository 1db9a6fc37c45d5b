"""Alipay for a franchise: the cashier page on a desktop, the wap cashier on phones, refunds,
through python-alipay-sdk with RSA2 keys entered in the console."""
