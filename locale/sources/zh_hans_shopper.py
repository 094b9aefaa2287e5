# Chinese for the shopper's emails and account pages (branch `shopper`).
ZH = {
    "%(shop)s: order %(number)s confirmed": "%(shop)s：订单 %(number)s 已确认",
    "%(shop)s: payment received for order %(number)s": "%(shop)s：订单 %(number)s 已收到付款",
    "%(shop)s: order %(number)s is on its way": "%(shop)s：订单 %(number)s 已发货",
    "%(shop)s: order %(number)s is ready for pickup": "%(shop)s：订单 %(number)s 可以自提了",
    "%(shop)s: refund for order %(number)s": "%(shop)s：订单 %(number)s 的退款",
    "%(shop)s: order %(number)s is cancelled": "%(shop)s：订单 %(number)s 已取消",
    "For example Home or Office.": "例如：家、公司。",
    "email": "邮箱",
    "label": "名称",
    "phone": "电话",
    "city": "城市",
    "postcode": "邮编",
    "use by default": "设为默认",
    "Your sign-in link for %(shop)s": "您在 %(shop)s 的登录链接",
    "At most %(max)s saved addresses.": "最多保存 %(max)s 个地址。",
    "You are signed in as %(email)s.": "您已登录：%(email)s。",
    "You are signed out.": "您已退出登录。",
    "Address saved.": "地址已保存。",
    "Address deleted.": "地址已删除。",
    "Thank you for your order %(number)s. Your card payment has been received and we are "
    "preparing your order.": "感谢您的订单 %(number)s。我们已收到您的银行卡付款，正在为您备货。",
    "Thank you for your order %(number)s. You pay when you collect it in store.": (
        "感谢您的订单 %(number)s。到店自提时付款。"
    ),
    "Thank you for your order %(number)s. You pay on delivery.": (
        "感谢您的订单 %(number)s。货到付款。"
    ),
    "We have received your payment of %(total)s %(currency)s for order %(number)s.": (
        "我们已收到订单 %(number)s 的付款 %(total)s %(currency)s。"
    ),
    "Your order %(number)s has been shipped.": "您的订单 %(number)s 已发货。",
    "Your order %(number)s is ready for pickup.": "您的订单 %(number)s 可以自提了。",
    "We have refunded %(amount)s %(currency)s for order %(number)s. It can take a few days to "
    "reach your account.": "我们已为订单 %(number)s 退款 %(amount)s %(currency)s，到账可能需要几天。",
    "Your order %(number)s has been cancelled.": "您的订单 %(number)s 已取消。",
    "Track your parcel": "跟踪您的包裹",
    "Refunded so far: %(refunded)s of %(total)s %(currency)s.": (
        "累计已退款 %(refunded)s %(currency)s（订单金额 %(total)s %(currency)s）。"
    ),
    "Delivery address": "收货地址",
    "Pick it up at": "自提地点",
    "See your order's status": "查看订单状态",
    "Questions? Write to": "有疑问？请写信至",
    "Your order's status, at any time": "随时查看订单状态",
    "Sign in to %(shop)s with this link:": "用此链接登录 %(shop)s：",
    "The link works once, for %(minutes)s minutes. If you did not ask for it, ignore this "
    "email: nobody can sign in without it.": (
        "此链接只能使用一次，%(minutes)s 分钟内有效。如果不是您本人申请，请忽略此邮件：没有它谁也无法登录。"
    ),
    "Add an address": "添加地址",
    "Save address": "保存地址",
    "Back to your account": "返回我的账户",
    "If the address is right, a sign-in link is on its way. It works once, for 15 minutes.": (
        "如果邮箱地址正确，登录链接已发出。链接只能使用一次，15 分钟内有效。"
    ),
    "Use another email": "使用其他邮箱",
    "Signed in as %(email)s": "已登录：%(email)s",
    "Deliver to a saved address:": "配送到已保存的地址：",
    "Sign in": "登录",
    "to use your saved addresses (optional).": "以使用已保存的地址（可选）。",
    "Sign in to %(shop)s": "登录 %(shop)s",
    "Your account": "我的账户",
    "Sign out": "退出登录",
    "Your orders": "我的订单",
    "Placed": "下单时间",
    "Items": "件数",
    "No orders yet.": "还没有订单。",
    "Saved addresses": "已保存的地址",
    "Default": "默认",
    "Use by default": "设为默认",
    "Delete": "删除",
    "No saved addresses yet.": "还没有保存的地址。",
    "This sign-in link no longer works": "此登录链接已失效",
    "The link has expired or was used already. Ask for a new one.": (
        "链接已过期或已被使用。请重新获取。"
    ),
    "Email me a sign-in link": "给我发送登录链接",
    "Enter your email and we will send you a link to sign in to %(shop)s. No password needed. "
    "Your account shows your orders with %(shop)s and keeps your addresses for checkout.": (
        "输入您的邮箱，我们会发送登录 %(shop)s 的链接，无需密码。您的账户会显示您在 %(shop)s 的"
        "订单，并保存结账用的地址。"
    ),
}
