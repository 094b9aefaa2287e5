"""Simplified Chinese for the msgids added by the bad-input work (issue 12): control
characters, deep JSON, oversized requests."""

ZH = {
    "This request cannot be read": "无法读取此请求",
    "The value of “%(field)s” cannot be used.": "“%(field)s”的值无法使用。",
    "Remove the control characters (such as NUL) from this value.": (
        "请删除此值中的控制字符（如 NUL）。"
    ),
    "Remove the control characters (such as NUL) from the address.": (
        "请删除网址中的控制字符（如 NUL）。"
    ),
    "The JSON document is nested more than %(limit)s levels deep.": (
        "JSON 文档的嵌套超过 %(limit)s 层。"
    ),
    "The request is too large: send at most %(megabytes)s MB of form data.": (
        "请求过大：表单数据最多 %(megabytes)s MB。"
    ),
}
