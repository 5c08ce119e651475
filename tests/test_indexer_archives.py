"""Archives zhsearch never saw (issue 14): WordPress, Drupal, Hugo and Wayback mirrors, read right.

Every fixture below ``fixtures/archives`` was written for these tests, in the formats those
generators produce.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

import pytest

from zhsearch.indexer import SkipArticle, clean_body, parse_archive, read_article
from zhsearch.indexer.article import ParsedArticle, parse_article
from zhsearch.indexer.clean import cleaning_warnings
from zhsearch.indexer.frontmatter import split_front_matter


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


def test_a_short_post_inside_a_comment_wrapper_keeps_its_text_and_loses_its_comments() -> None:
    body = (
        '<div class="comment-wrapper"><div class="node node-article node-promoted">'
        "<p>修鞋摊下个月搬到菜市场旁边。</p><p>街道给他留了一个带顶棚的摊位。</p></div>"
        '<div class="comments"><p>张阿姨：支持！</p></div></div>'
    )
    cleaned = clean_body(body)
    assert cleaned.text == "修鞋摊下个月搬到菜市场旁边。\n\n街道给他留了一个带顶棚的摊位。"
    assert [(r.rule, r.detail) for r in cleaned.removed] == [("class rule", 'class="comments"')]


def test_a_share_bar_that_is_most_of_a_short_post_still_goes() -> None:
    links = "".join(f'<a href="/s/{i}">分享到第{i}个网站</a>' for i in range(8))
    assert clean_body(f'<p>新桥合龙。</p><div class="share-bar">{links}</div>').text == "新桥合龙。"


# -- 2. archive wrappers unwrapped; the outlet is an outlet ------------------------------------


@pytest.mark.parametrize(
    ("wrapped", "original"),
    [
        ("https://web.archive.org/web/20200922234926/https://www.example-news.com/article/a", "https://www.example-news.com/article/a"),
        ("https://web.archive.org/web/20200922234926id_/http://www.example-news.com/a?p=1", "http://www.example-news.com/a?p=1"),
        ("http://web.archive.org/web/20200922234926im_/http:/www.example-news.com/a.jpg", "http://www.example-news.com/a.jpg"),
        ("https://web.archive.org/web/2020if_/www.example-news.com/a", "http://www.example-news.com/a"),
        ("https://archive.ph/2020.09.22-234926/https://www.example-news.com/a", "https://www.example-news.com/a"),
        ("https://wayback.archive-it.org/1234/20200922234926/https://www.example-news.com/a", "https://www.example-news.com/a"),
        ("https://www.example-news.com/web/20200922234926/a", "https://www.example-news.com/web/20200922234926/a"),
    ],
)
def test_web_archive_wrappers_are_unwrapped(wrapped: str, original: str) -> None:
    from zhsearch.indexer.metadata import unwrap_archive_url

    assert unwrap_archive_url(wrapped) == original


def test_a_wayback_url_is_stored_as_the_original_and_its_host_is_the_outlet() -> None:
    doc = parse("wayback-mirror/_posts/2020-09-22-harbor-dredging.md").document
    assert doc.url == "https://www.example-news.com/article/harbor-dredging-2020"
    assert doc.source == "example-news.com"
    assert doc.date == datetime(2020, 9, 22, 0, 15, tzinfo=timezone.utc)  # never the capture time


def test_original_url_wins_over_a_wrapper_and_sticky_is_no_outlet() -> None:
    doc = parse("wayback-mirror/_posts/2020-09-23-ferry.md").document
    assert (doc.url, doc.source) == ("https://www.example-news.com/city/ferry-night-service", "example-news.com")


def test_on_a_video_platform_and_without_a_url_the_sites_config_names_the_outlet() -> None:
    video = parse("wayback-mirror/_posts/2020-09-24-typhoon-video.md").document
    assert (video.url, video.source) == ("https://www.youtube.com/watch?v=Zx0example", "海港日报")
    column = parse("wayback-mirror/_posts/2020-09-25-column.md").document
    assert (column.source, column.author, column.categories) == ("海港日报", "陈思远", ("陈思远", "Archive"))


def test_hugo_config_above_the_given_folder_names_the_site() -> None:
    doc = read_article(ARCHIVES / "hugo-site" / "content" / "posts" / "cable-car.md", "posts/cable-car.md").document
    assert (doc.source, doc.author) == ("山城晚报", "王一鸣")


@pytest.mark.parametrize(
    ("rel", "source"),
    [
        ("platforms/matters-post.md", "林间"),  # a platform: the account, not matters.news or Archive
        ("platforms/rfa-via-mirror.md", "RFA"),  # a mirror host; the byline names a known outlet (traditional)
        ("platforms/columnist.md", "example-news.com"),  # the columnist filed under his own name
    ],
)
def test_platforms_mirrors_generic_categories_and_columnists_are_no_outlets(rel: str, source: str) -> None:
    assert parse(rel).document.source == source


# -- 3. dates: an impossible date is ignored and reported, never a skip ------------------------


@pytest.mark.parametrize(
    ("rel", "value", "expected"),
    [
        ("dates/impossible-date.md", "2021-02-30", None),
        ("dates/unparseable-date.md", "去年冬天的某个下午", None),
        ("dates/impossible-datetime.md", "2021-13-01 25:61:00", datetime(2021, 4, 2, 1, tzinfo=timezone.utc)),
    ],
)
def test_an_impossible_or_unparseable_date_is_recovered(rel: str, value: str, expected: datetime | None) -> None:
    parsed = parse(rel)
    assert parsed.recovered == [f"unparseable date ignored: {value!r}"]
    assert parsed.document.date == expected
    assert parsed.document.text  # the article itself is indexed


def test_a_same_day_update_stamp_gives_a_bare_date_its_time() -> None:
    assert parse("dates/same-day-update.md").document.date == datetime(2021, 3, 5, 6, 20, tzinfo=timezone.utc)
    assert parse("dates/later-update.md").document.date == datetime(2021, 3, 5, tzinfo=timezone.utc)


# -- 4. leftovers: shortcodes, hard-wrapped HTML, URLs, phrase rules, link lists, titles, error pages


def test_hugo_shortcodes_go_and_a_figure_keeps_its_caption_and_a_notice_its_text() -> None:
    doc = read_article(ARCHIVES / "hugo-site" / "content" / "posts" / "lantern-festival.md", "posts/lantern-festival.md").document
    assert doc.title == "灯会今晚开幕"  # the site's name after the dash is not part of the title
    assert doc.text.split("\n\n") == [
        "江边的灯组",
        "今年的灯会沿江布置了六个展区，主办方说灯组数量比往年多一倍。",
        "夜间地铁延长运营至凌晨一点。",
        "市民可以从官方页面查看交通安排。",
    ]


def test_lines_inside_a_paragraph_urls_phrase_rules_and_placeholders() -> None:
    doc = parse("leftovers/hard-wrapped.md").document
    assert doc.text.split("\n\n") == [
        # one <p> is one paragraph; a line break between Han characters is nothing, else a space
        "入汛前，区水务部门组织了三支队伍，对城区十二条河道进行清淤。负责编辑这份河道档案的工程师说，今年清出的淤泥比去年少了两成。",
        "Residents can report blocked drains by phone.",
        # the URLs go, the text glued to them stays
        "完整的清淤计划见，或到街道办领取纸质版。详情参阅。",
        # 責編 inside 負責編輯 is no editor line; 请在这输入 Caption is a CMS placeholder; 责编：周明 goes
        "負責編輯這份年鑑的陳老師退休前，把三十年的水文資料整理成冊，今年由區志辦公室正式出版，供研究人員和市民免費查閱。",
    ]


def test_a_post_that_is_a_list_of_headlines_keeps_them() -> None:
    doc = parse("leftovers/headlines.md").document
    assert doc.text.split("\n\n") == [
        "地铁四号线南延段今日通车",
        "全市中小学春季学期开学",
        "老城区燃气管道改造完成过半",
        "图书馆新馆试运行 每日限流三千人",
    ]


@pytest.mark.parametrize("rel", ["leftovers/temporarily-offline.html", "leftovers/404.md"])
def test_archived_error_pages_are_skipped_with_their_own_reason(rel: str) -> None:
    with pytest.raises(SkipArticle, match=r"^not an article: error page$"):
        parse(rel)


def test_a_long_paragraph_loses_only_the_sentence_a_phrase_rule_matches() -> None:
    long = "市民反映的问题已经转交有关部门处理。" * 8 + "欢迎订阅本报电子报。" + "下周将公布处理结果。"
    assert clean_body(f"<p>{long}</p>").text == "市民反映的问题已经转交有关部门处理。" * 8 + "下周将公布处理结果。"


def test_a_credit_sentence_inside_a_paragraph_too_long_to_be_a_credit_line_goes_alone() -> None:
    # 130 characters: no whole-paragraph rule matches it, yet one of its sentences is a credit
    before = "镇政府在老城区试行错时共享停车，机关单位的四个停车场晚上七点后向居民开放，白天留给职工使用。记者在现场看到，首晚就有六十多辆车停进了镇政府大院。"
    after = "试行一个月后，镇里将根据使用情况决定是否推广到学校和医院的停车场。"
    cleaned = clean_body(f"<p>{before}责任编辑：王立。{after}</p>")
    assert cleaned.text == before + after
    assert [(r.rule, r.text) for r in cleaned.removed] == [("phrase rule", "责任编辑：王立。")]


@pytest.mark.parametrize(
    ("title", "expected"),
    [("法国清真寺遭绘上纳粹&amp;#21328;字", "法国清真寺遭绘上纳粹卐字"), ("处理“遗物&quot;", "处理“遗物\""), ("A&amp;B 公司", "A&B 公司")],
)
def test_html_entities_in_a_title_are_decoded_even_when_escaped_twice(title: str, expected: str) -> None:
    data = f"---\ntitle: '{title}'\n---\n正文一段。\n".encode()
    assert parse_article(data, doc_id="a.md", path=PurePosixPath("a.md")).document.title == expected


def test_titles_lose_a_trailing_site_name() -> None:
    from zhsearch.indexer.article import title_without_site

    assert title_without_site("贸易协议检讨 美中同意持续推动 – 法国国际广播电台 - RFI", "法广") == "贸易协议检讨 美中同意持续推动"
    assert title_without_site("港股收跌 | 联合早报", None) == "港股收跌"
    assert title_without_site("河道清淤进展｜河畔周报", "河畔周报") == "河道清淤进展"
    assert title_without_site("问答 - 一位老船长", "河畔周报") == "问答 - 一位老船长"


# -- 5. learned boilerplate: per outlet and per URL host; short legitimate lines never learned --

APPEAL = "如果你喜欢我们的报道，请考虑每月捐助十元，支持独立的地方新闻。"
WRITERS = ["林晓", "陈思远", "王一鸣", "张子衡", "周明", "李青"]


def test_a_footer_is_learned_per_url_host_when_each_post_names_its_author_as_outlet(tmp_path: Path) -> None:
    for i, writer in enumerate(WRITERS):
        (tmp_path / f"post-{i}.md").write_text(
            f"---\ntitle: 第{i}篇评论\nauthor: {writer}\ncategories: [{writer}]\nsource: {writer}\n"
            f"url: https://www.example-news.com/opinion/{i}\n---\n"
            f"<p>{writer}写的第{i}篇评论，讨论城市公共空间。</p><p>{APPEAL}</p>\n",
            encoding="utf-8",
        )
    documents, report = parse_archive([tmp_path])
    assert {d.source for d in documents} == set(WRITERS)  # an explicit source is kept as written
    assert not any(APPEAL in d.text for d in documents)
    assert (report.learned_paragraphs, report.dropped_paragraphs) == (1, 6)


def test_a_footer_is_learned_per_folder_when_posts_have_no_url_and_each_its_own_outlet(tmp_path: Path) -> None:
    for i, writer in enumerate(WRITERS[:5]):
        (tmp_path / f"post-{i}.md").write_text(
            f"---\ntitle: 第{i}篇专栏\nauthor: {writer}\n---\n<p>{writer}的第{i}篇专栏，谈老街改造。</p><p>{APPEAL}</p>\n",
            encoding="utf-8",
        )
    documents, report = parse_archive([tmp_path])
    assert {d.source for d in documents} == set(WRITERS[:5])
    assert [d.text for d in documents] == [f"{w}的第{i}篇专栏，谈老街改造。" for i, w in enumerate(WRITERS[:5])]
    assert report.dropped_paragraphs == 5


def test_a_paragraph_learned_for_a_folder_alone_goes_only_from_the_head_or_tail(tmp_path: Path) -> None:
    wire = "据通讯社报道，跨海大桥今天正式通车，全长三十二公里，是目前最长的跨海公路桥。"
    for i, writer in enumerate(WRITERS[:5]):  # five outlets of one folder carry the same wire story
        (tmp_path / f"post-{i}.md").write_text(
            f"---\ntitle: 大桥通车{i}\nsource: 报社{i}\n---\n<p>本报第{i}则消息。</p><p>{wire}</p><p>{writer}补充报道。</p><p>{APPEAL}</p>\n",
            encoding="utf-8",
        )
    documents, _ = parse_archive([tmp_path])
    assert [d.text.split("\n\n") for d in documents] == [
        [f"本报第{i}则消息。", wire, f"{w}补充报道。"] for i, w in enumerate(WRITERS[:5])
    ]


def test_short_lines_numbered_headings_and_colon_lines_are_never_learned(tmp_path: Path) -> None:
    shared = ["国内联播快讯", "一、会议要点", "註釋：", "第二部分"]
    for i in range(8):
        body = "".join(f"<p>{line}</p>" for line in shared)
        (tmp_path / f"2020-08-0{i + 1}.md").write_text(
            f"---\ntitle: 第{i + 1}期节目文字稿\nsource: 某台\n---\n<p>第{i + 1}期的正文，内容各不相同：编号{i}。</p>{body}\n",
            encoding="utf-8",
        )
    documents, report = parse_archive([tmp_path])
    assert report.learned_paragraphs == 0
    assert all(d.text.split("\n\n")[1:] == shared for d in documents)


# -- 6. Markdown mixed with HTML is rendered; WordPress export leftovers go -------------------


def test_a_wordpress_export_mixing_markdown_and_html_reads_as_text() -> None:
    doc = parse("wordpress/export/bus-routes.md").document
    assert doc.text.split("\n\n") == [
        "七月起，三条公交线路调整走向，下面是调整前后的对照。",
        "新开通的12路终点站",  # [caption] keeps its caption, [embed] goes with its URL
        "线路 调整前 调整后",  # a Markdown table: one line per row
        "12路 火车站 高铁新城",
        "35路 老城 老城（绕行滨江路）",
        "公交公司表示：“调整是为了让新小区的居民少走一段路。”",  # a Markdown quote
        "乘客可拨打服务热线查询具体站点。",
    ]
    assert doc.source == "编辑部" and doc.categories == ("交通", "Uncategorized")


# -- 7. image credits and author bios go, and the cleaner says which rule removed what ---------


def test_image_credits_and_author_bios_are_removed_and_named() -> None:
    doc = parse("leftovers/credits-and-bio.md").document
    assert doc.text.split("\n\n") == [
        "废弃十多年的三号码头将改建为滨江公园，工程今天开工，预计明年春天开放。",
        "路透社此前报道，港务集团去年把码头的使用权移交给区政府。",  # the agency named in a sentence stays
        "改建后的码头将保留两台老吊车。（资料图片）",  # a caption that says something stays
        "设计方案保留了两台上世纪的门式吊车和一段铁轨，作为工业遗迹供市民参观。",
        "新华社记者在现场看到，施工围挡上印着公园的效果图。",
    ]


def test_each_removed_block_names_the_rule_that_removed_it() -> None:
    fm = split_front_matter((ARCHIVES / "leftovers" / "credits-and-bio.md").read_text(encoding="utf-8"))
    removed = clean_body(fm.body, title="旧码头改建为滨江公园").removed
    assert [(r.rule, r.text) for r in removed] == [
        ("class rule", "许文澜，本报城市版记者，长期关注旧城更新。"),
        ("image credit", "（图／路透社）"),
        ("image credit", "摄影：韩立新"),
        ("image credit", "Photo: AFP/Getty Images"),
        ("image credit", "新华社"),
        ("author bio", "（作者为城市规划研究院高级工程师）"),
    ]
    assert removed[0].detail == 'class="author-bio"'
    assert removed[0].to_dict() == {"rule": "class rule", "detail": 'class="author-bio"', "text": removed[0].text}


def test_the_body_counts_its_visible_characters_before_any_rule() -> None:
    cleaned = clean_body('<p>正文一段。</p><div class="share-bar">分享到微博</div>')
    assert (cleaned.text, cleaned.visible_chars) == ("正文一段。", len("正文一段。分享到微博"))


@pytest.mark.parametrize(
    ("caption", "removed"),
    [
        ("（记者周海摄）", True),
        ("林小雨 摄", True),
        ("图｜陈默", True),
        ("图片来源：Getty Images via AFP", True),
        ("（Credit: EPA）", True),
        # a caption that describes the picture stays, with or without its credit
        ("渡轮停靠在新建的浮码头旁（记者周海摄）", False),
        ("图：市民在江边排队登上夜游船", False),
        ("工人正在拆除旧仓库的屋顶 （本报记者拍摄）", False),
    ],
)
def test_only_a_caption_that_is_nothing_but_a_credit_is_removed(caption: str, removed: bool) -> None:
    cleaned = clean_body(f"<p>渡轮夜航今晚恢复。</p><figure><figcaption>{caption}</figcaption></figure>")
    assert cleaned.text == ("渡轮夜航今晚恢复。" if removed else f"渡轮夜航今晚恢复。\n\n{caption}")


# -- 8. the index summary shows misreadings: outlets, undated share, over-cleaned, remnants ----


def _write_summary_archive(root: Path) -> None:
    for i in range(12):
        source = "河畔周报" if i < 7 else "山城晚报" if i < 10 else f"小报{i}"
        date = f"date: 2021-03-{i + 1:02d}\n" if i % 4 else ""
        (root / f"post-{i}.md").write_text(
            f"---\ntitle: 第{i}篇\nsource: {source}\n{date}---\n<p>第{i}篇报道的正文，各篇内容不同，编号{i}。</p>\n", encoding="utf-8"
        )
    shares = "".join(f'<a href="/s/{i}">把这篇文章分享到第{i}个网站</a>' for i in range(10))
    (root / "shares.md").write_text(
        f"---\ntitle: 新桥合龙\nsource: 河畔周报\ndate: 2021-04-01\n---\n<p>新桥今天下午合龙。</p><div class=\"share-bar\">{shares}</div>\n",
        encoding="utf-8",
    )
    (root / "liquid.md").write_text(
        "---\ntitle: 模板\nsource: 河畔周报\ndate: 2021-04-02\n---\n正文里留下了模板标签 {% include ad.html %} 没有处理。\n", encoding="utf-8"
    )


def test_the_build_summary_names_top_outlets_undated_share_and_misread_documents(tmp_path: Path) -> None:
    _write_summary_archive(tmp_path)
    _, report = parse_archive([tmp_path])
    assert report.summary().splitlines() == [
        "14 files seen, 14 indexed, 0 skipped",
        "  flagged 1: template remnant (see --report)",  # liquid.md comes first
        "  flagged 1: over-cleaned (see --report)",
        "  outlets: 河畔周报 9, 山城晚报 3, 小报10 1, 小报11 1",
        "  undated: 3 of 14 documents (21.4%)",
    ]
    flagged = [(o.path, o.reason) for o in report.outcomes if o.status == "flagged"]
    visible = len("新桥今天下午合龙。") + 10 * len("把这篇文章分享到第0个网站")
    assert flagged == [
        ("liquid.md", "template remnant: {% include ad.html %}"),
        ("shares.md", f"over-cleaned: kept 9 of {visible} visible characters (6%)"),
    ]


def test_what_line_rules_removed_is_no_sign_of_over_cleaning() -> None:
    # a post of pictures: its only text an 原标题 line and a feed footer after the last rule
    footer = "© 某作者 for 某网站 | Permalink | 评论 | 分享到微博 | 获取更多RSS：更多内容请访问本站首页" * 2
    body = f'<p>原标题：学会这些逻辑，你就能说服所有人了</p><p><img src="a.jpg"></p><p>图一。</p><hr><p>{footer}</p>'
    cleaned = clean_body(body)
    assert cleaned.text == "图一。" and cleaned.visible_chars >= 100
    assert cleaning_warnings(cleaned.text, cleaned.visible_chars, cleaned.removed) == []
    shares = "".join(f'<a href="/s/{i}">分享到第{i}个社交网站上去</a>' for i in range(8))
    dropped = clean_body(f'<p>新桥今天合龙。</p><div class="share-bar">{shares}</div>')  # a class rule did
    assert cleaning_warnings(dropped.text, dropped.visible_chars, dropped.removed) == [
        f"over-cleaned: kept 7 of {dropped.visible_chars} visible characters (7%)"
    ]


def test_the_summary_names_ten_outlets_at_most(tmp_path: Path) -> None:
    for i in range(13):
        (tmp_path / f"{i:02d}.md").write_text(f"---\ntitle: 第{i}篇\nsource: 报{i:02d}\n---\n正文{i}。\n", encoding="utf-8")
    _, report = parse_archive([tmp_path])
    outlets = next(line for line in report.summary().splitlines() if line.startswith("  outlets: "))
    assert outlets == "  outlets: " + ", ".join(f"报{i:02d} 1" for i in range(10)) + " and 3 more"


# -- 3. the folder names the outlet before a bare author ------------------------------------


def _post(folder: Path, name: str, title: str, *, author: str = "韩松", url: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    header = f"title: {title}\nauthor: {author}\n" + (f"url: {url}\n" if url else "")
    path.write_text(f"---\n{header}---\n<p>{title}的正文，写给读者。</p>\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("folders", "source", "origin"),
    [
        (("北岸评论", "_posts"), "北岸评论", "folder name"),  # the site's folder, not the columnist
        (("rsshub-hexo", "财联社", "电报"), "财联社", "folder name"),  # a tool's folder says nothing, the site's does
        (("mirrors", "www.zaobao.com", "2020"), "联合早报", "folder name"),  # a host name folder, as its URL would
        (("waimei-2020q3", "2020-07-17"), "韩松", "front matter: author"),  # dated folders: the author after all
        (("hugo-site", "content", "posts"), "韩松", "front matter: author"),
    ],
)
def test_the_folder_names_the_outlet_before_a_bare_author(
    tmp_path: Path, folders: tuple[str, ...], source: str, origin: str
) -> None:
    root = tmp_path / folders[0]
    path = _post(root.joinpath(*folders[1:]), "a.md", "老街改造不该只剩门面")
    parsed = read_article(path, path.relative_to(root).as_posix())
    assert (parsed.document.source, parsed.origins["source"]) == (source, origin)


def test_on_a_platform_the_account_beats_the_folder(tmp_path: Path) -> None:
    path = _post(tmp_path / "北岸评论", "a.md", "江城夜话", author="江城电视台", url="https://www.youtube.com/watch?v=x1")
    parsed = read_article(path, "a.md")
    assert (parsed.document.source, parsed.origins["source"]) == ("江城电视台", "front matter: author (the account on a platform)")


def test_each_of_several_archives_given_is_named_by_its_own_folder(tmp_path: Path) -> None:
    _post(tmp_path / "北岸评论" / "_posts", "a.md", "老街改造不该只剩门面")
    _post(tmp_path / "南岸评论" / "_posts", "a.md", "渡口的最后一班船", author="林海音")
    documents, _ = parse_archive([tmp_path / "北岸评论", tmp_path / "南岸评论"])
    assert {(d.id, d.source) for d in documents} == {("北岸评论/_posts/a.md", "北岸评论"), ("南岸评论/_posts/a.md", "南岸评论")}


# -- 6. titles lose a site name that recurs across the archive's titles -----------------------

SITE = "溪桥笔记"
TOPICS = ["老街的早点铺", "河堤上的风筝", "夜市里的修表匠", "旧书摊的账本", "渡口的最后一班船", "菜场门口的剃头匠"]


def _titled(folder: Path, titles: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, title in enumerate(titles):
        (folder / f"2022-01-0{i + 1}-post.md").write_text(
            f"---\ntitle: \"{title}\"\nauthor: 作者{i}\n---\n<p>第{i}篇的正文，各不相同。</p>\n", encoding="utf-8"
        )


def test_a_site_name_ending_most_titles_of_a_folder_is_learned_and_removed(tmp_path: Path) -> None:
    separators = [" | ", "｜", " - ", " – ", "-", " | "]
    _titled(tmp_path / "posts", [f"{t}{sep}{SITE}" for t, sep in zip(TOPICS, separators, strict=True)] + [f"启事 | {SITE}"])
    documents, report = parse_archive([tmp_path / "posts"])
    assert sorted(d.title for d in documents) == sorted([*TOPICS, f"启事 | {SITE}"])  # too short without it: kept
    assert report.learned_suffixes == 1
    assert "title suffixes learned: 1" in report.summary()


def test_a_suffix_few_titles_share_is_kept_and_only_the_last_one_goes(tmp_path: Path) -> None:
    titles = [f"{t} | {SITE}" for t in TOPICS] + [f"{TOPICS[0]}续 - 周末走读 | {SITE}", "没有后缀的标题 - 周末走读"]
    _titled(tmp_path / "posts", titles)
    documents, _ = parse_archive([tmp_path / "posts"])
    assert sorted(d.title for d in documents) == sorted([*TOPICS, f"{TOPICS[0]}续 - 周末走读", "没有后缀的标题 - 周末走读"])


def test_too_few_titles_with_a_suffix_learn_nothing(tmp_path: Path) -> None:
    _titled(tmp_path / "posts", [f"{t} | {SITE}" for t in TOPICS[:4]])
    documents, report = parse_archive([tmp_path / "posts"])
    assert all(d.title.endswith(f" | {SITE}") for d in documents) and report.learned_suffixes == 0


@pytest.mark.parametrize(
    ("title", "split"),
    [
        ("港股收跌-新浪财经", ("港股收跌", "新浪财经")),
        ("港股收跌_网易新闻", ("港股收跌", "网易新闻")),
        ("港股收跌——新华网", ("港股收跌", "新华网")),
        ("辉瑞疫苗对COVID-19有效", None),  # a hyphen inside a word is no separator
        ("问答 - 2021", None),  # a number is no site name
        ("启事 | 溪桥笔记", None),  # too short without it
    ],
)
def test_title_suffixes_after_any_separator(title: str, split: tuple[str, str] | None) -> None:
    from zhsearch.indexer.metadata import split_title_suffix

    assert split_title_suffix(title) == split


def test_inspect_names_the_learned_title_suffix(tmp_path: Path) -> None:
    from zhsearch.indexer.inspection import inspect_files

    _titled(tmp_path / "posts", [f"{t} | {SITE}" for t in TOPICS[:5]])
    found = inspect_files(sorted((tmp_path / "posts").glob("*.md")))
    assert [f.fields["title"] for f in found] == TOPICS[:5]
    assert found[0].origins["title"] == f"front matter: title; learned title suffix: {SITE}"
    assert [(r.rule, r.text) for r in found[0].removed] == [("learned title suffix", SITE)]


def test_a_phrase_rule_drops_a_paragraph_only_up_to_100_characters() -> None:
    sentence = "馆方表示，晚间时段主要开放自习室和报刊阅览区，外借服务照常到下午五点半结束。"
    long = sentence + "欢迎扫描下方二维码预约座位。" + sentence.replace("馆方表示", "另据介绍")
    tail = "周末晚间还会增加两场面向中小学生的阅读分享会，每场限三十人。"
    assert 100 < len(long + tail) <= 150
    assert clean_body(f"<p>{long}{tail}</p>").text == long.replace("欢迎扫描下方二维码预约座位。", "") + tail
    assert clean_body("<p>欢迎扫描下方二维码预约座位。" + "正文" * 30 + "</p>").text == ""  # a short one goes whole


def test_inspect_names_a_relative_files_first_folder_as_index_would(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from zhsearch.indexer.inspection import inspect_files

    _post(tmp_path / "home" / "alice" / "北岸评论" / "_posts", "a.md", "老街改造不该只剩门面")
    monkeypatch.chdir(tmp_path / "home" / "alice")
    (found,) = inspect_files([Path("北岸评论/_posts/a.md")])
    assert (found.fields["source"], found.origins["source"]) == ("北岸评论", "folder name")
    monkeypatch.chdir(tmp_path / "home" / "alice" / "北岸评论" / "_posts")
    (found,) = inspect_files([Path("a.md")])
    assert found.fields["source"] == "韩松"  # the file's own folder, _posts, names nothing
