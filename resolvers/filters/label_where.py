"""LabelWhere → SQL: one boolean expression over `label`, with the viewer's visibility folded in."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import ColumnElement, Select, and_, func, not_, or_, select

from gateway.auth import Viewer
from gateway.db.models import Asset, Label, User
from resolvers.arrays import any_id
from resolvers.filters.asset_where import Conditions, asset_conditions, has_conditions, in_projects, users_by_reference
from resolvers.filters.common import all_of, in_list, number_range, time_range
from resolvers.filters.label_search import search_condition
from resolvers.filters.values import later, parse_time
from resolvers.users import user_conditions
from resolvers.visibility import project_visible
from schema.inputs.where import LabelWhere


def compile_label_where(where: LabelWhere | None, viewer: Viewer) -> ColumnElement[bool]:
    """The labels matching `where` among those the viewer may see."""
    return all_of([project_visible(Label.project_id, viewer), *label_conditions(where)])


def label_conditions(where: LabelWhere | None) -> Conditions:
    """The conditions of `where` alone, without visibility (for use inside other filters)."""
    if where is None:
        return []
    return [
        Label.id == where.id if where.id is not None else None,
        in_list(Label.id, where.id_in),
        in_list(Label.label_type, where.type_in),
        in_list(Label.model_name, where.model_name_in),
        *_relations(where),
        *_people(where),
        *number_range(Label.consensus_mark, where.consensus_mark_gte, where.consensus_mark_lte),
        *number_range(Label.honeypot_mark, where.honeypot_mark_gte, where.honeypot_mark_lte),
        _created_at(where.created_at),
        *time_range(Label.created_at, where.created_at_gte, where.created_at_lte, "createdAt"),
        search_condition(Label.json_response, where.search) if where.search is not None else None,
    ]


def _relations(where: LabelWhere) -> Conditions:
    of_assets = None
    nested = asset_conditions(where.asset)
    if has_conditions(nested):
        of_assets = Label.asset_id.in_(select(Asset.id).where(all_of(nested)).correlate(None))
    by_users = None
    if where.user is not None and has_conditions(user_conditions(where.user)):
        by_users = Label.author_id.in_(select(User.id).where(all_of(user_conditions(where.user))).correlate(None))
    return [in_projects(Label.project_id, where.project), of_assets, by_users]


def _people(where: LabelWhere) -> Conditions:
    return [
        Label.author_id.in_(_authors_named(where.author_in)) if where.author_in is not None else None,
        _typed_by(where.labeler_in, "DEFAULT"),
        not_(_typed_by(where.labeler_not_in, "DEFAULT")) if where.labeler_not_in else None,
        _typed_by(where.reviewer_in, "REVIEW"),
        not_(_typed_by(where.reviewer_not_in, "REVIEW")) if where.reviewer_not_in else None,
    ]


def _typed_by(references: list[str] | None, label_type: str) -> ColumnElement[bool] | None:
    """A `label_type` label authored by one of the users named by id or email."""
    if references is None:
        return None
    return and_(Label.label_type == label_type, Label.author_id.in_(users_by_reference(references)))


def _authors_named(references: list[str]) -> Select:
    """Users named by id, email, first name, last name or "first last" (names case-insensitive)."""
    lowered = [r.lower() for r in references]
    full_name = func.lower(func.concat_ws(" ", User.firstname, User.lastname))
    return (
        select(User.id)
        .where(
            or_(
                any_id(User.id, references),
                any_id(func.lower(User.email), lowered),
                any_id(func.lower(User.firstname), lowered),
                any_id(func.lower(User.lastname), lowered),
                any_id(full_name, lowered),
            )
        )
        .correlate(None)
    )


def _created_at(value: str | None) -> ColumnElement[bool] | None:
    """A bare day means that whole (UTC) day; an instant means that millisecond (the precision of
    the `createdAt` the API returns, so a value read back from a label finds it)."""
    if value is None:
        return None
    start, day_only = parse_time(value, "createdAt")
    end = later(start, timedelta(days=1) if day_only else timedelta(milliseconds=1))
    return and_(Label.created_at >= start, Label.created_at < end)
