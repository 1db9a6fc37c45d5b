"""WeChat Pay API v3: JSON, requests signed by the merchant key, answers signed by the platform key."""

from __future__ import annotations

import base64
import functools
import json
import re

from aiohttp import web
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from .server import SANDBOX, Sandbox, SandboxError, TransferConflict, rsa_verify

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


# 商家转账 (transfer to a person's WeChat balance). From ¥2,000 the payee's name is required,
# encrypted with WeChat Pay's public key (RSA-OAEP) and the request names that key in Wechatpay-Serial.
NAME_REQUIRED_FROM = 200000


def _decrypt_name(sandbox: Sandbox, request: web.Request, ciphertext: str) -> str:
    if request.headers.get("Wechatpay-Serial") != sandbox.keys.wechat_platform_key_id:
        raise SandboxError("user_name is encrypted with an unknown key")
    key = serialization.load_pem_private_key(sandbox.keys.wechat_platform.private_pem.encode(), password=None)
    try:
        return key.decrypt(base64.b64decode(ciphertext), padding.OAEP(mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)).decode()
    except (ValueError, TypeError):
        raise SandboxError("user_name does not decrypt with WeChat Pay's key") from None


@routes.post("/v3/fund-app/mch-transfer/transfer-bills")
@authorized
async def transfer(request: web.Request, sandbox: Sandbox, mchid: str, data: dict) -> web.Response:
    try:
        amount = int(data["transfer_amount"])
        name = _decrypt_name(sandbox, request, data["user_name"]) if data.get("user_name") else ""
        if amount >= NAME_REQUIRED_FROM and not name:
            raise SandboxError("转账金额 >= 2000 元时，user_name 必填")
        if not data.get("transfer_scene_id") or not str(data.get("transfer_remark", "")).strip():
            raise SandboxError("transfer_scene_id and transfer_remark are required")
        t, _ = sandbox.transfer(provider="wechat_v3", merchant=mchid, appid=data["appid"], out_no=data["out_bill_no"], amount=amount,
                                account=data["openid"], name=name, remark=data["transfer_remark"], notify_url=data.get("notify_url") or "")
    except (KeyError, TypeError, ValueError, SandboxError) as exc:
        return _error(400, "INVALID_REQUEST" if isinstance(exc, TransferConflict) else "PARAM_ERROR", str(exc))
    bill = sandbox.wechat_v3_bill(t)
    out = {k: bill[k] for k in ("out_bill_no", "transfer_bill_no", "create_time", "state")}
    if "fail_reason" in bill:
        out["fail_reason"] = bill["fail_reason"]
    if t.status == "waiting":
        # What the merchant's page hands to wx.requestMerchantTransfer; here, the sandbox's confirm page.
        out["package_info"] = sandbox.transfer_url(t)
    return _answer(sandbox, out)


@routes.get("/v3/fund-app/mch-transfer/transfer-bills/out-bill-no/{no}")
@authorized
async def transfer_query(request: web.Request, sandbox: Sandbox, mchid: str, data: dict) -> web.Response:
    t = sandbox.find_transfer("wechat_v3", mchid, request.match_info["no"])
    if t is None:
        return _error(404, "NOT_FOUND", "记录不存在")
    return _answer(sandbox, sandbox.wechat_v3_bill(t))
