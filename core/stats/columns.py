"""The report's columns: headers in Chinese and English, how each figure is defined, and how
its value is read from ``Figures``. ``yishi report`` (xlsx, csv, json) and the statistics
screen use these, so a figure is named and defined once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from yishi.stats.figures import TIERS, Figures


@dataclass(frozen=True)
class Column:
    key: str
    group: tuple[str, str] | None  # a merged header above several columns (zh, en), or None
    zh: str
    en: str
    note_zh: str
    note_en: str
    value: Callable[[Figures], Any]
    kind: str = "count"  # count | rate | days


TIER_NAMES = {1: ("网格员", "grid member"), 2: ("网格长", "grid leader"), 3: ("社区书记接诊室", "secretary's clinic"),
              4: ("街道/乡镇", "street/township"), 5: ("区职能部门", "district department")}

_RESOLVED = ("按解决层级分（件）", "resolved, by tier")
_EVAL = ("群众评价", "evaluation")

COLUMNS: tuple[Column, ...] = (
    Column("received", None, "受理数", "received", "本月新受理（立案）的案件数，按受理时间计",
           "cases opened this month", lambda f: f.received),
    Column("closed", None, "办结数", "closed", "本月办结的案件数（到达任一终结状态，含不予立案、转办），按办结时间计",
           "cases that reached a final state this month (including not filed and handed over)",
           lambda f: f.closed),
    Column("closed_on_time", None, "按期办结数", "closed on time",
           "本月办结、且每一步都在时限内办理（从未逾期）的案件数",
           "closed this month without any step taken after its due time", lambda f: f.closed_on_time),
    Column("on_time_rate", None, "按期办结率", "on-time rate", "按期办结数 ÷ 办结数",
           "closed on time ÷ closed", lambda f: f.on_time_rate, "rate"),
    Column("overdue_now", None, "当前逾期数", "overdue now",
           "制表时尚未办结且已过办理时限的案件数（不分月份）",
           "open cases past their due time when the report was made (any month)", lambda f: f.overdue_now),
    Column("avg_handling_days", None, "平均办理天数", "avg. handling (days)",
           "本月办结案件从受理到办结的平均天数（自然日）", "mean days from opening to closing of the cases closed this month",
           lambda f: f.avg_handling_days, "days"),
    *(Column(f"resolved_tier_{t}", _RESOLVED, f"第{t}级 {TIER_NAMES[t][0]}", f"tier {t} {TIER_NAMES[t][1]}",
             f"本月办结、最终由第{t}级解决的事件数（经评价满意后办结；重办的按最后一次解决的层级计）",
             f"closed this month, resolved at tier {t} (the resolution in force after any reopening)",
             lambda f, t=t: f.resolved.get(t, 0)) for t in TIERS),
    Column("resolved_total", _RESOLVED, "合计", "total", "本月办结且有解决层级的事件数（不予立案、转办的不计）",
           "closed this month with a resolving tier (not filed and handed over count in neither)",
           lambda f: f.resolved_total),
    Column("community_share", None, "社区内解决率", "resolved in community",
           "第1–3级（网格员、网格长、社区书记接诊室）解决数 ÷ 有解决层级的办结数",
           "resolved at tiers 1–3 (grid member, grid leader, secretary's clinic) ÷ resolved",
           lambda f: f.community_share, "rate"),
    Column("evals_given", _EVAL, "参评次数", "evaluations", "本月办结案件收到的评价次数（重办后的再次评价另计）",
           "evaluations recorded on the cases closed this month (a re-evaluation after reopening counts again)",
           lambda f: f.evals_given),
    Column("participation_rate", _EVAL, "参评率", "participation", "参评次数 ÷ 请求评价次数（进入评价环节的次数）",
           "evaluations ÷ times the evaluation step was entered", lambda f: f.participation_rate, "rate"),
    Column("satisfaction_rate", _EVAL, "满意率", "satisfaction", "评价为满意或基本满意的次数 ÷ 参评次数",
           "evaluations 'satisfied' or 'basically satisfied' ÷ evaluations", lambda f: f.satisfaction_rate, "rate"),
    Column("reopened", None, "重办数", "reopened", "本月办结、曾因核查未通过或评价不满意而退回重办的案件数",
           "closed this month and reopened at least once (failed check or unsatisfied evaluation)",
           lambda f: f.reopened),
    Column("extended", None, "延期数", "extended", "本月办结、曾经批准延长办理期限的案件数",
           "closed this month whose time limit was extended at least once", lambda f: f.extended),
)


def formatted(column: Column, figures: Figures) -> str:
    """The value as text for csv and the screen: rates as percentages, days to one decimal."""
    value = column.value(figures)
    if value is None:
        return "—"
    if column.kind == "rate":
        return f"{100 * value:.1f}%"
    if column.kind == "days":
        return f"{value:.1f}"
    return str(value)
