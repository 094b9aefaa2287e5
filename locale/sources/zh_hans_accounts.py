"""Simplified Chinese for the msgids added by the accounts/signup hardening (issue 12)."""

ZH = {
    "“%(characters)s” only look like Latin letters. Use a-z, 0-9 and hyphens.": (
        "“%(characters)s”只是看起来像拉丁字母。请使用 a-z、0-9 和连字符。"
    ),
    "“%(slug)s” looks too much like the address of an existing shop. Please choose another "
    "address.": "“%(slug)s”与一家现有店铺的地址过于相似。请换一个地址。",
    "Someone tried to open a shop with your email address": "有人试图用您的邮箱地址开店",
    "Someone just tried to open a new shop with this email address. It already has an "
    "account, so no shop was opened and your account is unchanged.": (
        "刚刚有人试图用这个邮箱地址开一家新店。该地址已有账户，因此没有开店，您的账户也没有任何变化。"
    ),
    "If it was you, log in to reach your shops:": "如果是您本人，请登录进入您的店铺：",
    "Forgot your password? Choose a new one here:": "忘记密码？请在这里设置新密码：",
    "If it was not you, ignore this email.": "如果不是您本人，请忽略这封邮件。",
    "Check your email": "请查收邮件",
    "We have sent the next step to the address you gave. It can take a minute to arrive; "
    "look in the spam folder too.": "我们已把下一步发送到您填写的地址。邮件可能需要一分钟才能到达，也请查看垃圾邮件文件夹。",
    "Already have an account?": "已有账户？",
    "Log in": "登录",
}
