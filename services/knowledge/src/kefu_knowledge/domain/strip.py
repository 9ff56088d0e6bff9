"""Stripping a case's text of who and where before it enters the case library (案例库).

The library is read by every agent and department as examples of how problems were solved: it must
name no owner, number or home. ``kefu_kit.masking`` finds phone numbers, e-mail addresses and ID
numbers (it keeps a few digits for logs; here even those go, replaced by a placeholder); then names
said with a title or an introduction (张先生, 我叫李明), and buildings, units and rooms (3幢, 2单元,
1502室, 5-2-1502), including the very building and unit the case's events name.
"""

from __future__ import annotations

import re

from kefu_kit.masking import mask_text

PHONE, EMAIL, ID_NUMBER, NAME, HOME = "[电话]", "[邮箱]", "[证件号]", "业主", "[房号]"

_MASKED_ID = re.compile(r"\d{3}\*{8,11}\d{3}[0-9Xx]")
_MASKED_EMAIL = re.compile(r"[A-Za-z0-9._%+-]\*\*\*@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_MASKED_PHONE = re.compile(r"(?:\+\d{1,3}\s?)?\d{0,4}-?\*{4}\d{4}")
_DIGITS = re.compile(r"\d{7,}")  # any long digit run left (a number written oddly, an account)

_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
             "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
_CN = r"[\u4e00-\u9fff]"
_TITLED = re.compile(rf"[{_SURNAMES}]{_CN}?(?:先生|女士|小姐|阿姨|师傅|老师|总|经理|大爷|大妈|生)")
_INTRODUCED = re.compile(rf"(我叫|我姓|我是|本人|业主|联系人|姓名[:：]?)\s*([{_SURNAMES}]{_CN}{{1,2}})(?=[，,。.；;:：\s的]|反映|说|来电|投诉|报修|打电话|联系|$)")
_NOT_NAMES = ("业主", "物业", "本人", "这里", "那个", "工程", "客服")

_UNIT = re.compile(
    r"(?:\d+\s*(?:号楼|幢|栋|座|单元|楼|层|室|户))+"   # 3幢2单元1502室, 5号楼
    r"|(?<![\d-])\d{1,3}-\d{1,3}-\d{3,4}(?![\d-])"   # 5-2-1502
    r"|(?<![\d-])\d{3,4}(?=\s*(?:房|的|业主))"        # 1502的业主
)


def strip_text(text: str, building: str | None = None, unit: str | None = None) -> str:
    """``text`` with numbers, names and homes replaced by placeholders."""
    if not text:
        return text
    out = mask_text(text)
    out = _MASKED_ID.sub(ID_NUMBER, out)
    out = _MASKED_EMAIL.sub(EMAIL, out)
    out = _MASKED_PHONE.sub(PHONE, out)
    out = _UNIT.sub(HOME, out)
    for known in (building, unit):
        if known and len(known.strip()) >= 2:
            out = out.replace(known.strip(), HOME)
    out = _DIGITS.sub(PHONE, out)
    out = _TITLED.sub(NAME, out)
    out = _INTRODUCED.sub(lambda m: m.group(0) if m.group(2) in _NOT_NAMES else m.group(1) + NAME, out)
    out = re.sub(rf"(?:{re.escape(HOME)})+", HOME, out)
    return out
