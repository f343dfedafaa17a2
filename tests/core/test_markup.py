"""Markdown written by leads and organizers is shown to anyone: nothing active may survive."""

import re

import pytest

from core.markup import render_markdown

# Each input tries to get script, an event handler, a dangerous URL, a frame or a style onto
# the page, in Markdown or in raw HTML.
HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    "<body onload=alert(1)>",
    '<div onmouseover="alert(1)">hover</div>',
    "<details open ontoggle=alert(1)>x</details>",
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href="jav&#x09;ascript:alert(1)">tab</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">dec</a>',
    '<a href="&#x6A;avascript&colon;alert(1)">hex</a>',
    '<a href=" javascript:alert(1)">space</a>',
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click]( javascript:alert(1) )",
    "[click](javascript&#58;alert(1))",
    "[click][ref]\n\n[ref]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<a href="data:text/html,<script>alert(1)</script>">data</a>',
    "![img](javascript:alert(1))",
    '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
    "<svg onload=alert(1)><circle r=1></svg>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    '<iframe src="https://evil.example/"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    "<style>body { background: url(javascript:alert(1)) }</style>",
    '<p style="background:url(javascript:alert(1))">styled</p>',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<input autofocus onfocus="alert(1)">',
    '<base href="javascript:alert(1)//">',
    '# Title {: onclick="alert(1)" }',
    '[x](https://ok.example/){: onclick="alert(1)" }',
    '<a href="vbscript:msgbox(1)">vb</a>',
    '<a href="file:///etc/passwd">file</a>',
    "<!--<script>alert(1)</script>-->",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    '<div markdown="1"><script>alert(1)</script></div>',
    "```\n</code></pre><script>alert(1)</script>\n```",
    '<table><tr><td background="javascript:alert(1)">x</td></tr></table>',
    '<a href="https://ok.example/" target="_blank" style="color:red" onclick="alert(1)">ok</a>',
]

ACTIVE = re.compile(
    r"<\s*/?\s*(script|iframe|object|embed|svg|math|style|link|meta|form|input|base|img|body)\b"
    r"|\son[a-z]+\s*="
    r"|\sstyle\s*="
    r"|\starget\s*="
    r"|href\s*=\s*\"(?!https?:|mailto:)"
    r"|src\s*=",
    re.IGNORECASE,
)


def test_catalogue_has_at_least_thirty_hostile_inputs():
    assert len(HOSTILE) >= 30
    assert len(set(HOSTILE)) == len(HOSTILE)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_is_neutralised(text):
    html = str(render_markdown(text))

    assert ACTIVE.search(html) is None, html
    assert "javascript:" not in html.lower()
    assert "data:" not in html.lower()


def test_the_check_itself_catches_active_markup():
    """The pattern the catalogue relies on must flag what it is meant to flag."""
    for html in [
        "<script>x</script>",
        '<a href="javascript:x">',
        '<a href="/relative">',
        "<p onclick=x>",
        '<p style="x">',
        "<iframe>",
        "<svg>",
        '<img src="x">',
    ]:
        assert ACTIVE.search(html) is not None, html


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("## Summary", "<h2>Summary</h2>"),
        ("*one* and **two**", "<p><em>one</em> and <strong>two</strong></p>"),
        ("- a\n- b", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"),
        ("1. a\n2. b", "<ol>\n<li>a</li>\n<li>b</li>\n</ol>"),
        ("Use `grad()`.", "<p>Use <code>grad()</code>.</p>"),
        (
            "```python\nif a < b:\n    pass\n```",
            "<pre><code>if a &lt; b:\n    pass\n</code></pre>",
        ),
        ("> Quoted", "<blockquote>\n<p>Quoted</p>\n</blockquote>"),
        (
            "| a | b |\n|---|---|\n| 1 | 2 |",
            "<table>\n<thead>\n<tr>\n<th>a</th>\n<th>b</th>\n</tr>\n</thead>\n"
            "<tbody>\n<tr>\n<td>1</td>\n<td>2</td>\n</tr>\n</tbody>\n</table>",
        ),
        (
            "[paper](https://arxiv.org/abs/2201.02177)",
            '<p><a href="https://arxiv.org/abs/2201.02177" rel="nofollow noopener">paper</a></p>',
        ),
        (
            "[site](http://example.org/?a=1&b=2)",
            '<p><a href="http://example.org/?a=1&amp;b=2" rel="nofollow noopener">site</a></p>',
        ),
        (
            "[mail](mailto:lead@example.edu)",
            '<p><a href="mailto:lead@example.edu" rel="nofollow noopener">mail</a></p>',
        ),
        ("a <b>bold</b> word", "<p>a bold word</p>"),
        ("2 < 3 & 4 > 1", "<p>2 &lt; 3 &amp; 4 &gt; 1</p>"),
        ("", ""),
    ],
)
def test_ordinary_markdown_renders_as_expected(text, expected):
    assert str(render_markdown(text)) == expected


@pytest.mark.parametrize(
    "text",
    ["[rel](/terms/)", "[proto](//evil.example/)", "[ftp](ftp://example.org/)"],
)
def test_links_other_than_http_https_mailto_lose_their_target(text):
    assert str(render_markdown(text)).startswith('<p><a rel="nofollow noopener">')
