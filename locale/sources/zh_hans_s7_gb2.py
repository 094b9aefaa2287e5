# Group-buy leftovers (s7, gb2): pickup places and pickup switched off on the seat form, a
# seat's order refunded in full by hand, and the lead handover saying what happened.
ZH = {
    "This shop offers neither pickup nor delivery at the moment.": "本店目前既不提供自提也不提供配送。",
    "Seat given back to the group-buy team: the order was refunded in full": "订单已全额退款，拼团名额已释放",
    "Now leads the group-buy team (the leader's seat was not paid in time)": "现为拼团团长（原团长未按时付款）",
    "Now leads the group-buy team (the leader's order was cancelled)": "现为拼团团长（原团长的订单已取消）",
    "Now leads the group-buy team (the leader's order was refunded in full)": "现为拼团团长（原团长的订单已全额退款）",
}
