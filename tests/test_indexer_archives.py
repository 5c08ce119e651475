"""Archives zhsearch never saw (issue 14): WordPress, Drupal, Hugo and Wayback mirrors, read right.

Every fixture below ``fixtures/archives`` was written for these tests, in the formats those
generators produce.
"""

from __future__ import annotations

from pathlib import Path

from indexer import read_article
from indexer.article import ParsedArticle

ARCHIVES = Path(__file__).resolve().parent / "fixtures" / "archives"


def parse(rel: str) -> ParsedArticle:
    return read_article(ARCHIVES / rel, rel)


# -- 1. class and id rules match whole name parts, and never drop the article ------------------


def test_taxonomy_classes_on_the_article_keep_its_body_and_real_boilerplate_goes() -> None:
    doc = parse("wordpress/_posts/2021-03-08-phishing.md").document
    # category-newsletters, tag-social-engineering, node-promoted, has-post-thumbnail are taxonomy;
    # the share bar, the newsletter sign-up box and the comment section are page parts.
    assert doc.text == (
        "近几周，多家企业的安全团队报告说，冒充快递公司的钓鱼邮件明显增多。邮件声称包裹因地址不全无法投递，要求收件人点击链接补填信息。\n\n"
        "安全研究人员指出，这类邮件的链接会跳转到仿冒的登录页面，一旦输入账号和密码，攻击者便可以登录受害者的企业邮箱，再向通讯录里的同事发送更多钓鱼邮件。\n\n"
        "专家建议，员工收到此类通知时应直接打开快递公司的官方应用查询，而不是点击邮件中的链接；企业也应为邮箱开启双重验证。"
    )


def test_an_article_inside_a_comment_wrapper_keeps_its_text() -> None:
    doc = parse("drupal/water-price.md").document
    assert doc.text.split("\n\n") == [
        "市发展改革委今天上午举行居民用水价格调整听证会，二十五名听证代表中有十八人同意调整方案。",
        "按照方案，第一阶梯水价每立方米上调三角，第二、第三阶梯同步上调；低保家庭每月可获得十立方米的免费用水额度。",
        "有代表提出，供水管网漏损率仍然偏高，希望供水企业先公布降损计划，再谈涨价。主持人表示，相关意见将写入听证报告。",
        "听证报告将在十个工作日内向社会公布，调整方案最快于明年一月起执行。",
    ]
