"""The words fixture listings are made of, per kind and language.

Kept apart from the generator so the vocabulary can grow without touching its logic. Clear
listings never borrow the counterfeit vocabulary; counterfeit listings carry at least one
piece of evidence a reviewer would point at (a slang term, an evasive brand spelling, a
"same style" phrase, a price, a patent number).
"""

from __future__ import annotations

__all__ = [
    "COUNTERFEIT_DESC_EN",
    "COUNTERFEIT_DESC_ZH",
    "GENERIC_DESC_EN",
    "GENERIC_DESC_ZH",
    "GENUINE_DESC_EN",
    "GENUINE_DESC_ZH",
    "GENUINE_PREFIX_EN",
    "GENUINE_PREFIX_ZH",
    "GENUINE_SUFFIX_EN",
    "GENUINE_SUFFIX_ZH",
    "PATENT_LEAD_EN",
    "PATENT_LEAD_ZH",
    "SAME_STYLE_EN",
    "SAME_STYLE_ZH",
    "SLANG_EN",
    "SLANG_WEAK_EN",
    "SLANG_WEAK_ZH",
    "SLANG_ZH",
    "VARIANTS",
]

GENUINE_PREFIX_ZH = (
    "",
    "",
    "",
    "【官方正品】",
    "【顺丰包邮】",
    "2024新款 ",
    "【国行正品】",
    "【专柜同步】",
    "新品 ",
    "【现货速发】",
    "秋冬新款 ",
    "经典款 ",
)
GENUINE_SUFFIX_ZH = (
    "",
    "",
    " 正品保证",
    " 全国联保",
    " 支持专柜验货",
    " 官方授权",
    " 新品上市",
    " 顺丰速发",
    " 包邮",
    " 情侣款",
    " 礼盒装",
    " 送礼佳品",
)
GENUINE_PREFIX_EN = ("", "", "", "NEW ", "Authentic ", "Genuine ", "Brand New ", "NIB ", "2024 ")
GENUINE_SUFFIX_EN = (
    "",
    "",
    " - Brand New",
    " Authentic",
    " NWT",
    " with Receipt",
    " Free Shipping",
    " 100% Genuine",
    " Sealed",
    " Fast Ship",
    " Gift Box",
)

GENUINE_DESC_ZH = (
    "{brand}官方正品，假一赔十。",
    "全国联保，支持专柜验货。",
    "七天无理由退换，顺丰包邮。",
    "品牌授权，提供正规发票。",
    "本店所售商品均为正品行货。",
    "材质与尺码详见吊牌及详情图。",
    "下单后48小时内发货。",
    "附原厂包装及说明书。",
)
GENUINE_DESC_EN = (
    "Authentic {brand} item from an authorized retailer.",
    "Brand new in the original box with all tags.",
    "Ships within 1 business day with tracking.",
    "30-day returns accepted.",
    "Original receipt included.",
    "Covered by the manufacturer's warranty.",
    "Smoke-free, pet-free home.",
)
GENERIC_DESC_ZH = (
    "厂家直销，品质保证。",
    "做工精细，性价比高。",
    "现货速发，支持七天无理由。",
    "多色可选，欢迎咨询客服。",
    "图片均为实物拍摄。",
    "量大从优，欢迎批发。",
    "新店开业，好评返现。",
)
GENERIC_DESC_EN = (
    "High quality material, great value.",
    "Ships fast from our warehouse.",
    "Satisfaction guaranteed.",
    "Please check the size chart before ordering.",
    "Multiple colors available.",
    "Bulk discounts available.",
)
COUNTERFEIT_DESC_ZH = (
    "图片实拍，细节如图。",
    "工厂直发，价格美丽。",
    "懂货的来，私聊看实物。",
    "不支持专柜验货，介意勿拍。",
    "细节做工对比专柜。",
    "数量有限，售完即止。",
)
COUNTERFEIT_DESC_EN = (
    "Looks exactly like the real thing.",
    "Ships in discreet packaging.",
    "No returns on sale items.",
    "Factory direct price.",
    "Limited stock, buy now.",
    "Message us for more photos.",
)

SLANG_ZH = (
    "高仿",
    "原单",
    "复刻",
    "1:1",
    "A货",
    "超A",
    "精仿",
    "顶级复刻",
    "纯原",
    "莆田",
    "原厂尾单",
    "1比1",
)
SLANG_WEAK_ZH = ("公司级", "高版本", "原厂品质", "过验版", "顶级版本")
SLANG_EN = (
    "AAA replica",
    "Replica",
    "mirror quality",
    "1:1 copy",
    "top quality replica",
    "super clone",
    "UA quality",
    "AAA+ quality",
    "high copy",
    "mirror copy",
    "grade AAAAA",
    "1:1 rep",
)
SLANG_WEAK_EN = ("factory quality", "best version", "unbeatable price", "top grade")

# {b} = brand, {p} = product words
SAME_STYLE_ZH = (
    "{b}同款 {p}",
    "{p} {b}同款",
    "{b}同款式 {p}",
    "{p}（{b}平替）",
    "类{b} {p}",
    "明星同款 {b}款 {p}",
    "{b}平替 {p}",
    "{p} 仿{b}款",
)
SAME_STYLE_EN = (
    "{b} Dupe {p}",
    "{p} - {b} Inspired",
    "Inspired by {b} {p}",
    "Same Style as {b} {p}",
    "{p} ({b} Dupe)",
    "{b}-Style {p} Look for Less",
    "{p} similar to {b}",
)

PATENT_LEAD_ZH = ("专利号：", "专利产品 专利号 ", "国家专利 ", "已获专利：", "专利证书号 ")
PATENT_LEAD_EN = ("Patent No. ", "Patented: ", "Protected by patent ", "Patent: ")

# Neutral colour/size/edition words sellers add to titles: (Chinese, English) per category.
_COLOURS_ZH = ("黑色", "白色", "米白", "藏青", "灰色", "酒红", "卡其", "粉色")
_COLOURS_EN = ("Black", "White", "Cream", "Navy", "Grey", "Burgundy", "Khaki", "Pink")
VARIANTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "sneakers": (
        (*_COLOURS_ZH, "39码", "40码", "41码", "42码", "43码", "44码"),
        (*_COLOURS_EN, "Size 7", "Size 8", "Size 9", "Size 10", "Size 11", "US 9.5"),
    ),
    "apparel": (
        (*_COLOURS_ZH, "S码", "M码", "L码", "XL", "XXL"),
        (*_COLOURS_EN, "Size S", "Size M", "Size L", "XL", "XXL"),
    ),
    "bags": ((*_COLOURS_ZH, "焦糖色", "中号"), (*_COLOURS_EN, "Tan", "Medium")),
    "watches": (
        ("黑盘", "白盘", "蓝盘", "钢带", "皮带"),
        ("Black Dial", "White Dial", "Blue Dial", "Steel Bracelet", "Leather Strap"),
    ),
    "jewelry": (("玫瑰金", "银色", "金色"), ("Rose Gold", "Silver Tone", "Gold Tone")),
    "phones": (
        ("黑色", "白色", "蓝色", "钛金属原色", "5G全网通"),
        ("Black", "White", "Blue", "Natural Titanium", "Unlocked", "5G"),
    ),
    "beauty": (("正装", "礼盒", "中样"), ("Full Size", "Gift Set", "Travel Size")),
    "eyewear": (("金框绿片", "黑框", "偏光"), ("Gold/Green", "Black Frame", "Polarized")),
}
