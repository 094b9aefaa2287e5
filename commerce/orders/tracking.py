"""A parcel's tracking page at its carrier, from the carrier's name and tracking number."""

from __future__ import annotations

from urllib.parse import quote

# Lower-case names (and common spellings) a merchant types → the carrier's tracking page.
CARRIER_TRACKING_URLS: dict[str, str] = {
    "ups": "https://www.ups.com/track?tracknum={number}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={number}",
    "dhl": "https://www.dhl.com/global-en/home/tracking.html?tracking-id={number}",
    "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}",
    "royal mail": "https://www.royalmail.com/track-your-item#/tracking-results/{number}",
    "sf express": "https://www.sf-express.com/chn/en/waybill/waybill-detail/{number}",
    "sf": "https://www.sf-express.com/chn/en/waybill/waybill-detail/{number}",
    "顺丰": "https://www.sf-express.com/chn/sc/waybill/waybill-detail/{number}",
    "顺丰速运": "https://www.sf-express.com/chn/sc/waybill/waybill-detail/{number}",
    "ems": "https://www.ems.com.cn/qps/yjcx/{number}",
    "china post": "https://www.ems.com.cn/qps/yjcx/{number}",
    "中国邮政": "https://www.ems.com.cn/qps/yjcx/{number}",
    "zto": "https://www.zto.com/?num={number}",
    "中通": "https://www.zto.com/?num={number}",
    "yto": "https://www.yto.net.cn/?num={number}",
    "圆通": "https://www.yto.net.cn/?num={number}",
}


def carrier_tracking_url(carrier: str, tracking_number: str) -> str:
    """The carrier's page for this parcel, or "" for a carrier we do not know (the
    shop's order page then shows the carrier and number)."""
    number = tracking_number.strip()
    template = CARRIER_TRACKING_URLS.get(" ".join(carrier.lower().split()))
    if not number or template is None:
        return ""
    return template.format(number=quote(number, safe=""))
