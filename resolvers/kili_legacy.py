"""The workflow mutations under their Kili 2.159–2.164 names, which answer a project instead of an outcome.

That SDK generation (still pinned by teams) sends `addAllLabeledAssetsToReview`,
`sendBackAssetsToQueue` and `deleteManyFromDataset`, each with `where: {idIn: [...]}` (one batch of
at most 100 ids), and reads back `{id}` of a `Project`. Each runs the same state machine as the new
names (resolvers/workflow.py), one transaction, the same roles, declines and LOCKED; only the answer
differs:

- null when the call changed nothing (no asset moved, nothing deleted). The SDK's `add_to_review`
  returns None then, as it documents ("None if no assets have changed status").
- otherwise the project of the changed asset `where.idIn` names last; with no ids named, of the last
  changed asset in id order. A call whose changed assets span several projects still changes them all
  (as the new names do) and answers this one project: after the last batch the SDK counts the last id
  it sent, in the project we answer, in the status asked for (`verify_last_batch`), and retries that
  count until it matches. Answering the project holding that asset lets the check succeed when the
  asset moved. (When the last id sent was declined, e.g. a TODO asset sent to review, the 2.164 check
  can never succeed and the SDK retries without end: a bug of that SDK, whatever we answer.)
"""

from __future__ import annotations

from gateway.context import RequestContext
from gateway.db.models import Project
from resolvers import workflow
from schema.inputs.where import AssetWhere


async def add_all_labeled_assets_to_review(ctx: RequestContext, where: AssetWhere) -> Project | None:
    """`addAssetsToReview`, answering the project of the assets moved (null: none moved)."""
    return await _answer(ctx, where, await workflow.add_assets_to_review(ctx, where))


async def send_back_assets_to_queue(ctx: RequestContext, where: AssetWhere) -> Project | None:
    """`sendAssetsBackToQueue`, answering the project of the assets moved (null: none moved)."""
    return await _answer(ctx, where, await workflow.send_assets_back_to_queue(ctx, where))


async def delete_many_from_dataset(ctx: RequestContext, where: AssetWhere) -> Project | None:
    """`deleteAssets`, answering the project of the assets deleted (null: none deleted by this call)."""
    return await _answer(ctx, where, await workflow.delete_assets(ctx, where))


def answered_project_id(outcome: workflow.Outcome, where: AssetWhere) -> str | None:
    """The project of the changed asset `where` names last (`id`, then `idIn` order); when `where` names
    none of them, of the last changed asset in id order. None when nothing changed."""
    if not outcome.changed_projects:
        return None
    named = [*([where.id] if where.id is not None else []), *(where.id_in or [])]
    position = {str(asset_id): n for n, asset_id in enumerate(named)}
    last = max(outcome.changed_projects, key=lambda asset_id: (position.get(asset_id, -1), asset_id))
    return outcome.changed_projects[last]


async def _answer(ctx: RequestContext, where: AssetWhere, outcome: workflow.Outcome) -> Project | None:
    project_id = answered_project_id(outcome, where)
    # The viewer acted on assets of that project, so they may see it: the loader finds it.
    return None if project_id is None else await ctx.loaders.project.load(project_id)
