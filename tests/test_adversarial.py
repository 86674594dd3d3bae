"""Adversarial input (issue #8, part 7).

* every string of the Big List of Naughty Strings (tests/data/blns.json) in every free-form text
  field of every category that a subject identifier selects → valid JSON, an HTML report that
  shows them as text (no markup from the data), formula-safe CSV, no crash;
* 10 MB text fields, 10,000 levels of nesting (JSONL and HTTP), NUL bytes, invalid UTF-8 and lone
  surrogates → a clear error or safe handling, never a crash;
* subject-supplied file names never become files; identifiers are bound SQL parameters end to end;
* fuzzing (Hypothesis) of the configuration loader and of the file readers through an export:
  only the exporter's own errors, never another exception.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import html.parser
import io
import json
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ministore import ANN, BOB, MiniStore
from pytest_httpserver import HTTPServer

from exporter import AccessRequest, demo, export
from exporter.api import ExportOptions
from exporter.law.catalog import load_catalog
from exporter.config import load_config
from exporter.errors import (
    ConfigError,
    ExporterError,
    RecordValidationError,
    SourceDataError,
    SourceError,
)
from exporter.collect.identity import plan
from exporter.packaging.package import verify
from exporter.collect.redaction import RedactionSettings
from exporter.resources import schemas_dir
from exporter.schemas import category_schema, check_against
from exporter.collect.writers import csv_cell

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
OPTS = ExportOptions(now=NOW, pdf=False, html=False)
BLNS: list[str] = json.loads((Path(__file__).parent / "data" / "blns.json").read_text(encoding="utf-8"))
JANE = demo.DEMO_IDENTIFIERS["typical"]
PLACEHOLDERS = ("[email ", "[phone ", "[staff member ", "[person ", "card ending")


@pytest.fixture(scope="session")
def httpserver_listen_address() -> tuple[str, int]:
    return ("127.0.0.1", 0)


def load(path: Path) -> Any:
    return orjson.loads(path.read_bytes())


# ---------------------------------------------------------------------------------------------
# naughty strings in every text field
# ---------------------------------------------------------------------------------------------


def text_paths(schema: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Free-form string fields (no pattern, enum or format), dotted into arrays of objects."""
    out = []
    for name, prop in schema.get("properties", {}).items():
        types = prop.get("type")
        types = types if isinstance(types, list) else [types]
        if "array" in types and isinstance(prop.get("items"), dict) and "properties" in prop["items"]:
            out += text_paths(prop["items"], (*prefix, name))
        elif "string" in types and not ({"pattern", "enum", "format", "const", "maxLength"} & set(prop)):
            out.append((*prefix, name))
    return out


def set_path(node: Any, path: tuple[str, ...], value: str) -> None:
    if isinstance(node, list):
        for item in node:
            set_path(item, path, value)
    elif isinstance(node, dict) and path and path[0] in node:
        if len(path) == 1:
            node[path[0]] = value
        else:
            set_path(node[path[0]], path[1:], value)


def get_paths(node: Any, path: tuple[str, ...]) -> Iterator[Any]:
    if isinstance(node, list):
        for item in node:
            yield from get_paths(item, path)
    elif isinstance(node, dict) and path and path[0] in node:
        if len(path) == 1:
            yield node[path[0]]
        else:
            yield from get_paths(node[path[0]], path[1:])


@pytest.fixture(scope="module")
def templates(demo_store: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """One valid record of every category Jane has, as exported (so it passes its schema)."""
    out = tmp_path_factory.mktemp("templates")
    result = export(AccessRequest.parse([demo.DEFAULT_DEMO_SUBJECT], jurisdiction="eu"),
                    demo.demo_config_path(demo_store), out, OPTS)
    found = {}
    for path in sorted((result.path / "data").glob("*.jsonl")):
        rec = orjson.loads(path.read_bytes().split(b"\n", 1)[0])
        if rec.get("account_id") == JANE["account_id"] or rec.get("contact_id") == JANE["contact_id"]:
            found[path.stem] = rec
    return found


class Tags(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.event_attrs: list[str] = []
        self.urls: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            if name.startswith("on"):
                self.event_attrs.append(name)
            if name in ("href", "src", "action", "formaction", "srcset") and value:
                self.urls.append(value)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_html(text: str) -> Tags:
    p = Tags()
    p.feed(text)
    p.close()
    return p


def test_naughty_strings_in_every_text_field(templates: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    catalog = load_catalog()
    free = {c.id: {tuple(p.split(".")) for p in c.raw.get("free_text", [])} for c in catalog}
    staff = {c.id: {tuple(p.split(".")) for p in c.raw.get("staff_fields", [])} for c in catalog}
    store = tmp_path / "store"
    store.mkdir()
    config = ["[export]\ninline_limit = 100000\npdf_rows = 600\n\n[sources.files]\nkind = \"files\"\n"]
    expected: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for cid, template in sorted(templates.items()):
        # free-form by the demo's merged schema (its overlay's identifier patterns and value lists):
        # the templates are demo records, whose identifiers must stay the demo's
        schema = dict(category_schema(cid, demo.demo_schema_file(cid)))
        paths = [p for p in text_paths(schema) if list(get_paths(template, p))]
        if not paths:
            continue
        key = "account_id" if template.get("account_id") == JANE["account_id"] else "contact_id"
        with (store / f"{cid}.jsonl").open("w", encoding="utf-8") as fh:
            for s in BLNS:
                rec = json.loads(json.dumps(template))
                for p in paths:
                    set_path(rec, p, s)
                fh.write(json.dumps(rec, ensure_ascii=True) + "\n")
        expected[cid] = [(p, "free" if p in free[cid] else "staff" if p in staff[cid] else "plain") for p in paths]
        config.append(f'[[sources.files.streams]]\ncategory = "{cid}"\nneeds = ["{key}"]\npath = "{cid}.jsonl"\n'
                      f'match = {{ {key} = "{key}" }}\n\n')
    assert len(expected) >= 12, sorted(expected)
    (store / "exporter.toml").write_text("".join(config), encoding="utf-8")
    request = AccessRequest.parse([f"account_id:{JANE['account_id']}", f"contact_id:{JANE['contact_id']}"],
                                  jurisdiction="eu", request_id="NAUGHTY")
    result = export(request, store / "exporter.toml", tmp_path / "out", OPTS.replace(html=True))
    pkg = result.path
    assert verify(pkg) == []
    bundle = load(pkg / "bundle.json")
    check_against("bundle.json", bundle)
    fields = 0
    for cid, paths in expected.items():
        assert result.counts[cid] == len(BLNS), cid
        lines = (pkg / "data" / f"{cid}.jsonl").read_bytes().splitlines()
        records = [orjson.loads(line) for line in lines]
        assert next(e for e in bundle["categories"] if e["id"] == cid)["records"] == records
        for s, rec in zip(BLNS, records, strict=True):
            for path, kind in paths:
                for value in get_paths(rec, path):
                    fields += 1
                    if kind == "plain" and "card ending" not in value:
                        assert value == s, (cid, path)  # stored and given back exactly
                    elif kind == "staff":  # a staff member's name: always a placeholder
                        assert value == s if not s.strip() else value.startswith("[staff member "), (cid, path)
                    else:  # free text may have other people's details or card numbers replaced
                        assert value == s or any(m in value for m in PLACEHOLDERS), (cid, path)
        # CSV: every cell a spreadsheet would run as a formula is neutralised
        with (pkg / "data" / f"{cid}.csv").open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        header = rows[0]
        assert len(rows) == len(BLNS) + 1
        for row, rec in zip(rows[1:], records, strict=True):
            for name, cell in zip(header, row, strict=True):
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (cid, name)
                assert cell == csv_cell(rec.get(name)), (cid, name)
    assert fields > 10_000

    # HTML: the data shows as text; no element or attribute comes from it
    page = (pkg / "index.html").read_text(encoding="utf-8")
    tags = parse_html(page)
    assert not tags.event_attrs
    assert {"script", "iframe", "object", "embed", "img", "form", "input", "base", "link"}.isdisjoint(tags.tags)
    assert all(not u.strip().lower().startswith(("javascript:", "data:", "vbscript:")) for u in tags.urls)
    shown = "".join(tags.text)
    assert "<script>alert(123)</script>" in shown
    assert "<script>alert(123)</script>" not in page


# ---------------------------------------------------------------------------------------------
# huge, deep, NUL, bad UTF-8, surrogates
# ---------------------------------------------------------------------------------------------


def run(store: MiniStore, out: Path, *identifiers: str, **changes: Any) -> Any:
    request = AccessRequest.parse(list(identifiers) or [ANN["email"]], jurisdiction="eu", request_id="ADV")
    return export(request, store.config, out, OPTS.replace(env=store.env(), **changes))


def email_line(body: Any, **extra: Any) -> bytes:
    rec = {"message_id": "EM-0000042", "ticket_id": "TCK-000042", "account_id": ANN["account_id"],
           "direction": "from_you", "sent_at": "2025-03-01T09:00:00Z", "subject_line": "x", "body": body,
           "ticket_status": "closed", **extra}
    return json.dumps(rec).encode()


def test_ten_megabyte_text_field(tmp_path: Path) -> None:
    store = MiniStore(tmp_path / "store")
    chunk = "Lorem ipsum dolor sit amet, 2026-10-15, order ORD-2026-000101. "
    body = chunk * (10_000_000 // len(chunk)) + " Reach Bob on bob.other@example.com or +44 20 7946 0002."
    store.write_emails(extra_lines=[email_line(body)])
    result = run(store, tmp_path / "out", html=True)  # (its time is bench/'s business, never a test's)
    records = [orjson.loads(line) for line in (result.path / "data" / "support_emails.jsonl").read_bytes().splitlines()]
    big = next(r for r in records if r["message_id"] == "EM-0000042")
    assert len(big["body"]) > 9_900_000
    assert big["body"].endswith("Reach Bob on [email 1] or [phone 1].")
    assert verify(result.path, schemas=False) == []
    assert (result.path / "index.html").stat().st_size < 5_000_000  # the report shows a bounded excerpt


@pytest.mark.parametrize("depth", [10_000, 2_000, 900, 300, 50])
def test_deeply_nested_jsonl_record(tmp_path: Path, depth: int) -> None:
    store = MiniStore(tmp_path / "store")
    nested = "[" * depth + "]" * depth
    line = email_line("PLACEHOLDER").replace(b'"PLACEHOLDER"', nested.encode())
    store.write_emails(extra_lines=[line, email_line("x", extra={"a": 1}).replace(b'"extra"', b'"deep"')])
    out = tmp_path / "out"
    with pytest.raises((SourceDataError, RecordValidationError)) as info:
        run(store, out)
    err = info.value
    assert isinstance(err, ExporterError)
    if isinstance(err, SourceDataError):
        assert "nest" in err.message and err.context.get("source") == "files"
    else:
        assert err.context["category"] == "support_emails" and err.context["pointer"] == "/body"
    assert not out.exists() or list(out.iterdir()) == []


def test_deeply_nested_http_response(httpserver: HTTPServer, tmp_path: Path) -> None:
    body = '{"data": [{"chat_id": "CHT-000001", "x": ' + "[" * 10_000 + "]" * 10_000 + "}]}"
    httpserver.expect_request("/accounts/ACC-000001/chats").respond_with_data(body, content_type="application/json")
    store = MiniStore(tmp_path / "store", http_url=httpserver.url_for(""))
    out = tmp_path / "out"
    with pytest.raises(SourceError) as info:
        run(store, out)
    assert "nested too deeply" in info.value.message or "not valid JSON" in info.value.message
    assert not out.exists() or list(out.iterdir()) == []
    result = run(store, out, allow_partial=True)
    assert "support_chats" in result.incomplete and verify(result.path) == []


def test_nul_bytes_and_lone_surrogates_are_handled(tmp_path: Path) -> None:
    store = MiniStore(tmp_path / "store")
    store.write_emails(extra_lines=[
        email_line("before\u0000after and \u0000\u0000"),  # escaped NUL inside a JSON string: valid data
        email_line("lone \ud800 surrogate and a pair \ud83d\ude00"),  # "\ud800" escape: not valid Unicode
    ])
    result = run(store, tmp_path / "out", html=True)
    assert verify(result.path) == []
    raw = (result.path / "data" / "support_emails.jsonl").read_bytes()
    raw.decode("utf-8")  # strict: the package is valid UTF-8
    bodies = [orjson.loads(line)["body"] for line in raw.splitlines()]
    assert "before\u0000after and \u0000\u0000" in bodies
    assert "lone \ufffd surrogate and a pair \U0001f600" in bodies
    with (result.path / "data" / "support_emails.csv").open(encoding="utf-8", newline="") as fh:
        assert any("before\u0000after" in cell for row in csv.reader(fh) for cell in row)
    (result.path / "index.html").read_bytes().decode("utf-8")
    bundle = load(result.path / "bundle.json")
    check_against("bundle.json", bundle)


@pytest.mark.parametrize(("line", "message"), [
    (b'{"message_id": "EM-0000042", "body": "raw \x00 NUL"}', "malformed JSON line"),
    (b'{"message_id": "EM-0000042", "body": "caf\xe9 \xff\xfe"}', "not valid utf-8"),
    (b"\x00\x00\x00\x00", "malformed JSON line"),
    (b'{"message_id": NaN}', "malformed JSON line"),
])
def test_raw_nul_and_invalid_utf8_are_clear_errors(tmp_path: Path, line: bytes, message: str) -> None:
    store = MiniStore(tmp_path / "store")
    store.write_emails(extra_lines=[line])
    out = tmp_path / "out"
    with pytest.raises(SourceDataError, match=message) as info:
        run(store, out)
    assert info.value.context["file"] == "support_emails.jsonl" and info.value.context["line"] == 4
    assert not out.exists() or list(out.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# file names from records, SQL injection
# ---------------------------------------------------------------------------------------------

EVIL_NAMES = ["../../../../../../tmp/evil-{tag}.txt", "/tmp/evil-{tag}.txt", "..\\..\\evil-{tag}.txt",
              "data/../../evil-{tag}.txt", "evil-{tag}.jsonl", "CON", "nul:", "a/b/c/evil-{tag}", "~/evil-{tag}",
              "evil-{tag}\u0000.pdf", ".", "..", "report.pdf", "manifest.json", "bundle.json"]


def test_file_names_in_records_never_become_files(tmp_path: Path) -> None:
    tag = os.urandom(4).hex()
    store = tmp_path / "store"
    store.mkdir()
    posts = []
    for n, name in enumerate(EVIL_NAMES, 1):
        posts.append({"post_id": f"PST-{n:06d}", "account_id": ANN["account_id"], "posted_at": "2025-05-01T10:00:00Z",
                      "content_type": "document", "title": name, "body": name, "file_name": name.format(tag=tag),
                      "visibility": "private"})
    (store / "posts.jsonl").write_text("".join(json.dumps(p) + "\n" for p in posts), encoding="utf-8")
    (store / "exporter.toml").write_text(
        '[sources.files]\nkind = "files"\n[[sources.files.streams]]\ncategory = "content_posts"\n'
        'needs = ["account_id"]\npath = "posts.jsonl"\nmatch = { account_id = "account_id" }\n', encoding="utf-8")
    before = {p for p in Path(tempfile.gettempdir()).glob(f"*{tag}*")}
    out = tmp_path / "out"
    request = AccessRequest.parse([f"account_id:{ANN['account_id']}"], jurisdiction="eu", request_id="FILES")
    result = export(request, store / "exporter.toml", out, OPTS.replace(html=True))
    created = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    allowed = {"store/posts.jsonl", "store/exporter.toml"}
    package_files = [c for c in created if c not in allowed]
    names = {c.removeprefix("out/FILES/") for c in package_files}
    assert all(c.startswith("out/FILES/") for c in package_files), package_files
    assert names == {"bundle.json", "manifest.json", "index.html", "data/content_posts.jsonl",
                     "data/content_posts.csv"} | {f"schemas/{c.id}.json" for c in load_catalog()} | {
        "schemas/bundle.json", "schemas/jurisdiction.json", "schemas/manifest.json"}
    assert {p for p in Path(tempfile.gettempdir()).glob(f"*{tag}*")} == before
    assert not list(Path.home().glob(f"*evil-{tag}*"))
    files = [r["file_name"] for r in map(orjson.loads, (result.path / "data" / "content_posts.jsonl")
                                         .read_bytes().splitlines())]
    assert files == [n.format(tag=tag) for n in EVIL_NAMES]  # kept as data, never used as a path
    assert verify(result.path) == []


SQL_INJECTIONS = ["x' OR '1'='1@example.com", "ann.example@example.com' --", "' OR 1=1 --@x.example",
                  "ann.example@example.com'); DROP TABLE accounts; --", "%@example.com", "_nn.example@example.com"]


@pytest.mark.parametrize("sql_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_identifiers_are_bound_sql_parameters_end_to_end(sql_url: str, tmp_path: Path,
                                                         request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue("postgres_url") if sql_url == "postgres" else None
    store = MiniStore(tmp_path / "store", sql_url=url)
    for n, evil in enumerate(SQL_INJECTIONS):
        result = run(store, tmp_path / f"out{n}", f"email:{evil}", "account_id:ACC-000001' OR '1'='1")
        assert result.records == 0, evil  # nobody matched: no row of Ann or Bob came back
        text = (result.path / "bundle.json").read_text(encoding="utf-8")
        for person in (ANN, BOB):
            assert person["phone"] not in text and person["name"] not in text
    result = run(store, tmp_path / "ok")  # the tables are intact
    assert result.counts["account"] == 1 and result.counts["personalisation"] == store.n_personalisation


# ---------------------------------------------------------------------------------------------
# fuzzing: the configuration loader and the file readers
# ---------------------------------------------------------------------------------------------


def toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else ("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf"))
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {toml_value(x)}" for k, x in v.items()) + "}"
    raise TypeError(type(v))


def to_toml(doc: dict[str, Any]) -> str:
    return "".join(f"{json.dumps(str(k))} = {toml_value(v)}\n" for k, v in doc.items())


TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
KEYS = st.sampled_from(["sources", "export", "identity", "recipients", "redaction", "kind", "url", "streams",
                        "identities", "needs", "yields", "query", "category", "path", "match", "format", "given",
                        "inline_limit", "pdf_rows", "catalog", "names", "staff_names_file", "base_url", "map",
                        "endpoint", "encoding", "url_env", "columns", "order_by", "batch_size", "root"]) | TEXT
SCALARS = (st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=True) | TEXT
           | st.sampled_from(["sql", "files", "http", "parquet", "email", "account_id", "device_id", "orders",
                              "sqlite:///x.sqlite", "*.jsonl", "x.csv", "..", "/etc/passwd", "utf-8", "latin-1"]))
VALUES = st.recursive(SCALARS,
                      lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=5),
                      max_leaves=25)


FIXTURE_OK = [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture]


def load_only_config_errors(path: Path) -> None:
    try:
        config = load_config(path)
        plan(config)
        config.open_sources({})
        RedactionSettings.from_config(config)
    except ConfigError:
        pass


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.binary(max_size=400) | st.text(max_size=400).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_fuzz_config_loader_with_random_bytes(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "exporter.toml"
        path.write_bytes(data)
        load_only_config_errors(path)


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(doc=st.dictionaries(KEYS, VALUES, max_size=6))
def test_fuzz_config_loader_with_random_structures(doc: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "exporter.toml"
        path.write_text(to_toml(doc), encoding="utf-8")
        load_only_config_errors(path)


def mutate(doc: Any, path: list[Any], value: Any, delete: bool) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(doc, dict) and doc:
        key = sorted(doc)[head % len(doc)]
        if delete and not rest:
            return {k: v for k, v in doc.items() if k != key}
        return {**doc, key: mutate(doc[key], rest, value, delete)}
    if isinstance(doc, list) and doc:
        i = head % len(doc)
        if delete and not rest:
            return doc[:i] + doc[i + 1:]
        return doc[:i] + [mutate(doc[i], rest, value, delete)] + doc[i + 1:]
    return value


@pytest.fixture(scope="module")
def valid_doc(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    import tomllib

    store = MiniStore(tmp_path_factory.mktemp("fuzz") / "store", http_url="http://127.0.0.1:9")
    text = store.config.read_text(encoding="utf-8") + '\n[redaction]\nstaff_names = ["Priya Raman"]\n'
    doc = tomllib.loads(text)
    load_config(store.config)  # valid as written
    return store.root, doc


@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=FIXTURE_OK)
@given(mutations=st.lists(st.tuples(st.lists(st.integers(0, 50), min_size=1, max_size=5), VALUES, st.booleans()),
                          min_size=1, max_size=3))
def test_fuzz_config_loader_with_mutations_of_a_valid_config(
        valid_doc: tuple[Path, dict[str, Any]], mutations: list[tuple[list[int], Any, bool]]) -> None:
    root, doc = valid_doc
    for path, value, delete in mutations:
        doc = mutate(doc, path, value, delete)
    if not isinstance(doc, dict):
        doc = {"x": doc}
    path = root / f"mutated-{os.getpid()}.toml"
    path.write_text(to_toml(doc), encoding="utf-8")
    load_only_config_errors(path)


@pytest.fixture(scope="module")
def fuzz_store(tmp_path_factory: pytest.TempPathFactory) -> MiniStore:
    return MiniStore(tmp_path_factory.mktemp("fuzzfiles") / "store")


LINES = st.one_of(
    st.binary(max_size=80),
    st.sampled_from([b"{}", b"[]", b"null", b'{"account_id": "ACC-000001"}', b'{"account_id": ["ACC-000001"]}',
                     b'{"account_id": {"x": 1}}', b'{"account_id": "ACC-000001", "body": 5}', b"\xef\xbb\xbf{}",
                     b'"ACC-000001"', b"1e999", b'{"a": 1e999}', b"{" * 50, b"\r", b"\x00"]),
    st.dictionaries(st.sampled_from(["account_id", "message_id", "body", "sent_at", "direction", "x"]),
                    st.one_of(st.just("ACC-000001"), TEXT, st.integers(), st.none(), st.lists(TEXT, max_size=2)),
                    max_size=6).map(lambda d: json.dumps(d).encode()),
)


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=FIXTURE_OK)
@given(jsonl=st.lists(LINES, max_size=6), csv_bytes=st.binary(max_size=200), gz=st.booleans())
def test_fuzz_file_readers_through_an_export(fuzz_store: MiniStore, jsonl: list[bytes], csv_bytes: bytes,
                                             gz: bool) -> None:
    emails = b"\n".join(jsonl)
    (fuzz_store.root / "support_emails.jsonl").write_bytes(gzip.compress(emails) if gz else emails)
    header = b"subscription_id,contact_id,email,list,status,consent_source,subscribed_at,unsubscribed_at\n"
    (fuzz_store.root / "marketing.csv").write_bytes(header + csv_bytes)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            result = run(fuzz_store, Path(tmp) / "out", allow_partial=False)
        except (SourceDataError, RecordValidationError, ConfigError) as exc:
            str(exc)  # printable, whatever the data
            assert ANN["phone"] not in str(exc)
            assert list((Path(tmp) / "out").iterdir()) == [] if (Path(tmp) / "out").exists() else True
        else:
            assert verify(result.path) == []


def test_csv_reader_hostile_cells_through_an_export(tmp_path: Path) -> None:
    store = MiniStore(tmp_path / "store")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["subscription_id", "contact_id", "email", "list", "status", "consent_source", "subscribed_at",
                "unsubscribed_at"])
    w.writerow(["SUB-000001", ANN["contact_id"], ANN["email"], "newsletter", "subscribed", "signup_form",
                "2025-01-01T00:00:00Z", ""])
    (store.root / "marketing.csv").write_text(buf.getvalue() + 'SUB-000002,"unterminated\n', encoding="utf-8")
    with pytest.raises(SourceDataError) as info:
        run(store, tmp_path / "out")
    assert info.value.context["file"] == "marketing.csv"
