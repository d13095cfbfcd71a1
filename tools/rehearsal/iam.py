"""IAM enforcement for the rehearsal: each request signed by a role's session (or an IAM user's key)
is allowed or denied as AWS's policy evaluation logic decides for identity-based policies in one
account, with the resource and condition keys the real service would put in the request context.

moto 5.2.5 is pinned exactly (requirements-dev.txt) because this reaches into its internals. moto's
own enforcement (`INITIAL_NO_AUTH_ACTION_COUNT`) authorizes most services against resource `*`,
ignores most conditions and never asks KMS when SSM decrypts; this replaces it, whatever that count
is, while switched on, and leaves moto untouched while off (the default).

Who is evaluated: session credentials from `sts:AssumeRole` / `AssumeRoleWithWebIdentity` (the
session token must match the access key, as in STS) and IAM users' access keys. The rehearsal's
administrator, the fixed key in `server.FAKE_CREDENTIALS` (what the CDK CLI and the set-up steps
use), stays unrestricted, as does a request that carries no signature at all (moto's own
`/moto-api`); any other key is refused as AWS refuses an unknown one (`InvalidClientTokenId`).

What it models, each beside the code with where AWS documents it:

- the principal's identity policies (a role's inline and attached managed policies, AWS managed
  ones such as `ReadOnlyAccess` included; a user's, and its groups'), the role's permissions
  boundary and the session policy passed to `AssumeRole`; an explicit Deny wins, then an Allow,
  else the implicit deny;
- `Action`/`NotAction` (case-insensitive), `Resource`/`NotResource` with `*` and `?`, policy
  variables (`${aws:username}` …), and the condition operators String*, Arn*, Bool, Null, Numeric*,
  IpAddress/NotIpAddress, with `…IfExists` and `ForAnyValue:`/`ForAllValues:`; a key absent from
  the request context fails the condition, except for the negated operators, `…IfExists` and
  `Null`;
- the resource each action is authorized on: CloudFormation stacks by name, ARN or change set ARN
  (`cloudformation:ChangeSetName`, `cloudformation:RoleArn`, `cloudformation:TemplateUrl`, request
  tags) and `iam:PassRole` for a `RoleARN` (a change set ARN that CloudFormation no longer has is
  answered `ChangeSetNotFound`, there being no stack to authorize on; recorded as "no such change
  set"); SSM parameters (every name of a batch) and the KMS key of a SecureString read with
  decryption or written; KMS keys (an alias resolved to its key) with the key policy (the AWS
  managed `aws/ssm` key has AWS's policy for it); Lambda functions (qualified where the call is); log
  groups and streams; `sts:AssumeRole` with the role's trust policy, and `AssumeRoleWithWebIdentity`
  (unsigned) from an issuer registered as the account's OIDC provider, against the trust policy's
  conditions on the token's `aud`, `sub` and `amr` claims; S3 as moto resolves buckets and objects.
  An action with no resolver here is authorized on `*` and listed in `Record.unresolved`, so the
  gaps show;
- the denial as the service answers it: its error code for its protocol (`AccessDenied` for the
  query and XML services, `AccessDeniedException` for the JSON ones) and AWS's message,
  `User: ARN is not authorized to perform: ACTION on resource: ARN because no identity-based policy
  allows the ACTION action` (or `… with an explicit deny in an identity-based policy`, `… because no
  resource-based policy allows …` when a key or trust policy does not grant, `… no permissions
  boundary / session policy allows …`); for an action on `*` the message names no resource.

Two fixes to moto's IAM apply whether or not enforcement is on, because the policies must be there
to be evaluated: a CloudFormation role gets its `ManagedPolicyArns` (moto drops them) and, on an
update, its new trust policy and inline `Policies` (moto keeps the old ones); and attaching an AWS
managed policy loads it from moto's copy of AWS's (moto loads none unless
`MOTO_IAM_LOAD_MANAGED_POLICIES` is set).

What it does not model: what CloudFormation does under its service role (moto's CloudFormation
creates resources in-process, so the execution role's permissions are never evaluated — only its
`iam:PassRole`); resource-based policies other than key and trust policies (bucket, Lambda and
log resource policies grant nothing here, nor deny); service control policies, cross-account
access, KMS grants, `NotPrincipal`, `sts:TagSession`; `kms:ViaService` for services other than
SSM; date and binary condition operators (an Allow or Deny that uses one never applies; the
operator is listed in `Record.unresolved`); the session's `PolicyArns`; the web identity token's
signature; and global condition keys other than the principal's, `aws:RequestedRegion`,
`aws:ResourceAccount` (always the caller's account) and `aws:SecureTransport` (true: the SDKs speak
HTTPS to AWS; the rehearsal's loopback HTTP is not the point).

Use: `install()` once (server.install_extensions does), then::

    with iam.enforced() as record:
        env = {**emulator.environment(), **iam.assume(emulator.url, role_arn, "review")}
        ...                                   # run the job's commands with env
    record.denied(), record.unresolved        # what was refused, what had no resolver
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import functools
import ipaddress
import json
import re
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

import boto3
from moto.cloudformation.models import cloudformation_backends
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult
from moto.core.utils import get_service_model
from moto.iam import models as iam_models
from moto.iam.aws_managed_policies import aws_managed_policies_data
from moto.kms.models import kms_backends
from moto.kms.utils import _deserialize_ciphertext_blob
from moto.s3.exceptions import S3ClientError, S3InvalidTokenError
from moto.ssm.models import ssm_backends
from moto.sts.models import sts_backends
from werkzeug.exceptions import HTTPException

from tools.rehearsal import server
from tools.rehearsal.server import FAKE_CREDENTIALS, REGION

PARTITION = "aws"
ADMINISTRATOR_KEY = FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"]
Context = dict[str, list[str]]


# ---------------------------------------------------------------------------------------------
# The record


@dataclass(frozen=True)
class Decision:
    """One authorization: who asked, for what, on which resource, and what IAM answered."""

    principal: str
    action: str
    resource: str
    allowed: bool
    reason: str  # "allowed", or the tail of AWS's message ("because no identity-based policy allows …")

    def __str__(self) -> str:
        verdict = "ALLOW" if self.allowed else "DENY "
        return f"{verdict} {self.principal} {self.action} on {self.resource}" + (
            "" if self.allowed else f": {self.reason}"
        )


@dataclass
class Record:
    """Every decision made while enforcing, and the actions (and condition operators) not modelled."""

    decisions: list[Decision] = field(default_factory=list)
    unresolved: set[str] = field(default_factory=set)

    def denied(self) -> list[Decision]:
        return [decision for decision in self.decisions if not decision.allowed]


class _State:
    def __init__(self) -> None:
        self.enforcing = False
        self.record = Record()
        self.lock = threading.Lock()


_STATE = _State()


def enforce(on: bool) -> None:
    """Switch enforcement on or off for every request the in-process server answers from now on."""
    install()
    _STATE.enforcing = on


def record() -> Record:
    """The record decisions go to (a fresh one inside each `enforced()` block)."""
    return _STATE.record


@contextlib.contextmanager
def enforced() -> Iterator[Record]:
    """Enforce within the block, recording into a fresh `Record`; the previous state comes back after."""
    install()
    previous = (_STATE.enforcing, _STATE.record)
    _STATE.enforcing, _STATE.record = True, Record()
    try:
        yield _STATE.record
    finally:
        _STATE.enforcing, _STATE.record = previous


def _note(decision: Decision) -> None:
    with _STATE.lock:
        _STATE.record.decisions.append(decision)


def _unresolved(what: str) -> None:
    with _STATE.lock:
        _STATE.record.unresolved.add(what)


# ---------------------------------------------------------------------------------------------
# Credentials for the rehearsal


def _environment(credentials: Mapping[str, Any]) -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": str(credentials["AccessKeyId"]),
        "AWS_SECRET_ACCESS_KEY": str(credentials["SecretAccessKey"]),
        "AWS_SESSION_TOKEN": str(credentials["SessionToken"]),
    }


def assume(url: str, role_arn: str, session_name: str = "rehearsal") -> dict[str, str]:
    """The role's session credentials as environment variables, assumed by the administrator
    (whose calls are not evaluated, so the role's trust policy is not consulted)."""
    answer = server.client(url, "sts").assume_role(RoleArn=role_arn, RoleSessionName=session_name)
    return _environment(answer["Credentials"])


def web_identity_token(claims: Mapping[str, Any]) -> str:
    """An unsigned JWT carrying the claims (e.g. GitHub's `sub`, `aud`, `iss`): nothing here checks signatures."""

    def part(value: Mapping[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.signature"


def assume_with_web_identity(
    url: str, role_arn: str, claims: Mapping[str, Any], session_name: str = "rehearsal"
) -> dict[str, str]:
    """What a CI job's OIDC step does: the role's credentials for a token with these claims. While
    enforcing, the role's trust policy must allow the token (conditions on `<issuer>:sub`, `:aud` …)."""
    sts = boto3.client("sts", endpoint_url=url, region_name=REGION)
    answer = sts.assume_role_with_web_identity(
        RoleArn=role_arn, RoleSessionName=session_name, WebIdentityToken=web_identity_token(claims)
    )
    return _environment(answer["Credentials"])


# ---------------------------------------------------------------------------------------------
# Policy evaluation


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


_LITERAL = "\x00"  # marks the next character as literal: what ${*}, ${?} and ${$} stand for


@functools.lru_cache(maxsize=4096)
def _pattern(glob: str, ignore_case: bool) -> re.Pattern[str]:
    # `*` any run of characters, `?` one character, everything else literal (IAM "Resource" and "StringLike").
    parts, characters = [], iter(glob)
    for c in characters:
        if c == _LITERAL:
            parts.append(re.escape(next(characters, "")))
        else:
            parts.append(".*" if c == "*" else "." if c == "?" else re.escape(c))
    return re.compile(f"^{''.join(parts)}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _glob(glob: str, value: str, *, ignore_case: bool = False) -> bool:
    return _pattern(glob, ignore_case).match(value) is not None


_VARIABLE = re.compile(r"\$\{([^}]+)\}")


def _substitute(text: str, context: Context) -> str:
    # Policy variables (IAM "Policy variables"): ${key} is the context's value; ${*} ${?} ${$} are literals.
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in ("*", "?", "$"):
            return _LITERAL + name
        found = context.get(name.lower())
        return found[0] if found else match.group(0)

    return _VARIABLE.sub(value, text)


def _matches_any(patterns: Iterable[Any], value: str, context: Context, *, ignore_case: bool) -> bool:
    return any(_glob(_substitute(str(p), context), value, ignore_case=ignore_case) for p in patterns)


def _action_applies(statement: Mapping[str, Any], action: str) -> bool:
    # Action names are case-insensitive (IAM "Action" element); NotAction matches every other action.
    if "NotAction" in statement:
        return not _matches_any(_as_list(statement["NotAction"]), action, {}, ignore_case=True)
    return _matches_any(_as_list(statement.get("Action")), action, {}, ignore_case=True)


def _resource_applies(statement: Mapping[str, Any], resource: str, context: Context) -> bool:
    # ARNs are case-sensitive (IAM "Resource" element); NotResource matches every other resource.
    if "NotResource" in statement:
        return not _matches_any(_as_list(statement["NotResource"]), resource, context, ignore_case=False)
    if "Resource" not in statement:
        return True  # a trust policy: the resource is the role itself
    return _matches_any(_as_list(statement["Resource"]), resource, context, ignore_case=False)


def _arn_like(pattern: str, value: str, ignore_case: bool = False) -> bool:
    # ArnLike/ArnEquals: each of the six colon-separated parts matched on its own (IAM "ARN condition operators").
    wanted, actual = pattern.split(":", 5), value.split(":", 5)
    return len(wanted) == len(actual) == 6 and all(_glob(w, a) for w, a in zip(wanted, actual, strict=True))


def _numeric(pattern: str, value: str, compare: Callable[[float, float], bool]) -> bool:
    try:
        return compare(float(value), float(pattern))
    except ValueError:
        return False


def _ip(pattern: str, value: str) -> bool:
    try:
        return ipaddress.ip_address(value) in ipaddress.ip_network(pattern, strict=False)
    except ValueError:
        return False


# operator -> (how one context value matches one policy value, whether the operator is negated)
_OPERATORS: dict[str, tuple[Callable[[str, str], bool], bool]] = {
    "StringEquals": (lambda p, v: p == v, False),
    "StringNotEquals": (lambda p, v: p == v, True),
    "StringEqualsIgnoreCase": (lambda p, v: p.lower() == v.lower(), False),
    "StringNotEqualsIgnoreCase": (lambda p, v: p.lower() == v.lower(), True),
    "StringLike": (lambda p, v: _glob(p, v), False),
    "StringNotLike": (lambda p, v: _glob(p, v), True),
    "ArnEquals": (_arn_like, False),
    "ArnLike": (_arn_like, False),
    "ArnNotEquals": (_arn_like, True),
    "ArnNotLike": (_arn_like, True),
    "Bool": (lambda p, v: p.lower() == v.lower(), False),
    "NumericEquals": (lambda p, v: _numeric(p, v, lambda a, b: a == b), False),
    "NumericNotEquals": (lambda p, v: _numeric(p, v, lambda a, b: a == b), True),
    "NumericLessThan": (lambda p, v: _numeric(p, v, lambda a, b: a < b), False),
    "NumericLessThanEquals": (lambda p, v: _numeric(p, v, lambda a, b: a <= b), False),
    "NumericGreaterThan": (lambda p, v: _numeric(p, v, lambda a, b: a > b), False),
    "NumericGreaterThanEquals": (lambda p, v: _numeric(p, v, lambda a, b: a >= b), False),
    "IpAddress": (_ip, False),
    "NotIpAddress": (_ip, True),
}


def _condition(operator: str, key: str, wanted: list[Any], context: Context) -> bool:
    """One operator on one key (IAM "Condition operators"; set operators: "Multivalued context keys")."""
    qualifier, _, name = operator.rpartition(":")
    if_exists = name.endswith("IfExists") and name != "Null"
    name = name.removesuffix("IfExists") if if_exists else name
    actual = context.get(key.lower())
    patterns = [str(p).lower() if isinstance(p, bool) else _substitute(str(p), context) for p in wanted]
    if name == "Null":
        # Null: "true" means the key must be absent, "false" present.
        return (not actual) == (patterns[0].lower() == "true")
    if name not in _OPERATORS or qualifier not in ("", "ForAnyValue", "ForAllValues"):
        _unresolved(f"condition operator {operator}")
        return False
    if not actual:
        # Absent key: …IfExists is true; ForAllValues is true (an empty set); otherwise false, except
        # for the negated operators (StringNotLike, ArnNotLike …), which are true (IAM "Condition operators").
        if if_exists or qualifier == "ForAllValues":
            return True
        return qualifier != "ForAnyValue" and _OPERATORS[name][1]
    match, negated = _OPERATORS[name]
    if not name.startswith(("StringLike", "StringNotLike", "Arn")):
        patterns = [pattern.replace(_LITERAL, "") for pattern in patterns]  # no wildcards to escape

    def value_passes(value: str) -> bool:
        hit = any(match(pattern, value) for pattern in patterns)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return all(value_passes(value) for value in actual)
    if qualifier == "ForAnyValue" or not negated:
        return any(value_passes(value) for value in actual)
    return all(value_passes(value) for value in actual)


def _conditions_hold(statement: Mapping[str, Any], context: Context) -> bool:
    # Every operator, and every key under it, must hold (AND); the values of one key are OR'd (IAM "Condition").
    for operator, keys in (statement.get("Condition") or {}).items():
        for key, wanted in keys.items():
            if not _condition(operator, key, _as_list(wanted), context):
                return False
    return True


def _statements(document: Any) -> list[Mapping[str, Any]]:
    if isinstance(document, str):
        document = json.loads(document)
    return [s for s in _as_list((document or {}).get("Statement")) if isinstance(s, Mapping)]


def identity_verdict(statements: Sequence[Mapping[str, Any]], action: str, resource: str, context: Context) -> str:
    """The identity policies' verdict, "deny", "allow" or "" (none applies): an explicit Deny overrides any Allow
    (IAM "Policy evaluation logic", "Determining whether a request is allowed or denied within an account")."""
    verdict = ""
    for statement in statements:
        if (
            _action_applies(statement, action)
            and _resource_applies(statement, resource, context)
            and _conditions_hold(statement, context)
        ):
            if statement.get("Effect") == "Deny":
                return "deny"
            if statement.get("Effect") == "Allow":
                verdict = "allow"
    return verdict


# ---------------------------------------------------------------------------------------------
# Principals


@dataclass(frozen=True)
class Principal:
    """Who signed the request, and the policies IAM evaluates for it."""

    arn: str  # as AWS names it in a denial (the session's ARN for a role)
    identity_arn: str  # the role or user (aws:PrincipalArn)
    account: str
    kind: str  # aws:PrincipalType: "AssumedRole" or "User"
    identity: tuple[Mapping[str, Any], ...]  # statements of the identity-based policies
    boundary: tuple[Mapping[str, Any], ...] | None = None  # the permissions boundary's statements
    session: tuple[Mapping[str, Any], ...] | None = None  # the session policy's statements
    name: str = ""

    def context(self) -> Context:
        # Global condition keys of the principal (IAM "AWS global condition context keys").
        context: Context = {
            "aws:principalarn": [self.identity_arn],
            "aws:principalaccount": [self.account],
            "aws:principaltype": [self.kind],
            "aws:securetransport": ["true"],
        }
        if self.kind == "User":
            context["aws:username"] = [self.name]
        return context


class _InvalidTokenError(Exception):
    pass


@functools.cache
def _aws_managed_policies() -> dict[str, Any]:
    return dict(json.loads(aws_managed_policies_data))


def _managed_policy(backend: Any, arn: str) -> Any:
    """A managed policy by ARN; an AWS managed one from moto's copy of AWS's, loaded on first use."""
    policy = backend.managed_policies.get(arn)
    if policy is None and arn.startswith(f"arn:{PARTITION}:iam::aws:policy/"):
        name = arn.rsplit("/", 1)[-1]
        data = _aws_managed_policies().get(name)
        if data is not None:
            policy = iam_models.AWSManagedPolicy.from_data(name, backend.account_id, backend.region_name, data)
            backend.managed_policies[policy.arn] = policy
    return policy


def _document(policy: Any) -> str:
    return str(next(version.document for version in policy.versions if version.is_default))


def _holder_statements(backend: Any, holder: Any) -> list[Mapping[str, Any]]:
    statements = [s for document in holder.policies.values() for s in _statements(document)]
    for policy in holder.managed_policies.values():
        statements += _statements(_document(policy))
    return statements


def _boundary(backend: Any, holder: Any) -> tuple[Mapping[str, Any], ...] | None:
    arn = getattr(holder, "permissions_boundary", None)
    arn = arn.get("PermissionsBoundaryArn") if isinstance(arn, Mapping) else arn
    if not arn:
        return None
    policy = _managed_policy(backend, arn)
    return tuple(_statements(_document(policy))) if policy else ()


def _principal(account: str, access_key: str, token: str | None) -> Principal:
    iam = iam_models.iam_backends[account][PARTITION]
    for session in sts_backends[account][PARTITION].assumed_roles:
        if session.access_key_id == access_key:
            if token != session.session_token:
                raise _InvalidTokenError  # STS: the token must be the one issued with the key
            role_name = session.role_arn.rsplit("/", 1)[-1]
            role = next((r for r in iam.roles.values() if r.arn == session.role_arn), None)
            return Principal(
                arn=f"arn:{PARTITION}:sts::{account}:assumed-role/{role_name}/{session.session_name}",
                identity_arn=session.role_arn,
                account=account,
                kind="AssumedRole",
                identity=tuple(_holder_statements(iam, role)) if role else (),
                boundary=_boundary(iam, role) if role else None,
                session=tuple(_statements(session.policy)) if session.policy else None,
                name=role_name,
            )
    for user in iam.users.values():
        for key in user.access_keys:
            if key.access_key_id == access_key and key.status == "Active" and token is None:
                statements = _holder_statements(iam, user)
                for group in iam.get_groups_for_user(user.name):
                    statements += _holder_statements(iam, group)
                return Principal(
                    arn=user.arn,
                    identity_arn=user.arn,
                    account=account,
                    kind="User",
                    identity=tuple(statements),
                    boundary=_boundary(iam, user),
                    name=user.name,
                )
    raise _InvalidTokenError


# ---------------------------------------------------------------------------------------------
# Checks and decisions


@dataclass(frozen=True)
class Check:
    """One authorization a request needs: an action on a resource with its context; and, for KMS keys
    and roles, the resource's policy (key policy, trust policy), which must grant too."""

    action: str
    resource: str
    context: Context = field(default_factory=dict)
    resource_policy: str | None = None
    not_evaluated: str = ""  # why the service answers before IAM is asked (recorded as allowed)


def _grantee(statement: Mapping[str, Any], principal: Principal) -> str:
    """Whom a resource policy's statement names: "direct" (this principal, or everyone), "account"
    (the account root: the account's IAM policies decide) or "" (someone else)."""
    named = statement.get("Principal")
    values = ["*"] if named == "*" else _as_list(named.get("AWS")) if isinstance(named, Mapping) else []
    for value in values:
        if value == "*" or value in (principal.identity_arn, principal.arn):
            return "direct"
        if value in (principal.account, f"arn:{PARTITION}:iam::{principal.account}:root"):
            return "account"
    return ""


def _resource_verdict(document: str, principal: Principal, check: Check, context: Context) -> str:
    """A key or trust policy's verdict: "deny", "direct", "account" or "" (it grants nothing)."""
    verdict = ""
    for statement in _statements(document):
        grantee = _grantee(statement, principal)
        if not (
            grantee
            and _action_applies(statement, check.action)
            and _resource_applies(statement, check.resource, context)
            and _conditions_hold(statement, context)
        ):
            continue
        if statement.get("Effect") == "Deny":
            return "deny"
        if statement.get("Effect") == "Allow" and verdict != "direct":
            verdict = grantee
    return verdict


IMPLICIT = "because no identity-based policy allows the {action} action"
EXPLICIT = "with an explicit deny in an identity-based policy"
IMPLICIT_RESOURCE = "because no resource-based policy allows the {action} action"
EXPLICIT_RESOURCE = "with an explicit deny in a resource-based policy"
IMPLICIT_BOUNDARY = "because no permissions boundary allows the {action} action"
IMPLICIT_SESSION = "because no session policy allows the {action} action"


def decide(principal: Principal, check: Check) -> Decision:
    """AWS's evaluation within one account (IAM "Policy evaluation logic"): any explicit Deny denies;
    a boundary or session policy that does not allow denies; then a resource policy that names the
    principal allows; otherwise an identity policy must allow (and a key or trust policy, where there
    is one, must at least name the account)."""
    if check.not_evaluated:
        return Decision(principal.arn, check.action, check.resource, True, check.not_evaluated)
    context = {**principal.context(), **check.context}
    identity = identity_verdict(principal.identity, check.action, check.resource, context)
    boundary = (
        identity_verdict(principal.boundary, check.action, check.resource, context)
        if principal.boundary is not None
        else "allow"
    )
    session = (
        identity_verdict(principal.session, check.action, check.resource, context)
        if principal.session is not None
        else "allow"
    )
    granted = _resource_verdict(check.resource_policy, principal, check, context) if check.resource_policy else ""

    def deny(reason: str) -> Decision:
        return Decision(principal.arn, check.action, check.resource, False, reason.format(action=check.action))

    if "deny" in (identity, boundary, session):
        return deny(EXPLICIT)
    if granted == "deny":
        return deny(EXPLICIT_RESOURCE)
    if boundary != "allow":
        return deny(IMPLICIT_BOUNDARY)
    if session != "allow":
        return deny(IMPLICIT_SESSION)
    if granted == "direct":
        # A resource policy naming the principal in the same account grants on its own (IAM
        # "Cross-account policy evaluation" / "Resource-based policies"; KMS "Key policies").
        return Decision(principal.arn, check.action, check.resource, True, "allowed")
    if check.resource_policy and granted != "account":
        return deny(IMPLICIT_RESOURCE)
    if identity != "allow":
        return deny(IMPLICIT)
    return Decision(principal.arn, check.action, check.resource, True, "allowed")


def message(decision: Decision, *, quoted: bool = False) -> str:
    """AWS's AccessDenied message; "on resource:" is left out for an action authorized on `*`."""
    if decision.resource == "*":
        return f"User: {decision.principal} is not authorized to perform: {decision.action} {decision.reason}"
    resource = f'"{decision.resource}"' if quoted else decision.resource
    who = f"User: {decision.principal} is not authorized to perform: {decision.action}"
    return f"{who} on resource: {resource} {decision.reason}"


# ---------------------------------------------------------------------------------------------
# What each request asks for


@dataclass(frozen=True)
class Call:
    """An API call as the resolvers see it."""

    service: str  # the IAM service prefix
    operation: str
    params: Mapping[str, Any]
    account: str
    region: str

    def arn(self, service: str, resource: str) -> str:
        return f"arn:{PARTITION}:{service}:{self.region}:{self.account}:{resource}"

    @property
    def action(self) -> str:
        return f"{self.service}:{self.operation}"


def _true(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _request_tags(params: Mapping[str, Any]) -> Context:
    # aws:RequestTag/KEY and aws:TagKeys from the request's tags (IAM "Controlling access during AWS requests").
    tags: dict[str, str] = {}
    for key, value in params.items():
        found = re.fullmatch(r"Tags\.member\.(\d+)\.Key", key)
        if found:
            tags[str(value)] = str(params.get(f"Tags.member.{found.group(1)}.Value", ""))
    for tag in _as_list(params.get("Tags")) if isinstance(params.get("Tags"), list) else []:
        if isinstance(tag, Mapping):
            tags[str(tag.get("Key"))] = str(tag.get("Value", ""))
    context: Context = {f"aws:requesttag/{k}".lower(): [v] for k, v in tags.items()}
    if tags:
        context["aws:tagkeys"] = list(tags)
    return context


# CloudFormation (Service Authorization Reference, "AWS CloudFormation"): these act on a stack,
# named by StackName (a name or stack ARN) or by the change set's ARN; ChangeSetName is a condition key.
_STACK_ACTIONS = {
    "CancelUpdateStack", "ContinueUpdateRollback", "CreateChangeSet", "CreateStack", "DeleteChangeSet",
    "DeleteStack", "DescribeChangeSet", "DescribeChangeSetHooks", "DescribeEvents", "DescribeStackEvents",
    "DescribeStackResource", "DescribeStackResourceDrifts", "DescribeStackResources", "DescribeStacks",
    "DetectStackDrift", "DetectStackResourceDrift", "ExecuteChangeSet", "GetStackPolicy", "GetTemplate",
    "GetTemplateSummary", "ListChangeSets", "ListStackResources", "RollbackStack", "SetStackPolicy",
    "SignalResource", "UpdateStack", "UpdateTerminationProtection", "TagResource", "UntagResource",
}  # fmt: skip
# …and these on "*": they name no stack (DescribeStacks and GetTemplateSummary too, without one).
_ACCOUNT_ACTIONS = {
    "DescribeAccountLimits", "DescribeStackDriftDetectionStatus", "EstimateTemplateCost", "ListExports",
    "ListImports", "ListStacks", "ValidateTemplate", "ListTypes", "DescribeType", "ListHookResults",
}  # fmt: skip
# iam:PassRole is needed to hand CloudFormation a service role (CloudFormation "Service role").
_PASSES_ROLE = {"CreateChangeSet", "CreateStack", "UpdateStack", "DeleteStack"}


def _cloudformation(call: Call) -> list[Check] | None:
    backend = cloudformation_backends[call.account][call.region]
    params = call.params
    context: Context = _request_tags(params)
    stack_ref = params.get("StackName") or params.get("ResourceARN")  # TagResource names the stack by ARN
    change_set_ref = params.get("ChangeSetName")
    if change_set_ref:
        change_set_ref = str(change_set_ref)
        is_arn = change_set_ref.startswith("arn:")
        context["cloudformation:changesetname"] = [change_set_ref.split("/")[1] if is_arn else change_set_ref]
        change_set = backend.change_sets.get(change_set_ref) if is_arn else None
        if change_set is not None and not stack_ref:
            stack_ref = change_set.stack_name  # the live stack of that name (moto's own id may differ)
        elif is_arn and not stack_ref:
            # No such change set, so no stack to authorize on: CloudFormation answers ChangeSetNotFound.
            return [Check(call.action, change_set_ref, not_evaluated="no such change set")]
    if params.get("RoleARN"):
        context["cloudformation:rolearn"] = [str(params["RoleARN"])]
    if params.get("TemplateURL"):
        context["cloudformation:templateurl"] = [str(params["TemplateURL"])]
    if call.operation == "DescribeStackResources" and not stack_ref and params.get("PhysicalResourceId"):
        stack_ref = next(
            (
                stack.stack_id
                for stack in backend.stacks.values()
                if any(
                    getattr(r, "physical_resource_id", None) == params["PhysicalResourceId"]
                    for r in stack.resource_map.values()
                )
            ),
            None,
        )
    if call.operation in _ACCOUNT_ACTIONS or (call.operation in _STACK_ACTIONS and not stack_ref):
        resource = "*"
    elif call.operation in _STACK_ACTIONS:
        resource = _stack_arn(backend, call, str(stack_ref))
    else:
        return None
    checks = [Check(call.action, resource, context)]
    if params.get("RoleARN") and call.operation in _PASSES_ROLE:
        # iam:PassedToService names the service the role is passed to (IAM "iam:PassedToService").
        checks.append(
            Check("iam:PassRole", str(params["RoleARN"]), {"iam:passedtoservice": ["cloudformation.amazonaws.com"]})
        )
    return checks


def _stack_arn(backend: Any, call: Call, ref: str) -> str:
    if ref.startswith("arn:"):
        return ref
    for stack in backend.stacks.values():
        if stack.name == ref:
            return str(stack.stack_id)
    # A stack that does not exist yet: CloudFormation authorizes stack/NAME/* (its id is not known).
    return call.arn("cloudformation", f"stack/{ref}/*")


# SSM (Service Authorization Reference, "AWS Systems Manager"): parameter actions on the parameter's ARN.
_PARAMETER_ACTIONS = {
    "GetParameter": "Name", "GetParameterHistory": "Name", "PutParameter": "Name", "DeleteParameter": "Name",
    "LabelParameterVersion": "Name", "UnlabelParameterVersion": "Name", "GetParametersByPath": "Path",
}  # fmt: skip
_PARAMETER_BATCHES = {"GetParameters": "Names", "DeleteParameters": "Names"}
_READS_VALUE = {"GetParameter", "GetParameters", "GetParameterHistory", "GetParametersByPath"}
_SSM_ACCOUNT_ACTIONS = {"DescribeParameters"}
_TAG_ACTIONS = {"AddTagsToResource", "RemoveTagsFromResource", "ListTagsForResource"}


def _parameter_name(reference: str) -> str:
    name = reference.split(":parameter", 1)[1] if reference.startswith("arn:") else reference
    return name.split(":", 1)[0]  # without a version or label selector


def _parameter_arn(call: Call, reference: str) -> str:
    name = _parameter_name(reference)
    return call.arn("ssm", f"parameter{name if name.startswith('/') else '/' + name}")


def _ssm(call: Call) -> list[Check] | None:
    params = call.params
    if call.operation in _SSM_ACCOUNT_ACTIONS:
        return [Check(call.action, "*")]
    if call.operation in _TAG_ACTIONS:
        if params.get("ResourceType") != "Parameter":
            return None
        return [Check(call.action, _parameter_arn(call, str(params.get("ResourceId"))))]
    if call.operation in _PARAMETER_ACTIONS:
        references = [str(params.get(_PARAMETER_ACTIONS[call.operation], ""))]
    elif call.operation in _PARAMETER_BATCHES:
        references = [str(name) for name in _as_list(params.get(_PARAMETER_BATCHES[call.operation]))]
    else:
        return None
    # Every parameter of a batch must be allowed (SSM "Restricting access to Parameter Store parameters").
    checks = [Check(call.action, _parameter_arn(call, reference)) for reference in references]
    backend = ssm_backends[call.account][call.region]
    if call.operation in _READS_VALUE and _true(params.get("WithDecryption")):
        for reference in references:
            for parameter in _parameters_read(backend, call.operation, reference, params):
                if parameter.parameter_type == "SecureString":
                    checks.append(_ssm_key_check(call, "kms:Decrypt", parameter.keyid, parameter.name))
    elif call.operation == "PutParameter" and _writes_secure(backend, params, references[0]):
        existing = backend.get_parameter(_parameter_name(references[0]))
        key = params.get("KeyId") or (existing.keyid if existing else None) or "alias/aws/ssm"
        # Writing a SecureString encrypts under its key (SSM "How AWS Systems Manager Parameter Store uses AWS KMS").
        checks.append(_ssm_key_check(call, "kms:Encrypt", str(key), _parameter_name(references[0])))
    return checks


def _writes_secure(backend: Any, params: Mapping[str, Any], reference: str) -> bool:
    if params.get("Type"):
        return str(params["Type"]) == "SecureString"
    existing = backend.get_parameter(_parameter_name(reference))  # an overwrite keeps the type
    return existing is not None and existing.parameter_type == "SecureString"


def _parameters_read(backend: Any, operation: str, reference: str, params: Mapping[str, Any]) -> list[Any]:
    if operation == "GetParametersByPath":
        path = reference.rstrip("/") + "/"
        recursive = _true(params.get("Recursive"))
        return [
            versions[-1]
            for name, versions in list(backend._parameters.items())
            if name.startswith(path) and (recursive or "/" not in name[len(path) :])
        ]
    found = backend.get_parameter(_parameter_name(reference))
    return [found] if found is not None else []


def _ssm_key_check(call: Call, action: str, key_reference: str | None, name: str) -> Check:
    # SSM decrypts and encrypts with the caller's permissions: kms:ViaService names SSM, and the
    # encryption context holds the parameter's ARN (SSM "How Parameter Store uses AWS KMS").
    parameter_arn = _parameter_arn(call, name)
    context: Context = {
        "kms:viaservice": [f"ssm.{call.region}.amazonaws.com"],
        "kms:encryptioncontext:parameter_arn": [parameter_arn],
    }
    return _key_check(call, action, key_reference or "alias/aws/ssm", context)


# The key policy AWS gives the AWS managed key aws/ssm: every principal of the account may use it
# through SSM, and read its metadata (KMS "AWS managed keys"; the policy `aws kms get-key-policy` shows).
def _aws_ssm_key_policy(account: str, region: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": [
                        "kms:Encrypt",
                        "kms:Decrypt",
                        "kms:ReEncrypt*",
                        "kms:GenerateDataKey*",
                        "kms:CreateGrant",
                        "kms:DescribeKey",
                    ],
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {"kms:CallerAccount": account, "kms:ViaService": f"ssm.{region}.amazonaws.com"}
                    },
                },
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{PARTITION}:iam::{account}:root"},
                    "Action": ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"],
                    "Resource": "*",
                },
            ],
        }
    )


def _key_check(call: Call, action: str, reference: str, context: Context) -> Check:
    """An action on a KMS key, an alias resolved to its key, with the key's policy (KMS "Key policies":
    without the key policy's grant, directly or to the account, no IAM policy allows)."""
    backend = kms_backends[call.account][call.region]
    try:
        key = backend.keys[backend.any_id_to_key_id(reference)]
    except (KeyError, TypeError, AttributeError):
        return Check(
            action, call.arn("kms", reference if reference.startswith("alias/") else f"key/{reference}"), context
        )
    aliases = set(key.aliases)
    # KMS condition keys: the alias the request named (kms:RequestAlias), the key's aliases (kms:ResourceAliases).
    context = {**context, "kms:calleraccount": [call.account], "kms:resourcealiases": sorted(aliases)}
    if reference.startswith("alias/"):
        context["kms:requestalias"] = [reference]
    policy = _aws_ssm_key_policy(call.account, call.region) if "alias/aws/ssm" in aliases else key.policy
    return Check(action, str(key.arn), context, policy)


_KMS_ACCOUNT_ACTIONS = {"CreateKey", "ListKeys", "ListAliases", "GenerateRandom", "ListRetirableGrants"}


def _kms(call: Call) -> list[Check] | None:
    params = call.params
    if call.operation in _KMS_ACCOUNT_ACTIONS:
        return [Check(call.action, "*")]
    if call.operation in ("CreateAlias", "UpdateAlias", "DeleteAlias"):
        # An alias action needs the action on the alias and on the key (KMS "Controlling access to aliases").
        alias = str(params.get("AliasName"))
        checks = [Check(call.action, call.arn("kms", alias))]
        target = params.get("TargetKeyId") or kms_backends[call.account][call.region].get_key_id_from_alias(alias)
        return [*checks, _key_check(call, call.action, str(target), {})] if target else checks
    reference = params.get("KeyId") or params.get("SourceKeyId")
    if not reference and params.get("CiphertextBlob"):
        with contextlib.suppress(ValueError, TypeError):
            reference = _deserialize_ciphertext_blob(base64.b64decode(str(params["CiphertextBlob"]))).key_id
    if not reference:
        return None
    return [_key_check(call, call.action, str(reference), {})]


# Lambda ("Lambda actions, resources and conditions"): the function's ARN, with the version or alias
# where the call names one; alias and version management act on the unqualified function.
_LAMBDA_ACCOUNT_ACTIONS = {
    "GetAccountSettings",
    "ListFunctions",
    "ListEventSourceMappings",
    "ListLayers",
    "CreateEventSourceMapping",
}
_LAMBDA_UNQUALIFIED = {
    "CreateAlias", "GetAlias", "UpdateAlias", "DeleteAlias", "ListAliases", "PublishVersion",
    "ListVersionsByFunction", "UpdateFunctionCode", "UpdateFunctionConfiguration", "DeleteFunctionConcurrency",
    "PutFunctionConcurrency", "GetFunctionConcurrency", "CreateFunction",
}  # fmt: skip


def _lambda(call: Call) -> list[Check] | None:
    if call.operation in _LAMBDA_ACCOUNT_ACTIONS:
        return [Check(call.action, "*")]
    name = call.params.get("FunctionName")
    if not name:
        return None
    name = unquote(str(name))
    if ":function:" in name:  # an ARN, or a partial one (ACCOUNT:function:NAME)
        name = name.split(":function:", 1)[1]
    function, _, qualifier = name.partition(":")
    qualifier = qualifier or str(call.params.get("Qualifier") or "")
    if call.operation in _LAMBDA_UNQUALIFIED or not qualifier:
        return [Check(call.action, call.arn("lambda", f"function:{function}"))]
    return [Check(call.action, call.arn("lambda", f"function:{function}:{qualifier}"))]


# CloudWatch Logs: AWS authorizes group actions on "log-group:NAME:log-stream:" and stream actions on
# "log-group:NAME:log-stream:STREAM" (the resources its AccessDenied messages name), so a
# "log-group:NAME:*" statement covers both.
_LOGS_STREAM_ACTIONS = {"GetLogEvents", "PutLogEvents"}
_LOGS_ACCOUNT_ACTIONS = {"DescribeLogGroups", "DescribeQueries", "DescribeDestinations", "DescribeMetricFilters"}


def _logs(call: Call) -> list[Check] | None:
    params = call.params
    if call.operation in _LOGS_ACCOUNT_ACTIONS:
        return [Check(call.action, call.arn("logs", "log-group::log-stream:"))]
    groups = _as_list(params.get("logGroupName") or params.get("logGroupIdentifier") or params.get("logGroupNames"))
    if not groups:
        return None
    stream = str(params.get("logStreamName", "")) if call.operation in _LOGS_STREAM_ACTIONS else ""
    checks = []
    for group in groups:
        name = str(group).split(":log-group:", 1)[1].removesuffix(":*") if str(group).startswith("arn:") else str(group)
        checks.append(Check(call.action, call.arn("logs", f"log-group:{name}:log-stream:{stream}")))
    return checks


def _sts(call: Call) -> list[Check] | None:
    if call.operation == "AssumeRole":
        role_arn = str(call.params.get("RoleArn"))
        context: Context = {"sts:rolesessionname": [str(call.params.get("RoleSessionName", ""))]}
        if call.params.get("ExternalId"):
            context["sts:externalid"] = [str(call.params["ExternalId"])]
        # Assuming a role needs the caller's permission and the role's trust policy
        # (IAM "Granting a user permissions to switch roles").
        return [Check(call.action, role_arn, context, _trust_policy(call.account, role_arn) or _NO_POLICY)]
    if call.operation in ("GetSessionToken", "GetAccessKeyInfo", "DecodeAuthorizationMessage"):
        return [Check(call.action, "*")]
    return None


_NO_POLICY = json.dumps({"Statement": []})


def _trust_policy(account: str, role_arn: str) -> str | None:
    iam = iam_models.iam_backends[account][PARTITION]
    for role in iam.roles.values():
        if role.arn == role_arn:
            return str(role.assume_role_policy_document)
    return None


_RESOLVERS: dict[str, Callable[[Call], list[Check] | None]] = {
    "cloudformation": _cloudformation,
    "ssm": _ssm,
    "kms": _kms,
    "lambda": _lambda,
    "logs": _logs,
    "sts": _sts,
}
# The signing name where the IAM service prefix differs from it.
_PREFIXES = {"monitoring": "cloudwatch", "email": "ses"}
# AccessDenied's HTTP status where the service model gives none: the AWS JSON protocol answers every
# client error 400 (Smithy "AWS JSON 1.1 protocol"), the query and REST services 403 (Forbidden).
_DENIAL_STATUS = {"json": 400}


# ---------------------------------------------------------------------------------------------
# The hook into moto


class _ServiceError(ServiceException):
    """An error the service renders (defined here, so moto looks its code up in that service's model)."""


class _Denied(HTTPException):
    """The service's rendered AccessDenied, handed to BaseResponse.call_action, which returns it as is."""

    def __init__(self, body: str, status: int) -> None:
        super().__init__(description=body)
        self.code = status


def _credential(response: Any) -> tuple[str, str, str | None] | None:
    """(access key, signing service, session token) of a SigV4-signed request (header or presigned URL)."""
    authorization = response.headers.get("Authorization", "")
    found = re.search(r"Credential=([^/,\s]+)/[^/]+/[^/]+/([^/]+)/", authorization)
    token = response.headers.get("X-Amz-Security-Token")
    if not found:
        query = parse_qs(response.parsed_url.query)
        credential = query.get("X-Amz-Credential", [""])[0].split("/")
        if len(credential) < 4:
            return None
        token = query.get("X-Amz-Security-Token", [token])[0]
        return credential[0], credential[3], token
    return found.group(1), found.group(2), token


def _parameters(response: Any) -> dict[str, Any]:
    """The request's parameters: a JSON body's, or the query protocol's form; then the URL's query and
    path parameters, which win (a Lambda payload is the function's input, not parameters)."""
    params: dict[str, Any] = {}
    body: Any = None
    with contextlib.suppress(ValueError, TypeError):
        body = json.loads(response.body) if response.body else None
    if isinstance(body, dict):
        params.update(body)
    elif "Action" in response.querystring:  # the query protocol: form body or URL
        params.update({k: v[0] for k, v in response.querystring.items() if isinstance(v, list) and v})
    params.update({k: v[0] for k, v in parse_qs(response.parsed_url.query).items() if v})
    params.update({k: unquote(str(v)) for k, v in (response.uri_match or {}).items()})
    return params


def _render_denial(response: Any, text: str) -> _Denied:
    """AccessDenied as the service's protocol answers it, with the status AWS gives it."""
    model = get_service_model(response.boto3_service_name)
    code = "AccessDenied" if model.protocol in ("query", "ec2", "rest-xml") else "AccessDeniedException"
    modelled = next((shape for shape in model.error_shapes if shape.name == code), None)
    fallback = _DENIAL_STATUS.get(model.protocol, 403)
    status = modelled.metadata.get("error", {}).get("httpStatusCode", fallback) if modelled else fallback
    return _render_error(response, code, text, int(status))


def _render_error(response: Any, code: str, text: str, status: int) -> _Denied:
    _, headers, body = response.serialized(ActionResult(_ServiceError(code, text)))
    response.response_headers.update({k: v for k, v in headers.items() if k.lower() != "status"})
    return _Denied(body, status)


def _checks(response: Any, service: str, operation: str, s3_resource: str | None) -> list[Check]:
    call = Call(service, operation, _parameters(response), response.current_account, response.region)
    if s3_resource is not None:
        checks: list[Check] | None = [Check(call.action, s3_resource)]
    else:
        resolver = _RESOLVERS.get(service)
        checks = resolver(call) if resolver else None
    if checks is None:
        _unresolved(call.action)
        checks = [Check(call.action, "*")]
    # aws:RequestedRegion, the region the request went to, and aws:ResourceAccount, the account that
    # owns the resource: here always the caller's (IAM "AWS global condition context keys").
    request = {"aws:requestedregion": [call.region], "aws:resourceaccount": [call.account]}
    return [dataclasses.replace(check, context={**request, **check.context}) for check in checks]


# The claims IAM offers as condition keys for an OIDC provider, as `<provider>:<claim>`
# (IAM "Available keys for AWS OIDC federation"); other claims of the token are not in the context.
_OIDC_KEYS = ("aud", "sub", "amr")


def _web_identity(response: Any) -> None:
    """AssumeRoleWithWebIdentity is unsigned: the token's issuer must be an OIDC provider of the
    account, and the role's trust policy must allow it on the token's claims."""
    params = _parameters(response)
    role_arn = str(params.get("RoleArn", ""))
    try:
        claims = json.loads(base64.urlsafe_b64decode(str(params["WebIdentityToken"]).split(".")[1] + "=="))
    except (KeyError, IndexError, ValueError):
        claims = {}
    issuer = str(claims.get("iss", "")).removeprefix("https://").rstrip("/")
    provider = f"arn:{PARTITION}:iam::{response.current_account}:oidc-provider/{issuer}"
    subject = f"{issuer}:{claims.get('sub', '')}"
    if provider not in iam_models.iam_backends[response.current_account][PARTITION].open_id_providers:
        # STS: an issuer with no IAM OIDC provider is refused (STS API "AssumeRoleWithWebIdentity" errors).
        _note(Decision(subject, "sts:AssumeRoleWithWebIdentity", role_arn, False, "no OIDC provider"))
        text = f"No OpenIDConnect provider found in your account for https://{issuer}"
        raise _render_error(response, "InvalidIdentityToken", text, 400)
    context: Context = {
        f"{issuer}:{k}".lower(): [str(v) for v in _as_list(claims[k])] for k in _OIDC_KEYS if k in claims
    }
    verdict = ""
    for statement in _statements(_trust_policy(response.current_account, role_arn) or _NO_POLICY):
        named = statement.get("Principal")
        federated = _as_list(named.get("Federated")) if isinstance(named, Mapping) else []
        if (
            provider in federated
            and _action_applies(statement, "sts:AssumeRoleWithWebIdentity")
            and _conditions_hold(statement, context)
        ):
            verdict = "deny" if statement.get("Effect") == "Deny" else verdict or str(statement.get("Effect")).lower()
    allowed = verdict == "allow"
    _note(
        Decision(subject, "sts:AssumeRoleWithWebIdentity", role_arn, allowed, "allowed" if allowed else "not trusted")
    )
    if not allowed:
        raise _render_error(response, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity", 403)


def _authorize(response: Any, s3_resource: str | None = None) -> None:
    credential = _credential(response)
    operation = response._get_action()
    if credential is None:
        if operation == "AssumeRoleWithWebIdentity":
            _web_identity(response)
        return
    access_key, signing_name, token = credential
    if access_key == ADMINISTRATOR_KEY:
        return
    service = _PREFIXES.get(signing_name, signing_name)
    try:
        principal = _principal(response.current_account, access_key, token)
    except _InvalidTokenError:
        if s3_resource is not None:
            raise S3InvalidTokenError() from None
        raise _render_invalid(response) from None
    if f"{service}:{operation}" == "sts:GetCallerIdentity":
        # Always allowed, even with an explicit Deny (STS "GetCallerIdentity").
        _note(Decision(principal.arn, "sts:GetCallerIdentity", "*", True, "allowed"))
        return
    for check in _checks(response, service, operation, s3_resource):
        decision = decide(principal, check)
        _note(decision)
        if not decision.allowed:
            if s3_resource is not None:
                raise S3ClientError("AccessDenied", message(decision, quoted=True))
            raise _render_denial(response, message(decision))


def _render_invalid(response: Any) -> _Denied:
    # An unknown key, or a session key with another token (STS/IAM "InvalidClientTokenId").
    model = get_service_model(response.boto3_service_name)
    code = "InvalidClientTokenId" if model.protocol in ("query", "ec2") else "UnrecognizedClientException"
    return _render_error(response, code, "The security token included in the request is invalid.", 403)


_original_normal = ActionAuthenticatorMixin._authenticate_and_authorize_normal_action
_original_s3 = ActionAuthenticatorMixin._authenticate_and_authorize_s3_action


def _normal_action(self: Any, resource: str = "*") -> None:
    if not _STATE.enforcing:
        _original_normal(self, resource)
        return
    _authorize(self)


def _s3_action(self: Any, bucket_name: str | None = None, key_name: str | None = None) -> None:
    if not _STATE.enforcing:
        _original_s3(self, bucket_name, key_name)
        return
    # moto's own resolution of the bucket and object (core/authorization.py).
    arn = f"{bucket_name or '*'}/{key_name}" if key_name else (bucket_name or "*")
    _authorize(self, s3_resource=f"arn:{PARTITION}:s3:::{arn}")


def _keeping_template_policies(original: Callable[..., Any]) -> Any:
    """Wraps Role's create/update from CloudFormation so the role holds what its template says
    (CloudFormation "AWS::IAM::Role"): its ManagedPolicyArns attached (moto drops them) and, on an
    update, its trust policy and inline Policies replaced (moto keeps the old ones)."""

    def from_template(cls: Any, /, *args: Any, **kwargs: Any) -> Any:
        updating = "original_resource" in kwargs
        role = original(*args, **kwargs)
        template = kwargs.get("cloudformation_json", args[1] if len(args) > 1 else {})
        account_id = kwargs.get("account_id", args[2] if len(args) > 2 else "")
        _sync_template_policies(role, template.get("Properties", {}), str(account_id), updating)
        return role

    return classmethod(from_template)


_FROM_TEMPLATE = "_rehearsal_from_template"  # what the template put on the role: (managed ARNs, inline names)


def _sync_template_policies(role: Any, properties: Mapping[str, Any], account_id: str, updating: bool) -> None:
    backend = iam_models.iam_backends[account_id][PARTITION]
    before_arns, before_names = getattr(role, _FROM_TEMPLATE, (set(), set()))
    arns = {str(arn) for arn in _as_list(properties.get("ManagedPolicyArns"))}
    inline = {str(p["PolicyName"]): p["PolicyDocument"] for p in _as_list(properties.get("Policies"))}
    for arn in before_arns - arns:
        if arn in role.managed_policies:
            role.managed_policies[arn].detach_from(role)
    for arn in arns - set(role.managed_policies):
        policy = _managed_policy(backend, arn)
        if policy is not None:
            policy.attach_to(role)
    if updating:
        document = properties.get("AssumeRolePolicyDocument")
        if document is not None:
            role.assume_role_policy_document = document if isinstance(document, str) else json.dumps(document)
        for name in before_names - set(inline):
            role.policies.pop(name, None)
        for name, document in inline.items():
            role.policies[name] = document if isinstance(document, str) else json.dumps(document)
    setattr(role, _FROM_TEMPLATE, (arns, set(inline)))


def _detaching_first(original: Callable[..., Any]) -> Any:
    """Deleting a role from its stack detaches the managed policies its template attached first, as
    CloudFormation does (moto refuses: "Cannot delete entity, must detach all policies first")."""

    def delete(cls: Any, /, resource_name: str, *args: Any, **kwargs: Any) -> Any:
        account_id = kwargs.get("account_id", args[1] if len(args) > 1 else "")
        backend = iam_models.iam_backends[str(account_id)][PARTITION]
        for role in list(backend.roles.values()):
            if role.name == resource_name:
                for policy in list(role.managed_policies.values()):
                    policy.detach_from(role)
        return original(resource_name, *args, **kwargs)

    return classmethod(delete)


def _load_aws_managed(original: Callable[..., Any]) -> Callable[..., Any]:
    # Attaching an AWS managed policy works without loading all of them into every backend
    # (moto has them only with MOTO_IAM_LOAD_MANAGED_POLICIES): the one named is loaded.
    def attach(self: Any, policy_arn: str, *args: Any) -> Any:
        _managed_policy(self, policy_arn)
        return original(self, policy_arn, *args)

    return attach


@functools.cache
def install() -> None:
    """Put the hooks in place (idempotent); nothing is enforced until `enforce(True)` or `enforced()`."""
    # moto warns that these codes are not in some services' models; AWS answers them all the same.
    warnings.filterwarnings("ignore", message=r"Exception\(_ServiceError\)", category=UserWarning)
    ActionAuthenticatorMixin._authenticate_and_authorize_normal_action = _normal_action  # type: ignore[method-assign]
    ActionAuthenticatorMixin._authenticate_and_authorize_s3_action = _s3_action  # type: ignore[method-assign]
    role = iam_models.Role
    for name in ("create_from_cloudformation_json", "update_from_cloudformation_json"):
        setattr(role, name, _keeping_template_policies(getattr(role, name)))
    role.delete_from_cloudformation_json = _detaching_first(role.delete_from_cloudformation_json)  # type: ignore[method-assign]
    backend = iam_models.IAMBackend
    for name in ("attach_role_policy", "attach_user_policy", "attach_group_policy"):
        setattr(backend, name, _load_aws_managed(getattr(backend, name)))
