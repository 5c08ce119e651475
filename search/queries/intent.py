"""What a question asks for: a time or an amount, and whether a text states one.

A query that asks *when* (``布林肯访华时间``, ``奥运会什么时候开幕``) or *how much / how many*
(``高考报名人数有多少``, ``大桥有多长``) is best answered by the texts that state a date or an
amount: the other texts on the topic mention it without saying it. :func:`answer_kind` reads the
kind from the question words of the query's unquoted text (never from its topic words), and
:func:`states_answer` says whether a title or text holds such a date or amount; the engine ranks the
first documents that do ``ANSWER_FACTOR`` times higher.
"""

from __future__ import annotations

import re

ANSWER_FACTOR = 2.0  # a stated date or amount doubles a document's score (RGB-zh: tuned on even ids)
ANSWER_DEPTH = 30  # how many of the first documents are read for a date or amount (RGB-zh even ids: 20, 30 and 100 rank alike, 15 worse)

TIME = "time"
AMOUNT = "amount"
# Question words (and the nouns questions use for the answer: 开幕时间, 发售日期) by what they ask.
_TIME_QUESTION = re.compile(r"时间|日期|何时|什么时候|哪天|哪一天|哪年|哪一年|哪个月|几月|几号|几点")
_AMOUNT_QUESTION = re.compile(r"多少|几[个位名次家人届岁年天倍场枚座所部条项件只辆架艘]|多[长远高重快深宽厚大久]")
_QUOTED = re.compile(r'"[^"]*"?')
_DIGIT = r"[0-9０-９]"
_NUMERAL = r"[一二三四五六七八九十两〇零]"
# 5月8日, 2022年3月, 2022-03-08, 三月八日, 3月初: a calendar date or month, not a bare year.
_DATE = re.compile(
    rf"{_DIGIT}{{1,2}}\s*月\s*{_DIGIT}{{1,2}}\s*[日号]|{_DIGIT}{{4}}\s*年\s*{_DIGIT}{{1,2}}\s*月"
    rf"|{_DIGIT}{{4}}[-/.]{_DIGIT}{{1,2}}[-/.]{_DIGIT}{{1,2}}|{_NUMERAL}{{1,3}}月{_NUMERAL}{{1,3}}日"
    rf"|{_DIGIT}{{1,2}}\s*月\s*(?:初|中旬|下旬|底)"
)
# A number with what it counts: 1193万, 8.1%, 25人, 3.5公里, 40.5万辆.
_AMOUNT = re.compile(
    rf"{_DIGIT}+(?:[.．]{_DIGIT}+)?\s*(?:万|亿|千|百|%|％|人|辆|名|个|元|美元|倍|岁|米|公里|千米|吨|票|枚|场|次|家|部|座|所|只|条|架|艘|项|届|天|小时|分钟)"
)


def answer_kind(query: str) -> str | None:
    """``"time"``, ``"amount"`` or None: what the query's unquoted text asks for."""
    text = _QUOTED.sub(" ", query)
    if _TIME_QUESTION.search(text):
        return TIME
    if _AMOUNT_QUESTION.search(text):
        return AMOUNT
    return None


def states_answer(kind: str, *texts: str) -> bool:
    """Whether any of ``texts`` states an answer of ``kind`` (a date for time, an amount)."""
    pattern = _DATE if kind == TIME else _AMOUNT
    return any(pattern.search(text) for text in texts if text)
