"""The fast validators agree with the reference ``jsonschema`` on valid and invalid records.

Corpus: every record of every category of the demo subjects (valid by construction) plus
mutations of them — wrong types, bad email/date-time/date/ipv4/ipv6/uri values, pattern and enum
violations, missing required fields, extra fields. Checked:

* ``RecordValidator`` (jsonschema_rs; per record and per batch) == ``reference_validator``
  (jsonschema with the project's aligned ``email`` rule and ECMA ``$``), except the two documented
  date-time cases where the fast validator is more permissive (leap second, year 0000);
* the columnar check (exporter.collect.columnar) never accepts a record the compiled validator refuses;
* error messages carry the JSON pointer, never the offending value.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pytest

from exporter import AccessRequest, demo, export
from exporter.law.catalog import load_catalog
from exporter.collect.columnar import ColumnarValidator, Unsupported, prepare_columns
from exporter.schemas import RecordValidator, category_schema, is_email, reference_validator

BAD_FORMATS = {
    "date-time": ["2024-13-01T00:00:00Z", "2023-02-29T10:00:00Z", "2024-01-01 10:00:00Z", "2024-01-01T10:00:00",
                  "2024-01-01T24:00:00Z", "2024-01-01T10:00:00+24:00", "yesterday", ""],
    "date": ["2023-02-29", "2024-1-01", "20240101", "2024-01-01\n"],
    "email": ["a@", "@b.example", "a b@c.example", "a..b@c.example", ".a@b.example", "x@-y.example", "no-at-sign"],
    "ipv4": ["256.1.1.1", "1.2.3", "01.2.3.4", " 1.2.3.4", "1.2.3.4\n"],
    "ipv6": ["1:2:3:4:5:6:7:8:9", "gggg::1", "1::2::3", "fe80::1%eth0"],
    "uri": ["not a uri", "http//x", "https://a b/", "https://x.example/%zz"],
}
GOOD_FORMATS = {
    "date-time": ["2024-02-29T10:00:00.123+01:00", "2024-01-01t10:00:00z", "2024-01-01T10:00:00-00:00",
                  "2024-01-01T10:00:00.1234567890123Z"],
    "date": ["2024-02-29"],
    "email": ["a@b", "王芳@例子.中国", "o'neil+x@x.example"],
    "ipv4": ["0.0.0.0", "255.255.255.255"],
    "ipv6": ["::1", "2001:db8::1", "::ffff:1.2.3.4", "1:2:3:4:5:6:7::", "::"],
    "uri": ["urn:isbn:0451450523", "mailto:a@b.example", "https://x.example:8080/a?b=c#d"],
}
#: Documented differences (exporter/schemas.py): the fast validator accepts these, the reference not.
KNOWN_MORE_PERMISSIVE = {"2024-12-31T23:59:60Z", "0000-01-01T00:00:00Z"}
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    """Valid records of every category, from exports of the demo subjects."""
    root = tmp_path_factory.mktemp("agree")
    store = demo.build_demo_store(root / "store", heavy_events=300)
    out: dict[str, list[dict[str, Any]]] = {}
    for key in ("typical", "california", "uk", "terminated"):
        result = export(AccessRequest.parse([demo.DEMO_SUBJECTS[key]], jurisdiction="eu", request_id=f"A-{key}"),
                        demo.demo_config_path(store), root / "out", now=NOW, pdf=False, html=False)
        for path in sorted((result.path / "data").glob("*.jsonl")):
            recs = [orjson.loads(line) for line in path.read_bytes().splitlines()]
            out.setdefault(path.stem, []).extend(recs[:60])
    return out


def _props(schema: Any) -> dict[str, Any]:
    return dict(schema.get("properties", {}))


def _formats(node: Any) -> set[str]:
    found = {node["format"]} if isinstance(node, dict) and isinstance(node.get("format"), str) else set()
    for sub in node.get("anyOf", []) if isinstance(node, dict) else []:
        found |= _formats(sub)
    return found


def _mutations(schema: Any, rec: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def with_(field: str, value: Any) -> None:
        m = copy.deepcopy(rec)
        m[field] = value
        out.append(m)

    for field, node in _props(schema).items():
        types = node.get("type")
        tset = {types} if isinstance(types, str) else set(types or [])
        with_(field, 12345 if "integer" not in tset and "number" not in tset else "not a number")
        with_(field, [1, 2])
        if "null" not in tset and "enum" not in node:
            with_(field, None)
        if "enum" in node:
            with_(field, "definitely-not-in-the-enum")
        if isinstance(node.get("pattern"), str):
            with_(field, "X-not-matching")
            if isinstance(rec.get(field), str):
                with_(field, rec[field] + "\n")  # ECMA $: end of input only
                with_(field, rec[field] + "Z")
        for fmt in _formats(node):
            for bad in BAD_FORMATS.get(fmt, []):
                with_(field, bad)
            for good in GOOD_FORMATS.get(fmt, []):
                with_(field, good)
        if "minimum" in node:
            with_(field, node["minimum"] - 1)
        if field in schema.get("required", []):
            m = copy.deepcopy(rec)
            del m[field]
            out.append(m)
    extra = copy.deepcopy(rec)
    extra["zz_extra_field"] = "x"
    out.append(extra)
    return out


def _categories() -> list[str]:
    return [c.id for c in load_catalog()]


def _columnar_categories() -> list[str]:
    """Categories whose schema the columnar check supports (the others always take the record path)."""
    out = []
    for cid in _categories():
        try:
            ColumnarValidator(category_schema(cid, demo.demo_schema_file(cid)))
        except Unsupported:
            continue
        out.append(cid)
    return out


def test_log_categories_take_the_columnar_path() -> None:
    supported = _columnar_categories()
    assert {"access_logs", "screen_interactions"} <= set(supported)


@pytest.mark.parametrize("overlay", ["demo", "shipped"])
@pytest.mark.parametrize("category", _categories())
def test_fast_validator_agrees_with_reference(corpus: dict[str, list[dict[str, Any]]], category: str,
                                             overlay: str) -> None:
    """Both on the shipped schemas (meaning and JSON types) and on the demo's merged ones (its
    identifier patterns and value lists from the demo overlay)."""
    file = demo.demo_schema_file(category) if overlay == "demo" else None
    schema = category_schema(category, file)
    fast = RecordValidator.for_category(category, file)
    ref = reference_validator(schema)
    valid = corpus.get(category, [])
    assert valid, f"no demo record of {category}"
    records = list(valid)
    for rec in valid[:5]:
        records.extend(_mutations(schema, rec))
    n_invalid = 0
    for rec in records:
        expected = ref.is_valid(rec)
        got = fast.is_valid(rec)
        if got != expected and got and any(v in KNOWN_MORE_PERMISSIVE for v in rec.values()):
            continue
        assert got == expected, (category, rec)
        assert fast.all_valid([rec]) == got
        n_invalid += not got
    assert n_invalid > len(records) // 3  # the mutations do break records
    assert fast.all_valid(valid) and fast.first_invalid(valid) is None
    bad = [m for m in records if not fast.is_valid(m)]
    assert fast.first_invalid([*valid[:3], bad[0], *valid[:3]]) == 3


@pytest.mark.parametrize("category", _columnar_categories())
def test_columnar_check_never_accepts_an_invalid_record(corpus: dict[str, list[dict[str, Any]]],
                                                        category: str) -> None:
    schema = category_schema(category, demo.demo_schema_file(category))
    check = ColumnarValidator(schema)
    fast = RecordValidator.for_category(category, demo.demo_schema_file(category))
    valid = corpus[category]
    records = list(valid)
    for rec in valid[:5]:
        records.extend(m for m in _mutations(schema, rec) if not any(isinstance(v, list) for v in m.values()))
    accepted = 0
    for rec in records:
        try:
            cols = prepare_columns(pa.RecordBatch.from_pylist([rec]), {})
        except (Unsupported, pa.ArrowInvalid, pa.ArrowTypeError):
            continue
        if check.all_valid(cols):
            accepted += 1
            assert fast.is_valid(rec), (category, rec)
    assert accepted >= len(valid) // 2  # and it accepts the ordinary valid records


def test_error_messages_carry_the_pointer_not_the_value(corpus: dict[str, list[dict[str, Any]]]) -> None:
    fast = RecordValidator.for_category("access_logs", demo.demo_schema_file("access_logs"))
    rec = dict(corpus["access_logs"][0])
    secret = "10.99.88.777"
    rec["ip_address"] = secret
    pointer, why = fast.first_error(rec) or ("", "")
    assert pointer == "/ip_address"
    assert secret not in why
    rec = dict(corpus["access_logs"][0], event_id="AL-SECRET-VALUE")
    pointer, why = fast.first_error(rec) or ("", "")
    assert pointer == "/event_id" and "SECRET" not in why and "pattern" in why


def test_email_rule_is_shared() -> None:
    schema = {"type": "string", "format": "email"}
    ref = reference_validator(schema)
    for value in [*BAD_FORMATS["email"], *GOOD_FORMATS["email"], "a@" + "b" * 64 + ".example", "x" * 65 + "@y.example"]:
        assert ref.is_valid(value) == is_email(value), value


def test_more_permissive_cases_are_exactly_the_documented_ones() -> None:
    schema = {"type": "string", "format": "date-time"}
    fast = RecordValidator("t", schema)
    ref = reference_validator(schema)
    for value in KNOWN_MORE_PERMISSIVE:
        assert fast.is_valid(value) and not ref.is_valid(value)


def test_schemas_dir_is_complete() -> None:
    assert {p.stem for p in (Path(__file__).parents[1] / "schemas" / "categories").glob("*.json")} >= set(_categories())


def test_columnar_distinct_value_matching_gives_the_row_by_row_mask(corpus: dict[str, list[dict[str, Any]]]) -> None:
    """Patterns on repetitive columns are matched on their distinct values (exporter/collect/columnar.py,
    _regex_check); the mask must be the one the compiled validator gives record by record."""
    category = "access_logs"
    schema = category_schema(category, demo.demo_schema_file(category))
    fast = RecordValidator.for_category(category, demo.demo_schema_file(category))
    base = corpus[category][:4]
    records = [copy.deepcopy(base[i % len(base)]) for i in range(256)]  # few distinct values per column
    records[7]["ip_address"] = "999.1.1.1"
    records[70]["account_id"] = "ACC-12"
    records[130]["cookie_id"] = None  # allowed: null
    records[200]["device_id"] = "DEV-not-hex!"
    cols = prepare_columns(pa.RecordBatch.from_pylist(records), {})
    mask = ColumnarValidator(schema).mask(cols)
    assert not isinstance(mask, bool)
    assert mask.to_pylist() == [fast.is_valid(r) for r in records]
    assert mask.to_pylist().count(False) == 3


# -- documents: the compiled validator's yes is final (exporter.schemas.reference_error) ----

def _type_mutations(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    """(where, replacement) pairs: every member replaced by values of other types."""
    out: list[tuple[tuple[Any, ...], Any]] = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += [((*path, k), bad) for bad in (None, 7, 2.5, "x", [], {}, True) if type(bad) is not type(v)]
            out += _type_mutations(v, (*path, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc[:3]):
            out += _type_mutations(v, (*path, i))
    return out


def _replaced(doc: Any, where: tuple[Any, ...], value: Any) -> Any:
    doc = copy.deepcopy(doc)
    target = doc
    for step in where[:-1]:
        target = target[step]
    target[where[-1]] = value
    return doc


def test_documents_the_compiled_validator_accepts_the_reference_accepts(tmp_path: Path) -> None:
    """bundle.json, manifest.json and the demo config, and several hundred type mutations of them:
    whenever the compiled validator says valid, so does the reference (which alone describes)."""
    import jsonschema
    import tomllib

    from exporter.schemas import _registry, compiled_accepts, document_schema

    store = demo.build_demo_store(tmp_path / "store")
    result = export(AccessRequest.parse([f"email:{demo.DEMO_SUBJECTS['typical']}"], jurisdiction="eu"),
                    store / "exporter.toml", tmp_path / "out", pdf=False, html=False,
                    now=dt.datetime(2026, 11, 25, tzinfo=dt.timezone.utc))
    docs = {"bundle.json": orjson.loads((result.path / "bundle.json").read_bytes()),
            "manifest.json": orjson.loads((result.path / "manifest.json").read_bytes()),
            "config.json": tomllib.loads((store / "exporter.toml").read_text(encoding="utf-8"))}
    checked = refused = 0
    for name, doc in docs.items():
        schema = document_schema(name)
        cls = jsonschema.validators.validator_for(schema)
        reference = cls(schema, format_checker=cls.FORMAT_CHECKER, registry=_registry())
        assert compiled_accepts(schema, doc) and reference.is_valid(doc), name
        for where, value in _type_mutations(doc)[:400]:
            bad = _replaced(doc, where, value)
            fast = compiled_accepts(schema, bad)
            assert not fast or reference.is_valid(bad), (name, where, value)
            checked += 1
            refused += not fast
    assert checked > 600 and refused > 300
