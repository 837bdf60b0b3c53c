"""Rendering for the CLI: the zh/en message catalogue, rich consoles, local times, JSON, errors."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from collections.abc import Mapping
from datetime import date, datetime, timedelta, timezone
from enum import Enum
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from yishi.durations import format_duration
from yishi.errors import DefinitionError, FormError, RefusedError, YishiError

if TYPE_CHECKING:  # pydantic and the definition models load only when a command needs them
    from yishi.definition.models import FormField, Text

LANGS = ("zh", "en")

MESSAGES: dict[str, dict[str, str]] = {
    # errors
    "error": {"zh": "错误：{message}", "en": "error: {message}"},
    "refused": {"zh": "不能执行：", "en": "refused:"},
    "form_invalid": {"zh": "表单有误：", "en": "the form is not valid:"},
    "set_without_eq": {
        "zh": "{value!r} 缺少 '='；请写成 字段=值，例如 --set attended=14",
        "en": "{value!r} has no '='; write field=value, e.g. --set attended=14",
    },
    "set_empty_name": {"zh": "{value!r} 缺少字段名；请写成 字段=值",
                       "en": "{value!r} names no field; write field=value"},
    "bad_time": {
        "zh": "{value!r} 不是 ISO 8601 时间；例如 2026-12-01T09:00 或 2026-12-01T01:00Z",
        "en": "{value!r} is not an ISO 8601 time; e.g. 2026-12-01T09:00 or 2026-12-01T01:00Z",
    },
    # cases
    "case_created": {"zh": "已创建案件 #{id}：{subject}（{state}）",
                     "en": "created case #{id}: {subject} ({state})"},
    "case_fired": {"zh": "案件 #{id} 已执行“{trigger}”，现处于“{state}”（第 {rev} 版）",
                   "en": "case #{id}: {trigger} done; now at: {state} (revision {rev})"},
    "case_closed_now": {"zh": "案件已办结。", "en": "the case is closed."},
    "case_recorded": {"zh": "案件 #{id} 已保存记录（第 {rev} 版）",
                      "en": "case #{id}: recorded (revision {rev})"},
    "no_cases": {"zh": "没有符合条件的案件。", "en": "no cases match."},
    "cases_shown": {"zh": "显示 {shown} / 共 {total} 件", "en": "{shown} of {total} shown"},
    "no_actions": {"zh": "案件已办结，没有可执行的步骤。", "en": "the case is closed; no steps are possible."},
    "enabled": {"zh": "可执行", "en": "possible"},
    "disabled": {"zh": "不可执行", "en": "refused"},
    "confirm_needed": {"zh": "（需确认）", "en": " (asks to confirm)"},
    "open": {"zh": "办理中", "en": "open"},
    "closed": {"zh": "已办结 {at}", "en": "closed {at}"},
    "overdue": {"zh": "已逾期", "en": "overdue"},
    "none": {"zh": "—", "en": "—"},
    "yes": {"zh": "是", "en": "yes"},
    "no": {"zh": "否", "en": "no"},
    # tick / verify
    "tick_nothing": {"zh": "没有到期的定时事项。", "en": "nothing is due."},
    "tick_scheduled": {"zh": "按日程新建 #{case}：{subject}（{procedure}）{unit}",
                       "en": "scheduled: started #{case} {subject} ({procedure}){unit}"},
    "tick_reminded": {"zh": "案件 #{case}：提醒 {target}（{state}）",
                      "en": "case #{case}: reminded {target} ({state})"},
    "tick_fired": {"zh": "案件 #{case}：自动办理“{target}”（{state}）", "en": "case #{case}: automatically “{target}” ({state})"},
    "tick_refused": {"zh": "案件 #{case}：{target} 未能执行：{reason}",
                     "en": "case #{case}: {target} was refused: {reason}"},
    "tick_skipped": {"zh": "案件 #{case}：定时事项已失效（案件已进入下一步）",
                     "en": "case #{case}: timer skipped (the case had moved on)"},
    "tick_failed": {"zh": "案件 #{case}：{target} 执行出错，未保存，下次重试：{reason}",
                    "en": "case #{case}: {target} failed, nothing saved, tried again next time: {reason}"},
    "next_due": {"zh": "下一个到期：{at}", "en": "next due: {at}"},
    "verify_ok": {"zh": "校验通过：{cases} 件案件，{events} 条记录，哈希链完整；每件案件的状态、表单数据与定时均与其记录重放一致；"
                        "{defs} 份已保存的流程定义与其 sha256 相符。",
                  "en": "verified: {cases} cases, {events} events: every hash chain intact; every case's state, form "
                        "data and timers agree with a replay of its events; {defs} stored definitions match their sha256."},
    "verify_anchor_ok": {"zh": "与 {at} 的锚点相符：其签署的 {n} 件案件的记录均未被截断或改写（{file}）。",
                         "en": "consistent with the anchor of {at}: the {n} cases it signed were neither cut short nor rewritten ({file})."},
    "verify_no_anchor": {"zh": "未与锚点核对（没有本数据库的锚点；用 yishi anchor 生成）。",
                         "en": "not checked against an anchor (none for this database; make one with 'yishi anchor')."},
    "verify_definition": {"zh": "已保存的流程定义 {id} 第 {version} 版（{sha}）已被改动：内容与其 sha256 不符",
                          "en": "the stored definition {id} version {version} ({sha}) was altered: its text does not match its sha256"},
    "verify_unlocked": {"zh": "注意：维护窗口未关闭（{by}，{at}，{reason}）：记录表和管理日志目前可被修改和删除。",
                        "en": "warning: a maintenance window is still open ({by}, {at}, {reason}): events and the "
                              "administration log can be changed and deleted until it is closed."},
    "verify_log_broken": {"zh": "管理日志第 {seq} 条：{what}", "en": "administration log, entry {seq}: {what}"},
    "verify_log_ok": {"zh": "管理日志：{n} 条，哈希链完整。", "en": "administration log: {n} entries, hash chain intact."},
    "anchor_key_made": {"zh": "已生成签名密钥：{file}（权限 0600，请妥善保管，勿放在数据库旁）；公钥：{pub}",
                        "en": "signing key created: {file} (mode 0600; keep it safe, away from the database); public key: {pub}"},
    "anchor_written": {"zh": "已签署 {n} 件案件的最新记录：{file}",
                       "en": "signed the latest event of {n} cases: {file}"},
    "demo_ready": {"zh": "演示数据库已建好：{url}（模拟数据库，模拟时间 {now}）",
                   "en": "demo database ready: {url} (a simulation; simulated now: {now})"},
    "demo_opened": {"zh": "已打开演示数据库：{url}（模拟数据库，模拟时间 {now}；重建请加 --reset）",
                    "en": "opened the demo database: {url} (a simulation; simulated now: {now}; --reset rebuilds it)"},
    # advance (simulation databases)
    "advance_one_of": {"zh": "请只给出 --to、--days、--next 中的一项",
                       "en": "give exactly one of --to, --days, --next"},
    "advance_done": {"zh": "模拟时间已推进到 {now}。", "en": "simulated time is now {now}."},
    "advance_bad_days": {"zh": "{value!r} 不是时长；例如 7 、 7d 、 1mo 、 3wd",
                         "en": "{value!r} is not a span of time; e.g. 7, 7d, 1mo, 3wd"},
    "demo_next": {"zh": "试试：yishi --db {url} case show 2 ；yishi --db {url} case actions 3 --as 马书记 --role secretary",
                  "en": "try: yishi --db {url} case show 2 ; yishi --db {url} case actions 3 --as 马书记 --role secretary"},
    "verify_broken": {"zh": "案件 #{case} 第 {seq} 条记录：{what}",
                      "en": "case #{case}, event {seq}: {what}"},
    "verify_failed": {"zh": "校验失败：{n} 件案件的记录有问题。",
                      "en": "verification failed: {n} case(s) disagree with their record."},
    "verify_failed_defs": {"zh": "校验失败：{n} 份已保存的流程定义被改动。",
                           "en": "verification failed: {n} stored definition(s) were altered."},
    # workflows
    "wf_valid": {"zh": "{file}：有效（{id} 第 {version} 版）", "en": "{file}: valid ({id} version {version})"},
    "wf_problems": {"zh": "共 {n} 个问题。", "en": "{n} problem(s)."},
    "wf_cannot_read": {"zh": "无法读取文件：{why}", "en": "cannot read the file: {why}"},
    "wf_installed_problems": {"zh": "以下已安装的流程文件有问题：", "en": "problems in installed workflow files:"},
    "no_workflows": {"zh": "没有已安装的流程。", "en": "no workflows are installed."},
    # headings and column names
    "h_id": {"zh": "编号", "en": "id"},
    "h_version": {"zh": "版本", "en": "version"},
    "h_title": {"zh": "名称", "en": "title"},
    "h_file": {"zh": "文件", "en": "file"},
    "h_subject": {"zh": "议题", "en": "subject"},
    "h_workflow": {"zh": "流程", "en": "workflow"},
    "h_state": {"zh": "当前阶段", "en": "step"},
    "h_rev": {"zh": "版次", "en": "rev"},
    "h_opened": {"zh": "发起时间", "en": "opened"},
    "h_opened_by": {"zh": "发起人", "en": "opened by"},
    "h_due": {"zh": "到期", "en": "due"},
    "h_status": {"zh": "状态", "en": "status"},
    "h_updated": {"zh": "更新时间", "en": "updated"},
    "h_entered": {"zh": "进入本阶段", "en": "at this step since"},
    "h_link": {"zh": "关联案件", "en": "linked case"},
    "link_to": {"zh": "已转交案件 #{id}（{kind}，{at}）", "en": "handed over to case #{id} ({kind}, {at})"},
    "link_from": {"zh": "由案件 #{id} 转来（{kind}，{at}）", "en": "came from case #{id} ({kind}, {at})"},
    "h_data": {"zh": "已填写内容", "en": "recorded data"},
    "h_step": {"zh": "阶段", "en": "step"},
    "h_field": {"zh": "字段", "en": "field"},
    "h_value": {"zh": "内容", "en": "value"},
    "h_seq": {"zh": "序号", "en": "#"},
    "h_time": {"zh": "时间", "en": "time"},
    "h_actor": {"zh": "办理人", "en": "actor"},
    "h_role": {"zh": "角色", "en": "role"},
    "h_kind": {"zh": "类型", "en": "kind"},
    "h_trigger": {"zh": "步骤", "en": "trigger"},
    "h_move": {"zh": "阶段变化", "en": "from → to"},
    "h_reasons": {"zh": "规则与理由", "en": "rules and reasons"},
    "h_dest": {"zh": "进入", "en": "leads to"},
    "h_states": {"zh": "阶段", "en": "states"},
    "h_transitions": {"zh": "步骤", "en": "transitions"},
    "h_params": {"zh": "参数", "en": "params"},
    "h_roles": {"zh": "角色", "en": "roles"},
    "h_type": {"zh": "类型", "en": "type"},
    "h_default": {"zh": "默认值", "en": "default"},
    "h_in_force": {"zh": "现行值", "en": "in force"},
    "from_deployment": {"zh": "部署设置", "en": "deployment settings"},
    "h_from_plugin": {"zh": "来自插件", "en": "plugin"},
    "h_form": {"zh": "表单", "en": "form"},
    "h_timers": {"zh": "定时", "en": "timers"},
    "h_guards": {"zh": "规则", "en": "guards"},
    "h_actions": {"zh": "动作", "en": "actions"},
    "h_start_roles": {"zh": "可发起", "en": "may start"},
    "h_name": {"zh": "名称", "en": "name"},
    "h_where": {"zh": "来源", "en": "where"},
    "h_description": {"zh": "说明", "en": "description"},
    "h_plugins": {"zh": "插件", "en": "plugins"},
    "h_notifiers": {"zh": "通知渠道", "en": "notifiers"},
    "initial": {"zh": "起始", "en": "initial"},
    "final": {"zh": "终结", "en": "final"},
    "required_note": {"zh": "* 为必填项", "en": "* required"},
    "timer_remind": {"zh": "{after} 后提醒 {target}", "en": "after {after}: remind {target}"},
    "timer_fire": {"zh": "{after} 后自动执行 {target}", "en": "after {after}: fire {target}"},
    "kind_start": {"zh": "发起", "en": "start"},
    "kind_fire": {"zh": "办理", "en": "step"},
    "kind_record": {"zh": "记录", "en": "record"},
    "kind_timer": {"zh": "定时", "en": "timer"},
    "kind_remind": {"zh": "提醒", "en": "reminder"},
    "kind_urge": {"zh": "催办", "en": "urged"},
}


def t(key: str, lang: str, **values: Any) -> str:
    """The catalogue text ``key`` in ``lang`` with ``values`` filled in."""
    entry = MESSAGES[key]
    return entry["zh" if lang.startswith("zh") else "en"].format(**values)


def detect_lang(env: Mapping[str, str] | None = None) -> str:
    """``YISHI_LANG``, else the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``): zh or en."""
    env = os.environ if env is None else env
    explicit = env.get("YISHI_LANG", "").strip()
    if explicit:
        return "zh" if explicit.lower().startswith("zh") else "en"
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var, "").strip()
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def console(*, stderr: bool = False) -> Console:
    """A console for plain output: no markup (user text may hold brackets), no highlighting."""
    return Console(stderr=stderr, markup=False, highlight=False, emoji=False)


_NO_WRAP = {"h_id", "h_rev", "h_seq", "h_time", "h_due", "h_opened", "h_updated", "h_version"}


def table(lang: str, *keys: str, right: tuple[str, ...] = (), **options: Any) -> Table:
    """A table with the catalogue headings ``keys``: text folds rather than being cut (Chinese
    has no spaces to wrap at), numbers and times never wrap."""
    grid = Table(**options)
    for key in keys:
        grid.add_column(t(key, lang), overflow="fold", no_wrap=key in _NO_WRAP,
                        justify="right" if key in right else "left")
    return grid


# ---------------------------------------------------------------- times and values
def local(moment: datetime | None, lang: str = "en") -> str:
    """``moment`` (stored UTC) in the local time zone, to the minute; a dash for None."""
    if moment is None:
        return t("none", lang)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def display(value: Any, spec: FormField | None, lang: str) -> str:
    """A recorded field value for people: choice labels, yes/no, JSON for lists."""
    if value is None or value == "":
        return t("none", lang)
    if spec is not None and spec.choices:
        labels = {c.value: c.label.get(lang) for c in spec.choices}
        if isinstance(value, list):
            return "、".join(labels.get(str(v), str(v)) for v in value) if lang == "zh" \
                else ", ".join(labels.get(str(v), str(v)) for v in value)
        return labels.get(str(value), str(value))
    if isinstance(value, bool):
        return t("yes" if value else "no", lang)
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def title(text: Text | None, lang: str, fallback: str = "") -> str:
    return text.get(lang) if text is not None else fallback


# ---------------------------------------------------------------- JSON
def jsonable(value: Any) -> Any:
    """``value`` as plain JSON data: datetimes as ISO UTC, dataclasses and models as objects."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
        return moment.astimezone(timezone.utc).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    if isinstance(value, Enum):
        return value.value
    if hasattr(value, "model_dump") and hasattr(type(value), "model_fields"):  # a pydantic model
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value) if isinstance(value, (set, frozenset)) else value
        return [jsonable(v) for v in items]
    return value


def emit_json(value: Any) -> None:
    """Print ``value`` as indented JSON (non-ASCII kept as is) on stdout."""
    sys.stdout.write(json.dumps(jsonable(value), ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()


# ---------------------------------------------------------------- errors
def error_lines(exc: YishiError, lang: str) -> list[str]:
    """What to print for ``exc``: for a refusal each refusing rule, for a form each field."""
    if isinstance(exc, FormError):
        idx = 0 if lang == "zh" else 1
        sep = "：" if lang == "zh" else ": "
        return [t("form_invalid", lang)] + [f"  {exc.label(name, lang)}{sep}{msgs[idx]}"
                                           for name, msgs in exc.errors.items()]
    if isinstance(exc, RefusedError):
        refusals = [v for v in exc.verdicts if not v.ok]
        if refusals:
            return [t("refused", lang)] + [f"  [{v.rule}] {v.reason(lang)}" for v in refusals]
    if isinstance(exc, DefinitionError) and exc.problems:
        return [p.localized(lang) for p in exc.problems]
    return [t("error", lang, message=exc.localized(lang))]


def report_error(exc: YishiError, lang: str) -> None:
    """Print ``exc`` on stderr in ``lang`` (no traceback)."""
    err = console(stderr=True)
    for line in error_lines(exc, lang):
        err.print(line, style="red", soft_wrap=True)
