"""The TUI's string catalogue in Chinese and English (workflow texts come from the YAML titles)."""

from __future__ import annotations

from typing import Any

LANGS = ("zh", "en")

STRINGS: dict[str, tuple[str, str]] = {
    # app and header
    "app_title": ("议事", "yishi"),
    "nobody": ("未设置身份", "nobody set"),
    "no_roles": ("无角色", "no roles"),
    "who_hint": ("用 yishi config --name 姓名 --role 角色 设置身份，或用 --as/--role 启动",
                 "set who you are: yishi config --name NAME --role ROLE, or start with --as/--role"),
    "opening": ("正在打开数据库…", "opening the database…"),
    "loading": ("正在读取…", "loading…"),
    "ticked": ("定时事项已处理：{n} 项", "timers done: {n}"),
    # bindings (key.<binding id>)
    "key.quit": ("退出", "quit"),
    "key.lang": ("English", "中文"),
    "key.procedures": ("流程", "procedures"),
    "key.statistics": ("统计", "figures"),
    "key.person": ("换人", "person"),
    "key.urge": ("催办", "urge"),
    "key.refresh": ("刷新", "refresh"),
    "key.search": ("搜索", "search"),
    "key.new_case": ("新建", "new"),
    "key.open_case": ("打开", "open"),
    "key.tab_mine": ("待我办", "mine"),
    "key.tab_overdue": ("逾期", "overdue"),
    "key.tab_open": ("在办", "open"),
    "key.tab_closed": ("办结", "closed"),
    "key.next_page": ("下页", "next"),
    "key.prev_page": ("上页", "prev"),
    "key.back": ("返回", "back"),
    "key.record": ("存草稿", "save"),
    "key.act": ("办理", "act"),
    "key.documents": ("文书", "docs"),
    "key.reload": ("刷新", "reload"),
    "key.start": ("发起", "start"),
    "key.add_item": ("添加", "add"),
    "key.remove_item": ("删除", "remove"),
    "key.edit_item": ("修改", "edit"),
    "key.ok": ("确定", "OK"),
    "key.cancel": ("取消", "cancel"),
    "key.help": ("帮助", "help"),
    "key.pane_timeline": ("记录", "timeline"),
    "key.pane_deadlines": ("期限", "due"),
    "key.pane_links": ("关联", "links"),
    "key.tab_today": ("今日到期", "due today"),
    "key.dismiss_menu": ("收起", "close menu"),
    "quit_hint_title": ("要退出吗？", "Quit?"),
    "quit_hint": ("按 {keys} 退出议事", "press {keys} to quit yishi"),
    "simulated": ("模拟", "simulated"),
    "weekday": ("周一 周二 周三 周四 周五 周六 周日", "Mon Tue Wed Thu Fri Sat Sun"),
    # help
    "help.title": ("帮助（按 Esc 关闭）", "Help (Esc closes it)"),
    "help.key": ("按键", "key"),
    "help.does": ("作用", "what it does"),
    "help.tab": ("在输入框、步骤列表和按钮之间移动", "move between fields, the steps and buttons"),
    "help.enter": ("打开所选案件、办理所选步骤、确认对话框中带焦点的按钮",
                   "open the chosen case, take the chosen step, press the focused button of a dialog"),
    "help.close": ("按 Esc、F1 或 ? 关闭帮助。", "Esc, F1 or ? close this help."),
    "help.cases": (
        "案件列表：最紧急的在前。1 待我办理（我的角色此刻可以办理的）、2 已逾期、3 全部在办、4 已办结、"
        "5 今日到期（今天结束前到期的，含已逾期）。“期限”一栏是距下一个期限的倒计时，红色为已逾期。"
        "按 / 搜索议题、编号或人员，按 Enter 打开案件，按 n 发起新案件。",
        "The cases, most urgent first. 1 my actions (cases my roles can act on now), 2 overdue, "
        "3 all open, 4 closed, 5 due today (due before the day ends, overdue ones included). The "
        "'due' column counts down to the next deadline; red means overdue. / searches subject, "
        "number or person, Enter opens a case, n starts a new one."),
    "help.case": (
        "一个案件：上方是所处阶段和前后步骤（✓ 已完成，● 当前，○ 待办）。左边填写本阶段的记录"
        "（* 为必填，Ctrl+S 存草稿，他人可见）；右边是你可以办理的步骤：▶ 可以办理，✗ 暂不能办理"
        "（下面写着原因）。按 F6 到步骤列表，用 ↑↓ 选择，Enter 办理；每一步办理前都会请你确认，"
        "不可撤回的步骤默认按钮是“取消”。F7 记录（谁在何时做了什么）、F8 期限、F9 关联案件。",
        "One case: at the top, where it stands and the steps before and after (✓ done, ● now, "
        "○ ahead). On the left the record of this step (* required, Ctrl+S saves a draft others "
        "see); on the right the steps you can take: ▶ possible, ✗ not yet (the reason is below "
        "it). F6 goes to the steps, ↑↓ choose, Enter takes one; every step asks you to confirm "
        "first, and for a step that cannot be undone the default button is 'cancel'. F7 the "
        "timeline (who did what, when), F8 deadlines, F9 linked cases."),
    "help.new_case": ("发起新案件：左边选择流程，右边填写第一步的内容，Ctrl+S 发起。",
                      "Start a case: choose the procedure on the left, fill in its first step on "
                      "the right, Ctrl+S starts it."),
    "help.procedures": ("已加载的流程：每个阶段、步骤、由谁办理、规则和定时事项。",
                        "The loaded procedures: each state and step, who takes it, its rules and timers."),
    "help.time": (
        "时间与期限：公示期、处置时限等期限从进入该阶段时开始计算。到期时系统自动提醒有关人员，"
        "或自动办理（如逾期自动上报），这些自动步骤不会出现在你的步骤列表里。有的步骤要等期限届满"
        "才能办理，原因里会写“还差 …”。页面顶部显示今天的日期；演示和培训数据库使用模拟时钟"
        "（顶部标有“模拟”），可以让时间前进以走完公示期。",
        "Time and deadlines: notice periods and time limits run from when the case entered the "
        "step. When one is due, the people concerned are reminded, or the step is taken "
        "automatically (such as escalation when overdue); those automatic steps are not in your "
        "list. Some steps wait for a period to pass; their reason says how long is left. The "
        "header shows today's date; demo and training databases run a simulated clock (marked "
        "'simulated' in the header) that can be moved forward to pass a notice period."),
    # cases screen
    "tab.mine": ("待我办理", "my actions"),
    "tab.overdue": ("已逾期", "overdue"),
    "tab.open": ("全部在办", "all open"),
    "tab.closed": ("已办结", "closed"),
    "tab.today": ("今日到期", "due today"),
    "counter.today": ("今日到期 {n}", "due today {n}"),
    "search_placeholder": ("搜索议题、编号、人员（按 / ）", "search subject, number, person (press /)"),
    "col.id": ("编号", "no."),
    "col.subject": ("议题", "subject"),
    "col.procedure": ("流程", "procedure"),
    "col.step": ("当前阶段", "step"),
    "col.tier": ("层级", "tier"),
    "col.who": ("待办", "who acts"),
    "col.due": ("期限", "due"),
    "col.closed": ("办结日期", "closed on"),
    "counter.open": ("在办 {n}", "open {n}"),
    "counter.overdue": ("逾期 {n}", "overdue {n}"),
    "counter.month": ("本月办结 {n}", "resolved this month {n}"),
    "counter.failed_notes": ("通知发送失败 {n} 条（yishi outbox list --failed）",
                             "{n} notifications failed (yishi outbox list --failed)"),
    "counter.community": ("社区内化解 {share}（{within}/{total}）", "resolved in community {share} ({within}/{total})"),
    "counter.community_none": ("社区内化解 —", "resolved in community —"),
    "counter.community_help": (
        "社区内化解：经群众评价后办结的网格事件中，在第 1–3 级（网格员、网格长、社区书记接诊室）"
        "处置完毕的比例；不予立案或转办其他流程的事件不计入。",
        "resolved in community: of the grid events closed after the reporter's evaluation, the share "
        "resolved at tiers 1–3 (grid member, grid leader, secretary's clinic); events not filed or "
        "handed over to another procedure are not counted."),
    "pager": ("第 {first}–{last} 件，共 {total} 件", "{first}–{last} of {total}"),
    "pager_empty": ("没有符合条件的案件", "no cases match"),
    "tier": ("{n} 级", "T{n}"),
    # relative times
    "left": ("还差 {span}", "{span} left"),
    "late": ("逾期 {span}", "{span} overdue"),
    "closed_on": ("{at} 办结", "closed {at}"),
    "dash": ("—", "—"),
    # case screen
    "case_head": ("#{id} {subject}", "#{id} {subject}"),
    "case_meta": ("{procedure} · 当前阶段：{step} · 第 {rev} 版", "{procedure} · step: {step} · revision {rev}"),
    "case_closed": ("{procedure} · 已办结：{step}（{at}）", "{procedure} · closed: {step} ({at})"),
    "pane.act": ("办理", "act"),
    "pane.timeline": ("记录", "timeline"),
    "pane.deadlines": ("期限", "deadlines"),
    "pane.links": ("关联", "links"),
    "form_title": ("{step} · 填写记录", "{step} · the record"),
    "form_none": ("本阶段没有需要填写的内容。", "nothing to record at this step."),
    "required_note": ("* 为必填项", "* required"),
    "actions": ("可办理的步骤", "steps you can take"),
    "refused_actions": ("暂不能办理", "not possible now"),
    "no_actions_closed": ("案件已办结。", "the case is closed."),
    "no_actions": ("你的角色在此阶段没有可办理的步骤。", "your roles have no step here."),
    "confirm_mark": ("（不可撤回）", " (final)"),
    "opens_dialog": ("选择后填写本步骤所需内容", "asks for its own details"),
    "leads_to": ("→ {dest}", "→ {dest}"),
    "draft_saved": ("草稿已保存（第 {rev} 版）", "draft saved (revision {rev})"),
    "fired": ("已办理：{title} → {dest}", "done: {title} → {dest}"),
    "started": ("已发起案件 #{id}", "started case #{id}"),
    "form_has_errors": ("表单有误，请按提示修改", "the form has errors; see the messages"),
    "kept_other_step": ("你在“{step}”阶段填写但未提交的内容仍保留着。", "your unsubmitted input for “{step}” is kept."),
    "timeline_none": ("尚无记录。", "no events yet."),
    "deadlines_none": ("没有期限。", "no deadlines."),
    "links_none": ("没有关联案件。", "no linked cases."),
    "link_to": ("转交至 #{id} {subject}（{procedure}）", "handed over to #{id} {subject} ({procedure})"),
    "link_from": ("由 #{id} {subject}（{procedure}）转来", "came from #{id} {subject} ({procedure})"),
    "link_at": ("{at} · {actor}", "{at} · {actor}"),
    "ev.start": ("发起", "started"),
    "ev.fire": ("{title}", "{title}"),
    "ev.timer": ("到期自动：{title}", "automatically, when due: {title}"),
    "ev.remind": ("提醒 {who}", "reminded {who}"),
    "ev.urge": ("催办 {who}", "urged {who}"),
    "ev.record": ("保存记录", "recorded"),
    "ev.link_to": ("转交案件 #{id}", "handed over to case #{id}"),
    "ev.link_from": ("由案件 #{id} 转来", "came from case #{id}"),
    "ev.move": ("{src} → {dest}", "{src} → {dest}"),
    "system": ("系统", "system"),
    "dl.remind": ("提醒 {who}", "remind {who}"),
    "dl.fire": ("自动：{title}", "automatically: {title}"),
    "dl.status.pending": ("待到期", "pending"),
    "dl.status.fired": ("已执行", "done"),
    "dl.status.refused": ("未能执行", "refused"),
    "dl.status.skipped": ("已跳过", "skipped"),
    "dl.status.cancelled": ("已取消", "cancelled"),
    "dl.item": ("第 {n} 项", "item {n}"),
    "dl.estimated": ("{year} 年节假日安排未公布，按工作日计的期限为估算，公布后请复核",
                     "{year}'s official holidays are not published yet: working-day deadlines are estimated; re-check once published"),
    "step.done": ("已完成", "done"),
    "steps_done": ("已完成 {n} 步", "{n} steps done"),
    "step.current": ("当前", "current"),
    "step.ahead": ("待办", "ahead"),
    # items (repeated fields)
    "items_none": ("（尚无）", "(none yet)"),
    "items_count": ("共 {n} 项", "{n} items"),
    "item_title": ("{field} · 第 {n} 项", "{field} · item {n}"),
    "add": ("添加", "add"),
    "remove": ("删除", "remove"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "choose": ("请选择", "choose"),
    # new case
    "new_title": ("发起新案件", "start a new case"),
    "new_choose": ("选择流程", "choose a procedure"),
    "new_may_not": ("（你的角色不能发起）", " (your roles may not start it)"),
    "new_start": ("发起", "start"),
    # procedures
    "proc_title": ("已加载的流程", "loaded procedures"),
    "proc_states": ("阶段", "states"),
    "proc_transitions": ("步骤", "transitions"),
    "proc_initial": ("起始", "initial"),
    "proc_final": ("终结", "final"),
    "proc_roles": ("角色", "roles"),
    "proc_params": ("参数", "params"),
    "proc_timers": ("定时：{after} 后{what}", "timer: after {after}, {what}"),
    "proc_timer_at": ("定时：到 {at} 时{what}", "timer: at {at}, {what}"),
    "proc_remind": ("提醒 {who}", "remind {who}"),
    "proc_fire": ("自动执行 {trigger}", "fire {trigger}"),
    "proc_guards": ("规则：{guards}", "rules: {guards}"),
    "proc_by": ("由 {roles}", "by {roles}"),
    "proc_problems": ("流程文件的问题", "problems in workflow files"),
    "proc_no_problems": ("所有流程文件均有效。", "every workflow file is valid."),
    "proc_version": ("第 {v} 版", "version {v}"),
    # dialogs
    "dlg.conflict_title": ("案件已被他人更新", "The case changed meanwhile"),
    "dlg.conflict_body": ("在你填写期间，案件已被他人或定时任务更新，本次未保存。你填写的内容仍保留着；"
                          "刷新后可核对最新情况再提交。",
                          "Someone else (or a timer) changed the case while you were typing; nothing was "
                          "saved. What you typed is kept; reload to see the latest and submit again."),
    "dlg.conflict_who": ("在此期间：", "Meanwhile:"),
    "dlg.field": ("内容", "field"),
    "dlg.theirs": ("对方保存的", "theirs (saved)"),
    "dlg.yours": ("你填写的（未保存）", "yours (not saved)"),
    "changed_elsewhere": ("案件已更新：{what}（你填写的内容仍保留着）",
                          "the case was changed: {what} (what you typed is kept)"),
    "dlg.reload": ("刷新（保留我填写的内容）", "reload (keep what I typed)"),
    "dlg.keep": ("继续编辑", "keep editing"),
    "dlg.refused_title": ("不能办理：{title}", "Refused: {title}"),
    "dlg.refused_body": ("以下规则未满足：", "These rules are not met:"),
    "dlg.form_title": ("表单有误", "The form is not valid"),
    "dlg.storage_title": ("数据库不可用", "The database is unavailable"),
    "dlg.storage_body": ("你填写的内容仍保留着，数据库恢复后可再次提交。",
                         "What you typed is kept; submit again when the database is back."),
    "dlg.error_title": ("出错了", "Something went wrong"),
    "dlg.confirm_title": ("确认：{title}", "Confirm: {title}"),
    "dlg.confirm_step": ("办理“{title}”后，案件将进入“{dest}”。确定办理吗？",
                         "“{title}” moves the case to “{dest}”. Take it?"),
    "dlg.confirm_body": ("办理“{title}”后，案件将进入“{dest}”，不能撤回。确定办理吗？",
                         "“{title}” moves the case to “{dest}” and cannot be undone. Take it?"),
    "dlg.confirm_final": ("办理“{title}”将办结案件（“{dest}”），不能撤回。确定办理吗？",
                          "“{title}” closes the case (“{dest}”) and cannot be undone. Take it?"),
    "dlg.take": ("办理", "take the step"),
    "dlg.still_refused": ("还需满足：", "still needed:"),
    "dlg.quit_title": ("退出议事？", "Quit yishi?"),
    "dlg.quit_body": ("有 {n} 份填写的内容尚未保存，退出后将丢失。仍要退出吗？",
                      "{n} form(s) hold input that is not saved; it is lost if you quit. Quit anyway?"),
    "dlg.ok": ("确定", "OK"),
    "dlg.cancel": ("取消", "cancel"),
    "dlg.close": ("关闭", "close"),
    "dlg.step_form": ("{title} · 补充内容", "{title} · details"),
    "dlg.submit": ("提交", "submit"),
}


def tr(key: str, lang: str, **values: Any) -> str:
    """The catalogue text ``key`` in ``lang`` (zh or en) with ``values`` filled in."""
    zh, en = STRINGS[key]
    text = zh if lang.startswith("zh") else en
    return text.format(**values) if values else text


def has(key: str) -> bool:
    return key in STRINGS
