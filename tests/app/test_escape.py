"""Every user value the app shows is text: the escape helper (ui.text.md) on hostile strings,
and a check over the app's own source that no Markdown-rendering call gets a value without it."""

from __future__ import annotations

import ast
import random
import re
from pathlib import Path

import pytest

from ui.text import WORD_JOINER, md, plain

ROOT = Path(__file__).resolve().parents[2]

HOSTILE = [
    "![x](http://127.0.0.2/beacon.png)",
    "![x](https://beacon.example/b.png)",
    "[click](javascript:alert(1))",
    "<javascript:alert(1)>",
    "<https://beacon.example/x>",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "&lt;b&gt; &amp; &#x3C;script&#x3E;",
    ":red[x] :blue-background[y] :red-badge[z] :small[s] :help[h]",
    ":material/warning: :smile: :streamlit: :+1:",
    "$x$ $$E = mc^2$$",
    "**bold** __bold__ *it* _it_ ~~strike~~ ~sub~",
    "`code` ``code``",
    "# heading",
    "> quote",
    "- item",
    "+ item",
    "1. item",
    "1) item",
    "| a | b |",
    "---",
    "www.beacon.example http://beacon.example a@beacon.example",
    "[ref]: http://beacon.example",
    "a -> b <- c <-> d -- e >= f <= g ~= h",
    '=HYPERLINK("http://beacon.example","x")',
    "{#id .class}",
    "back\\slash\\",
    "\\![x](http://127.0.0.2/beacon.png)",
]

CONTROLS = [
    "line\nbreak",
    "tab\there",
    "cr\rhere",
    "nul\x00here",
    "esc\x1b[31mred",
    "rtl\u202eevil",
    "osc\x1b]0;title\x07",
]


def _text_node(markdown: str) -> str:
    """What CommonMark leaves of ``markdown`` once every backslash escape is resolved (the
    text Streamlit's text-node plugins see), when all of it is escaped text."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


def _autolink(text: str) -> bool:
    """``text`` holds what GitHub-flavoured Markdown turns into a link in parsed text
    (mdast-util-gfm-autolink-literal): ``http://``, ``https://``, ``www.``, an email."""
    return bool(re.search(r"https?://|www\.|[-.\w+]+@[-\w]+(\.[-\w]+)+", text, flags=re.I))


def _all_punctuation_escaped(markdown: str) -> bool:
    """Every ASCII punctuation character of ``markdown`` is escaped by a backslash."""
    i = 0
    while i < len(markdown):
        ch = markdown[i]
        if ch == "\\":
            if i + 1 >= len(markdown) or not re.match(r"[!-/:-@\[-`{-~]", markdown[i + 1]):
                return False
            i += 2
            continue
        if re.match(r"[!-/:-@\[-`{-~]", ch):
            return False
        i += 1
    return True


@pytest.mark.parametrize("value", HOSTILE)
def test_md_makes_every_markdown_construct_literal_text(value: str) -> None:
    out = md(value)
    assert _all_punctuation_escaped(out), out  # no link, image, HTML, entity, emphasis, code, directive, math
    assert plain(out) == value  # and the person reads exactly the value
    text = _text_node(out)
    # Streamlit's own text-level replacements find nothing: emoji and icon shortcodes, arrows
    assert not re.search(r":[\w+-][\w+/-]*:", text), text
    assert not re.search(r"(^|\s)(<->|->|<-|--|>=|<=|~=)(\s|$)", text), text
    assert not _autolink(text), text  # GitHub's autolinks, found in the parsed text
    assert ":material/" not in out and "\n" not in out


@pytest.mark.parametrize("value", CONTROLS)
def test_md_shows_control_characters_as_visible_marks_on_one_line(value: str) -> None:
    out = md(value)
    assert not re.search(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", out), repr(out)
    assert out.count("\ufffd") == len(re.findall(r"[\x00-\x08\x0b\x0c\x0e-\x1f\u202e]", value.replace("\t", "")))


@pytest.mark.parametrize(
    ("value", "shown"), [(None, ""), (42, "42"), (-1.5, "\\-1\\.5"), ("Hélène Lefèvre", "Hélène Lefèvre")]
)
def test_md_of_plain_values(value: object, shown: str) -> None:
    assert md(value) == shown


def test_md_on_random_strings_of_markdown_characters() -> None:
    """Random mixes of every character Markdown and Streamlit give a meaning to."""
    alphabet = list("![]()<>`*_~$:#-+=|{}&;/\\.@^\"' ab1") + [
        "http://",
        "www.",
        "a@b.c",
        ":red[",
        ":material/",
        "\u202e",
        "\n",
    ]
    rng = random.Random(13)
    for _ in range(2000):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30)))
        out = md(value)
        assert _all_punctuation_escaped(out), (value, out)
        text = _text_node(out)
        assert not re.search(r":[\w+-][\w+/-]*:", text), (value, out)
        assert not _autolink(text), (value, out)
        expected = value.replace("\n", " ").replace("\u202e", "\ufffd")
        assert plain(out) == expected, (value, out)


def test_md_uses_only_an_invisible_joiner_to_break_shortcodes() -> None:
    assert md(":smile:") == "\\:" + WORD_JOINER + "smile\\:"
    assert plain(md("a -> b")) == "a -> b" and WORD_JOINER in md("a -> b")


# --- the app's own source: every Markdown-rendering call gets text through md() -------------

#: Streamlit calls whose first argument (and ``label``, ``body``, ``text``, ``help``) is Markdown.
MARKDOWN_CALLS = {
    "markdown",
    "write",
    "caption",
    "warning",
    "error",
    "info",
    "success",
    "toast",
    "title",
    "header",
    "subheader",
    "metric",
    "expander",
    "status",
    "tabs",
    "popover",
    "button",
    "download_button",
    "form_submit_button",
    "checkbox",
    "toggle",
    "radio",
    "selectbox",
    "multiselect",
    "text_input",
    "text_area",
    "number_input",
    "slider",
    "select_slider",
    "file_uploader",
    "progress",
    "spinner",
}
MARKDOWN_KEYWORDS = {"label", "body", "text", "help"}
#: A format spec that only a number accepts (``d``, ``g``, ``.3f``, ``,``...); one with ``%`` is
#: a time's (strftime), which text refuses too.
NUMERIC_SPEC = re.compile(r"(.*[bcdoxXeEfFgGn%]|.*,)$")
SAFE_CALLS = {"md", "code", "len", "int", "float", "round"}


def _call_name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name):
            return node.func.id
        if isinstance(node.func, ast.Attribute):
            return node.func.attr
    return None


def _unsafe_parts(arg: ast.AST) -> list[str]:
    """The parts of a Markdown argument that may carry a user value without :func:`md`.

    Best effort: a constant, a ``md(...)`` call and a plain variable (loop variables over
    constants, widgets' own values) pass; so does an f-string whose every value is ``md(...)``,
    ``len(...)``, ``int(...)``, a constant, or formatted with a numeric spec (``{n:d}``, which
    fails on text). Anything else - ``str(exc)``, ``row["reason"]``, ``issue.message``, an
    f-string with ``{name}`` or ``{x!r}`` - is reported."""
    if isinstance(arg, ast.Constant | ast.Name):
        return []
    if _call_name(arg) in SAFE_CALLS:
        return []
    if isinstance(arg, ast.JoinedStr):
        bad = []
        for part in arg.values:
            if not isinstance(part, ast.FormattedValue):
                continue
            if part.conversion != -1:
                bad.append(ast.unparse(part))
                continue
            if _call_name(part.value) in SAFE_CALLS and part.conversion == -1:
                continue
            if isinstance(part.value, ast.Constant):
                continue
            spec = ast.unparse(part.format_spec)[2:-1] if part.format_spec is not None else ""
            if spec and (NUMERIC_SPEC.match(spec) or "%" in spec):  # a number, or a time (strftime)
                continue
            bad.append(ast.unparse(part))
        return bad
    if isinstance(arg, ast.BinOp):  # "a" + b
        return _unsafe_parts(arg.left) + _unsafe_parts(arg.right)
    return [ast.unparse(arg)]


def _markdown_args(call: ast.Call, names: set[str]) -> list[ast.AST]:
    """The arguments of ``call`` that Streamlit renders as Markdown (``progress``: its text)."""
    args = list(call.args[1:2] if names == {"progress"} else call.args[:1])
    args += [k.value for k in call.keywords if k.arg in MARKDOWN_KEYWORDS]
    return args


def _radio_problems(call: ast.Call) -> list[str]:
    """A radio's options are Markdown too: its ``format_func`` is ``md``, a lambda returning
    ``md(...)``, or a constant mapping's ``.get`` / ``str`` method; without one, its options
    are constants."""
    func = next((k.value for k in call.keywords if k.arg == "format_func"), None)
    if func is None:
        options = call.args[1] if len(call.args) > 1 else None
        if isinstance(options, ast.List | ast.Tuple) and all(isinstance(e, ast.Constant) for e in options.elts):
            return []
        if isinstance(options, ast.Name) and options.id.isupper():
            return []
        return [f"radio options {ast.unparse(options) if options else '?'} without format_func=md"]
    if isinstance(func, ast.Name) and func.id == "md":
        return []
    if isinstance(func, ast.Lambda) and _call_name(func.body) == "md":
        return []
    if isinstance(func, ast.Attribute) and (
        (isinstance(func.value, ast.Name) and (func.value.id.isupper() or func.value.id == "str"))
        or (isinstance(func.value, ast.Attribute) and func.value.attr.isupper())
    ):
        return []
    return [f"radio format_func={ast.unparse(func)}"]


def _problems(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        funcs = [node.func.body, node.func.orelse] if isinstance(node.func, ast.IfExp) else [node.func]
        names = {f.attr for f in funcs if isinstance(f, ast.Attribute)}
        if not names & MARKDOWN_CALLS:
            continue
        receiver = funcs[0].value if isinstance(funcs[0], ast.Attribute) else None
        if isinstance(receiver, ast.Name) and receiver.id in {"state", "workflow", "audit", "ws", "json", "re", "path"}:
            continue  # not Streamlit
        where = f"{path.relative_to(ROOT)}:{node.lineno}"
        for arg in _markdown_args(node, names):
            found += [f"{where}: {part}" for part in _unsafe_parts(arg)]
        if "radio" in names:
            found += [f"{where}: {p}" for p in _radio_problems(node)]
    return found


APP_FILES = sorted([ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "ui").glob("*.py")])


#: Reviewed exceptions: the app's own words, never a user value.
ALLOWED = {
    "pages/sync.py: figure.label",  # Plan.summary's figure names ("Creates", "Leavers (kept)"...)
    "pages/sync.py: figure.help",  # and their explanations
}


def test_every_markdown_call_of_the_app_gets_user_values_through_md() -> None:
    problems = [p for path in APP_FILES for p in _problems(path) if re.sub(r":\d+:", ":", p) not in ALLOWED]
    assert not problems, "values shown as Markdown without ui.text.md:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("source", "flagged"),
    [
        ('st.warning(f"{name} is odd")', True),
        ('st.warning(f"{md(name)} is odd")', False),
        ('st.warning(f"{n:d} conflicts")', False),
        ('st.warning(f"{n!r} conflicts")', True),
        ("st.error(str(exc))", True),
        ("st.error(md(exc))", False),
        ('col.metric(f"{label}", 1)', True),
        ('st.radio("Pick", list(options), key="k")', True),
        ('st.radio("Pick", ids, format_func=lambda t: md(labels[t]))', False),
        ("(st.error if bad else st.warning)(issue.message)", True),
        ('st.toast(f"Not saved: {exc}")', True),
        ('st.progress(0.5, text=f"{done} received")', True),
        ('st.expander(f"{len(held)} change(s)")', False),
    ],
)
def test_the_source_check_catches_an_unescaped_value(source: str, flagged: bool, tmp_path: Path) -> None:
    """The check itself: it flags what it must (so the test above can fail)."""
    folder = ROOT / "test-output"
    folder.mkdir(exist_ok=True)
    probe = folder / "escape_probe.py"
    probe.write_text(source + "\n", encoding="utf-8")
    try:
        assert bool(_problems(probe)) is flagged, _problems(probe)
    finally:
        probe.unlink()


@pytest.mark.parametrize("value", [*HOSTILE, "run-20261207T135300-ab12cd", "a`b", "``x`", "`", ""])
def test_code_spans_hold_any_value_literally(value: str) -> None:
    from ui.text import code

    out = code(value)
    fence = re.match(r"`+", out).group()  # type: ignore[union-attr]
    inner = out[len(fence) : -len(fence)]
    assert out.endswith(fence) and not re.search(f"(?<!`){fence}(?!`)", inner)  # nothing closes it early
    assert inner.strip(" ").replace(WORD_JOINER, "") == value.strip(" ") or not value.strip()
    assert ":material/" not in out and "\n" not in out
