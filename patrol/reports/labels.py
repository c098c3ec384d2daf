"""The words of the reports in Chinese and English (headers, actions, statuses)."""

from __future__ import annotations

__all__ = ["LANGUAGES", "text"]

LANGUAGES = ("zh", "en")

# Each entry is (English, Chinese).
_COLUMN = {"en": 0, "zh": 1}
_TEXT: dict[str, tuple[str, str]] = {
    "weekly_title": ("Weekly patrol report {label}", "网络巡查周报 {label}"),
    "monthly_title": ("Monthly patrol report {label}", "网络巡查月报 {label}"),
    "period": ("{start} to {end} (UTC)", "{start} 至 {end}（UTC）"),
    "shops_sheet": ("Shops handled", "违规店铺处置"),
    "cases_sheet": ("Case progress", "案件进展"),
    "shops_title": ("Violating shops handled per platform", "各平台违规店铺处置情况"),
    "cases_title": ("Case progress", "案件办理进展"),
    "summary_title": ("Summary", "综述"),
    # table (a)
    "platform": ("Platform", "平台"),
    "shop": ("Shop", "店铺"),
    "shop_url": ("Shop URL", "店铺网址"),
    "violation": ("Violation type", "违法类型"),
    "action": ("Action taken", "处置措施"),
    "date": ("Date", "日期"),
    "listings": ("Listings", "链接数"),
    # table (b)
    "case": ("Case", "案件"),
    "opened": ("Opened", "立案日期"),
    "officer": ("Responsible officer", "责任人"),
    "deadline": ("Deadline", "办结时限"),
    "status": ("Status", "状态"),
    "progress": ("Progress", "进展"),
    "leads": ("Leads", "线索数"),
    "key_case": ("Key case", "重点案件"),
    "yes": ("yes", "是"),
    "no": ("no", "否"),
    # totals
    "total_shops": ("Shops handled", "处置店铺数"),
    "total_listings": ("Listings handled", "处置链接数"),
    "total_cases": ("Cases", "案件数"),
    "total_key_cases": ("Key cases", "重点案件数"),
    "total_overdue": ("Overdue cases", "逾期案件数"),
    "total_case_leads": ("Leads in cases", "案件线索数"),
    "total_case_closed": ("Leads closed", "已办结线索数"),
    # actions (lead moved to …)
    "action_confirmed": ("infringement confirmed", "确认侵权"),
    "action_notice_sent": ("takedown notice sent", "已通知平台下架"),
    "action_closed": ("taken down (verified)", "已下架（经核实）"),
    "action_reopened": ("relisted, case reopened", "重新上架，重新立案"),
    # violation kinds
    "violation_trademark": ("trademark ({brands})", "商标侵权（{brands}）"),
    "violation_patent": ("false patent claim", "假冒专利"),
    "violation_other": ("suspicious listing", "可疑商品"),
    # case states
    "case_open": ("open", "办理中"),
    "case_closed": ("closed", "已办结"),
    "case_overdue": ("open, overdue", "办理中（逾期）"),
    "status_new": ("new", "新线索"),
    "status_triaged": ("triaged", "已研判"),
    "status_assigned": ("assigned", "已分派"),
    "status_confirmed": ("confirmed", "已确认"),
    "status_notice_sent": ("notice sent", "已通知"),
    "status_closed": ("closed", "已办结"),
    "status_dismissed": ("dismissed", "已排除"),
    "progress_none": ("no leads", "暂无线索"),
    "progress_done": ("{done} of {total} done", "已办结 {done}/{total}"),
    # monthly summary
    "summary_counts": (
        "{new} new leads ({new_trend} on {previous}), {shops} shops handled "
        "({shops_trend}), {taken_down} listings verified taken down ({down_trend}), "
        "{dismissed} leads dismissed as false positives.",
        "本月新增线索 {new} 条（较{previous} {new_trend}），处置违规店铺 {shops} 家"
        "（{shops_trend}），核实下架链接 {taken_down} 条（{down_trend}），"
        "排除误报 {dismissed} 条。",
    ),
    "summary_top_brands": ("Top brands: {items}.", "涉及品牌前列：{items}。"),
    "summary_top_shops": ("Top shops: {items}.", "线索最多的店铺：{items}。"),
    "summary_top_rules": ("Top rules: {items}.", "命中最多的规则：{items}。"),
    "summary_key_cases": ("Key cases: {items}.", "重点案件：{items}。"),
    "summary_no_key_cases": ("No key cases.", "本月无重点案件。"),
    "summary_none": ("none", "无"),
    "key_case_item": (
        "#{id} {title} ({officer}, due {deadline}): {state}, {progress}",
        "#{id} {title}（{officer}，时限 {deadline}）：{state}，{progress}",
    ),
    "trend_up": ("up {delta}", "增加 {delta}"),
    "trend_down": ("down {delta}", "减少 {delta}"),
    "trend_same": ("unchanged", "持平"),
    "previous_month": ("the previous month", "上月"),
}


def text(key: str, lang: str, **values: object) -> str:
    """The text ``key`` in ``lang`` with ``values`` filled in."""
    return _TEXT[key][_COLUMN[lang]].format(**values)
