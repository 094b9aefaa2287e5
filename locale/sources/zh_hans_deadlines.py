"""Simplified Chinese for the msgids of the deadlines work (due-shop index, owed refunds)."""

ZH = {
    "Deadlines": "截止时间",
    "kind": "类型",
    "merchant id": "商户 ID",
    "due at": "到期时间",
    "shop with deadlines": "有待处理截止时间的店铺",
    "shops with deadlines": "有待处理截止时间的店铺",
    "Stripe refund": "Stripe 退款",
}
