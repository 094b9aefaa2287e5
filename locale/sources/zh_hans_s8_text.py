# Simplified Chinese for text stored as messages (branch `s8-stored-text`): owners' billing
# and community notices, platform-made task titles, and plural forms for the day counts in
# billing and onboarding (Chinese has one form: the singular msgid is the key).
ZH = {
    "Your plan renewal: %(days)s day left": "套餐续费提醒：还剩 %(days)s 天",
    "%(shop)s's %(plan)s plan renews on %(day)s (in %(days)s day).": "%(shop)s 的 %(plan)s 套餐将于 %(day)s 续费（还有 %(days)s 天）。",
    "%(shop)s's %(plan)s plan ends on %(day)s (in %(days)s day) and will not renew. Renew it to keep the shop open.": "%(shop)s 的 %(plan)s 套餐将于 %(day)s 结束（还有 %(days)s 天），且不会自动续费。请续费以保持店铺营业。",
    "Plan change %(old)s → %(new)s for the remaining %(days)s day": "套餐变更 %(old)s → %(new)s，剩余 %(days)s 天",
    "Staff seats beyond the %(included)s included: %(seat_days)s seat-day of %(days)s": "超出所含 %(included)s 个席位的员工席位：%(days)s 天中共 %(seat_days)s 席位·天",
    "%(name)s had a survey less than %(days)s day ago; the next one can go on %(date)s.": "%(name)s 在 %(days)s 天内已收到过调研；下一次最早可在 %(date)s 发送。",
    "“%(title)s” is now %(status)s. Why: %(reason)s": "“%(title)s”的状态已变为：%(status)s。原因：%(reason)s",
    "“%(title)s” is now %(status)s.\n\n%(note)s\n\n%(feature)s\n\nWhat it is for: %(scenario)s": "“%(title)s”的状态已变为：%(status)s。\n\n%(note)s\n\n%(feature)s\n\n适用场景：%(scenario)s",
    "“%(title)s” is now %(status)s.\n\n%(note)s\n\n%(feature)s\n\nWhat it is for: %(scenario)s\n\nWatch out for: %(caveats)s": "“%(title)s”的状态已变为：%(status)s。\n\n%(note)s\n\n%(feature)s\n\n适用场景：%(scenario)s\n\n注意事项：%(caveats)s",
}
