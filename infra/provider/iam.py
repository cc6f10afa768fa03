"""IAM: ``egov:iam:Role``, ``egov:iam:RolePolicy`` (inline) and ``egov:iam:RolePolicyAttachment``.

Policy documents are validated and compared semantically by ``policy_documents``.

moto 5.2.5 notes: IAM is fully served for what these handlers call. Roles made through a
cn-* region get ``arn:aws-cn:`` ARNs, like the real partition. AWS managed policies
(``arn:aws-cn:iam::aws:policy/...``) are not loaded by default, so attachments of them fail
there with NoSuchEntity; customer managed policies work.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from infra.provider import tags as tagging
from infra.provider.errors import ApiError, ProviderError
from infra.provider.handler import (
    CREATED,
    UPDATING,
    CreateResult,
    Failure,
    HandlerContext,
    NamedCloudHandler,
    PropertySpec,
    ReadResult,
    ResourceHandler,
    is_unknown,
    output,
    range_failures,
    tags_property,
)
from infra.provider.policy_documents import policies_equal, policy_problem, policy_text, prefer_given

ROLE_TYPE = "egov:iam:Role"
ROLE_POLICY_TYPE = "egov:iam:RolePolicy"
ATTACHMENT_TYPE = "egov:iam:RolePolicyAttachment"
NO_SUCH_ENTITY = "NoSuchEntity"
DELETE_CONFLICT = "DeleteConflict"
MIN_SESSION = 3600
MAX_SESSION = 43200

_IAM_NAME = re.compile(r"^[\w+=,.@-]+$")
_ROLE_PATH = re.compile(r"^/([\x21-\x7e]*/)?$")
_POLICY_ARN = re.compile(r"^arn:aws(-cn|-us-gov)?:iam::(aws|\d{12}):policy/.+$")
_DESCRIPTION_CHAR = re.compile(r"[\t\n\r\x20-\x7e\xa1-\xff]")


def name_problem(value: Any, prop: str, what: str, limit: int) -> str | None:
    """IAM names: 1..limit characters of letters, digits and ``+=,.@_-``."""
    if is_unknown(value) or not isinstance(value, str):
        return None
    if not 1 <= len(value) <= limit:
        return f"{prop} {value!r} is {len(value)} characters long; an IAM {what} name has 1 to {limit}"
    if not _IAM_NAME.fullmatch(value):
        return f"{prop} {value!r} may only contain letters, digits and +=,.@_-"
    return None


# -- egov:iam:Role ---------------------------------------------------------------------------


class RoleHandler(NamedCloudHandler):
    """An IAM role: name and path replace it; trust policy, description, session length and tags
    change in place."""

    type_token = ROLE_TYPE
    equivalent = (("assumeRolePolicy", policies_equal),)
    noun = "role"
    description = "An IAM role that services or people assume (trust policy, description, tags)."
    properties = (
        PropertySpec(
            "name",
            "string",
            "Role name (1-64 of letters, digits, +=,.@_-). Replaces.",
            required=True,
            replace_on_change=True,
        ),
        PropertySpec(
            "path", "string", "Path the role lives under, e.g. /egov/. Replaces.", default="/", replace_on_change=True
        ),
        PropertySpec(
            "assumeRolePolicy",
            "string",
            "Trust policy (JSON): who may assume the role. Compared semantically.",
            required=True,
        ),
        PropertySpec("description", "string", "What the role is for.", default=""),
        PropertySpec("maxSessionDuration", "integer", "Longest session in seconds, 3600-43200.", default=3600),
        tags_property("role"),
        output("arn", "The role's ARN."),
        output("roleId", "The role's stable unique id (AROA...)."),
    )

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        failures: list[Failure] = []
        problem = name_problem(inputs.get("name"), "name", "role", 64)
        if problem:
            failures.append(Failure("name", problem))
        path = inputs.get("path")
        if isinstance(path, str) and not (len(path) <= 512 and _ROLE_PATH.fullmatch(path)):
            failures.append(Failure("path", f"path {path!r} must start and end with '/', e.g. '/' or '/egov/audit/'"))
        problem = policy_problem(inputs.get("assumeRolePolicy"), "assumeRolePolicy")
        if problem:
            failures.append(Failure("assumeRolePolicy", problem))
        failures += range_failures(inputs, "maxSessionDuration", MIN_SESSION, MAX_SESSION, " seconds")
        description = inputs.get("description")
        if isinstance(description, str):
            if len(description) > 1000:
                failures.append(
                    Failure("description", f"description is {len(description)} characters; the limit is 1000")
                )
            bad = list(dict.fromkeys(c for c in description if not _DESCRIPTION_CHAR.match(c)))
            if bad:
                failures.append(
                    Failure(
                        "description",
                        f"description contains {''.join(bad[:5])!r}; IAM accepts only Latin-1 printable characters "
                        "in role descriptions (put other text in a tag instead)",
                    )
                )
        failures.extend(tagging.validate_tags(inputs.get("tags")))
        return failures

    def create(self, ctx: HandlerContext, inputs: dict[str, Any]) -> CreateResult:
        name = inputs["name"]
        ctx.call(
            "iam",
            "create_role",
            RoleName=name,
            Path=inputs.get("path") or "/",
            AssumeRolePolicyDocument=inputs["assumeRolePolicy"],
            **({"Description": inputs["description"]} if inputs.get("description") else {}),
            MaxSessionDuration=int(inputs.get("maxSessionDuration") or MIN_SESSION),
            Tags=tagging.with_owner(inputs.get("tags") or {}, ctx.resource.urn),
        )
        # One call made the whole role; there is nothing half-created to undo.
        return CreateResult(resource_id=name, outputs=self.described(ctx, name, inputs, CREATED))

    def _describe(self, ctx: HandlerContext, name: str, given: Mapping[str, Any]) -> dict[str, Any] | None:
        try:
            role = ctx.call("iam", "get_role", RoleName=name)["Role"]
        except ApiError as exc:
            if exc.code == NO_SUCH_ENTITY:
                return None
            raise
        tags = role.get("Tags")
        if tags is None:
            tags = ctx.collect("iam", "list_role_tags", "Tags", RoleName=name)
        trust = policy_text(role.get("AssumeRolePolicyDocument"))
        return {
            "name": role["RoleName"],
            "path": role.get("Path", "/"),
            "assumeRolePolicy": prefer_given(given.get("assumeRolePolicy"), trust, policies_equal),
            "description": role.get("Description") or "",
            "maxSessionDuration": int(role.get("MaxSessionDuration") or MIN_SESSION),
            "tags": tagging.from_aws(tags),
            "arn": role["Arn"],
            "roleId": role.get("RoleId"),
        }

    def apply_update(self, ctx: HandlerContext, resource_id: str, live: dict[str, Any], news: dict[str, Any]) -> None:
        if not policies_equal(live["assumeRolePolicy"], news["assumeRolePolicy"]):
            ctx.call("iam", "update_assume_role_policy", RoleName=resource_id, PolicyDocument=news["assumeRolePolicy"])
        description = news.get("description") or ""
        duration = int(news.get("maxSessionDuration") or MIN_SESSION)
        if description != live["description"] or duration != live["maxSessionDuration"]:
            ctx.call("iam", "update_role", RoleName=resource_id, Description=description, MaxSessionDuration=duration)

    def sync_tags(
        self, ctx: HandlerContext, resource_id: str, live: Mapping[str, Any], desired: Mapping[str, str]
    ) -> None:
        tagging.sync(
            live["tags"],
            desired,
            remove=lambda keys: ctx.call("iam", "untag_role", RoleName=resource_id, TagKeys=keys),
            add=lambda tags: ctx.call("iam", "tag_role", RoleName=resource_id, Tags=tagging.to_aws(tags)),
        )

    def delete(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any]) -> None:
        """DeleteRole; gone already is success. AWS refuses while policies or instance profiles
        still hang on the role: the error then names each of them."""
        try:
            ctx.call("iam", "delete_role", RoleName=resource_id)
        except ApiError as exc:
            if exc.code == NO_SUCH_ENTITY:
                return
            if exc.code != DELETE_CONFLICT:
                raise
            blockers = self._blockers(ctx, resource_id)
            what = "; ".join(blockers) if blockers else "AWS reports dependents, but none could be listed"
            raise ProviderError(
                f"{ctx.resource}: cannot delete role {resource_id}: it still has {what}. Remove those first "
                f"(if Pulumi manages them, make them depend on this role). Cloud error: {exc.code}"
            ) from exc

    @staticmethod
    def _blockers(ctx: HandlerContext, role: str) -> list[str]:
        found: list[str] = []
        try:
            inline = ctx.collect("iam", "list_role_policies", "PolicyNames", RoleName=role)
            if inline:
                found.append("inline policies " + ", ".join(sorted(inline)))
            attached = ctx.collect("iam", "list_attached_role_policies", "AttachedPolicies", RoleName=role)
            if attached:
                found.append("attached policies " + ", ".join(sorted(p["PolicyArn"] for p in attached)))
            profiles = ctx.collect("iam", "list_instance_profiles_for_role", "InstanceProfiles", RoleName=role)
            if profiles:
                found.append("instance profiles " + ", ".join(sorted(p["InstanceProfileName"] for p in profiles)))
        except ProviderError:
            pass
        return found

    def find_owned(self, ctx: HandlerContext, urn_prefix: str) -> dict[str, str]:
        """Roles carrying OWNER_TAG under ``urn_prefix``. ListRoles does not return tags, so this
        asks for each role's tags; it runs only during the rare leftover sweep."""
        owned: dict[str, str] = {}
        for role in ctx.collect("iam", "list_roles", "Roles"):
            name = str(role["RoleName"])
            if str(role.get("Path", "/")).startswith("/aws-service-role/"):
                continue
            try:
                tags = ctx.collect("iam", "list_role_tags", "Tags", RoleName=name)
            except ApiError as exc:
                if exc.code == NO_SUCH_ENTITY:
                    continue
                raise
            urn = tagging.owner_urn(tags)
            if urn.startswith(urn_prefix):
                owned[name] = urn
        return owned


# -- egov:iam:RolePolicy ---------------------------------------------------------------------


def _split_id(ctx: HandlerContext, resource_id: str, separator: str, what: str, example: str) -> tuple[str, str]:
    role, sep, rest = resource_id.partition(separator)
    if not sep or not role or not rest:
        raise ProviderError(f"{ctx.resource}: {resource_id!r} is not a valid {what} id; write it as {example}")
    return role, rest


class RolePolicyHandler(NamedCloudHandler):
    """An inline policy embedded in a role; id ``<role>:<policy name>``."""

    type_token = ROLE_POLICY_TYPE
    equivalent = (("policy", policies_equal),)
    noun = "inline policy"
    description = "An inline IAM policy embedded in one role."
    properties = (
        PropertySpec(
            "role",
            "string",
            "Name of the role the policy is embedded in. Replaces.",
            required=True,
            replace_on_change=True,
        ),
        PropertySpec(
            "name", "string", "Policy name, unique within the role. Replaces.", required=True, replace_on_change=True
        ),
        PropertySpec(
            "policy", "string", "Policy document (JSON). Compared semantically; changes in place.", required=True
        ),
    )

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        failures: list[Failure] = []
        for prop, what in (("role", "role"), ("name", "policy")):
            problem = name_problem(inputs.get(prop), prop, what, 64 if prop == "role" else 128)
            if problem:
                failures.append(Failure(prop, problem))
        problem = policy_problem(inputs.get("policy"), "policy")
        if problem:
            failures.append(Failure("policy", problem))
        return failures

    def create(self, ctx: HandlerContext, inputs: dict[str, Any]) -> CreateResult:
        role, name = inputs["role"], inputs["name"]
        try:
            ctx.call("iam", "get_role_policy", RoleName=role, PolicyName=name)
        except ApiError as exc:
            if exc.code != NO_SUCH_ENTITY:
                raise
        else:
            # PutRolePolicy would silently overwrite someone else's policy of the same name.
            raise ProviderError(
                f"{ctx.resource}: role {role} already has an inline policy named {name}; adopt it with "
                f"`pulumi import {ROLE_POLICY_TYPE} {ctx.resource.name} {role}:{name}` or choose another name"
            )
        ctx.call("iam", "put_role_policy", RoleName=role, PolicyName=name, PolicyDocument=inputs["policy"])
        resource_id = f"{role}:{name}"
        return CreateResult(resource_id=resource_id, outputs=self.described(ctx, resource_id, inputs, CREATED))

    def _describe(self, ctx: HandlerContext, resource_id: str, given: Mapping[str, Any]) -> dict[str, Any] | None:
        role, name = _split_id(ctx, resource_id, ":", "role policy", "<role name>:<policy name>")
        try:
            response = ctx.call("iam", "get_role_policy", RoleName=role, PolicyName=name)
        except ApiError as exc:
            if exc.code == NO_SUCH_ENTITY:
                return None
            raise
        live = policy_text(response.get("PolicyDocument"))
        return {"role": role, "name": name, "policy": prefer_given(given.get("policy"), live, policies_equal)}

    def update(
        self, ctx: HandlerContext, resource_id: str, old_state: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        role, name = _split_id(ctx, resource_id, ":", "role policy", "<role name>:<policy name>")
        # No gone check first: PutRolePolicy puts back a policy deleted behind Pulumi's back.
        ctx.call("iam", "put_role_policy", RoleName=role, PolicyName=name, PolicyDocument=news["policy"])
        return self.described(ctx, resource_id, news, UPDATING)

    def delete(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any]) -> None:
        role, name = _split_id(ctx, resource_id, ":", "role policy", "<role name>:<policy name>")
        try:
            ctx.call("iam", "delete_role_policy", RoleName=role, PolicyName=name)
        except ApiError as exc:
            if exc.code != NO_SUCH_ENTITY:
                raise


# -- egov:iam:RolePolicyAttachment -----------------------------------------------------------


class RolePolicyAttachmentHandler(ResourceHandler):
    """A managed policy attached to a role; id ``<role>/<policy ARN>``. Both properties replace."""

    type_token = ATTACHMENT_TYPE
    description = "A managed IAM policy attached to a role."
    properties = (
        PropertySpec("role", "string", "Name of the role. Replaces.", required=True, replace_on_change=True),
        PropertySpec(
            "policyArn", "string", "ARN of the managed policy. Replaces.", required=True, replace_on_change=True
        ),
    )

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        failures: list[Failure] = []
        problem = name_problem(inputs.get("role"), "role", "role", 64)
        if problem:
            failures.append(Failure("role", problem))
        arn = inputs.get("policyArn")
        if isinstance(arn, str) and not _POLICY_ARN.fullmatch(arn):
            failures.append(
                Failure(
                    "policyArn",
                    f"policyArn {arn!r} is not a managed policy ARN such as "
                    "arn:aws-cn:iam::aws:policy/ReadOnlyAccess or arn:aws-cn:iam::123456789012:policy/name",
                )
            )
        return failures

    def _attached(self, ctx: HandlerContext, role: str, arn: str) -> bool | None:
        """Whether ``arn`` is attached to ``role``; None when the role itself is gone."""
        try:
            attached = ctx.collect("iam", "list_attached_role_policies", "AttachedPolicies", RoleName=role)
        except ApiError as exc:
            if exc.code == NO_SUCH_ENTITY:
                return None
            raise
        return any(p.get("PolicyArn") == arn for p in attached)

    def create(self, ctx: HandlerContext, inputs: dict[str, Any]) -> CreateResult:
        role, arn = inputs["role"], inputs["policyArn"]
        ctx.call("iam", "attach_role_policy", RoleName=role, PolicyArn=arn)
        return CreateResult(resource_id=f"{role}/{arn}", outputs={"role": role, "policyArn": arn})

    def read(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any], inputs: dict[str, Any]) -> ReadResult:
        if not resource_id:
            return ReadResult.gone()
        role, arn = _split_id(ctx, resource_id, "/", "role policy attachment", "<role name>/<policy ARN>")
        if not self._attached(ctx, role, arn):
            return ReadResult.gone()
        outputs = {"role": role, "policyArn": arn}
        return ReadResult(resource_id=resource_id, outputs=outputs, inputs=dict(outputs))

    def update(
        self, ctx: HandlerContext, resource_id: str, old_state: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        # Both properties replace, so the engine never asks for an in-place change.
        raise ProviderError(f"{ctx.resource}: a role policy attachment cannot change in place; it is replaced")

    def delete(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any]) -> None:
        role, arn = _split_id(ctx, resource_id, "/", "role policy attachment", "<role name>/<policy ARN>")
        try:
            ctx.call("iam", "detach_role_policy", RoleName=role, PolicyArn=arn)
        except ApiError as exc:
            if exc.code != NO_SUCH_ENTITY:
                raise
