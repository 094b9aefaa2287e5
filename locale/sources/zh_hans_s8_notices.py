# Simplified Chinese for the merchant console's notices page (branch `s8-notices`): each
# person's own notices, newest first, marked read when opened or all at once.
ZH = {
    "Notices": "通知",
    "Notice": "通知内容",
    "What the platform told you: billing reminders, answers to your questions, feature requests you voted for. Only you see your notices.": "平台发给您的消息：账单提醒、您提问的回答、您投票的功能需求进展。您的通知只有您自己能看到。",
    "Mark all as read": "全部标为已读",
    "Unread": "未读",
    "Open notice": "查看通知",
    "Mark as read": "标为已读",
    "No notices yet.": "暂无通知。",
    "Give the page as a whole number: 1, 2, 3 and so on.": "页码请填写整数：1、2、3 等。",
    "This notice's link does not lead to this shop or the platform: not opened.": "此通知的链接不指向本店铺或平台，未打开。",
    "All your notices are marked as read.": "您的通知已全部标为已读。",
}
