"""bench/compare's answer check: labelgate's and PostGraphile's spellings of one answer compare equal,
and a real difference is found and named. (The benchmark itself is not run here: it takes minutes.)"""

from __future__ import annotations

import json

import pytest

from bench.compare.answers import AnswerError, first_difference, millis, normalise

RESPONSE = {"JOB": {"annotations": [{"mid": "1-0-0", "x": 0.0, "categories": [{"name": "CAR", "confidence": 100}]}]}}


def labelgate_w1(labels: list[tuple[str, str]]) -> dict:
    return {
        "data": {
            "assets": [
                {
                    "id": "a1",
                    "labels": [
                        {
                            "id": label_id,
                            "jsonResponse": json.dumps(RESPONSE),
                            "createdAt": created,
                            "author": {"id": "u1", "email": "u1@example.com"},
                        }
                        for label_id, created in labels
                    ],
                    "project": {"id": "p1", "title": "main"},
                },
                {"id": "a2", "labels": [], "project": {"id": "p1", "title": "main"}},
            ]
        }
    }


def postgraphile_w1(labels: list[tuple[str, str]]) -> dict:
    response = {"JOB": {"annotations": [{"mid": "1-0-0", "x": 0, "categories": [{"name": "CAR", "confidence": 100}]}]}}
    return {
        "data": {
            "allAssets": {
                "nodes": [
                    {
                        "rowId": "a1",
                        "labelsByAssetId": {
                            "nodes": [
                                {
                                    "rowId": label_id,
                                    "jsonResponse": response,
                                    "createdAt": created,
                                    "appUserByAuthorId": {"rowId": "u1", "email": "u1@example.com"},
                                }
                                for label_id, created in labels
                            ]
                        },
                        "projectByProjectId": {"rowId": "p1", "title": "main"},
                    },
                    {
                        "rowId": "a2",
                        "labelsByAssetId": {"nodes": []},
                        "projectByProjectId": {"rowId": "p1", "title": "main"},
                    },
                ]
            }
        }
    }


def test_the_two_spellings_of_one_page_are_equal() -> None:
    ours = normalise(
        "W1", False, labelgate_w1([("l1", "2026-01-01T00:01:01.031Z"), ("l2", "2026-01-01T00:02:00.000Z")])
    )
    theirs = normalise(
        "W1",
        True,
        postgraphile_w1([("l1", "2026-01-01T00:01:01.031999+00:00"), ("l2", "2026-01-01T00:02:00+00:00")]),
    )
    assert first_difference(ours, theirs) is None


def test_labels_in_another_order_are_a_difference_named_by_its_path() -> None:
    ours = normalise(
        "W1", False, labelgate_w1([("l1", "2026-01-01T00:01:01.031Z"), ("l2", "2026-01-01T00:02:00.000Z")])
    )
    theirs = normalise(
        "W1", True, postgraphile_w1([("l2", "2026-01-01T00:02:00+00:00"), ("l1", "2026-01-01T00:01:01.031+00:00")])
    )
    assert first_difference(ours, theirs) == "[0].labels[0].id: 'l1' != 'l2'"


def test_a_missing_label_and_a_shifted_time_are_differences() -> None:
    ours = normalise("W1", False, labelgate_w1([("l1", "2026-01-01T00:01:01.031Z")]))
    assert first_difference(ours, normalise("W1", True, postgraphile_w1([]))) == "[0].labels: 1 items != 0 items"
    later = normalise("W1", True, postgraphile_w1([("l1", "2026-01-01T00:01:01.032+00:00")]))
    assert first_difference(ours, later) == (
        "[0].labels[0].createdAt: '2026-01-01T00:01:01.031Z' != '2026-01-01T00:01:01.032Z'"
    )


def test_numbers_compare_by_value_but_not_with_booleans_or_strings() -> None:
    assert first_difference({"n": 0.0}, {"n": 0}) is None
    assert first_difference({"n": 1}, {"n": True}) == ".n: 1 != True"
    assert first_difference([3], ["3"]) == "[0]: 3 != '3'"
    assert first_difference({"a": 1}, {"b": 1}) == ".: keys ['a'] != ['b']"


def test_counts_and_single_assets_from_both_spellings() -> None:
    assert normalise("W3", False, {"data": {"countAssets": 12}}) == 12
    assert normalise("W3", True, {"data": {"allAssets": {"totalCount": 12}}}) == 12
    ours = normalise("W2", False, {"data": {"asset": {"id": "a1", "status": "TODO", "externalId": "x"}}})
    theirs = normalise("W2", True, {"data": {"assetByRowId": {"rowId": "a1", "status": "TODO", "externalId": "x"}}})
    assert ours == theirs == {"id": "a1", "status": "TODO", "externalId": "x"}


def test_an_error_answer_is_never_normalised() -> None:
    with pytest.raises(AnswerError, match="NOT_FOUND"):
        normalise("W2", False, {"data": None, "errors": [{"message": "no", "extensions": {"code": "NOT_FOUND"}}]})


def test_times_in_every_spelling_become_utc_milliseconds() -> None:
    expected = "2026-01-01T00:01:01.031Z"
    for spelling in ("2026-01-01T00:01:01.031Z", "2026-01-01T00:01:01.031999+00:00", "2026-01-01 01:01:01.0315+01"):
        assert millis(spelling) == expected
