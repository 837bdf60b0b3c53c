"""What people type into date and number fields, read the way they write it.

Dates: 2026-12-01, 2026/12/1, 2026.12.1, 2026年12月1日, 20261201, 今天/today, 明天/tomorrow,
+3d / +3天 (days from today), -2d, +3wd / +3工作日 (working days on the deployment's calendar,
China's with its 调休 by default); date-times add " 14:30". Each mistake gets a message that
says what is wrong ("2 月没有 30 日") and what is expected ("日期如 2026-12-01").
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from typing import Any

DATE_HINT = ("日期如 2026-12-01、2026/12/1、今天、+3d 或 +3wd（工作日）",
             "a date like 2026-12-01, 2026/12/1, today, +3d or +3wd (working days)")
DATETIME_HINT = ("时间如 2026-12-01 14:30", "a time like 2026-12-01 14:30")
DIGITS_ONLY = ("只能填数字", "digits only")
NUMBER_ONLY = ("只能填数字（可带小数点）", "numbers only (a decimal point is allowed)")

_YMD = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?\s*$")
_COMPACT = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")
_OFFSET = re.compile(r"^\s*([+-])\s*(\d{1,4})\s*(wd|个?工作日|d|天|w|周)?\s*$", re.I)
_TIME = re.compile(r"^(.*?)[ T]+(\d{1,2})[:：](\d{2})(?::(\d{2}))?\s*$")
WORDS = {"今天": 0, "today": 0, "明天": 1, "tomorrow": 1, "昨天": -1, "yesterday": -1, "后天": 2}


def parse_date(raw: str, today: date, lang: str, work: Any = None) -> tuple[str, str]:
    """(ISO date, '') or ('', the message in ``lang``) for what was typed; ``work`` (a
    ``yishi.time.calendar.WorkCalendar``, default China's) counts ``+3wd``."""
    zh = lang.startswith("zh")
    text = raw.strip()
    if not text:
        return "", ""
    if text.lower() in WORDS:
        return (today + timedelta(days=WORDS[text.lower()])).isoformat(), ""
    if m := _OFFSET.match(text):
        sign, n, unit = m.groups()
        if unit and (unit.lower() == "wd" or unit.endswith("工作日")):
            if work is None:
                from yishi.time.calendar import WorkCalendar

                work = WorkCalendar()
            return work.working_day_after(today, int(n) if sign == "+" else -int(n)).isoformat(), ""
        days = int(n) * (7 if unit and unit.lower() in ("w", "周") else 1)
        return (today + timedelta(days=days if sign == "+" else -days)).isoformat(), ""
    m = _YMD.match(text) or _COMPACT.match(text)
    if not m:
        return "", DATE_HINT[0 if zh else 1]
    year, month, day = (int(x) for x in m.groups())
    if not 1 <= month <= 12:
        return "", (f"没有 {month} 月（{DATE_HINT[0]}）" if zh else f"there is no month {month} ({DATE_HINT[1]})")
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        return "", (f"{month} 月没有 {day} 日（该月只有 {last} 天）" if zh else
                    f"{calendar.month_name[month]} has no day {day} (it has {last} days)")
    return date(year, month, day).isoformat(), ""


def parse_datetime(raw: str, today: date, lang: str, work: Any = None) -> tuple[str, str]:
    """(ISO "YYYY-MM-DD HH:MM", '') or ('', message); a date alone means 00:00."""
    zh = lang.startswith("zh")
    text = raw.strip()
    if not text:
        return "", ""
    hour = minute = 0
    if m := _TIME.match(text):
        text, hour, minute = m.group(1), int(m.group(2)), int(m.group(3))
        if hour > 23 or minute > 59:
            return "", (f"没有 {hour}:{minute:02d} 这个时间" if zh else f"{hour}:{minute:02d} is not a time of day")
    day, error = parse_date(text, today, lang, work)
    if error:
        generic = error.startswith(("日期如", "a date like"))
        return "", DATETIME_HINT[0 if zh else 1] if generic else error
    return f"{day} {hour:02d}:{minute:02d}", ""


def typed_number(raw: str, integer: bool, lang: str) -> str:
    """'' when ``raw`` is a number of the kind (or empty), else what is wrong."""
    text = raw.strip().replace(",", "").replace("，", "")
    if not text:
        return ""
    pattern = r"[+-]?\d+" if integer else r"[+-]?(\d+(\.\d*)?|\.\d+)"
    if re.fullmatch(pattern, text):
        return ""
    pair = DIGITS_ONLY if integer else NUMBER_ONLY
    return pair[0 if lang.startswith("zh") else 1]
