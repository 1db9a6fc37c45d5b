"""WeChat Pay for Hearth: API v2 (wechatpy) and v3 (wechatpayv3) behind the PaymentProvider protocol."""
