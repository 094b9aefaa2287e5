# Group-buy leftovers (s8): the console warns when seats cannot be taken for want of pickup
# or delivery, and a succeeded team's seat whose order is cancelled or refunded in full by
# hand gives its units back to the campaign's quota.
ZH = {
    "Seats cannot be taken: this shop offers neither delivery nor pickup — turn one on in "
    "Store › Shipping.": "无法参团：本店既不提供配送也不提供自提。请在“店铺 › 运费”中开启其中一项。",
    "Shipping settings": "运费设置",
    "Units given back to the group-buy campaign: the order was cancelled": "订单已取消，件数已返还拼团活动限量",
    "Units given back to the group-buy campaign: the order was refunded in full": "订单已全额退款，件数已返还拼团活动限量",
    "Units given back to the campaign": "件数已返还活动限量",
}
