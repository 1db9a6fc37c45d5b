"""The pay page a person sees instead of the provider's cashier: approve or decline."""

from __future__ import annotations

from aiohttp import web

from .server import SANDBOX, Payment, Sandbox, Transfer, escape, shown

routes = web.RouteTableDef()
NAMES = {"wechat_v2": "微信支付 WeChat Pay (v2)", "wechat_v3": "微信支付 WeChat Pay (v3)", "alipay": "支付宝 Alipay", "stripe": "Stripe"}
PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{title}</title><style>body{{font-family:system-ui,'Noto Sans CJK SC',sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem;color:#222}}
.amount{{font-size:2.2rem;margin:.5rem 0}} button{{font-size:1.1rem;padding:.6rem 1.4rem;margin-right:.6rem;border-radius:.4rem;border:1px solid #999}}
.approve{{background:#07c160;color:#fff;border-color:#07c160}} .note{{color:#666;font-size:.9rem}}</style></head><body>
<p class="note">Hearth 支付沙箱 · payment sandbox — 不会产生真实扣款 / no real money moves</p>
<h1>{provider}</h1><p>{description}</p><p class="amount">{amount}</p><p>{number_label}: {out_trade_no}</p>{body}</body></html>"""


INDEX = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Hearth 支付沙箱 · payment sandbox</title><style>body{{font-family:system-ui,'Noto Sans CJK SC',sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}}
table{{border-collapse:collapse;width:100%;margin-bottom:2rem}} th,td{{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #ddd;font-size:.92rem}}
.note{{color:#666}} .ok{{color:#07813f}} .fail{{color:#b42318}}</style></head><body>
<h1>Hearth 支付沙箱 · payment sandbox</h1>
<p class="note">Local stand-ins for WeChat Pay, Alipay and Stripe: no real money moves. Newest first; a restart forgets them.</p>
<h2>支付 Payments</h2><table><tr><th>provider</th><th>merchant order</th><th>amount</th><th>refunded</th><th>status</th><th></th></tr>{payments}</table>
<h2>转账 Transfers</h2><table><tr><th>provider</th><th>merchant number</th><th>payee</th><th>amount</th><th>status</th><th></th></tr>{transfers}</table>
<h2>通知 Notifications</h2><table><tr><th>to</th><th>attempt</th><th>answer</th><th>delivered</th></tr>{deliveries}</table></body></html>"""


@routes.get("/")
async def index(request: web.Request) -> web.Response:
    """What the sandbox has seen: its payments (with their pay pages) and each notification attempt."""
    sandbox: Sandbox = request.app[SANDBOX]
    payments = "".join(
        f"<tr><td>{escape(NAMES[p.provider])}</td><td>{escape(p.out_trade_no)}</td><td>{shown(p.amount, p.currency)}</td><td>{shown(p.refunded, p.currency)}</td>"
        f"<td>{escape(p.status)}</td><td><a href=\"/pay/{p.provider}/{escape(p.id)}\">pay page</a></td></tr>"
        for p in reversed(list(sandbox.payments.values()))
    ) or '<tr><td colspan="6" class="note">none yet</td></tr>'
    deliveries = "".join(
        f"<tr><td>{escape(d['url'])}</td><td>{d['attempt']}</td><td>{escape(d['reply'][:60])}</td>"
        f"<td class=\"{'ok' if d['ok'] else 'fail'}\">{'yes' if d['ok'] else 'no: retried'}</td></tr>"
        for d in reversed(sandbox.deliveries[-200:])
    ) or '<tr><td colspan="4" class="note">none yet</td></tr>'
    transfers = "".join(
        f"<tr><td>{escape(NAMES[t.provider])}</td><td>{escape(t.out_no)}</td><td>{escape(t.account)}{' · ' + escape(t.name) if t.name else ''}</td>"
        f"<td>{shown(t.amount, 'CNY')}</td><td class=\"{'ok' if t.status == 'succeeded' else 'fail' if t.final else ''}\">{escape(TRANSFER_STATES[t.status])}"
        f"{' (' + escape(t.reason) + ')' if t.reason else ''}</td><td><a href=\"/transfer/{escape(t.id)}\">page</a></td></tr>"
        for t in reversed(list(sandbox.transfers.values()))
    ) or '<tr><td colspan="6" class="note">none yet</td></tr>'
    return web.Response(text=INDEX.format(payments=payments, transfers=transfers, deliveries=deliveries), content_type="text/html")

TRANSFER_STATES = {"pending": "处理中 Processing", "waiting": "待收款人确认 Waiting for the payee", "succeeded": "已到账 Paid out",
                   "failed": "失败 Failed", "cancelled": "已取消 Cancelled"}


def _page(p: Payment, body: str) -> web.Response:
    return web.Response(text=PAGE.format(title=escape(NAMES[p.provider]), provider=escape(NAMES[p.provider]), description=escape(p.description),
                                         amount=escape(shown(p.amount, p.currency)), number_label="商户订单号 Order", out_trade_no=escape(p.out_trade_no), body=body), content_type="text/html")


async def _payment(request: web.Request) -> Payment:
    sandbox: Sandbox = request.app[SANDBOX]
    provider, pid = request.match_info["provider"], request.match_info["id"]
    payment = sandbox.payments.get(pid)
    if payment is None and provider == "stripe" and sandbox.stripe_api:
        payment = await sandbox.load_stripe_intent(pid)
    if payment is None or payment.provider != provider:
        raise web.HTTPNotFound(text="no such payment / 支付单不存在")
    # Stripe.js takes the return URL at confirmation; WeChat H5 as `redirect_url` on the mweb_url.
    back = request.query.get("return_url") or request.query.get("redirect_url") or ""
    if provider in ("stripe", "wechat_v2", "wechat_v3") and back.startswith(("http://", "https://")):
        payment.return_url = back
    return payment


@routes.get("/pay/{provider}/{id}")
async def show(request: web.Request) -> web.Response:
    p = await _payment(request)
    if p.status != "pending":
        state = {"paid": "已支付 Paid", "declined": "已拒绝 Declined", "closed": "已关闭 Closed"}[p.status]
        back = f'<p><a href="{escape(p.return_url)}">返回商户 Back to the merchant</a></p>' if p.return_url else ""
        return _page(p, f"<p><strong>{state}</strong></p>{back}")
    return _page(p, f"""<form method="post" action="/pay/{p.provider}/{p.id}">
<button class="approve" name="decision" value="approve">确认支付 Approve</button>
<button name="decision" value="decline">拒绝 Decline</button></form>""")


@routes.post("/pay/{provider}/{id}")
async def decide(request: web.Request) -> web.Response:
    sandbox: Sandbox = request.app[SANDBOX]
    p = await _payment(request)
    decision = (await request.post()).get("decision")
    if p.status == "pending":
        if decision == "approve":
            await sandbox.approve(p)
        elif decision == "decline":
            p.status = "declined"
        else:
            raise web.HTTPBadRequest(text="decision must be approve or decline")
    if p.status == "paid" and p.return_url:
        raise web.HTTPFound(p.return_url)
    raise web.HTTPSeeOther(f"/pay/{p.provider}/{p.id}")


def _transfer(request: web.Request) -> Transfer:
    t = request.app[SANDBOX].transfers.get(request.match_info["id"])
    if t is None:
        raise web.HTTPNotFound(text="no such transfer / 转账单不存在")
    return t


@routes.get("/transfer/{id}")
async def show_transfer(request: web.Request) -> web.Response:
    """The payee's side of a transfer: in WeChat, the "confirm receipt" sheet (WAIT_USER_CONFIRM)."""
    t = _transfer(request)
    if t.status == "waiting":
        body = f"""<p>{escape(t.name) + "，" if t.name else ""}商户向你转账，确认后到账 · The merchant is sending you money: confirm to receive it.</p>
<form method="post" action="/transfer/{t.id}"><button class="approve" name="decision" value="confirm">确认收款 Confirm</button>
<button name="decision" value="decline">拒绝 Decline</button></form>"""
    else:
        body = f"<p><strong>{escape(TRANSFER_STATES[t.status])}</strong>{' · ' + escape(t.reason) if t.reason else ''}</p>"
    return web.Response(text=PAGE.format(title=escape(NAMES[t.provider]), provider=escape(NAMES[t.provider]), description=escape(t.remark),
                                         amount=escape(shown(t.amount, "CNY")), number_label="商户单号 Transfer", out_trade_no=escape(t.out_no),
                                         body=body), content_type="text/html")


@routes.post("/transfer/{id}")
async def settle_transfer(request: web.Request) -> web.Response:
    t = _transfer(request)
    decision = (await request.post()).get("decision")
    if decision not in ("confirm", "decline"):
        raise web.HTTPBadRequest(text="decision must be confirm or decline")
    request.app[SANDBOX].settle_transfer(t, confirmed=decision == "confirm")
    raise web.HTTPSeeOther(f"/transfer/{t.id}")
