ZH = {
    "This checkout form (reference) was already used in another browser. Reload the checkout page and place your order again.": "此结账表单（订单参考号）已在另一个浏览器中使用。请刷新结账页面后重新下单。",
}
