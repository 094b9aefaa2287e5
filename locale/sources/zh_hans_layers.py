"""Simplified Chinese for msgids added by the layers work: none. The CSM's renewal heads-up
reuses billing's renewal reminder strings ("Your plan renewal: %(days)s days left", ...)."""

ZH: dict[str, str] = {}
