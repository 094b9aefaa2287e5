# Simplified Chinese for the self-service language (profile page), the CSM's own renewal
# heads-up subject and console notices stored as messages (branch `s7-lang`).
ZH = {
    "Your profile": "个人资料",
    "Back": "返回",
    "Your profile is saved.": "个人资料已保存。",
    "Your pages open in it after you sign in; the platform writes to you in it.": "登录后页面以此语言显示，平台也以此语言给您发信。",
    "Choose one of the languages offered (%(codes)s).": "请选择提供的语言之一（%(codes)s）。",
    "Renewal in %(days)s day: %(shop)s": "%(days)s 天后续费：%(shop)s",
    "%(tier)s · %(segment)s": "%(tier)s · %(segment)s",
}
