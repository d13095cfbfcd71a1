"""CloudFormation models for the edge protection stack (us-east-1) and the network stack's secret, which moto
5.2.5 lacks: it has the Secrets Manager, WAFv2 and CloudFront backends but no model for any of these types, so
a stack skipped them and a `Ref` or `Fn::GetAtt` to one failed. Each model creates, updates (in place unless
the property is create-only in the resource's CloudFormation schema, cited beside it) and deletes through
moto's own backend, so the service APIs show what the template made. A service's refusal during a stack
operation reaches the caller as CloudFormation reports a resource handler's: `Resource handler returned
message: "… (Service: …, Status Code: 400, Error Code: …)" (HandlerErrorCode: …)`; the codes are the
services', the wording theirs where it is quoted below, else the emulator's.

- `AWS::SecretsManager::Secret`: Ref and GetAtt `Id` are its ARN; `Name` (create-only) is generated when
  absent as CloudFormation generates it, `<logical id>-<12 letters and digits>`. `GenerateSecretString` makes
  the value with Python's `secrets` (length 32 unless given, at least one of each included type unless
  `RequireEachIncludedType` is false, `SecretStringTemplate`/`GenerateStringKey` honoured); `SecretString`
  is passed to Secrets Manager and never kept on the model. `ReplicaRegions` replicate as moto's
  ReplicateSecretToRegions does, so GetSecretValue answers in the replica's region. `Description`,
  `KmsKeyId`, `ReplicaRegions` and `Tags` update in place and keep the value; a changed `SecretString` or
  `GenerateSecretString` puts a new AWSCURRENT version ("When you make a change to this property, a new
  secret version is created"). Deleting removes the replicas, then the secret, without a recovery window.
- `AWS::WAFv2::IPSet` and `AWS::WAFv2::WebACL`: Ref `name|id|scope`, GetAtt `Arn` and `Id` (the web ACL's
  `LabelNamespace` too, not `Capacity`: moto's is the constant 3, not the rules' capacity, so a template
  that asks for it fails rather than read a made-up number); `Name` (generated when absent) and `Scope`
  create-only. A `CLOUDFRONT` one is made only in us-east-1, in the global backend WAF's CLOUDFRONT calls
  read, and elsewhere refused as WAF refuses it ("Error reason: The scope is not valid., field: SCOPE_VALUE,
  parameter: CLOUDFRONT"). A web ACL's rules, default action, visibility, custom response bodies, token
  domains, CAPTCHA and challenge settings reach GetWebACL in the API's shape, as CloudFormation sends them
  (a reference statement's `Arn` is its `ARN`, a byte match's `SearchString` base64); an
  `IPSetReferenceStatement` or `RuleGroupReferenceStatement` to a set or group that does not exist in the
  ACL's scope is refused (WAFNonexistentItemException). Managed rule groups are taken as named: nothing
  checks that AWS has one.
- `AWS::WAFv2::LoggingConfiguration`: Ref is `ResourceArn` (create-only); the web ACL must exist, and every
  destination (CloudWatch Logs log group, S3 bucket, Firehose stream) must be named `aws-waf-logs-…`, else
  WAF's "Error reason: The ARN isn't valid. A valid ARN begins with arn: and includes other information
  separated by colons or slashes., field: LOG_DESTINATION, parameter: ARN".
- `AWS::CloudFront::Function`: Ref and GetAtt `FunctionARN` / `FunctionMetadata.FunctionARN` its ARN, GetAtt
  `Stage` (`LIVE` once published); `Name` create-only. The code must be at most 10 KB (CloudFront's
  FunctionSizeLimitExceeded) and the runtime `cloudfront-js-1.0` or `-2.0`. moto has neither UpdateFunction
  nor PublishFunction: an update and `AutoPublish` edit moto's one record of the function, which therefore
  holds one stage (the LIVE copy and the DEVELOPMENT copy are not told apart).
- `AWS::CloudFront::Distribution`: Ref and GetAtt `Id` its id, GetAtt `DomainName` (`d….cloudfront.net`; a
  Route 53 alias to it names CloudFront's zone, Z2FDTNDATAQYW2). No property is create-only. CloudFormation's
  `DistributionConfig` is translated into the API's (`Items`/`Quantity` lists, `OriginCustomHeaders` →
  `CustomHeaders`, `IPV6Enabled` → `IsIPV6Enabled`, `AcmCertificateArn` → `ACMCertificateArn`, …, with the
  schema's defaults), and what moto drops is set on its record (function and Lambda@Edge associations, an
  ACM or IAM certificate's source), so GetDistributionConfig answers it. An ACM certificate that is not in
  us-east-1, or not in its ACM, is refused with CloudFront's InvalidViewerCertificate, and a `WebACLId` that
  is not the ARN of a CLOUDFRONT-scope web ACL of the account with InvalidWebACLId ("Web ACL is not
  accessible by the requester."). An origin's custom header values go to moto's distribution, where
  CloudFront keeps them, and are never kept on the model nor written to a log.

What none of them does: no traffic is served, filtered, logged or rate-limited; a distribution is Deployed
at once and nothing waits for it; WAF does not compute capacities or check managed rule group names, and
no web ACL or IP set is refused for being in use; CloudFront neither validates origins, cache or origin
request policies, nor refuses deleting an enabled distribution or an associated function; secrets never
rotate and no KMS key encrypts them.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import secrets
import string
import uuid
from collections.abc import Iterator
from typing import Any, Self

from moto.acm.models import acm_backends
from moto.cloudformation import parsing
from moto.cloudformation.exceptions import CloudFormationError, ValidationError
from moto.cloudfront.exceptions import CloudFrontException
from moto.cloudfront.models import CloudFrontBackend, cloudfront_backends
from moto.cloudfront.models import Distribution as FakeDistribution
from moto.core.common_models import CloudFormationModel
from moto.core.exceptions import JsonRESTError, ServiceException
from moto.core.utils import utcnow
from moto.secretsmanager.exceptions import InvalidParameterException
from moto.secretsmanager.models import FakeSecret, SecretsManagerBackend, secretsmanager_backends
from moto.utilities.utils import get_partition
from moto.wafv2.exceptions import WAFNonexistentItemException, WAFV2DuplicateItemException
from moto.wafv2.models import GLOBAL_REGION, WAFV2Backend, wafv2_backends

from tools.rehearsal.models import Props, _Model

# CloudFront, and a web ACL or IP set of scope CLOUDFRONT, live in us-east-1 only.
_CLOUDFRONT_REGION = "us-east-1"
# "Maximum size of a function: 10 KB" (CloudFront Developer Guide, cloudfront-limits.html#limits-functions).
_FUNCTION_CODE_LIMIT = 10 * 1024
_FUNCTION_RUNTIMES = ("cloudfront-js-1.0", "cloudfront-js-2.0")
# WAF logs only to destinations named so (WAF Developer Guide, logging-cw-logs.html#logging-cw-logs-naming).
_WAF_LOG_PREFIX = "aws-waf-logs-"
_NAME_CHARACTERS = string.ascii_letters + string.digits


@functools.cache
def install() -> None:
    """Register the models below (defining them registers them; idempotent)."""
    # Registered models are found through these caches, filled on first use.
    for cache in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cache.cache_clear()


# --------------------------------------------------------------------------- shared plumbing


# A service error code's part → the CloudFormation handler error code a resource handler reports for it.
_HANDLER_CODES: tuple[tuple[str, str], ...] = (
    ("NotFound", "NotFound"),
    ("Nonexistent", "NotFound"),
    ("NoSuch", "NotFound"),
    ("Exists", "AlreadyExists"),
    ("Duplicate", "AlreadyExists"),
)


@contextlib.contextmanager
def _as_a_stack_failure(service: str) -> Iterator[None]:
    """The service's refusal, in a stack operation, as CloudFormation reports a resource handler's (moto would
    answer the CloudFormation call with the service's own error, which no CloudFormation client reads)."""
    try:
        yield
    except CloudFormationError:
        raise
    except (JsonRESTError, ServiceException) as error:
        code = error.error_type if isinstance(error, JsonRESTError) else error.code
        handler = next((handler for part, handler in _HANDLER_CODES if part in code), "InvalidRequest")
        raise ValidationError(
            message=f'Resource handler returned message: "{error.message} (Service: {service}, Status Code: 400, '
            f'Error Code: {code})" (HandlerErrorCode: {handler})'
        ) from error


def _true(value: Any) -> bool:
    """A template's boolean, given as a boolean or (through a parameter) as text."""
    return str(value).lower() == "true"


def _items(values: list[Any] | None) -> Props:
    """A CloudFormation list as the CloudFront API's `Quantity`/`Items` structure."""
    values = list(values or [])
    return {"Quantity": len(values), "Items": values} if values else {"Quantity": 0}


class _EdgeModel(_Model):
    """The plumbing every model here shares: refusals as a stack's, and a generated name."""

    SERVICE = ""

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Props, account_id: str, region_name: str, **kwargs: Any
    ) -> Self:
        with _as_a_stack_failure(cls.SERVICE):
            return super().create_from_cloudformation_json(
                resource_name, cloudformation_json, account_id, region_name, **kwargs
            )

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Self,
        new_resource_name: str,
        cloudformation_json: Props,
        account_id: str,
        region_name: str,
    ) -> Self:
        with _as_a_stack_failure(cls.SERVICE):
            return super().update_from_cloudformation_json(
                original_resource, new_resource_name, cloudformation_json, account_id, region_name
            )

    def _generated_name(self, limit: int) -> str:
        """The template's name, or CloudFormation's `<logical id>-<12 letters and digits>` cut to `limit`.
        Without the name property moto names the resource `<stack>-<logical id>-<suffix>`; a logical id has no
        hyphen, so it is the next-to-last part."""
        if self.NAME in self.props:
            return self.name
        logical_id = self.name.split("-")[-2] if self.name.count("-") >= 2 else self.name
        suffix = "".join(secrets.choice(_NAME_CHARACTERS) for _ in range(12))
        return f"{logical_id[: limit - len(suffix) - 1]}-{suffix}"


# --------------------------------------------------------------------------- Secrets Manager


def _password(settings: Props) -> str:
    """A password as GetRandomPassword makes one, from Python's `secrets`."""
    length = int(settings.get("PasswordLength", 32))
    excluded = set(str(settings.get("ExcludeCharacters", "")))
    kinds = (
        ("ExcludeLowercase", string.ascii_lowercase),
        ("ExcludeUppercase", string.ascii_uppercase),
        ("ExcludeNumbers", string.digits),
        # Secrets Manager's punctuation is ASCII's: ! " # $ % & ' ( ) * + , - . / : ; < = > ? @ [ \ ] ^ _ ` { | } ~
        ("ExcludePunctuation", string.punctuation),
    )
    pools = [
        "".join(c for c in characters if c not in excluded)
        for switch, characters in kinds
        if not _true(settings.get(switch, False))
    ]
    pools = [pool for pool in pools if pool]
    alphabet = "".join(pools) + (" " if _true(settings.get("IncludeSpace", False)) and " " not in excluded else "")
    # "If you don't include this switch, the password contains at least one of every character type."
    required = pools if _true(settings.get("RequireEachIncludedType", True)) else []
    if not alphabet or not 1 <= length <= 4096 or length < len(required):
        raise InvalidParameterException("Password length is too short based on the required types.")
    chosen = [secrets.choice(pool) for pool in required]
    chosen += [secrets.choice(alphabet) for _ in range(length - len(required))]
    secrets.SystemRandom().shuffle(chosen)
    return "".join(chosen)


def _generated_value(settings: Props) -> str:
    password = _password(settings)
    template, key = settings.get("SecretStringTemplate"), settings.get("GenerateStringKey")
    if template is None and key is None:
        return password
    if template is None or key is None:
        raise InvalidParameterException("GenerateStringKey and SecretStringTemplate must be specified together.")
    try:
        document = json.loads(template)
    except ValueError as error:
        raise InvalidParameterException("SecretStringTemplate is not valid JSON.") from error
    if not isinstance(document, dict):
        raise InvalidParameterException("SecretStringTemplate is not a JSON object.")
    document[key] = password
    return json.dumps(document, separators=(",", ":"))


class Secret(_EdgeModel, CloudFormationModel):
    """`AWS::SecretsManager::Secret`; Ref and GetAtt `Id` are its ARN (aws-resource-secretsmanager-secret)."""

    TYPE = "AWS::SecretsManager::Secret"
    NAME = "Name"
    SERVICE = "SecretsManager"
    ATTRIBUTES = ("Id",)
    # The schema's createOnlyProperties: /properties/Name.
    CREATE_ONLY = frozenset({NAME})
    SECRETS = frozenset({"SecretString"})

    def _backend(self) -> SecretsManagerBackend:
        return secretsmanager_backends[self.account_id][self.region_name]

    def _secret(self) -> FakeSecret:
        secret = self._backend().secrets[self.physical_resource_id]
        assert isinstance(secret, FakeSecret)
        return secret

    def _create(self, props: Props) -> None:
        if "SecretString" in props and "GenerateSecretString" in props:
            raise InvalidParameterException("You can't specify both SecretString and GenerateSecretString.")
        value = props.get("SecretString")
        if "GenerateSecretString" in props:
            value = _generated_value(props["GenerateSecretString"])
        name = self._generated_name(512)
        backend = self._backend()
        backend.create_secret(
            name=name,
            secret_string=value,
            secret_binary=None,
            description=props.get("Description"),
            tags=list(props.get("Tags") or []) or None,
            kms_key_id=props.get("KmsKeyId"),
            client_request_token=None,
            replica_regions=[{"Region": replica["Region"]} for replica in props.get("ReplicaRegions") or []],
            force_overwrite=False,
        )
        self.physical_resource_id = backend.secrets[name].arn
        self._replica_keys(props)

    def _update(self, props: Props) -> None:
        if "SecretString" in props and "GenerateSecretString" in props:
            raise InvalidParameterException("You can't specify both SecretString and GenerateSecretString.")
        backend = self._backend()
        secret = self._secret()
        secret.description = props.get("Description")
        secret.kms_key_id = props.get("KmsKeyId")
        secret.tags = list(props.get("Tags") or []) or None
        value = self._new_value(props)
        if value is not None:
            stages = ["AWSCURRENT"]  # a new version, with a new id, current from now on
            backend.put_secret_value(self.physical_resource_id, value, None, None, stages)  # type: ignore[arg-type]
        wanted = {replica["Region"] for replica in props.get("ReplicaRegions") or []}
        present = {replica.region for replica in secret.replicas}
        if present - wanted:
            backend.remove_regions_from_replication(self.physical_resource_id, sorted(present - wanted))
        added = [{"Region": region} for region in sorted(wanted - present)]
        if added:
            backend.replicate_secret_to_regions(self.physical_resource_id, added, force_overwrite=False)
        self._replica_keys(props)

    def _new_value(self, props: Props) -> str | None:
        """The value of a new version, or None: only a changed SecretString or GenerateSecretString makes one."""
        settings = props.get("GenerateSecretString")
        if settings is not None:
            return None if settings == self.props.get("GenerateSecretString") else _generated_value(settings)
        text = props.get("SecretString")
        if text is None:
            return None
        current = next(
            (v.get("secret_string") for v in self._secret().versions.values() if "AWSCURRENT" in v["version_stages"]),
            None,
        )
        return None if text == current else str(text)

    def _replica_keys(self, props: Props) -> None:
        # moto records every replica under the default key; DescribeSecret answers the one each was given.
        keys = {replica["Region"]: replica.get("KmsKeyId") for replica in props.get("ReplicaRegions") or []}
        for replica in self._secret().replicas:
            replica.config["KmsKeyId"] = keys.get(replica.region) or SecretsManagerBackend.DEFAULT_KMS_KEY_ALIAS

    def _delete(self) -> None:
        backend = self._backend()
        secret = backend.secrets.get(self.physical_resource_id)
        if not isinstance(secret, FakeSecret):
            return
        if secret.replicas:  # Secrets Manager refuses to delete a secret that still has replicas
            backend.remove_regions_from_replication(secret.arn, [replica.region for replica in secret.replicas])
        backend.delete_secret(secret.arn, recovery_window_in_days=None, force_delete_without_recovery=True)


# --------------------------------------------------------------------------- WAFv2


def _waf_backend(account_id: str, region_name: str, scope: str) -> WAFV2Backend:
    """Where moto's WAF keeps a resource of the scope: CLOUDFRONT ones in its global backend."""
    return wafv2_backends[account_id][GLOBAL_REGION if scope == "CLOUDFRONT" else region_name]


def _waf_refusal(message: str) -> JsonRESTError:
    return JsonRESTError("WAFInvalidParameterException", message)


def _check_scope(region_name: str, scope: str) -> None:
    if scope == "CLOUDFRONT" and region_name != _CLOUDFRONT_REGION:
        # WAF's answer, as CloudFormation reports it outside us-east-1.
        raise _waf_refusal("Error reason: The scope is not valid., field: SCOPE_VALUE, parameter: CLOUDFRONT")


class _WafModel(_EdgeModel):
    """Ref is `name|id|scope`, as CloudFormation's for WAFv2 resources."""

    SERVICE = "Wafv2"

    @property
    def _identity(self) -> tuple[str, str, str]:
        name, resource_id, scope = self.physical_resource_id.split("|")
        return name, resource_id, scope

    def _backend(self) -> WAFV2Backend:
        return _waf_backend(self.account_id, self.region_name, self._identity[2])

    def _retag(self, arn: str, tags: list[Props] | None) -> None:
        backend = self._backend()
        backend.tagging_service.delete_all_tags_for_resource(arn)
        backend.tag_resource(arn, list(tags or []))


class IpSet(_WafModel, CloudFormationModel):
    """`AWS::WAFv2::IPSet`; GetAtt `Arn` and `Id`."""

    TYPE = "AWS::WAFv2::IPSet"
    NAME = "Name"
    ATTRIBUTES = ("Arn", "Id")
    # The schema's createOnlyProperties: /properties/Name, /properties/Scope.
    CREATE_ONLY = frozenset({NAME, "Scope"})

    def _create(self, props: Props) -> None:
        scope = props["Scope"]
        _check_scope(self.region_name, scope)
        name = self._generated_name(128)
        backend = _waf_backend(self.account_id, self.region_name, scope)
        if any(ip_set.name == name and ip_set.scope == scope for ip_set in backend.ip_sets.values()):
            raise WAFV2DuplicateItemException()
        ip_set = backend.create_ip_set(
            name, scope, props.get("Description", ""), props["IPAddressVersion"], list(props["Addresses"]), []
        )
        self.physical_resource_id = f"{name}|{ip_set.ip_set_id}|{scope}"
        self.arn = ip_set.arn
        self._retag(self.arn, props.get("Tags"))

    def _update(self, props: Props) -> None:
        name, resource_id, scope = self._identity
        backend = self._backend()
        ip_set = backend.get_ip_set(name, scope, resource_id)
        backend.update_ip_set(
            name, scope, resource_id, props.get("Description"), list(props["Addresses"]), ip_set.lock_token
        )
        ip_set.description = props.get("Description", "")  # moto keeps the old one when it is removed
        ip_set.ip_address_version = props["IPAddressVersion"]
        self._retag(self.arn, props.get("Tags"))

    def _delete(self) -> None:
        name, resource_id, scope = self._identity
        backend = self._backend()
        ip_set = backend.ip_sets.get(self.arn)
        if ip_set is not None:
            backend.delete_ip_set(name, scope, resource_id, ip_set.lock_token)
        backend.tagging_service.delete_all_tags_for_resource(self.arn)

    def _attribute(self, name: str) -> Any:
        return self.arn if name == "Arn" else self._identity[1]


# The statements that name a set or a group: `Arn` in CloudFormation's schema, `ARN` in WAF's API.
_REFERENCE_STATEMENTS = ("IPSetReferenceStatement", "RegexPatternSetReferenceStatement", "RuleGroupReferenceStatement")


def _as_the_api_takes_it(node: Any) -> Any:
    """A web ACL's rules in WAF's API shape: a reference statement's `Arn` is `ARN`, and a byte match's
    `SearchString` (text) or `SearchStringBase64` is the API's base64 `SearchString`."""
    if isinstance(node, list):
        return [_as_the_api_takes_it(item) for item in node]
    if not isinstance(node, dict):
        return node
    api = {key: _as_the_api_takes_it(value) for key, value in node.items()}
    for statement in _REFERENCE_STATEMENTS:
        if isinstance(api.get(statement), dict) and "Arn" in api[statement]:
            api[statement] = {("ARN" if key == "Arn" else key): value for key, value in api[statement].items()}
    match = api.get("ByteMatchStatement")
    if isinstance(match, dict):
        if "SearchStringBase64" in match:
            match["SearchString"] = match.pop("SearchStringBase64")
        elif "SearchString" in match:
            match["SearchString"] = base64.b64encode(str(match["SearchString"]).encode()).decode()
    return api


def _references(node: Any, statement: str) -> Iterator[str]:
    """The `ARN` of every statement of this kind in a web ACL's rules (the API's shape), at any depth."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == statement and isinstance(value, dict) and "ARN" in value:
                yield str(value["ARN"])
            else:
                yield from _references(value, statement)
    elif isinstance(node, list):
        for item in node:
            yield from _references(item, statement)


# A web ACL's optional settings: CloudFormation property → moto's attribute and keyword (UpdateWebACL replaces
# them all: what the template drops is removed).
_WEB_ACL_SETTINGS = {
    "AssociationConfig": "association_config",
    "CaptchaConfig": "captcha_config",
    "ChallengeConfig": "challenge_config",
    "CustomResponseBodies": "custom_response_bodies",
    "TokenDomains": "token_domains",
}


class WebAcl(_WafModel, CloudFormationModel):
    """`AWS::WAFv2::WebACL`; GetAtt `Arn`, `Id` and `LabelNamespace`."""

    TYPE = "AWS::WAFv2::WebACL"
    NAME = "Name"
    ATTRIBUTES = ("Arn", "Id", "LabelNamespace")
    # The schema's createOnlyProperties: /properties/Name, /properties/Scope.
    CREATE_ONLY = frozenset({NAME, "Scope"})

    @staticmethod
    def _rules(backend: WAFV2Backend, props: Props) -> list[Props]:
        """The rules in the API's shape, refused as WAF refuses a reference to a set or group it does not have."""
        rules: list[Props] = _as_the_api_takes_it(list(props.get("Rules") or []))
        for arn in _references(rules, "IPSetReferenceStatement"):
            if arn not in backend.ip_sets:
                raise WAFNonexistentItemException()
        for arn in _references(rules, "RuleGroupReferenceStatement"):
            if arn not in backend.rule_groups:
                raise WAFNonexistentItemException()
        return rules

    def _create(self, props: Props) -> None:
        scope = props["Scope"]
        _check_scope(self.region_name, scope)
        backend = _waf_backend(self.account_id, self.region_name, scope)
        rules = self._rules(backend, props)
        acl = backend.create_web_acl(
            name=self._generated_name(128),
            visibility_config=props["VisibilityConfig"],
            default_action=props["DefaultAction"],
            scope=scope,
            description=props.get("Description", ""),
            tags=[],
            rules=rules,
            **{keyword: props.get(key) for key, keyword in _WEB_ACL_SETTINGS.items()},
        )
        self.physical_resource_id = f"{acl.name}|{acl.id}|{scope}"
        self.arn = acl.arn
        self._retag(self.arn, props.get("Tags"))

    def _update(self, props: Props) -> None:
        name, resource_id, _scope = self._identity
        backend = self._backend()
        rules = self._rules(backend, props)
        acl = backend.get_web_acl(self.arn, None, None)
        backend.update_web_acl(
            name=name,
            _id=resource_id,
            default_action=props["DefaultAction"],
            rules=rules,
            description=props.get("Description"),
            visibility_config=props["VisibilityConfig"],
            lock_token=acl.lock_token,
            **{keyword: props.get(key) for key, keyword in _WEB_ACL_SETTINGS.items()},
        )
        # moto's update keeps whatever a call leaves out; CloudFormation's removes it.
        if not rules:
            acl.rules = []
        acl.description = props.get("Description") or ""
        for key, attribute in _WEB_ACL_SETTINGS.items():
            setattr(acl, attribute, props.get(key))
        self._retag(self.arn, props.get("Tags"))

    def _delete(self) -> None:
        name, resource_id, scope = self._identity
        backend = self._backend()
        acl = backend.wacls.get(self.arn)
        if acl is not None:
            backend.delete_web_acl(name, scope, resource_id, acl.lock_token)
        backend.tagging_service.delete_all_tags_for_resource(self.arn)

    def _attribute(self, name: str) -> Any:
        if name == "Arn":
            return self.arn
        if name == "LabelNamespace":
            return self._backend().get_web_acl(self.arn, None, None).label_namespace
        return self._identity[1]


def _log_destination_name(arn: str) -> str | None:
    """The name WAF checks in a log destination's ARN: a log group's (its ARN may end `:*`), a bucket's or a
    Firehose stream's; None for anything else."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return None
    service, resource = parts[2], parts[5]
    if service == "logs" and resource.startswith("log-group:"):
        return resource.removeprefix("log-group:").split(":", 1)[0]
    if service == "s3":
        return resource.split("/", 1)[0]
    if service == "firehose" and resource.startswith("deliverystream/"):
        return resource.removeprefix("deliverystream/")
    return None


class LoggingConfiguration(_EdgeModel, CloudFormationModel):
    """`AWS::WAFv2::LoggingConfiguration`, in the stack's region (where WAF's logging calls for the web ACL go);
    Ref is the web ACL's ARN."""

    TYPE = "AWS::WAFv2::LoggingConfiguration"
    SERVICE = "Wafv2"
    ATTRIBUTES = ("ManagedByFirewallManager",)
    # The schema's createOnlyProperties: /properties/ResourceArn.
    CREATE_ONLY = frozenset({"ResourceArn"})

    def _backend(self) -> WAFV2Backend:
        return wafv2_backends[self.account_id][self.region_name]

    def _create(self, props: Props) -> None:
        self.physical_resource_id = props["ResourceArn"]
        self._update(props)

    def _update(self, props: Props) -> None:
        arn = props["ResourceArn"]
        scope = "CLOUDFRONT" if ":global/webacl/" in arn else "REGIONAL"
        if scope == "CLOUDFRONT" and self.region_name != _CLOUDFRONT_REGION:
            raise _waf_refusal(f"Error reason: The ARN isn't valid., field: RESOURCE_ARN, parameter: {arn}")
        if arn not in _waf_backend(self.account_id, self.region_name, scope).wacls:
            raise WAFNonexistentItemException()
        destinations = [str(destination) for destination in props["LogDestinationConfigs"]]
        for destination in destinations:
            name = _log_destination_name(destination)
            if name is None or not name.startswith(_WAF_LOG_PREFIX):
                raise _waf_refusal(
                    "Error reason: The ARN isn't valid. A valid ARN begins with arn: and includes other "
                    f"information separated by colons or slashes., field: LOG_DESTINATION, parameter: {destination}"
                )
        self._backend().put_logging_configuration(
            arn,
            destinations,
            props.get("RedactedFields"),
            False,
            props.get("LoggingFilter"),  # type: ignore[arg-type]
        )

    def _delete(self) -> None:
        backend = self._backend()
        if self.physical_resource_id in backend.logging_configurations:
            backend.delete_logging_configuration(self.physical_resource_id)

    def _attribute(self, name: str) -> Any:
        return False  # ManagedByFirewallManager: no Firewall Manager here


# --------------------------------------------------------------------------- CloudFront


def _cloudfront_backend(account_id: str, region_name: str) -> CloudFrontBackend:
    return cloudfront_backends[account_id][get_partition(region_name)]


def _function_config(props: Props) -> Props:
    config = props["FunctionConfig"]
    runtime = config.get("Runtime")
    if runtime not in _FUNCTION_RUNTIMES:
        raise CloudFrontException(
            "InvalidArgument", f"The function runtime {runtime!r} is not valid: {' or '.join(_FUNCTION_RUNTIMES)}."
        )
    api: Props = {"Comment": config.get("Comment", ""), "Runtime": runtime}
    stores = [{"KeyValueStoreARN": s["KeyValueStoreARN"]} for s in config.get("KeyValueStoreAssociations") or []]
    if stores:
        api["KeyValueStoreAssociations"] = _items(stores)
    return api


def _function_code(props: Props) -> bytes:
    code = str(props["FunctionCode"]).encode()
    if len(code) > _FUNCTION_CODE_LIMIT:
        raise CloudFrontException(
            "FunctionSizeLimitExceeded",
            "The function is too large. For more information, see Quotas (formerly known as limits) in the "
            "Amazon CloudFront Developer Guide.",
        )
    return code


class Function(_EdgeModel, CloudFormationModel):
    """`AWS::CloudFront::Function`; Ref and GetAtt `FunctionARN` its ARN, GetAtt `Stage`."""

    TYPE = "AWS::CloudFront::Function"
    NAME = "Name"
    SERVICE = "CloudFront"
    ATTRIBUTES = ("FunctionARN", "FunctionMetadata.FunctionARN", "Stage")
    # The schema's createOnlyProperties: /properties/Name.
    CREATE_ONLY = frozenset({NAME})

    def _backend(self) -> CloudFrontBackend:
        return _cloudfront_backend(self.account_id, self.region_name)

    def _create(self, props: Props) -> None:
        config, code = _function_config(props), _function_code(props)
        function = self._backend().create_function(props[self.NAME], config, code, [])
        self.physical_resource_id = function.arn
        self._publish(props)

    def _update(self, props: Props) -> None:
        config, code = _function_config(props), _function_code(props)
        function = self._backend().describe_function(props[self.NAME])
        if (function.config, function.code) != (config, code):
            # UpdateFunction: a new DEVELOPMENT copy, a new ETag.
            function.config, function.code = config, code
            function.last_modified_time = utcnow()
            function.etag = uuid.uuid4().hex.upper()[:14]
        self._publish(props)

    def _publish(self, props: Props) -> None:
        backend = self._backend()
        function = backend.describe_function(props[self.NAME])
        # AutoPublish: PublishFunction copies DEVELOPMENT to LIVE, which nothing is associated with yet.
        published = _true(props.get("AutoPublish", False))
        function.stage, function.status = ("LIVE", "UNASSOCIATED") if published else ("DEVELOPMENT", "UNPUBLISHED")
        backend.tagger.delete_all_tags_for_resource(function.arn)
        backend.tagger.tag_resource(function.arn, list(props.get("Tags") or []))

    def _delete(self) -> None:
        backend = self._backend()
        name = self.props[self.NAME]
        if name in backend.functions:
            backend.delete_function(name, if_match=backend.functions[name].etag)  # type: ignore[arg-type]
        backend.tagger.delete_all_tags_for_resource(self.physical_resource_id)

    def _attribute(self, name: str) -> Any:
        if name == "Stage":
            return self._backend().describe_function(self.props[self.NAME]).stage
        return self.physical_resource_id


def _function_associations(behavior: Props) -> Props:
    return _items(
        [
            {"FunctionARN": a["FunctionARN"], "EventType": a["EventType"]}
            for a in behavior.get("FunctionAssociations") or []
        ]
    )


def _lambda_associations(behavior: Props) -> Props:
    return _items(
        [
            {
                "LambdaFunctionARN": a["LambdaFunctionARN"],
                "EventType": a["EventType"],
                "IncludeBody": _true(a.get("IncludeBody", False)),
            }
            for a in behavior.get("LambdaFunctionAssociations") or []
        ]
    )


# A cache behavior's settings whose CloudFormation shape is the API's.
_BEHAVIOR_SETTINGS = (
    "PathPattern",
    "TargetOriginId",
    "ViewerProtocolPolicy",
    "CachePolicyId",
    "OriginRequestPolicyId",
    "ResponseHeadersPolicyId",
    "FieldLevelEncryptionId",
    "RealtimeLogConfigArn",
)


def _behavior(behavior: Props) -> Props:
    """A CloudFormation cache behavior (the default one or another) in the API's shape, with the schema's
    defaults."""
    api = {key: behavior[key] for key in _BEHAVIOR_SETTINGS if key in behavior}
    cached = list(behavior.get("CachedMethods") or ["GET", "HEAD"])
    api["AllowedMethods"] = {
        **_items(list(behavior.get("AllowedMethods") or ["GET", "HEAD"])),
        "CachedMethods": _items(cached),
    }
    api["Compress"] = _true(behavior.get("Compress", False))
    api["SmoothStreaming"] = _true(behavior.get("SmoothStreaming", False))
    api["FunctionAssociations"] = _function_associations(behavior)
    api["LambdaFunctionAssociations"] = _lambda_associations(behavior)
    for key in ("TrustedSigners", "TrustedKeyGroups"):
        values = list(behavior.get(key) or [])
        api[key] = {"Enabled": bool(values), **_items(values)}
    if not behavior.get("CachePolicyId"):  # the legacy cache settings, with the schema's defaults
        api.update(
            MinTTL=behavior.get("MinTTL", 0),
            DefaultTTL=behavior.get("DefaultTTL", 86400),
            MaxTTL=behavior.get("MaxTTL", 31536000),
        )
    forwarded = behavior.get("ForwardedValues")
    if forwarded is not None:
        cookies = dict(forwarded.get("Cookies") or {"Forward": "none"})
        if "WhitelistedNames" in cookies:
            cookies["WhitelistedNames"] = _items(cookies["WhitelistedNames"])
        api["ForwardedValues"] = {
            "QueryString": _true(forwarded.get("QueryString", False)),
            "Cookies": cookies,
            "Headers": _items(forwarded.get("Headers")),
            "QueryStringCacheKeys": _items(forwarded.get("QueryStringCacheKeys")),
        }
    return api


def _origin(origin: Props) -> Props:
    """A CloudFormation origin in the API's shape: `OriginCustomHeaders` become `CustomHeaders`, a custom origin's
    `OriginSSLProtocols` its `OriginSslProtocols`, with the schema's defaults."""
    api: Props = {"Id": origin["Id"], "DomainName": origin["DomainName"], "OriginPath": origin.get("OriginPath", "")}
    for key in ("ConnectionAttempts", "ConnectionTimeout", "OriginAccessControlId", "OriginShield"):
        if key in origin:
            api[key] = origin[key]
    api["CustomHeaders"] = _items(
        [
            {"HeaderName": h["HeaderName"], "HeaderValue": h["HeaderValue"]}
            for h in origin.get("OriginCustomHeaders") or []
        ]
    )
    custom = origin.get("CustomOriginConfig")
    if custom is not None:
        api["CustomOriginConfig"] = {
            "HTTPPort": int(custom.get("HTTPPort", 80)),
            "HTTPSPort": int(custom.get("HTTPSPort", 443)),
            "OriginProtocolPolicy": custom["OriginProtocolPolicy"],
            "OriginSslProtocols": _items(list(custom.get("OriginSSLProtocols") or ["TLSv1", "SSLv3"])),
            "OriginReadTimeout": int(custom.get("OriginReadTimeout", 30)),
            "OriginKeepaliveTimeout": int(custom.get("OriginKeepaliveTimeout", 5)),
        }
    s3 = origin.get("S3OriginConfig")
    if s3 is not None:
        api["S3OriginConfig"] = {"OriginAccessIdentity": s3.get("OriginAccessIdentity", "")}
    return api


def _distribution_config(config: Props, caller_reference: str) -> Props:
    """CloudFormation's DistributionConfig as the CloudFront API takes it (what moto's CreateDistribution parses)."""
    api: Props = {
        "CallerReference": caller_reference,
        "Aliases": _items(config.get("Aliases")),
        "Origins": _items([_origin(origin) for origin in config.get("Origins") or []]),
        "DefaultCacheBehavior": _behavior(config["DefaultCacheBehavior"]),
        "CacheBehaviors": _items([_behavior(behavior) for behavior in config.get("CacheBehaviors") or []]),
        "CustomErrorResponses": _items(
            [
                {key: str(value) if key == "ResponseCode" else value for key, value in response.items()}
                for response in config.get("CustomErrorResponses") or []
            ]
        ),
        "Comment": config.get("Comment", ""),
        "DefaultRootObject": config.get("DefaultRootObject", ""),
        "Enabled": _true(config["Enabled"]),
        "HttpVersion": config.get("HttpVersion", "http1.1"),
        "IsIPV6Enabled": _true(config.get("IPV6Enabled", False)),
        "PriceClass": config.get("PriceClass", "PriceClass_All"),
        "WebACLId": config.get("WebACLId", ""),
    }
    for key in ("OriginGroups", "ContinuousDeploymentPolicyId", "Staging"):
        if key in config:
            api[key] = config[key]
    geo = (config.get("Restrictions") or {"GeoRestriction": {"RestrictionType": "none"}})["GeoRestriction"]
    api["Restrictions"] = {
        "GeoRestriction": {"RestrictionType": geo["RestrictionType"], **_items(geo.get("Locations"))}
    }
    logging = config.get("Logging")
    if logging is not None:  # CloudFormation logs when the property is there
        api["Logging"] = {
            "Enabled": True,
            "IncludeCookies": _true(logging.get("IncludeCookies", False)),
            "Bucket": logging.get("Bucket", ""),
            "Prefix": logging.get("Prefix", ""),
        }
    certificate = config.get("ViewerCertificate") or {"CloudFrontDefaultCertificate": True}
    api["ViewerCertificate"] = {
        "CloudFrontDefaultCertificate": _true(certificate.get("CloudFrontDefaultCertificate", False)),
        **{
            api_key: certificate[key]
            for key, api_key in (
                ("AcmCertificateArn", "ACMCertificateArn"),
                ("IamCertificateId", "IAMCertificateId"),
                ("SslSupportMethod", "SSLSupportMethod"),
                ("MinimumProtocolVersion", "MinimumProtocolVersion"),
            )
            if key in certificate
        },
    }
    return api


class Distribution(_EdgeModel, CloudFormationModel):
    """`AWS::CloudFront::Distribution`; Ref and GetAtt `Id` its id, GetAtt `DomainName`."""

    TYPE = "AWS::CloudFront::Distribution"
    SERVICE = "CloudFront"
    ATTRIBUTES = ("DomainName", "Id")
    # The schema has no createOnlyProperties: every property updates in place.

    @classmethod
    def _kept(cls, props: Props) -> Props:
        """The properties without the origins' custom header values (CloudFront keeps those; the model does not)."""
        kept = json.loads(json.dumps(props))
        for origin in (kept.get("DistributionConfig") or {}).get("Origins") or []:
            for header in origin.get("OriginCustomHeaders") or []:
                header.pop("HeaderValue", None)
        return dict(kept)

    def _backend(self) -> CloudFrontBackend:
        return _cloudfront_backend(self.account_id, self.region_name)

    def _check(self, config: Props) -> None:
        arn = str((config.get("ViewerCertificate") or {}).get("AcmCertificateArn") or "")
        if arn:
            in_us_east_1 = arn.split(":")[3:4] == [_CLOUDFRONT_REGION]
            if not in_us_east_1 or arn not in acm_backends[self.account_id][_CLOUDFRONT_REGION]._certificates:
                raise CloudFrontException(
                    "InvalidViewerCertificate",
                    "The specified SSL certificate doesn't exist, isn't in us-east-1 region, isn't valid, or "
                    "doesn't include a valid certificate chain.",
                )
        acl = str(config.get("WebACLId") or "")
        # Only a CLOUDFRONT-scope web ACL of the account (WAFv2: its ARN) protects a distribution.
        if acl and acl not in wafv2_backends[self.account_id][GLOBAL_REGION].wacls:
            raise CloudFrontException("InvalidWebACLId", "Web ACL is not accessible by the requester.")

    def _create(self, props: Props) -> None:
        config = props["DistributionConfig"]
        self._check(config)
        self.caller_reference = str(uuid.uuid4())
        distribution, _location, _etag = self._backend().create_distribution(
            _distribution_config(config, self.caller_reference), list(props.get("Tags") or [])
        )
        self.physical_resource_id = distribution.distribution_id
        # CloudFront's domain names are `d` and 13 lower-case letters or digits.
        alphabet = string.ascii_lowercase + string.digits
        distribution.domain_name = "d" + "".join(secrets.choice(alphabet) for _ in range(13)) + ".cloudfront.net"
        self._complete(distribution, config)

    def _update(self, props: Props) -> None:
        config = props["DistributionConfig"]
        self._check(config)
        backend = self._backend()
        distribution, _etag = backend.get_distribution(self.physical_resource_id)
        # moto takes any If-Match value (the distribution's ETag, which is what CloudFormation sends).
        backend.update_distribution(
            _distribution_config(config, self.caller_reference), self.physical_resource_id, True
        )
        self._complete(distribution, config)
        backend.tagger.delete_all_tags_for_resource(distribution.arn)
        backend.tagger.tag_resource(distribution.arn, list(props.get("Tags") or []))

    @staticmethod
    def _complete(distribution: FakeDistribution, config: Props) -> None:
        """Set what moto's DistributionConfig drops: the behaviors' function and Lambda@Edge associations, and the
        certificate's source."""
        parsed: Any = distribution.distribution_config  # its settings are the API's names, set from the dict
        behaviors = [(parsed.DefaultCacheBehavior, config["DefaultCacheBehavior"])]
        behaviors += list(
            zip((parsed.CacheBehaviors or {}).get("Items") or [], config.get("CacheBehaviors") or [], strict=False)
        )
        for behavior, given in behaviors:
            behavior.function_associations = _function_associations(given)
            behavior.lambda_function_associations = _lambda_associations(given)
        certificate = config.get("ViewerCertificate") or {}
        viewer = parsed.ViewerCertificate
        viewer.cloud_front_default_certificate = _true(certificate.get("CloudFrontDefaultCertificate", not certificate))
        if certificate.get("AcmCertificateArn"):
            viewer.certificate_source, viewer.certificate = "acm", certificate["AcmCertificateArn"]
        elif certificate.get("IamCertificateId"):
            viewer.certificate_source, viewer.certificate = "iam", certificate["IamCertificateId"]

    def _delete(self) -> None:
        backend = self._backend()
        if self.physical_resource_id in backend.distributions:
            # CloudFormation disables the distribution, waits for it, then deletes it.
            backend.delete_distribution(self.physical_resource_id, if_match=True)

    def _attribute(self, name: str) -> Any:
        if name == "DomainName":
            return self._backend().distributions[self.physical_resource_id].domain_name
        return self.physical_resource_id
