# Group-buy leftovers (s7): a seat's order cancelled by hand gives the seat back to its team.
ZH = {
    "Seat given back to the group-buy team: the order was cancelled": "订单已取消，拼团名额已释放",
}
