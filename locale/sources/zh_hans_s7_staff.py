# Simplified Chinese for the managers' read-only staff page and the platform staff's email
# language (branch `s7-staff`).
ZH = {
    "Only the shop owner can invite, remove or change the role of staff members.": "只有店铺所有者可以邀请、移除员工或更改其角色。",
    "Last activity": "最近操作",
    "No changes yet": "暂无变更",
    "Only the owner can change the staff.": "只有所有者可以更改员工。",
    "language": "语言",
    "The language of the platform's emails to this person; empty: the default.": "平台发给此人的邮件所用语言；留空则使用默认语言。",
}
