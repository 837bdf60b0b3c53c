"""A demo database: realistic cases drawn from the seeds, in several states, with months of history.

Each story is a generator: it takes steps through ``Demo`` and yields how long to wait before its
next step. ``build_demo`` runs all stories side by side on one simulated clock, starting each a
given number of days ago and firing every timer at its own due time in between, so the history
interleaves as it would have, reminders and automatic escalations included, and ends today.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from yishi.time.clock import as_utc
from yishi.time.durations import parse_duration
from yishi.engine.engine import Engine
from yishi.engine.types import Actor, Case

FOUR = "four_discussions_two_disclosures"
BENCH = "bench_meeting"
GRID = "grid_escalation"
MEDIATION = "people_mediation"
HOTLINE = "hotline_12345"
WISHES = "micro_wishes"

# the people of the demo community (fictional), each acting in the role a step needs
SECRETARY = Actor.of("马书记", "secretary")
CONVENER = Actor.of("马书记", "convener")
COMMITTEE = Actor.of("马书记", "mediation_committee")
GRID_MEMBER = Actor.of("王小燕", "grid_member")
GRID_LEADER = Actor.of("张建国", "grid_leader")
STREET = Actor.of("城东街道 李科长", "street_office")
MEDIATOR = Actor.of("刘德明", "mediator")
OPERATOR = Actor.of("12345 话务员 小吴", "operator")
UNIT = Actor.of("城东街道 城管科", "unit")
PARTY_MEMBER = Actor.of("党员 孙阿姨", "party_member")
SUPERVISOR = Actor.of("监委会 钱主任", "supervisor")
VILLAGE_COMMITTEE = Actor.of("马书记", "village_committee")

#: the community Party secretary with the roles his grants give him (declared, for tests)
DEMO_ACTOR = Actor.of("马书记", "secretary", "convener", "mediation_committee")
#: who you are in ``yishi demo`` unless the config file or --as/--role say otherwise: the
#: community Party secretary as a person, whose grants (yishi.org.demo) make him also the convener
#: of bench meetings and the head of the mediation committee; F4 in the TUI acts as another of the cast
DEMO_PERSON = Actor("马书记")

TZ = timezone(timedelta(hours=8))
Wait = str | timedelta
Story = Callable[["Demo"], Iterator[Wait]]


class Demo:
    """What a story may do: take steps as someone, and name dates relative to the simulated now."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.case_id = 0

    units: dict[str, Any] = {}  # the demo's organisation (yishi.org.demo)

    @property
    def clock(self) -> Engine:
        return self.engine  # its now() is the simulation's stored clock

    def start(self, workflow_id: str, who: Actor, data: dict[str, Any]) -> Case:
        # grid events, disputes and micro-wishes arise in a grid; the community's own procedures in the community
        unit = self.units.get("peace_1" if workflow_id in (GRID, MEDIATION, WISHES) else "peace")
        case = self.engine.start(workflow_id, who, data, unit=unit)
        self.case_id = case.id
        return case

    def fire(self, trigger: str, who: Actor, data: dict[str, Any] | None = None, *,
             case_id: int | None = None) -> Case:
        return self.engine.fire(case_id or self.case_id, trigger, who, data or {}).case

    def record(self, who: Actor, data: dict[str, Any], *, case_id: int | None = None) -> Case:
        return self.engine.record(case_id or self.case_id, who, data)

    def day(self, offset: int = 0) -> str:
        """Today (plus ``offset`` days) in China, as YYYY-MM-DD."""
        return (self.clock.now().astimezone(TZ) + timedelta(days=offset)).date().isoformat()

    def at(self, days: int = 0, hour: int = 19) -> str:
        """A local time ``days`` from today at ``hour`` o'clock, for meeting times."""
        local = self.clock.now().astimezone(TZ) + timedelta(days=days)
        return local.replace(hour=hour, minute=0, second=0, microsecond=0).isoformat()

    def linked(self) -> int:
        """The case the last step handed the matter over to."""
        links = [ln for ln in self.engine.links(self.case_id) if ln.from_case == self.case_id]
        return links[-1].to_case


# ---------------------------------------------------------------- 四议两公开
def _meeting(day: str, total: int, attended: int, votes: int, resolution: str) -> dict[str, Any]:
    return {"meeting_date": day, "representatives": total, "attended": attended, "votes_for": votes,
            "votes_against": attended - votes, "resolution": resolution,
            "minutes": f"应到代表 {total} 人，实到 {attended} 人；赞成 {votes} 票。"}


def kindergarten(d: Demo) -> Iterator[Wait]:
    """四议两公开 on renting an idle workshop to a kindergarten operator (seed 001): the
    resolution is on public notice, the notice period has passed, implementation is due."""
    d.start(FOUR, SECRETARY, {
        "subject": "闲置厂房出租给幼儿园举办者", "matter_type": "collective_assets",
        "villagers_delegation": "2025 年村民会议授权村民代表会议决定集体资产租赁事项",
        "proposal": "村集体原砖厂闲置厂房 600 平方米，拟出租给幼儿园举办者，租期 5 年，年租金 6 万元，"
                    "租金用于村内公益事业。",
        "proposed_by": "村党支部"})
    yield "2d"
    d.fire("submit_to_committees", SECRETARY)
    yield "3d"
    d.fire("submit_to_party_members", SECRETARY, {
        "meeting_date": d.day(), "participants": "两委成员 7 人",
        "minutes": "两委会商议：同意提交党员大会审议，需明确消防安全责任。"})
    yield "5d"
    d.fire("submit_to_representatives", SECRETARY, {
        "meeting_date": d.day(), "party_members": 46, "party_attended": 39, "party_votes_for": 35,
        "minutes": "党员大会审议通过，建议租金逐年递增。"})
    yield "6d"
    d.fire("pass_resolution", SECRETARY, _meeting(d.day(), 31, 25, 21, "同意出租，租期 5 年，租金每年递增 3%。"))


def village_road(d: Demo) -> Iterator[Wait]:
    """四议两公开 on repairing a road, stuck at the representatives' meeting: 18 of 31 came."""
    d.start(FOUR, SECRETARY, {
        "subject": "修缮三组村道", "matter_type": "project",
        "proposal": "三组村道 1.2 公里破损严重，拟使用一事一议资金修缮。", "proposed_by": "马书记"})
    yield "2d"
    d.fire("submit_to_committees", SECRETARY)
    yield "4d"
    d.fire("submit_to_party_members", SECRETARY, {"meeting_date": d.day(),
                                                  "minutes": "同意，预算控制在 40 万元以内。"})
    yield "3d"
    d.fire("submit_to_representatives", SECRETARY, {
        "meeting_date": d.day(), "party_members": 46, "party_attended": 33, "party_votes_for": 30,
        "minutes": "审议通过。"})
    yield "2d"
    d.record(SECRETARY, {"meeting_date": d.day(), "representatives": 31, "attended": 18, "votes_for": 15})


def street_lights(d: Demo) -> Iterator[Wait]:
    """四议两公开 on street lighting: implemented, the result disclosed, archived."""
    d.start(FOUR, SECRETARY, {
        "subject": "公共照明改造", "matter_type": "public_welfare",
        "proposal": "更换主干道路灯 48 盏为太阳能路灯。", "proposed_by": "村党支部"})
    yield "2d"
    d.fire("submit_to_committees", SECRETARY)
    yield "2d"
    d.fire("submit_to_party_members", SECRETARY, {"meeting_date": d.day(), "minutes": "同意。"})
    yield "3d"
    d.fire("submit_to_representatives", SECRETARY, {
        "meeting_date": d.day(), "party_members": 46, "party_attended": 40, "party_votes_for": 38,
        "minutes": "通过。"})
    yield "4d"
    d.fire("pass_resolution", SECRETARY, _meeting(d.day(), 31, 27, 26, "同意更换路灯 48 盏。"))
    yield "8d"
    d.fire("start_implementation", SECRETARY, {"notice_place": "村务公开栏、村民微信群"})
    yield "40d"
    d.fire("disclose_results", SECRETARY, {"progress": "路灯已全部安装并通过验收。", "completed_on": d.day()})
    yield "8d"
    d.fire("archive", SECRETARY, {"results": "48 盏路灯已投入使用，总费用 19.2 万元。",
                                  "results_notice_place": "村务公开栏"})


# ---------------------------------------------------------------- grid events
def _event(d: Demo, subject: str, reporter: str, place: str, category: str, description: str,
           urgency: str = "normal") -> None:
    d.start(GRID, GRID_MEMBER, {"subject": subject, "reporter": reporter, "place": place,
                                "category": category, "urgency": urgency, "description": description,
                                "reporter_contact": "138****" + str(1000 + len(subject) * 37)[-4:]})


def _close_loop(d: Demo, feedback: str, satisfaction: str = "satisfied") -> Iterator[Wait]:
    d.fire("give_feedback", GRID_MEMBER, {"feedback_to_reporter": feedback, "feedback_on": d.day(),
                                          "feedback_channel": "phone"})
    yield "10h"
    d.fire("verify", GRID_LEADER, {"checked_on_site": True, "verified_by": "张建国",
                                   "verification_note": "现场核查属实。"})
    yield "20h"
    d.fire("evaluate", GRID_MEMBER, {"satisfaction": satisfaction, "evaluation_comment": "处理及时。"})


def parking_clinic(d: Demo) -> Iterator[Wait]:
    """A parking dispute between two residents, settled in the secretary's clinic (seed 004)."""
    _event(d, "单元门前乱停车，两户居民发生争执", "周先生", "清怡院 3 号楼 2 单元", "parking",
           "老小区未划停车位，吴女士家车辆常停在单元门前，周先生家老人出入不便，双方多次争吵。")
    yield "30m"
    d.fire("dispatch", GRID_MEMBER)
    yield "20h"
    d.fire("escalate", GRID_MEMBER, {"escalation_reason": "上门劝说两次，双方各执一词，需网格长协调。"})
    yield "1d"
    d.fire("escalate", GRID_LEADER, {"escalation_reason": "院内车多位少，需社区统筹解决停车秩序。"})
    yield "2d"
    d.fire("resolve", SECRETARY, {
        "handler": "马书记",
        "measures": "书记接诊室约双方面对面协商；邀请院内居民到社区“想对策”，一致同意规范停车；"
                    "社区协调物业在院内划定停车位 14 个，单元门前设禁停标识。"})
    yield "6h"
    yield from _close_loop(d, "已告知周先生：院内已划线停车，单元门前禁停。")


def motorbike_noise(d: Demo) -> Iterator[Wait]:
    """Night-time motorbike racing ("飞车党") keeps residents awake; each tier ran out of time
    and the event escalated itself to the secretary's clinic, where it waits now."""
    _event(d, "夜间摩托车飙车扰民", "居民群（12 户联名）", "安置区南门外环路", "safety_hazard",
           "每晚 23 点后有摩托车在环路上飙车，轰鸣声扰民，老人孩子无法入睡，存在安全隐患。")
    yield "40m"
    d.fire("dispatch", GRID_MEMBER)
    yield "1d"
    d.record(GRID_MEMBER, {"handler": "王小燕", "measures": "夜间蹲守两次，记录车牌 3 个，已劝离。"})
    # tier 1 (2 days) and tier 2 (3 days) run out: deadline_passed escalates it twice
    yield "5d12h"


def garden_plots(d: Demo) -> Iterator[Wait]:
    """A public garden turned into vegetable plots (seed 001): the grid member hands it over to a
    bench meeting, which agreed on action items; one of them is overdue now."""
    _event(d, "公共花园被改成菜地", "楼栋长 陈阿姨", "安置区 5 号楼北侧花园", "environment",
           "部分居民在公共绿地开垦种菜、堆放农具，其他居民意见较大。")
    yield "1h"
    d.fire("dispatch", GRID_MEMBER)
    yield "1d"
    d.fire("hand_over_to_bench_meeting", GRID_MEMBER,
           {"handover_reason": "涉及多户居民利益，需居民坐下来商量，宜召开板凳会。"})
    bench = d.linked()
    yield "2d"
    d.fire("convene", CONVENER, case_id=bench)
    d.record(CONVENER, {"meeting_time": d.at(2), "place": "5 号楼北侧花园长椅", "convener_name": "马书记",
                        "invited": ["residents_concerned", "property_company", "building_leaders"],
                        "invited_names": "种菜居民 6 户、物业刘经理、楼栋长陈阿姨"}, case_id=bench)
    yield "2d"
    d.fire("hold_meeting", CONVENER, case_id=bench)
    yield "3h"
    d.fire("reach_consensus", CONVENER, {
        "attendance": [{"name": "马书记", "affiliation": "社区党委", "spoke": True},
                       {"name": "陈阿姨", "affiliation": "楼栋长", "spoke": True},
                       {"name": "刘经理", "affiliation": "物业公司", "spoke": True},
                       {"name": "赵大爷", "affiliation": "种菜居民", "spoke": True},
                       {"name": "孙阿姨", "affiliation": "种菜居民", "spoke": False},
                       {"name": "李女士", "affiliation": "居民", "spoke": True}],
        "views": "种菜居民：搬迁前以务农为生，想有块地；其他居民：花园是公共空间，应恢复绿化。",
        "minutes": "大家同意恢复花园绿化，另在北侧空地划出“共享小菜园”，由居民认领、统一管理。",
        "decisions": "恢复花园绿化；设共享小菜园 12 块，认领使用。",
        "action_items": [
            {"task": "清理花园内菜地和农具", "owner": "赵大爷", "due": d.day(5), "done": True},
            {"task": "补种草坪和灌木", "owner": "物业刘经理", "due": d.day(12)},
            {"task": "划定共享小菜园并公布认领办法", "owner": "王小燕", "due": d.day(20)},
        ]}, case_id=bench)


def stairwell_clutter(d: Demo) -> Iterator[Wait]:
    """Clutter blocking a stairwell, cleared by the grid member the same day (tier 1)."""
    _event(d, "楼道堆放杂物堵塞消防通道", "楼道红管家 冯师傅", "4 号楼 3 单元", "safety_hazard",
           "3 单元一至三楼楼道堆放旧家具和纸箱，堵塞消防通道。")
    yield "20m"
    d.fire("dispatch", GRID_MEMBER)
    yield "5h"
    d.fire("resolve", GRID_MEMBER, {"handler": "王小燕", "measures": "逐户上门劝导，住户当天清理完毕。"})
    yield "3h"
    yield from _close_loop(d, "已告知冯师傅：楼道杂物已清理。")


def garbage_collection(d: Demo) -> Iterator[Wait]:
    """Rubbish left uncollected for days; the grid leader got the contractor back (tier 2)."""
    _event(d, "垃圾清运不及时", "居民 林女士", "安置区东门垃圾站", "environment",
           "东门垃圾站连续三天未清运，异味大，蚊蝇多。")
    yield "30m"
    d.fire("dispatch", GRID_MEMBER)
    yield "1d"
    d.fire("escalate", GRID_MEMBER, {"escalation_reason": "保洁公司不归网格员调度，需网格长协调。"})
    yield "1d"
    d.fire("resolve", GRID_LEADER, {"handler": "张建国", "measures": "约谈保洁公司，恢复每日清运并加派一次。"})
    yield "5h"
    yield from _close_loop(d, "已电话告知林女士：垃圾站已恢复每日清运。", "basically_satisfied")


def missing_manhole(d: Demo) -> Iterator[Wait]:
    """An urgent hazard (a missing manhole cover on a main road) beyond the community: the
    secretary escalated it to the street office, which had it replaced (tier 4)."""
    _event(d, "主干道井盖缺失", "网格员巡查发现", "安置区北侧主干道", "safety_hazard",
           "北侧主干道雨水井盖缺失，已临时设置警示锥，夜间存在行人车辆坠落风险。", urgency="urgent")
    yield "10m"
    d.fire("dispatch", GRID_MEMBER)
    yield "30m"
    d.fire("escalate", GRID_MEMBER, {"escalation_reason": "市政设施，网格无法处置。"})
    yield "30m"
    d.fire("escalate", GRID_LEADER, {"escalation_reason": "需社区协调市政部门。"})
    yield "1h"
    d.fire("escalate", SECRETARY, {"escalation_reason": "道路井盖属市政管理，报街道协调市政所更换。"})
    yield "6h"
    d.fire("resolve", STREET, {"handler": "城东街道 李科长", "measures": "协调市政所当晚更换井盖并加装防坠网。"})
    yield "8h"
    yield from _close_loop(d, "已告知：井盖已更换并加装防坠网。")


def broken_door(d: Demo) -> Iterator[Wait]:
    """A broken entrance door repaired by the grid leader; the reporter has not been told yet."""
    _event(d, "单元门禁损坏无法关闭", "居民 韩先生", "2 号楼 1 单元", "facilities",
           "单元门禁损坏多日，外来人员随意进出。")
    yield "1h"
    d.fire("dispatch", GRID_MEMBER)
    yield "1d"
    d.fire("escalate", GRID_MEMBER, {"escalation_reason": "需物业更换门禁主板，网格员无法协调费用。"})
    yield "1d"
    d.fire("resolve", GRID_LEADER, {"handler": "张建国", "measures": "协调物业更换门禁主板，已恢复正常。"})


def sewage_pipe(d: Demo) -> Iterator[Wait]:
    """A bench meeting on a broken sewage pipe (seed 000): convened in the corridor, the
    property company repaired the pipe, the residents were told, closed."""
    d.start(BENCH, CONVENER, {"topic": "3 号楼污水管破损返味", "raised_by": "居民 何师傅",
                              "raised_as": "resident", "location": "金花园 3 号楼 1 单元",
                              "description": "一楼污水管破裂，污水外渗，楼道返味严重，夏天尤甚。"})
    yield "1d"
    d.fire("convene", CONVENER)
    d.record(CONVENER, {"meeting_time": d.at(1), "place": "3 号楼 1 单元楼道（廊庭会）", "convener_name": "马书记",
                        "invited": ["residents_concerned", "property_company", "owners_committee"],
                        "invited_names": "1 单元住户、物业公司、业委会"})
    yield "1d"
    d.fire("hold_meeting", CONVENER)
    yield "2h"
    d.fire("reach_consensus", CONVENER, {
        "attendance": [{"name": "马书记", "affiliation": "社区党委", "spoke": True},
                       {"name": "何师傅", "affiliation": "一楼住户", "spoke": True},
                       {"name": "物业 刘经理", "affiliation": "物业公司", "spoke": True},
                       {"name": "业委会 杨主任", "affiliation": "业主委员会", "spoke": True},
                       {"name": "住户 6 人", "affiliation": "居民", "spoke": False}],
        "views": "住户要求尽快维修；物业称主管属公共部位，可用维修资金；业委会同意启用。",
        "minutes": "一致同意由物业更换破损管段，费用从专项维修资金列支，业委会公示。",
        "decisions": "物业两周内更换破损管段；业委会公示维修资金使用。",
        "action_items": [
            {"task": "更换一楼破损污水管段", "owner": "物业 刘经理", "due": d.day(14)},
            {"task": "公示专项维修资金使用情况", "owner": "业委会 杨主任", "due": d.day(7)},
        ]})
    yield "6d"
    d.record(CONVENER, {"action_items": [
        {"task": "更换一楼破损污水管段", "owner": "物业 刘经理", "due": d.day(8)},
        {"task": "公示专项维修资金使用情况", "owner": "业委会 杨主任", "due": d.day(1), "done": True,
         "note": "已在单元门口公示。"}]})
    yield "7d"
    d.record(CONVENER, {"action_items": [
        {"task": "更换一楼破损污水管段", "owner": "物业 刘经理", "due": d.day(1), "done": True,
         "note": "已更换 4 米管段，试水无渗漏。"},
        {"task": "公示专项维修资金使用情况", "owner": "业委会 杨主任", "due": d.day(-6), "done": True,
         "note": "已在单元门口公示。"}]})
    yield "1h"
    d.fire("all_done", CONVENER)
    yield "2d"
    d.fire("close", CONVENER, {"feedback": "污水管已更换，楼道返味问题解决；维修资金使用已公示。",
                               "reported_on": d.day(), "channels": ["notice_board", "wechat_group"]})


def dangling_cables(d: Demo) -> Iterator[Wait]:
    """A topic just raised: cables hanging from upper floors (高空甩线); the meeting is not yet
    convened and the time to convene has passed."""
    d.start(BENCH, CONVENER, {"topic": "高空甩线给电动车充电", "raised_by": "网格员 王小燕",
                              "raised_as": "grid_member", "location": "安置区 7、8 号楼",
                              "description": "多户居民从楼上甩电线下来给电动车充电，存在触电和火灾隐患。"})
    yield "1h"


def renovation_noise(d: Demo) -> Iterator[Wait]:
    """Mediation of a renovation-noise dispute between neighbours: agreement signed and
    performed, return visit made, closed."""
    d.start(MEDIATION, COMMITTEE, {"subject": "装修噪音及施工时间纠纷", "started_by": "application",
                                   "dispute_kind": "neighbours", "party_a": "孙女士（502 室）",
                                   "party_b": "钱先生（602 室）",
                                   "facts": "602 室装修期间中午和晚间施工，502 室家有高考学生，双方多次冲突。"})
    yield "1d"
    d.fire("register", COMMITTEE)
    yield "1d"
    d.fire("accept", COMMITTEE, {"party_a_agrees": True, "party_b_agrees": True, "accepted_on": d.day()})
    yield "1d"
    d.fire("start_mediation", COMMITTEE, {"mediators": [
        {"name": "刘德明", "chosen": "designated"}, {"name": "马书记", "chosen": "chosen_by_parties"}]})
    yield "3d"
    d.fire("hold_session", MEDIATOR, {"session_date": d.day(), "present": "孙女士、钱先生、调解员刘德明",
                                      "record": "双方陈述诉求；钱先生同意调整施工时间。"})
    yield "2d"
    d.fire("reach_agreement", MEDIATOR)
    yield "1d"
    d.fire("sign_agreement", MEDIATOR, {
        "agreement_form": "written", "agreement_parties": "孙女士（502 室）；钱先生（602 室）",
        "agreement_facts": "602 室装修施工噪音影响 502 室休息。",
        "disputed_matters": "施工时间；已造成的影响如何补偿。",
        "obligations": "钱先生每日 12:00–14:00、18:00 以后不施工；向孙女士书面致歉。",
        "performance_method": "施工队按约定时间施工，物业监督。", "performance_due": d.day(20),
        "signed_by_parties": True, "signed_by_mediator": "刘德明"})
    yield "21d"
    d.fire("check_performance", MEDIATOR, {"judicial_confirmation": "not_wanted",
                                           "performance_status": "performed",
                                           "follow_up_notes": "物业反映施工时间已按约定执行。"})
    yield "4d"
    d.fire("close", MEDIATOR, {"visit_date": d.day(), "visited": "回访孙女士、钱先生，双方关系缓和。",
                               "dispute_settled": "settled"})


def water_leak(d: Demo) -> Iterator[Wait]:
    """Mediation between neighbours over a leak from the flat above; sessions under way, the
    one-month limit is near."""
    d.start(MEDIATION, COMMITTEE, {"subject": "楼上漏水殃及楼下，赔偿争议", "started_by": "application",
                                   "dispute_kind": "neighbours", "party_a": "郑大爷（301 室）",
                                   "party_b": "冯女士（401 室）",
                                   "facts": "401 室卫生间防水层老化漏水，301 室天花板和墙面受损，双方对赔偿金额分歧较大。"})
    yield "1d"
    d.fire("register", COMMITTEE)
    yield "2d"
    d.fire("accept", COMMITTEE, {"party_a_agrees": True, "party_b_agrees": True, "accepted_on": d.day()})
    yield "1d"
    d.fire("start_mediation", COMMITTEE, {"mediators": [{"name": "刘德明", "chosen": "designated"}]})
    yield "4d"
    d.fire("hold_session", MEDIATOR, {"session_date": d.day(), "present": "郑大爷、冯女士、调解员刘德明",
                                      "record": "现场查看受损情况；冯女士同意先修复防水，赔偿金额另议。"})
    yield "9d"
    d.fire("hold_session", MEDIATOR, {"session_date": d.day(), "present": "郑大爷及儿子、冯女士、物业",
                                      "record": "物业出具维修报价 3200 元；郑大爷要求 5000 元，未达成一致。"})
    yield "2d"


# ---------------------------------------------------------------- 12345 热线, 微心愿
def lift_complaint(d: Demo) -> Iterator[Wait]:
    """A 12345 complaint about a stopped lift, dispatched to the street's urban management
    office, handled and replied to; the centre is checking the reply (13 working days)."""
    d.start(HOTLINE, OPERATOR, {"subject": "小区电梯停运三天无人维修", "caller": "市民 何先生",
                                "caller_contact": "139****0000", "kind": "complaint",
                                "content": "和平社区 5 号楼电梯停运三天，物业称等配件，老人无法下楼。"})
    yield "15m"
    d.fire("dispatch", OPERATOR, {"unit_name": "城东街道 城管科"})
    yield "2d"
    d.fire("reply", UNIT, {"handling_notes": "约谈物业，督促更换电梯主板，当天恢复运行。",
                           "reply_to_caller": "电梯已修复，已电话告知何先生。", "replied_on": d.day()})


def reading_lamp(d: Demo) -> Iterator[Wait]:
    """A micro-wish (微心愿): a desk lamp for a pupil, claimed by a Party member, not yet fulfilled."""
    d.start(WISHES, GRID_MEMBER, {"wish": "想要一盏护眼台灯写作业", "resident": "小明（8 岁）",
                                  "kind": "goods", "estimated_cost": 120})
    yield "3d"
    d.fire("claim", PARTY_MEMBER, {"claimant": "党员 孙阿姨", "claimant_kind": "party_member"})


# ---------------------------------------------------------------- the quarter's routine (schedules)
def _scheduled(d: Demo, workflow_id: str, subject_start: str) -> int | None:
    """The case a schedule started in 和平社区 for the period its subject begins with."""
    from yishi.engine.types import CaseFilter

    unit = d.units.get("peace")
    found = [c for c in d.engine.cases(CaseFilter(workflow_id=workflow_id))
             if c.subject.startswith(subject_start) and unit is not None and c.unit_id == unit.id]
    return found[0].id if found else None


def third_quarter(d: Demo) -> Iterator[Wait]:
    """和平社区's third quarter, started by the schedules on the quarter's first tick: the
    representatives' meeting held (art. 26) and 三务公开 posted and archived (art. 30).
    幸福社区's are left as the schedules started them, with their reminders."""
    d.engine.tick()  # the schedules start the quarter's cases on a tick (a worker's, in a deployment)
    meeting = _scheduled(d, "representatives_meeting", "2026年第3季度")
    disclosure = _scheduled(d, "three_affairs_disclosure", "2026年第3季度")
    if meeting is None or disclosure is None:
        return
    d.record(SECRETARY, {"agenda": "审议停车位划线方案；通报三务公开内容", "meeting_date": d.day(7),
                         "notified_how": "村民代表微信群、电话"}, case_id=meeting)
    d.fire("convene", SECRETARY, case_id=meeting)
    d.record(SECRETARY, {"period": "2026年第3季度", "party_affairs": "发展党员 1 名；开展主题党日 3 次。",
                         "village_affairs": "完成楼道照明改造；受理居民诉求 42 件。",
                         "finances": "收入 12.6 万元，支出 9.8 万元（照明改造 4.2 万元等），明细附后。",
                         "prepared_by": "马书记"}, case_id=disclosure)
    yield "7d"
    d.fire("close_meeting", SECRETARY, {
        "meeting_date": d.day(), "representatives": 31, "attended": 26, "votes_for": 24, "votes_against": 1,
        "abstentions": 1, "resolution": "同意停车位划线方案，由物业 30 日内实施。",
        "minutes": "到会代表 26 名；讨论停车位划线方案，表决通过；通报本季度三务公开内容。"}, case_id=meeting)
    d.fire("submit_for_review", SECRETARY, case_id=disclosure)
    yield "2d"
    d.fire("approve", SUPERVISOR, {"reviewed_by": "监委会 钱主任", "review_date": d.day(),
                                  "review_opinion": "收支明细与凭证相符，同意公开。", "approved": True},
           case_id=disclosure)
    d.record(VILLAGE_COMMITTEE, {"posted_on": d.day(), "places": ["notice_board", "wechat_group"]},
             case_id=disclosure)
    yield "8d"
    d.fire("archive", VILLAGE_COMMITTEE, case_id=disclosure)


#: (workflow, days before today the story starts, story)
STORIES: list[tuple[str, float, Story]] = [
    (FOUR, 118, street_lights),
    (FOUR, 60, kindergarten),
    (FOUR, 16, village_road),
    (GRID, 100, stairwell_clutter),
    (GRID, 85, missing_manhole),
    (GRID, 75, parking_clinic),
    (GRID, 18, garbage_collection),
    (GRID, 6, broken_door),
    (GRID, 8, motorbike_noise),
    (GRID, 40, garden_plots),
    (BENCH, 55, sewage_pipe),
    (BENCH, 12, dangling_cables),
    (MEDIATION, 45, renovation_noise),
    (MEDIATION, 22, water_leak),
    (HOTLINE, 9, lift_complaint),
    (WISHES, 10, reading_lamp),
    ("representatives_meeting", 110, third_quarter),
]


def build_demo(url: str, *, now: datetime | None = None, days: int = 120) -> Engine:
    """Create a demo database at ``url`` and return an engine on it.

    The database becomes a **simulation** (see ``yishi.time.mode``) whose stored clock starts
    ``days`` before ``now`` (default: the system clock); the stories run on it side by side, every
    timer firing at its own due time on the way (``Engine.advance``), and the simulated now ends
    at ``now``, where it stays until someone advances it. Stories whose workflow is not installed
    are skipped.

    Raises ``TimeError`` when ``url`` is a real database or already holds cases (the stories are
    never mixed into other cases).
    """
    end = as_utc(now) if now is not None else datetime.now(timezone.utc)
    engine = Engine.open(url)
    try:
        _check_target(engine)
        engine.set_mode("simulation", now=end - timedelta(days=days))
        with engine.store.write() as tx:
            tx.set_meta(DEMO_KEY, end.isoformat())
        _tell_stories(engine, end)
    except BaseException:
        engine.close()
        raise
    return engine


def _tell_stories(engine: Engine, end: datetime) -> None:
    known = {loaded.workflow.id for loaded in engine.workflows()}
    demo = Demo(engine)
    from yishi.org.demo import build_org

    demo.units = build_org(engine)  # one street, two communities, grids; the cast's grants
    queue: list[tuple[datetime, int, Iterator[Wait], int]] = []
    for order, (workflow_id, ago, story) in enumerate(STORIES):
        if workflow_id in known:
            queue.append((end - timedelta(days=ago), order, story(demo), 0))
    heapq.heapify(queue)
    while queue:
        when, order, steps, case_id = heapq.heappop(queue)
        engine.advance(max(min(when, end), engine.now()))
        if when > end:
            continue  # a story that would run past today stops here
        demo.case_id = case_id
        try:
            wait = next(steps)
        except StopIteration:
            continue
        heapq.heappush(queue, (engine.now() + parse_duration(wait), order, steps, demo.case_id))
    engine.advance(end)


DEMO_KEY = "demo_built"  # meta key: when the demo's stories were written into this database


def is_demo(engine: Engine) -> bool:
    """Whether the engine's database is a demo built by ``build_demo``."""
    with engine.store.read() as tx:
        return engine.mode == "simulation" and tx.get_meta(DEMO_KEY) is not None


def _check_target(engine: Engine) -> None:
    from yishi.time.mode import TimeError

    where = engine.store.describe().get("url", "")
    if engine.mode == "real":
        raise TimeError(f"{where} is a real database: the demo's made-up stories are never written into it; "
                        "run `yishi demo` without --db (its own demo database) or give a new database",
                        message_zh=f"{where} 是正式数据库：演示用的虚构案件不会写入其中；请不带 --db 运行 "
                                   "`yishi demo`（使用单独的演示数据库），或指定一个新数据库")
    count = engine.count()
    if count:
        raise TimeError(f"{where} already holds {count} other cases: the demo's stories are only written "
                        "into a new, empty database",
                        message_zh=f"{where} 中已有 {count} 件其他案件：演示案件只写入新建的空数据库")


def open_demo(url: str | None = None, *, reset: bool = False, now: datetime | None = None) -> tuple[Engine, bool]:
    """The demo database (``url``, else ``demo.db`` in the user data directory): the existing one
    if there is one, else a new one built now. ``reset`` rebuilds it (a demo SQLite file is
    deleted first; another URL must be an empty database). Returns the engine and whether it
    was built now.

    Raises ``TimeError`` when ``url`` is a real database or holds cases that are not the demo's.
    """
    from yishi.time.mode import TimeError

    path = demo_path() if url is None else _sqlite_file(url)
    if reset and path is not None and path.exists():
        if url is not None:
            with Engine.open(url) as existing:
                if not is_demo(existing):
                    _check_target(existing)
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
    url = url or f"sqlite:///{path}"
    engine = Engine.open(url)
    if is_demo(engine) and not reset:
        return engine, False
    try:
        if is_demo(engine):
            raise TimeError("--reset rebuilds a demo kept in a SQLite file; drop and recreate this "
                            "database, then run `yishi demo` again",
                            message_zh="--reset 只能重建 SQLite 文件中的演示数据库；请删除并重建此数据库后再运行 `yishi demo`")
        _check_target(engine)
    finally:
        engine.close()
    return build_demo(url, now=now), True


def _sqlite_file(url: str) -> Path | None:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def demo_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path("yishi", appauthor=False, ensure_exists=True) / "demo.db"
