"""The words of the reports in Chinese and English (headers, actions, statuses)."""

from __future__ import annotations

__all__ = ["LANGUAGES", "text"]

LANGUAGES = ("zh", "en")

_TEXT: dict[str, dict[str, str]] = {
    "weekly_title": {"en": "Weekly patrol report {label}", "zh": "网络巡查周报 {label}"},
    "monthly_title": {"en": "Monthly patrol report {label}", "zh": "网络巡查月报 {label}"},
    "period": {"en": "{start} to {end} (UTC)", "zh": "{start} 至 {end}（UTC）"},
    "shops_sheet": {"en": "Shops handled", "zh": "违规店铺处置"},
    "cases_sheet": {"en": "Case progress", "zh": "案件进展"},
    "shops_title": {
        "en": "Violating shops handled per platform",
        "zh": "各平台违规店铺处置情况",
    },
    "cases_title": {"en": "Case progress", "zh": "案件办理进展"},
    "summary_title": {"en": "Summary", "zh": "综述"},
    # table (a)
    "platform": {"en": "Platform", "zh": "平台"},
    "shop": {"en": "Shop", "zh": "店铺"},
    "shop_url": {"en": "Shop URL", "zh": "店铺网址"},
    "violation": {"en": "Violation type", "zh": "违法类型"},
    "action": {"en": "Action taken", "zh": "处置措施"},
    "date": {"en": "Date", "zh": "日期"},
    "listings": {"en": "Listings", "zh": "链接数"},
    # table (b)
    "case": {"en": "Case", "zh": "案件"},
    "opened": {"en": "Opened", "zh": "立案日期"},
    "officer": {"en": "Responsible officer", "zh": "责任人"},
    "deadline": {"en": "Deadline", "zh": "办结时限"},
    "status": {"en": "Status", "zh": "状态"},
    "progress": {"en": "Progress", "zh": "进展"},
    "leads": {"en": "Leads", "zh": "线索数"},
    "key_case": {"en": "Key case", "zh": "重点案件"},
    "yes": {"en": "yes", "zh": "是"},
    "no": {"en": "no", "zh": "否"},
    # totals
    "total_shops": {"en": "Shops handled", "zh": "处置店铺数"},
    "total_listings": {"en": "Listings handled", "zh": "处置链接数"},
    "total_cases": {"en": "Cases", "zh": "案件数"},
    "total_key_cases": {"en": "Key cases", "zh": "重点案件数"},
    "total_overdue": {"en": "Overdue cases", "zh": "逾期案件数"},
    "total_case_leads": {"en": "Leads in cases", "zh": "案件线索数"},
    "total_case_closed": {"en": "Leads closed", "zh": "已办结线索数"},
    # actions (lead moved to …)
    "action_confirmed": {"en": "infringement confirmed", "zh": "确认侵权"},
    "action_notice_sent": {"en": "takedown notice sent", "zh": "已通知平台下架"},
    "action_closed": {"en": "taken down (verified)", "zh": "已下架（经核实）"},
    "action_reopened": {"en": "relisted, case reopened", "zh": "重新上架，重新立案"},
    # violation kinds
    "violation_trademark": {"en": "trademark ({brands})", "zh": "商标侵权（{brands}）"},
    "violation_patent": {"en": "false patent claim", "zh": "假冒专利"},
    "violation_other": {"en": "suspicious listing", "zh": "可疑商品"},
    # case states
    "case_open": {"en": "open", "zh": "办理中"},
    "case_closed": {"en": "closed", "zh": "已办结"},
    "case_overdue": {"en": "open, overdue", "zh": "办理中（逾期）"},
    "status_new": {"en": "new", "zh": "新线索"},
    "status_triaged": {"en": "triaged", "zh": "已研判"},
    "status_assigned": {"en": "assigned", "zh": "已分派"},
    "status_confirmed": {"en": "confirmed", "zh": "已确认"},
    "status_notice_sent": {"en": "notice sent", "zh": "已通知"},
    "status_closed": {"en": "closed", "zh": "已办结"},
    "status_dismissed": {"en": "dismissed", "zh": "已排除"},
    "progress_none": {"en": "no leads", "zh": "暂无线索"},
    "progress_done": {"en": "{done} of {total} done", "zh": "已办结 {done}/{total}"},
    # monthly summary
    "summary_counts": {
        "en": "{new} new leads ({new_trend} on {previous}), {shops} shops handled "
        "({shops_trend}), {taken_down} listings verified taken down ({down_trend}), "
        "{dismissed} leads dismissed as false positives.",
        "zh": "本月新增线索 {new} 条（较{previous} {new_trend}），处置违规店铺 {shops} 家"
        "（{shops_trend}），核实下架链接 {taken_down} 条（{down_trend}），"
        "排除误报 {dismissed} 条。",
    },
    "summary_top_brands": {"en": "Top brands: {items}.", "zh": "涉及品牌前列：{items}。"},
    "summary_top_shops": {"en": "Top shops: {items}.", "zh": "线索最多的店铺：{items}。"},
    "summary_top_rules": {"en": "Top rules: {items}.", "zh": "命中最多的规则：{items}。"},
    "summary_key_cases": {"en": "Key cases: {items}.", "zh": "重点案件：{items}。"},
    "summary_no_key_cases": {"en": "No key cases.", "zh": "本月无重点案件。"},
    "summary_none": {"en": "none", "zh": "无"},
    "key_case_item": {
        "en": "#{id} {title} ({officer}, due {deadline}): {state}, {progress}",
        "zh": "#{id} {title}（{officer}，时限 {deadline}）：{state}，{progress}",
    },
    "trend_up": {"en": "up {delta}", "zh": "增加 {delta}"},
    "trend_down": {"en": "down {delta}", "zh": "减少 {delta}"},
    "trend_same": {"en": "unchanged", "zh": "持平"},
    "previous_month": {"en": "the previous month", "zh": "上月"},
}


def text(key: str, lang: str, **values: object) -> str:
    """The text ``key`` in ``lang`` with ``values`` filled in."""
    return _TEXT[key][lang].format(**values)
