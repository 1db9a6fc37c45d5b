"""Alipay's gateway.do: page/wap pay redirects to the pay page; query, close and refund answer JSON
signed RSA2 with the sandbox's "Alipay" key over the exact ``*_response`` object."""

from __future__ import annotations

import json

from aiohttp import web

from .server import (
    ALIPAY_TRANSFER_CODES,
    SANDBOX,
    Sandbox,
    SandboxError,
    TransferConflict,
    fen,
    rsa_sign,
    rsa_verify,
    yuan,
)

routes = web.RouteTableDef()


def _answer(sandbox: Sandbox, method: str, payload: dict) -> web.Response:
    inner = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    sign = rsa_sign(sandbox.keys.alipay_platform.private_pem, inner)
    key = method.replace(".", "_") + "_response"
    return web.Response(text=f'{{"{key}":{inner},"sign":"{sign}"}}', content_type="application/json")


def _not_found(sandbox, method):
    return _answer(sandbox, method, {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_NOT_EXIST", "sub_msg": "交易不存在"})


@routes.route("*", "/gateway.do")
async def gateway(request: web.Request) -> web.Response:
    sandbox: Sandbox = request.app[SANDBOX]
    params = dict(request.query)
    if request.method == "POST":
        params |= dict(await request.post())
    sign = params.pop("sign", "")
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()))
    if not rsa_verify(sandbox.keys.alipay_app.public_pem, message, sign):
        return web.json_response({"error_response": {"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-signature"}})
    method = params.get("method", "")
    biz = json.loads(params.get("biz_content") or "{}")
    app_id = params.get("app_id", "")

    if method in ("alipay.trade.page.pay", "alipay.trade.wap.pay"):
        try:
            payment = sandbox.create(provider="alipay", merchant=app_id, appid=app_id, out_trade_no=biz["out_trade_no"],
                                     amount=fen(str(biz["total_amount"])), description=biz.get("subject", ""),
                                     notify_url=params.get("notify_url", ""), return_url=params.get("return_url", ""))
        except (KeyError, SandboxError) as exc:
            return web.Response(status=400, text=str(exc))
        raise web.HTTPFound(sandbox.pay_url(payment))

    if method in ("alipay.fund.trans.uni.transfer", "alipay.fund.trans.common.query"):
        return _transfer(sandbox, method, app_id, biz, params)

    payment = sandbox.find("alipay", app_id, biz.get("out_trade_no", ""))
    if payment is None and biz.get("trade_no"):
        payment = next((p for p in sandbox.payments.values() if p.transaction_id == biz["trade_no"]), None)
    if method == "alipay.trade.query":
        if payment is None:
            return _not_found(sandbox, method)
        status = {"pending": "WAIT_BUYER_PAY", "paid": "TRADE_SUCCESS", "declined": "WAIT_BUYER_PAY", "closed": "TRADE_CLOSED"}[payment.status]
        if payment.status == "paid" and payment.refunded == payment.amount:
            status = "TRADE_CLOSED"
        return _answer(sandbox, method, {"code": "10000", "msg": "Success", "trade_no": payment.transaction_id, "out_trade_no": payment.out_trade_no,
                                         "trade_status": status, "total_amount": yuan(payment.amount), "buyer_logon_id": "sandbox***@example.com"})
    if method == "alipay.trade.close":
        if payment is None:
            return _not_found(sandbox, method)
        if payment.status == "paid":
            return _answer(sandbox, method, {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_STATUS_ERROR", "sub_msg": "交易状态不合法"})
        payment.status = "closed"
        return _answer(sandbox, method, {"code": "10000", "msg": "Success", "trade_no": payment.transaction_id, "out_trade_no": payment.out_trade_no})
    if method == "alipay.trade.refund":
        if payment is None:
            return _not_found(sandbox, method)
        try:
            # Without out_request_no Alipay treats the refund as the trade's one full refund.
            sandbox.refund(payment, biz.get("out_request_no") or payment.out_trade_no, fen(str(biz["refund_amount"])))
        except (KeyError, SandboxError) as exc:
            return _answer(sandbox, method, {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "sub_msg": str(exc)})
        return _answer(sandbox, method, {"code": "10000", "msg": "Success", "trade_no": payment.transaction_id, "out_trade_no": payment.out_trade_no,
                                         "buyer_logon_id": "sandbox***@example.com", "fund_change": "Y", "refund_fee": yuan(payment.refunded)})
    return web.json_response({"error_response": {"code": "40004", "msg": "Business Failed", "sub_code": "isv.invalid-method", "sub_msg": method}})


def _failed(sandbox: Sandbox, method: str, sub_code: str, sub_msg: str) -> web.Response:
    return _answer(sandbox, method, {"code": "40004", "msg": "Business Failed", "sub_code": sub_code, "sub_msg": sub_msg})


def _transfer(sandbox: Sandbox, method: str, app_id: str, biz: dict, params: dict) -> web.Response:
    """alipay.fund.trans.uni.transfer (to an Alipay account, checked against the payee's name) and
    alipay.fund.trans.common.query. The status changes come as alipay.fund.trans.order.changed."""
    if method == "alipay.fund.trans.common.query":
        t = sandbox.find_transfer("alipay", app_id, biz.get("out_biz_no", ""))
        if t is None:
            return _failed(sandbox, method, "ORDER_NOT_EXIST", "转账订单不存在")
        return _answer(sandbox, method, {"code": "10000", "msg": "Success"} | sandbox.alipay_transfer_order(t))
    payee = biz.get("payee_info") or {}
    if biz.get("product_code") != "TRANS_ACCOUNT_NO_PWD" or biz.get("biz_scene") != "DIRECT_TRANSFER":
        return _failed(sandbox, method, "PRODUCT_NOT_SIGN", "产品未签约")
    if payee.get("identity_type") != "ALIPAY_LOGON_ID" or not payee.get("identity") or not payee.get("name"):
        return _failed(sandbox, method, "PAYEE_USER_INFO_ERROR", "ALIPAY_LOGON_ID 须同时传收款方姓名")
    try:
        t, new = sandbox.transfer(provider="alipay", merchant=app_id, appid=app_id, out_no=biz["out_biz_no"], amount=fen(str(biz["trans_amount"])),
                                account=payee["identity"], name=payee["name"], remark=biz.get("order_title", ""), notify_url=params.get("notify_url", ""))
    except KeyError as exc:
        return _failed(sandbox, method, "MISSING_REQUIRED_ARGUMENTS", f"缺少 {exc.args[0]}")
    except TransferConflict as exc:
        return _failed(sandbox, method, "PAYMENT_INFO_INCONSISTENCY", f"两次请求商户单号一样，但是参数不一致: {exc}")
    except SandboxError as exc:
        return _failed(sandbox, method, "INVALID_PARAMETER", str(exc))
    if t.status == "failed":
        return _failed(sandbox, method, ALIPAY_TRANSFER_CODES[t.reason], sandbox.alipay_transfer_order(t)["fail_reason"])
    if new and "busy" in t.account.lower():  # paid, but answered "system busy" (the result unknown to the merchant), as Alipay may
        return _failed(sandbox, method, "SYSTEM_ERROR", "系统繁忙")
    order = sandbox.alipay_transfer_order(t)
    return _answer(sandbox, method, {"code": "10000", "msg": "Success", "out_biz_no": t.out_no, "order_id": t.transfer_id,
                                     "pay_fund_order_id": order["pay_fund_order_id"], "status": order["status"],
                                     "trans_date": order.get("pay_date", "")})
