"""WeChat Pay API v2: XML bodies, MD5 signatures with the merchant's API key (wechatpy's helpers)."""

from __future__ import annotations

import functools
import secrets
from datetime import datetime

import xmltodict
from aiohttp import web
from wechatpy.pay.utils import calculate_signature, dict_to_xml

from .server import SANDBOX, Sandbox, SandboxError, TransferConflict

routes = web.RouteTableDef()


def _reply(sandbox: Sandbox, data: dict) -> web.Response:
    data = {"return_code": "SUCCESS", "return_msg": "OK", "nonce_str": secrets.token_hex(16)} | data
    return web.Response(text=dict_to_xml(data, calculate_signature(data, sandbox.keys.wechat_v2_api_key)), content_type="text/xml")


def _fail(code: str, message: str) -> web.Response:
    return web.Response(text=dict_to_xml({"return_code": "FAIL", "return_msg": message, "err_code": code}, ""), content_type="text/xml")


def signed(handler):
    """Answers SIGNERROR, as WeChat does, unless the request is signed with the merchant's API key;
    else calls `handler(request, sandbox, fields)`."""

    @functools.wraps(handler)
    async def checked(request: web.Request) -> web.Response:
        sandbox: Sandbox = request.app[SANDBOX]
        data = dict(xmltodict.parse(await request.text())["xml"])
        if data.pop("sign", "") != calculate_signature(data, sandbox.keys.wechat_v2_api_key):
            return _fail("SIGNERROR", "签名错误")
        return await handler(request, sandbox, data)

    return checked


def _payment(sandbox: Sandbox, data: dict):
    return sandbox.find("wechat_v2", data.get("mch_id", ""), data.get("out_trade_no", ""))


@routes.post("/pay/unifiedorder")
@signed
async def unifiedorder(request: web.Request, sandbox: Sandbox, data: dict[str, str]) -> web.Response:
    trade_type = data.get("trade_type")
    if trade_type not in ("JSAPI", "NATIVE", "MWEB"):
        return _fail("PARAM_ERROR", "trade_type")
    try:
        payment = sandbox.create(provider="wechat_v2", merchant=data["mch_id"], appid=data["appid"], out_trade_no=data["out_trade_no"],
                                 amount=int(data["total_fee"]), description=data.get("body", ""), notify_url=data["notify_url"])
    except (KeyError, ValueError, SandboxError) as exc:
        return _fail("PARAM_ERROR", str(exc))
    out = {"result_code": "SUCCESS", "appid": payment.appid, "mch_id": payment.merchant, "trade_type": trade_type, "prepay_id": "wx" + payment.id}
    if trade_type == "NATIVE":
        out["code_url"] = sandbox.pay_url(payment)
    elif trade_type == "MWEB":
        out["mweb_url"] = sandbox.pay_url(payment)
    return _reply(sandbox, out)


@routes.post("/pay/orderquery")
@signed
async def orderquery(request: web.Request, sandbox: Sandbox, data: dict[str, str]) -> web.Response:
    payment = _payment(sandbox, data)
    if payment is None:
        return _reply(sandbox, {"result_code": "FAIL", "err_code": "ORDERNOTEXIST", "err_code_des": "此交易订单号不存在"})
    state = {"pending": "NOTPAY", "paid": "REFUND" if payment.refunds else "SUCCESS", "declined": "PAYERROR", "closed": "CLOSED"}[payment.status]
    out = {"result_code": "SUCCESS", "appid": payment.appid, "mch_id": payment.merchant, "out_trade_no": payment.out_trade_no,
           "trade_state": state, "total_fee": str(payment.amount), "fee_type": "CNY"}
    if payment.status == "paid":
        out |= {"transaction_id": payment.transaction_id, "cash_fee": str(payment.amount)}
    return _reply(sandbox, out)


@routes.post("/pay/closeorder")
@signed
async def closeorder(request: web.Request, sandbox: Sandbox, data: dict[str, str]) -> web.Response:
    payment = _payment(sandbox, data)
    if payment is None:
        return _reply(sandbox, {"result_code": "FAIL", "err_code": "ORDERNOTEXIST"})
    if payment.status == "paid":
        return _reply(sandbox, {"result_code": "FAIL", "err_code": "ORDERPAID", "err_code_des": "订单已支付"})
    payment.status = "closed"
    return _reply(sandbox, {"result_code": "SUCCESS"})


@routes.post("/secapi/pay/refund")
@signed
async def refund(request: web.Request, sandbox: Sandbox, data: dict[str, str]) -> web.Response:
    payment = _payment(sandbox, data)
    if payment is None and data.get("transaction_id"):
        payment = next((p for p in sandbox.payments.values() if p.transaction_id == data["transaction_id"]), None)
    if payment is None:
        return _reply(sandbox, {"result_code": "FAIL", "err_code": "ORDERNOTEXIST"})
    if int(data.get("total_fee", -1)) != payment.amount:
        return _reply(sandbox, {"result_code": "FAIL", "err_code": "INVALID_REQUEST", "err_code_des": "订单金额不符"})
    try:
        r = sandbox.refund(payment, data["out_refund_no"], int(data["refund_fee"]))
    except SandboxError as exc:
        return _reply(sandbox, {"result_code": "FAIL", "err_code": "INVALID_REQUEST", "err_code_des": str(exc)})
    return _reply(sandbox, {"result_code": "SUCCESS", "appid": payment.appid, "mch_id": payment.merchant, "out_trade_no": payment.out_trade_no,
                            "transaction_id": payment.transaction_id, "out_refund_no": r["out_refund_no"], "refund_id": r["refund_id"],
                            "refund_fee": str(r["amount"]), "total_fee": str(payment.amount), "cash_fee": str(payment.amount)})


# 企业付款到零钱 (v2 transfer to balance): the answer says SUCCESS or why not; there is no
# notification. A transfer still under way answers SYSTEMERROR, which WeChat documents as "query,
# or retry with the same partner_trade_no".
V2_TRANSFER_ERRORS = {"name": ("NAME_MISMATCH", "姓名校验出错"), "frozen": ("PAYEE_ACCOUNT_ABNORMAL", "用户账户收款异常"),
                      "cancelled": ("SENDNUM_LIMIT", "用户未确认收款")}


@routes.post("/mmpaymkttransfers/promotion/transfers")
@signed
async def transfer(request: web.Request, sandbox: Sandbox, data: dict[str, str]) -> web.Response:
    if data.get("check_name") == "FORCE_CHECK" and not data.get("re_user_name"):
        return _fail("PARAM_ERROR", "re_user_name is required with FORCE_CHECK")
    try:
        t, _ = sandbox.transfer(provider="wechat_v2", merchant=data["mchid"], appid=data["mch_appid"], out_no=data["partner_trade_no"],
                                amount=int(data["amount"]), account=data["openid"], name=data.get("re_user_name", ""),
                                remark=data.get("desc", ""), notify_url="")
    except (KeyError, ValueError) as exc:
        return _fail("PARAM_ERROR", str(exc))
    except TransferConflict as exc:
        return _reply(sandbox, {"result_code": "FAIL", "err_code": "PARAM_ERROR", "err_code_des": f"商户订单号重复，且参数不一致: {exc}"})
    except SandboxError as exc:
        return _reply(sandbox, {"result_code": "FAIL", "err_code": "PARAM_ERROR", "err_code_des": str(exc)})
    base = {"mch_appid": t.appid, "mchid": t.merchant, "partner_trade_no": t.out_no}
    if t.status == "succeeded":
        return _reply(sandbox, base | {"result_code": "SUCCESS", "payment_no": t.transfer_id,
                                       "payment_time": datetime.fromtimestamp(t.finished_at or t.created_at).strftime("%Y-%m-%d %H:%M:%S")})
    if t.status == "waiting":
        return _reply(sandbox, base | {"result_code": "FAIL", "err_code": "SYSTEMERROR", "err_code_des": "系统繁忙，请稍后再试"})
    code, text = V2_TRANSFER_ERRORS[t.reason]
    return _reply(sandbox, base | {"result_code": "FAIL", "err_code": code, "err_code_des": text})


@routes.post("/mmpaymkttransfers/gettransferinfo")
@signed
async def gettransferinfo(request: web.Request, sandbox: Sandbox, data: dict[str, str]) -> web.Response:
    t = sandbox.find_transfer("wechat_v2", data.get("mch_id", ""), data.get("partner_trade_no", ""))
    if t is None or t.appid != data.get("appid"):
        return _reply(sandbox, {"result_code": "FAIL", "err_code": "NOT_FOUND", "err_code_des": "指定单号数据不存在"})
    status = {"waiting": "PROCESSING", "pending": "PROCESSING", "succeeded": "SUCCESS", "failed": "FAILED", "cancelled": "FAILED"}[t.status]
    out = {"result_code": "SUCCESS", "partner_trade_no": t.out_no, "appid": t.appid, "mch_id": t.merchant, "detail_id": t.transfer_id,
           "status": status, "openid": t.account, "payment_amount": str(t.amount), "desc": t.remark,
           "transfer_time": datetime.fromtimestamp(t.created_at).strftime("%Y-%m-%d %H:%M:%S")}
    if t.name:
        out["transfer_name"] = t.name
    if t.reason:
        out["reason"] = V2_TRANSFER_ERRORS[t.reason][1]
    if t.status == "succeeded":
        out["payment_time"] = datetime.fromtimestamp(t.finished_at or t.created_at).strftime("%Y-%m-%d %H:%M:%S")
    return _reply(sandbox, out)
