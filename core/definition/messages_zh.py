"""Chinese for the validator's messages and hints (``Problem.localized("zh")``).

The validator writes each problem in English from a small set of phrases; this table turns those
phrases into Chinese, phrase by phrase, keeping the names (``'attended'``), positions and values
exactly as written. A phrase it does not know stays English (a test runs the invalid-definition
corpus and asserts that no English phrase is left for any of its problems).
"""

from __future__ import annotations

import re

Q = r"('(?:[^'\\]|\\.)*'|\"[^\"]*\")"  # a quoted name as repr() writes it
LIST = rf"({Q}(?:, {Q})*(?: or {Q})?)"

_PHRASES: list[tuple[str, str]] = [
    # ---------------------------------------------------------------- hints (longest first)
    (rf"did you mean {Q}\? ", r"是不是 \1？"),
    (rf"did you mean {Q}\?", r"是不是 \1？"),
    # schedules (schedule_checks.py)
    (rf"schedule {Q} is declared twice", r"日程 \1 重复声明"),
    (r"give each schedule its own id", r"请给每个日程不同的 id"),
    (rf"schedule {Q}: unknown kind of unit {Q}", r"日程 \1：未知的单位类型 \2"),
    (rf"schedule {Q}: {Q} is not a field of the first step's form \({Q}\)",
     r"日程 \1：\2 不是第一步（\3）表单中的字段"),
    (r"add the field to the first step's form", r"请把该字段加入第一步的表单"),
    (rf"schedule {Q}: {Q} is a field of type {Q}; (.+) cannot be its value", r"日程 \1：\2 是 \3 类型的字段，不能取值 \4"),
    (r"^write a text$", r"请填写文字"),
    (r"^write a whole number$", r"请填写整数"),
    (r"^write a number$", r"请填写数字"),
    (r"^write true or false$", r"请填写 true 或 false"),
    (r"^write a date such as 2026-12-01$", r"请填写日期，如 2026-12-01"),
    (rf"^write one of {LIST}$", r"请填写 \1 之一"),
    (rf"declare it under 'roles:' or use one of {LIST}", r"请在 roles: 下声明，或改用 \1"),
    (rf"declare it under 'params:' or use one of {LIST}", r"请在 params: 下声明，或改用 \1"),
    (r"declare it under 'params:' or no params are declared yet", r"请在 params: 下声明（尚未声明任何参数）"),
    (rf"define it under 'states:' or use one of {LIST}", r"请在 states: 下定义，或改用 \1"),
    (rf"use one of {LIST} or install the plugin that provides it", r"请改用 \1，或安装提供它的插件"),
    (rf"name a field of the first step's form: {LIST}", r"请填写第一步表单中的字段：\1"),
    (r"name a field of a state's form \(or 'state\.field'\)", r"请填写某一阶段表单中的字段（或 '阶段.字段'）"),
    (rf"its arguments are {LIST}", r"可用参数：\1"),
    (rf"allowed keys here: ([^;]*)$", r"此处可用的键：\1"),
    (rf"fire one of {LIST}", r"请改为触发 \1 之一"),
    (rf"use one of {LIST}", r"请改用 \1"),
    (rf"use a param of type {Q} here", r"此处请用类型为 \1 的参数"),
    (r"add a transition out of it or mark it 'final: true'", r"请添加离开它的流转，或标记 'final: true'"),
    (r"add a transition into it or remove it", r"请添加进入它的流转，或删除它"),
    (r"mark the closing state\(s\) 'final: true'", r"请把结束阶段标记为 'final: true'"),
    (rf"remove 'final: true' from {Q} or remove the transition", r"请去掉 \1 的 'final: true'，或删除该流转"),
    (r"keep exactly one: either 'initial: <state>' or one state with 'initial: true'",
     r"只保留一个：'initial: <阶段>' 或某一阶段的 'initial: true'"),
    (r"add 'initial: <state>' at the top level", r"请在顶层添加 'initial: <阶段>'"),
    (rf"add '([^']*): \.\.\.' under {Q}", r"请在 \2 下添加 '\1: ...'"),
    (r"write a number, e\.g\. 'min: 0', or a declared param as 'min: \$name'",
     r"请写数字（如 'min: 0'），或已声明的参数（'min: $名称'）"),
    (r"write e\.g\. '7d', '36h', '1mo' \(calendar months\), '3wd' \(working days\), '1wh' \(working hours\) "
     r"or '0cd' \(to the end of the same day\)",
     r"请写成如 '7d'、'36h'、'1mo'（自然月）、'3wd'（工作日）、'1wh'（工作小时）或 '0cd'（当日24时前）"),
    (r"write e\.g\. '7d', '36h', '90m', '1d12h' or 'P7D'", r"请写成如 '7d'、'36h'、'90m'、'1d12h' 或 'P7D'"),
    (r"write e\.g\. '2/3', '1/2' or 0\.5", r"请写成如 '2/3'、'1/2' 或 0.5"),
    (r"write a share such as '2/3' or 0\.5", r"请写一个比例，如 '2/3' 或 0.5"),
    (r"write a whole number, e\.g\. 1", r"请写整数，如 1"),
    (r"write text, or both languages as \{zh: …, en: …\}", r"请写文字，或 {zh: …, en: …} 两种语言"),
    (r"write a state name, or a list of them as \[a, b\]", r"请写阶段名，或 [a, b] 这样的列表"),
    (r"write each as its own '- name: \{arg: value\}' item", r"请把每个写成单独的 '- 名称: {参数: 值}' 项"),
    (r"add 'choices: \[a, b\]' \(or '- \{value: a, label: …\}' items\)", r"请添加 'choices: [a, b]'（或 '- {value: a, label: …}' 项）"),
    (r"add 'fields:' with the form of one item", r"请添加 'fields:'，写明每一项的表单"),
    (rf"add '([^']*):'", r"请添加 '\1:'"),
    (r"keep one, and use a second timer for the other", r"只保留一个，另一个用第二个定时器"),
    (rf"use lower-case letters, digits and '_', starting with a letter, e\.g\. {Q}",
     r"请用小写字母、数字和 '_'，以字母开头，例如 \1"),
    (r"use (\d+) or more", r"请用 \1 或更大的数"),
    (r"remove or rename one of them", r"请删除或重命名其中一个"),
    (r"rename one of them", r"请重命名其中一个"),
    (r"remove it", r"请删除它"),
    (r"see 'yishi workflows schema' for what is allowed here", r"此处可写的内容见 'yishi workflows schema'"),
    # ---------------------------------------------------------------- messages
    (rf"state {Q} is a dead end: it is not final and has no way out", r"阶段 \1 是死路：不是结束阶段，也没有出路"),
    (rf"state {Q} is unreachable from initial state {Q}", r"从初始阶段 \2 到不了阶段 \1"),
    (rf"final state {Q} has an outgoing transition {Q}", r"结束阶段 \1 还有流出的流转 \2"),
    (rf"more than one initial state: {LIST}", r"初始阶段不止一个：\1"),
    (r"no initial state", r"没有初始阶段"),
    (rf"initial state {Q} is not defined", r"初始阶段 \1 未定义"),
    (r"no state is final", r"没有结束阶段"),
    (rf"transition {Q}: unknown (source|destination) state {Q}",
     lambda m: f"流转 {m[1]}：未知的{'来源' if m[2] == 'source' else '目标'}阶段 {m[3]}"),
    (rf"transition {Q}: unknown role {Q}", r"流转 \1：未知的角色 \2"),
    (rf"timer in {Q} reminds unknown role {Q}", r"\1 的定时器提醒未知的角色 \2"),
    (rf"timer in {Q} fires {Q}, but no transition has that trigger; it cannot leave {Q}",
     r"\1 的定时器触发 \2，但没有流转用这个触发名；它离不开 \3"),
    (rf"timer in {Q} fires {Q}, which does not leave {Q}", r"\1 的定时器触发 \2，但它不离开 \3"),
    (rf"start_roles: unknown role {Q}", r"start_roles：未知的角色 \1"),
    (rf"subject field {Q} is not in any form", r"议题字段 \1 不在任何表单中"),
    (rf"unknown (guard|action) {Q}", lambda m: f"未知的{'规则' if m[1] == 'guard' else '动作'} {m[2]}"),
    (rf"(guard|action) {Q}, argument {Q}: ", lambda m: f"{'规则' if m[1] == 'guard' else '动作'} {m[2]} 的参数 {m[3]}："),
    (rf"(guard|action) {Q} takes no argument {Q}", lambda m: f"{'规则' if m[1] == 'guard' else '动作'} {m[2]} 没有参数 {m[3]}"),
    (rf"(guard|action) {Q} needs argument {Q}", lambda m: f"{'规则' if m[1] == 'guard' else '动作'} {m[2]} 需要参数 {m[3]}"),
    (rf"(guard|action) {Q}: give exactly one of {LIST}", lambda m: f"{'规则' if m[1] == 'guard' else '动作'} {m[2]}：{m[3]} 只能给一个"),
    (rf"unknown field {Q}", r"未知的字段 \1"),
    (rf"unknown param {Q}", r"未知的参数 \1"),
    (rf"param {Q} is of type {Q}", r"参数 \1 的类型是 \2"),
    (rf"field {Q}: (min|max) {Q} is neither a number nor a \$param", r"字段 \1：\2 值 \3 既不是数字也不是 $参数"),
    (rf"field {Q} appears twice in this form", r"字段 \1 在此表单中出现了两次"),
    (rf"field {Q} of type {Q} has no choices", r"字段 \1（类型 \2）没有选项"),
    (rf"field {Q} of type {Q} has no item fields", r"字段 \1（类型 \2）没有列出每项的字段"),
    (rf"timer 'after': ", r"定时器 'after'："),
    (rf"{Q} is not between 0 and 1", r"\1 不在 0 和 1 之间"),
    (rf"{Q} is not a fraction, but the param is of type 'fraction'", r"\1 不是分数，但该参数的类型是 'fraction'"),
    (rf"{Q} is not a fraction", r"\1 不是分数"),
    (rf"{Q} is not a duration", r"\1 不是时长"),
    (rf"{Q} is not a whole number", r"\1 不是整数"),
    (rf"{Q} is not a valid name", r"\1 不是有效的名称"),
    (rf"{Q} is not allowed", r"\1 不可用"),
    (rf"(\S+) is out of range", r"\1 超出范围"),
    (rf"unknown key {Q} in (\S+)", r"\2 中有未知的键 \1"),
    (rf"the workflow is missing required key {Q}", r"流程缺少必需的键 \1"),
    (rf"(\S+) is missing required key {Q}", r"\1 缺少必需的键 \2"),
    (r"expected text, got (.*)$", r"应为文字，实为 \1"),
    (r"the timer has both 'remind' and 'fire'", r"定时器同时有 'remind' 和 'fire'"),
    (rf"one list item names (\d+) guards or actions \(({LIST})\)", r"一个列表项写了 \1 个规则或动作（\2）"),
    (rf"(\{{[^}}]*\}}) is not a state name", r"\1 不是阶段名"),
    (r"the file is empty", r"文件是空的"),
    (r"YAML syntax error: ", r"YAML 语法错误："),
    (rf"custom tag {Q} is not allowed", r"不允许自定义标签 \1"),
    (rf"key {Q} appears twice \(first at line (\d+)\)", r"键 \1 出现了两次（第一次在第 \2 行）"),
    (r"a workflow file must be a mapping of keys, not (.*)$", r"流程文件必须是键值映射，而不是\1"),
    (r"the document expands to more than (\d+) values \(anchors and aliases repeated too often\)",
     r"文档展开后超过 \1 个值（锚点和别名重复过多）"),
    (r"write the values out instead of nesting aliases of aliases", r"请直接写出各值，不要层层嵌套别名"),
    (r"remove the tag; workflow files are plain YAML", r"请删除该标签；流程文件是普通 YAML"),
    (r"the document is nested more than (\d+) levels deep", r"文档嵌套超过 \1 层"),
    (r"flatten the structure; a workflow needs far fewer levels", r"请减少嵌套；流程用不了这么多层"),
    (r"start with 'id:', 'version:' and 'title:' at column 1", r"请从第 1 列的 'id:'、'version:'、'title:' 写起"),
    (r"start with 'id:', 'version:' and 'title:'", r"请从 'id:'、'version:'、'title:' 写起"),
    (r"merge keys \('<<'\) are not supported", r"不支持合并键（'<<'）"),
    (r"write the keys out in full", r"请把各键完整写出"),
    (r"the file holds more than one document", r"文件里有不止一个文档"),
    (r"keep one workflow per file and remove the second '---'", r"每个文件只放一个流程，请删除第二个 '---'"),
    (r"an alias refers to the collection it is part of", r"别名指向了包含它自己的集合"),
    (r"remove the alias; a workflow cannot contain itself", r"请删除该别名；流程不能包含自身"),
    (r"a tab is used for indentation", r"缩进用了制表符"),
    (r"indent with spaces, not tabs", r"请用空格缩进，不要用制表符"),
    (r"mapping values are not allowed in this context", r"此处不能写映射值"),
    (r"quote values that contain ': ' or check the indentation of this line", r"含 ': ' 的值请加引号，或检查本行缩进"),
    (r"the file is not UTF-8", r"文件不是 UTF-8 编码"),
    # tagged scalars, readonly fields redeclared, unreadable files (issue #10)
    (rf"{Q} cannot be read as (a whole number|a number|true or false|empty) \(it is tagged '!!(\w+)'\)",
     lambda m: f"{m[1]} 无法读作{ {'a whole number': '整数', 'a number': '数字', 'true or false': 'true 或 false', 'empty': '空值'}[m[2]] }（它带有 '!!{m[3]}' 标签）"),
    (r"remove the '!!(\w+)' tag, or write (a whole number such as 3|a number such as 0\.5|true or false|nothing after the colon)",
     lambda m: f"请删除 '!!{m[1]}' 标签，或写{ {'a whole number such as 3': '整数（如 3）', 'a number such as 0.5': '数字（如 0.5）', 'true or false': ' true 或 false', 'nothing after the colon': '冒号后不写内容'}[m[2]] }"),
    (rf"transition {Q}: field {Q} is readonly in state {Q}, so its form may not declare it again",
     r"流转 \1：字段 \2 在阶段 \3 中由流程自动记录（只读），流转的表单不能再声明它"),
    (rf"rename the transition's field, or drop 'readonly: true' from {Q} in {Q} if people may type it in",
     r"请给流转的字段改名；如果该项允许人填写，请去掉 \2 中 \1 的 'readonly: true'"),
    (r"(-?inf|nan) is not a duration", r"\1 不是时长"),
    (r"write e\.g\. '7d', '36h' or 'P7D'", r"请写成如 '7d'、'36h' 或 'P7D'"),
    (r"the file is nested too deeply to be read", r"文件嵌套太深，无法读取"),
    (r"flatten the structure; a workflow needs few levels", r"请减少嵌套；流程用不了这么多层"),
    (rf"field {Q}: (min|max) {Q} is neither a number, a \$param nor a field", r"字段 \1：\2 值 \3 既不是数字、$参数，也不是字段"),
    (rf"check: sum of {Q} is neither a number, a \$param nor a field", r"检查：求和项 \1 既不是数字、$参数，也不是字段"),
    (r"write a number, a declared param as '\$name', or the name of a number field \('field' or 'state\.field'\)",
     r"请写数字、已声明的参数（'$名称'），或数字字段的名称（'字段' 或 '阶段.字段'）"),
    (rf"this (guard|action) needs a field of type {LIST}",
     lambda m: f"此{'规则' if m[1] == 'guard' else '动作'}需要类型为 {m[2]} 的字段"),
    (rf"; fields of that type here: {LIST}", r"；此流程中这类字段有：\1"),
    (r"; add one to a form", r"；请在表单中添加一个"),
    (rf"{Q} is an? (\w+) field$", r"\1 是 \2 类型的字段"),
    (rf"name a field of type {LIST}", r"请填写类型为 \1 的字段"),
    (rf"field {Q}: {Q} needs a date or datetime field \(it is {Q}\)", r"字段 \1：\2 只能用于日期或日期时间字段（它是 \3）"),
    (rf"remove {Q} or make the field 'type: date'", r"请删除 \1，或把该字段改为 'type: date'"),
    (rf"write 'now', 'opened', 'entered' or a date field \('field' or 'state\.field'\)",
     r"请写 'now'、'opened'、'entered' 或日期字段（'字段' 或 '阶段.字段'）"),
    (rf"field {Q}: unique names unknown item field {Q}", r"字段 \1：unique 指向未知的项字段 \2"),
    # lists of names: 'a', 'b' or 'c' → 'a'、'b' 或 'c'
    (r"' or '", r"' 或 '"),
    (r"', '", r"'、'"),
]
_COMPILED = [(re.compile(pattern), replacement) for pattern, replacement in _PHRASES]
_ENGLISH_WORD = re.compile(r"\b(?:is|the|not|of|and|or|an|use|add|write|has|no|unknown|in|to|at|with|are)\b")


def translate(text: str) -> str:
    """``text`` with every known English phrase replaced by its Chinese."""
    for pattern, replacement in _COMPILED:
        text = pattern.sub(replacement, text)  # type: ignore[arg-type]
    return text


def untranslated(text: str) -> bool:
    """Whether English words are left once quoted names are set aside (for tests)."""
    bare = re.sub(Q, "", translate(text))
    return bool(_ENGLISH_WORD.search(bare))
