"""WeChat Pay API v3: JSON, requests signed by the merchant key, answers signed by the platform key."""

from __future__ import annotations

import functools
import json
import re

from aiohttp import web

from .server import SANDBOX, Sandbox, SandboxError, rsa_verify

routes = web.RouteTableDef()
AUTH = re.compile(r'(\w+)="([^"]*)"')


def _answer(sandbox: Sandbox, payload: dict | None, status: int = 200) -> web.Response:
    body = "" if payload is None else json.dumps(payload, ensure_ascii=False)
    return web.Response(status=status, text=body, content_type="application/json", headers=sandbox.wechat_v3_headers(body))


def _error(status: int, code: str, message: str) -> web.Response:
    # Errors are not signed by WeChat either; the SDK only verifies 2xx answers.
    return web.json_response({"code": code, "message": message}, status=status)


def authorized(handler):
    """Answers 401 SIGN_ERROR, as WeChat does, unless the Authorization header is a
    WECHATPAY2-SHA256-RSA2048 signature by the merchant's key; else calls
    `handler(request, sandbox, mchid, body)`."""

    @functools.wraps(handler)
    async def checked(request: web.Request) -> web.Response:
        sandbox: Sandbox = request.app[SANDBOX]
        body = await request.text()
        scheme, _, rest = request.headers.get("Authorization", "").partition(" ")
        fields = dict(AUTH.findall(rest))
        message = f"{request.method}\n{request.path_qs}\n{fields.get('timestamp')}\n{fields.get('nonce_str')}\n{body}\n"
        if scheme != "WECHATPAY2-SHA256-RSA2048" or not rsa_verify(sandbox.keys.wechat_merchant.public_pem, message, fields.get("signature", "")):
            return _error(401, "SIGN_ERROR", "签名错误")
        return await handler(request, sandbox, fields.get("mchid", ""), json.loads(body) if body else {})

    return checked


@routes.post(r"/v3/pay/transactions/{kind:native|jsapi|h5}")
@authorized
async def create(request: web.Request, sandbox: Sandbox, mchid: str, data: dict) -> web.Response:
    try:
        payment = sandbox.create(provider="wechat_v3", merchant=mchid, appid=data["appid"], out_trade_no=data["out_trade_no"],
                                 amount=int(data["amount"]["total"]), description=data.get("description", ""), notify_url=data["notify_url"])
    except (KeyError, TypeError, ValueError, SandboxError) as exc:
        return _error(400, "PARAM_ERROR", str(exc))
    kind = request.match_info["kind"]
    if kind == "native":
        return _answer(sandbox, {"code_url": sandbox.pay_url(payment)})
    if kind == "h5":
        return _answer(sandbox, {"h5_url": sandbox.pay_url(payment)})
    return _answer(sandbox, {"prepay_id": "wx" + payment.id})


@routes.get("/v3/pay/transactions/out-trade-no/{no}")
@authorized
async def query(request: web.Request, sandbox: Sandbox, mchid: str, data: dict) -> web.Response:
    payment = sandbox.find("wechat_v3", request.query.get("mchid", ""), request.match_info["no"])
    if payment is None:
        return _error(404, "ORDER_NOT_EXIST", "订单不存在")
    return _answer(sandbox, sandbox.wechat_v3_transaction(payment))


@routes.post("/v3/pay/transactions/out-trade-no/{no}/close")
@authorized
async def close(request: web.Request, sandbox: Sandbox, mchid: str, data: dict) -> web.Response:
    payment = sandbox.find("wechat_v3", mchid, request.match_info["no"])
    if payment is None:
        return _error(404, "ORDER_NOT_EXIST", "订单不存在")
    if payment.status == "paid":
        return _error(400, "ORDERPAID", "订单已支付")
    payment.status = "closed"
    return _answer(sandbox, None, status=204)


@routes.post("/v3/refund/domestic/refunds")
@authorized
async def refund(request: web.Request, sandbox: Sandbox, mchid: str, data: dict) -> web.Response:
    payment = sandbox.find("wechat_v3", mchid, data.get("out_trade_no", ""))
    if payment is None:
        return _error(404, "RESOURCE_NOT_EXISTS", "订单不存在")
    try:
        if int(data["amount"]["total"]) != payment.amount:
            raise SandboxError("订单金额不符")
        r = sandbox.refund(payment, data["out_refund_no"], int(data["amount"]["refund"]))
    except (KeyError, TypeError, ValueError, SandboxError) as exc:
        return _error(400, "INVALID_REQUEST", str(exc))
    return _answer(sandbox, {"refund_id": r["refund_id"], "out_refund_no": r["out_refund_no"], "transaction_id": payment.transaction_id,
                             "out_trade_no": payment.out_trade_no, "channel": "ORIGINAL", "status": "SUCCESS",
                             "amount": {"total": payment.amount, "refund": r["amount"], "payer_total": payment.amount,
                                        "payer_refund": r["amount"], "currency": "CNY"}})
