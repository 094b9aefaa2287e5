# Group-buy without cards (issue 16, items 1 and 2): offline seats, the console's word on
# how seats are paid, the end-campaign confirmation, shop-timezone dates.
ZH = {
    "In the shop's timezone (%(zone)s).": "按店铺时区（%(zone)s）。",
    "Held, pays on delivery or in store": "已占座，货到或到店付款",
    "Seat held: the share link": "已占座：分享链接",
    "Seat cancelled: nothing to pay": "席位已取消：无需付款",
    "Your group-buy seat for %(product)s is held": "您在 %(product)s 拼团中的席位已保留",
    "Your seat in the %(product)s team at %(shop)s is held (order %(reference)s). Nothing "
    "to pay now: you pay %(amount)s (%(method)s) once the team is complete.\n\n"
    "The team needs %(missing)s more members before %(closes)s. Send this link to "
    "friends:\n%(link)s\n\n"
    "If the team does not fill in time, your order is cancelled and there is nothing to "
    "pay.": "您在 %(shop)s 的 %(product)s 拼团席位已保留（订单 %(reference)s）。现在无需付款："
    "成团后再支付 %(amount)s（%(method)s）。\n\n"
    "该团还需 %(missing)s 位成员，截止时间 %(closes)s。把这个链接发给朋友：\n%(link)s\n\n"
    "如果未能按时成团，您的订单将被取消，无需付款。",
    "You pay %(amount)s (%(method)s) when you receive it.": "收货时支付 %(amount)s（%(method)s）。",
    "Your group-buy order for %(product)s is cancelled": "您的 %(product)s 拼团订单已取消",
    "Your seat in the %(product)s team at %(shop)s was given up (the team did not fill, the "
    "campaign ended, or you left it). Your order %(reference)s is cancelled: there is "
    "nothing to pay.": "您在 %(shop)s 的 %(product)s 拼团席位已释放（未成团、活动已结束或您已退出）。"
    "您的订单 %(reference)s 已取消，无需付款。",
    "Seat held in the group-buy team (%(method)s)": "已在拼团中占座（%(method)s）",
    "Shoppers cannot take seats: this shop takes no payment yet. Connect Stripe for card "
    "payments, or accept cash on delivery or pay in store.": "顾客无法参团：本店尚不能收款。"
    "请连接 Stripe 收取银行卡付款，或开启货到付款、到店付款。",
    "Seats are held without card payment (the shop has no Stripe account yet): shoppers "
    "pay once their team is complete, by: %(methods)s. A team that does not fill cancels "
    "its orders: nothing to refund.": "席位无需银行卡即可保留（本店尚未连接 Stripe）：成团后顾客通过"
    "以下方式付款：%(methods)s。未成团的订单将被取消，无需退款。",
    "Shoppers pay for seats by: %(methods)s.": "顾客的参团付款方式：%(methods)s。",
    "Card, now (refunded if the team does not fill)": "银行卡，立即支付（未成团则退款）",
    "Cash on delivery, once the team is full (nothing to pay if it does not fill)": "货到付款，成团后支付（未成团无需付款）",
    "Pay in store, once the team is full (nothing to pay if it does not fill)": "到店付款，成团后支付（未成团无需付款）",
    "This shop is not taking payments at the moment.": "本店暂时无法收款。",
    "Your seat is held: you pay when the team is complete.": "已为您保留席位：成团后再付款。",
    "Your seat is held and the team is complete: you pay when you get your order.": "已为您保留席位，并且已成团：收到订单时付款。",
    "You left the team; your order is cancelled.": "您已退出该团，订单已取消。",
    "This campaign has ended already.": "该活动已经结束。",
    "Campaign ended.": "活动已结束。",
    "Open teams failed: %(count)s.": "未成团的队伍：%(count)s 个。",
    "Paid members refunded: %(count)s.": "已退款的付款成员：%(count)s 位。",
    "Orders to pay on delivery or in store cancelled: %(count)s.": "已取消的货到/到店付款订单：%(count)s 个。",
    "Unpaid seats released: %(count)s.": "已释放的未付款席位：%(count)s 个。",
    "Teams filled with virtual members (they ship): %(count)s.": "由虚拟成员补满的队伍（照常发货）：%(count)s 个。",
    "no leader price (the leader pays the group price)": "无团长价（团长按拼团价支付）",
    "leader price %(price)s %(currency)s": "团长价 %(price)s %(currency)s",
    "From %(starts)s to %(ends)s (%(zone)s)": "%(starts)s 至 %(ends)s（%(zone)s）",
    "ended early %(at)s": "已于 %(at)s 提前结束",
    "End the campaign now…": "立即结束活动…",
    "End the campaign now?": "立即结束活动？",
    "No new team can start and nobody can join once it ends. Its open teams close now:": "结束后不能再开团或参团。进行中的队伍将立即关闭：",
    "%(teams)s open team fails": "%(teams)s 个进行中的队伍拼团失败",
    "%(members)s paid member is refunded": "%(members)s 位已付款成员将获退款",
    "%(members)s order to pay on delivery or in store is cancelled (nothing to refund)": "%(members)s 个货到/到店付款订单将被取消（无需退款）",
    "%(seats)s seat awaiting payment is released": "%(seats)s 个待付款席位将被释放",
    "%(teams)s team is filled with virtual members and ships": "%(teams)s 个队伍由虚拟成员补满并发货",
    "Stock and campaign quota held by these seats come back. Members are emailed once. This cannot be undone.": "这些席位占用的库存和活动名额将返还。每位成员只会收到一封邮件。此操作无法撤销。",
    "End the campaign": "结束活动",
    "Keep it running": "继续进行",
    "Payment settings": "收款设置",
    "This order ships when its group-buy team is complete.": "该订单将在拼团成功后发货。",
    "For: %(item)s": "适用商品：%(item)s",
    "Start a team and pay the leader price: %(price)s %(currency)s.": "开团即享团长价：%(price)s %(currency)s。",
    "%(filled)s of %(size)s seats filled": "已占 %(filled)s / %(size)s 个席位",
    "Your seat is held: you pay %(total)s %(currency)s (%(method)s) once the team is complete. Leaving cancels your order.": "已为您保留席位：成团后支付 %(total)s %(currency)s（%(method)s）。退出将取消您的订单。",
    "This shop is not taking group-buy seats at the moment.": "本店暂不接受拼团。",
    "Teams of %(size)s: ships when the team is full. Pay by card now (refunded if the team does not fill), or pay on delivery or in store once it is full (nothing to pay if it does not fill).": "%(size)s 人成团，成团后发货。可立即用银行卡付款（未成团则退款），或成团后货到/到店付款（未成团无需付款）。",
    "Teams of %(size)s: your seat is held now and you pay on delivery or in store once the team is full; nothing to pay if it does not fill.": "%(size)s 人成团：现在即为您保留席位，成团后货到或到店付款；未成团无需付款。",
    "Seat held, pays on delivery or in store": "已占座，货到或到店付款",
    "Seats filled": "已占席位",
    "Team failed: paid members refunded, held orders cancelled": "拼团失败：已付款成员已退款，保留的订单已取消",
}
