"""Project roles and what they allow.

LABELER < REVIEWER < TEAM_MANAGER < ADMIN, each allowing what the ones below allow:
- LABELER reads the project, appends labels (not REVIEW labels) on its assets, deletes their own
  labels, skips or unskips them and asks questions (issues of type QUESTION);
- REVIEWER also appends and deletes REVIEW labels, adds assets to review and sends them back to the
  queue, raises issues (type ISSUE) and changes the status of issues and questions;
- TEAM_MANAGER also appends, updates, assigns, prioritizes and deletes assets, uploads files, labels
  on behalf of others, deletes any label, curates sets (create, fill, lock, split, delete), sessions,
  asset metadata and tags, writes session events, and manages the project: its settings, archiving,
  and members below ADMIN;
- ADMIN also grants the ADMIN role, and changes or removes ADMIN members.
Organization admins hold ADMIN on every project of their organization.

`MUTATION_ROLES` is the one place that says which role each mutation needs: the resolvers' checks read
it, and every mutation's description in the SDL ends with the sentence `described` builds from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

from sqlalchemy import select

from gateway.auth import Viewer
from gateway.context import RequestContext
from gateway.db.models import Project, ProjectMember
from gateway.errors import Forbidden, NotFound
from resolvers.arrays import any_id


class Role(IntEnum):
    LABELER = 1
    REVIEWER = 2
    TEAM_MANAGER = 3
    ADMIN = 4


# Rules above a mutation's minimum role, named so that resolvers and descriptions share them.
REVIEW_LABELS = Role.REVIEWER  # appending REVIEW labels
LABEL_ON_BEHALF = Role.TEAM_MANAGER  # appending labels whose author is another member
RAISE_ISSUE = Role.REVIEWER  # creating an issue of type ISSUE (a QUESTION takes the minimum, LABELER)
GRANT_ADMIN = Role.ADMIN  # granting the ADMIN role, or changing or removing an ADMIN member
DELETE_REVIEW_LABELS = Role.REVIEWER  # deleting REVIEW labels of other authors (everyone deletes their own)
DELETE_ANY_LABEL = Role.TEAM_MANAGER  # deleting any label


@dataclass(frozen=True)
class Needs:
    """What a mutation takes: `role` (or above) held `where`; `role` None: no project role at all."""

    role: Role | None
    where: str
    why: str
    also: str = ""

    def sentence(self) -> str:
        if self.role is None:
            return f"Needs no project role: {self.where}."
        also = f" ({self.also})" if self.also else ""
        return f"Needs {self.role.name} or above {self.where}{also}."


_MANAGE = "team managers run the project day to day; only ADMIN may hand out ADMIN"
_MEMBERS_BELOW_ADMIN = f"{GRANT_ADMIN.name} to grant the ADMIN role, or to change or remove an ADMIN member"
_LABELS_ALSO = f"{REVIEW_LABELS.name} for REVIEW labels, {LABEL_ON_BEHALF.name} to label on behalf of another member"

_TIMELINE = "sessions and their timelines are curated by the managers; labelers read them"

MUTATION_ROLES: dict[str, Needs] = {
    "createProject": Needs(
        None,
        "any user may create a project in their organization",
        "a new project holds nobody else's data; its creator becomes its ADMIN",
    ),
    "updateProject": Needs(Role.TEAM_MANAGER, "in the project", _MANAGE),
    "archiveProject": Needs(Role.TEAM_MANAGER, "in the project", _MANAGE),
    "unarchiveProject": Needs(Role.TEAM_MANAGER, "in the project", _MANAGE),
    "addProjectMember": Needs(Role.TEAM_MANAGER, "in the project", _MANAGE, _MEMBERS_BELOW_ADMIN),
    "updateProjectMemberRole": Needs(Role.TEAM_MANAGER, "in the project", _MANAGE, _MEMBERS_BELOW_ADMIN),
    "removeProjectMember": Needs(Role.TEAM_MANAGER, "in the project", _MANAGE, _MEMBERS_BELOW_ADMIN),
    "appendManyAssets": Needs(Role.TEAM_MANAGER, "in the project", "the data set is the manager's to shape"),
    "appendManyAssetsAsynchronously": Needs(Role.TEAM_MANAGER, "in the project", "the same import as appendManyAssets"),
    "updatePropertiesInAssets": Needs(
        Role.TEAM_MANAGER, "in every project touched", "the data set is the manager's to shape"
    ),
    "deleteAssets": Needs(
        Role.TEAM_MANAGER, "in every matched asset's project", "deleting takes the labels with the assets"
    ),
    "addAssetsToReview": Needs(
        Role.REVIEWER, "in every matched asset's project", "review is the reviewers' queue to fill and empty"
    ),
    "sendAssetsBackToQueue": Needs(
        Role.REVIEWER, "in every matched asset's project", "review is the reviewers' queue to fill and empty"
    ),
    "assignAssets": Needs(Role.TEAM_MANAGER, "in every matched asset's project", "managers decide who labels what"),
    "setAssetsPriority": Needs(
        Role.TEAM_MANAGER, "in every matched asset's project", "managers decide what is labeled first"
    ),
    "skipAsset": Needs(Role.LABELER, "in the asset's project", "labelers skip what they cannot label"),
    "unskipAsset": Needs(Role.LABELER, "in the project", "what a labeler may skip, they may put back"),
    "setAssetConsensus": Needs(
        Role.TEAM_MANAGER, "in the project", "which assets several labelers label is the manager's call"
    ),
    "appendManyLabels": Needs(
        Role.LABELER, "in each asset's project", "labeling is what labelers do; reviewing is above it", _LABELS_ALSO
    ),
    "appendToLabels": Needs(
        Role.LABELER, "in the asset's project", "labeling is what labelers do; reviewing is above it", _LABELS_ALSO
    ),
    **{
        name: Needs(
            Role.LABELER,
            "in each matched label's project",
            "an author may take back their own labels; review and curation are above it",
            f"{DELETE_REVIEW_LABELS.name} for REVIEW labels of other authors, {DELETE_ANY_LABEL.name} for any label",
        )
        for name in ("deleteLabelsWhere", "deleteLabels")
    },
    "createIssues": Needs(
        Role.LABELER,
        "in each asset's project",
        "labelers ask questions, reviewers raise issues",
        f"{RAISE_ISSUE.name} for an ISSUE; LABELER is enough for a QUESTION",
    ),
    "updatePropertiesInIssue": Needs(Role.REVIEWER, "in the issue's project", "settling remarks is part of review"),
    **{
        name: Needs(Role.TEAM_MANAGER, "in the set's project", "curating sets is the manager's work")
        for name in (
            "createSet",
            "updateSet",
            "addAssetsToSet",
            "removeAssetsFromSet",
            "lockSet",
            "unlockSet",
            "splitSet",
            "deleteSet",
        )
    },
    "appendSessionEvents": Needs(Role.TEAM_MANAGER, "in the session's project", _TIMELINE),
    "addSessionComments": Needs(Role.TEAM_MANAGER, "in the session's project", _TIMELINE),
    "deleteSessionEvents": Needs(Role.TEAM_MANAGER, "in every matched event's project", _TIMELINE),
    **{
        mutation: Needs(Role.TEAM_MANAGER, "in the session's project", "recordings are the data set the manager shapes")
        for mutation in (
            "createSession",
            "updateSession",
            "extendSessionTimeSpan",
            "sliceSession",
            "deleteSession",
        )
    },
    **{
        mutation: Needs(
            Role.TEAM_MANAGER, "in every matched asset's project", "curating the data set is the manager's work"
        )
        for mutation in ("updateAssetsMetadata", "addTagsToAssets", "removeTagsFromAssets")
    },
    "removeMetadataKey": Needs(Role.TEAM_MANAGER, "in the project", "curating the data set is the manager's work"),
}
# The Kili 2.16x names run the same code as the mutations they name, so they need the same role.
LEGACY_NAMES = {
    "appendManyFramesToDatasetAsynchronously": "appendManyAssetsAsynchronously",
    "addAllLabeledAssetsToReview": "addAssetsToReview",
    "sendBackAssetsToQueue": "sendAssetsBackToQueue",
    "deleteManyFromDataset": "deleteAssets",
}
MUTATION_ROLES.update({legacy: MUTATION_ROLES[name] for legacy, name in LEGACY_NAMES.items()})


def minimum_role(mutation: str) -> Role:
    """The role (or above) `mutation` needs in the projects it touches, from MUTATION_ROLES."""
    role = MUTATION_ROLES[mutation].role
    if role is None:
        raise ValueError(f"{mutation} needs no project role.")
    return role


def described(mutation: str, text: str) -> str:
    """A mutation's description: `text`, then the sentence saying the role it needs (MUTATION_ROLES)."""
    return f"{text} {MUTATION_ROLES[mutation].sentence()}"


async def roles_in(ctx: RequestContext, project_ids: Iterable[str]) -> dict[str, Role]:
    """The viewer's role in each of these projects they may see (projects they may not see are left out).
    One statement."""
    ids = list(set(project_ids))
    if not ids:
        return {}
    viewer = ctx.viewer
    rows = (
        await ctx.execute(
            select(Project.id, Project.organization_id, ProjectMember.role)
            .outerjoin(
                ProjectMember, (ProjectMember.project_id == Project.id) & (ProjectMember.user_id == viewer.user_id)
            )
            .where(any_id(Project.id, ids))
        )
    ).all()
    roles: dict[str, Role] = {}
    for project_id, organization_id, member_role in rows:
        role = role_of(viewer, organization_id, member_role)
        if role is not None:
            roles[project_id] = role
    return roles


def role_of(viewer: Viewer, organization_id: str, member_role: str | None) -> Role | None:
    """The viewer's role in a project of `organization_id` where their membership (if any) says
    `member_role`: ADMIN for an admin of that organization, else the membership's; None: neither."""
    if viewer.is_org_admin and organization_id == viewer.organization_id:
        return Role.ADMIN
    return Role[member_role] if member_role is not None else None


def check_role(project_id: str, role: Role | None, minimum: Role, action: str) -> None:
    """NOT_FOUND when the viewer has no role in the project (`role` None), FORBIDDEN when it is below
    `minimum`; `action` completes the message, as in `require_role`."""
    if role is None:
        raise NotFound(f"No project with id '{project_id}'.")
    if role < minimum:
        raise Forbidden(
            f"You may not {action} in project '{project_id}': your role is {role.name}, "
            f"it takes {minimum.name} or above."
        )


async def require_role(ctx: RequestContext, project_ids: Iterable[str], minimum: Role, action: str) -> dict[str, Role]:
    """The viewer's roles, after checking they hold at least `minimum` in every project.

    An unknown or invisible project is NOT_FOUND; a visible one with too low a role is FORBIDDEN.
    `action` completes the message: "You may not <action> in project X (role LABELER; needs ...)"."""
    ids = list(dict.fromkeys(project_ids))
    roles = await roles_in(ctx, ids)
    for project_id in ids:
        check_role(project_id, roles.get(project_id), minimum, action)
    return roles
