"""A takeover with `cdk import` (tools/gates/adoption.py): what the guard and the review make of it.

Small hand-written templates and mappings in a tmp folder, no synth: a change is an import only
with a committed mapping whose live id the new template sets, and nothing else changed that replaces;
the app's VPC gone is referenced only in a takeover that sets vpc_id; without `.adopt/` nothing changes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tools.gates import adoption
from tools.gates.adoption import Adoption, AdoptionError
from tools.gates.guard import BASELINE, VARIANTS, check, losses
from tools.gates.review import Configuration, compare, render

PROD = Configuration("prod", "lambda")
DATABASE = "DatabaseInstanceAA8A5FDE"
LIVE_VPC = "vpc-0a1b2c3d4e5f60718"
MAPPING = {DATABASE: {"DBInstanceIdentifier": "anigmaa-postgres"}}


def _database(**properties: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::RDS::DBInstance",
        "Properties": {"Engine": "postgres", "DBInstanceClass": "db.t4g.micro", "StorageEncrypted": True, **properties},
        "DeletionPolicy": "Snapshot",
        "UpdateReplacePolicy": "Snapshot",
    }


# The app's own VPC, and a security group in it.
APP_NETWORK: dict[str, Any] = {
    "NetworkVpc7FB7348F": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
    "NetworkVpcPrivateSubnet1Subnet6DD86AE6": {
        "Type": "AWS::EC2::Subnet",
        "Properties": {"VpcId": {"Ref": "NetworkVpc7FB7348F"}, "CidrBlock": "10.0.0.0/24"},
    },
    "NetworkVpcPrivateSubnet1RouteTable7D7AA3CD": {
        "Type": "AWS::EC2::RouteTable",
        "Properties": {"VpcId": {"Ref": "NetworkVpc7FB7348F"}},
    },
    "DatabaseSecurityGroup": {
        "Type": "AWS::EC2::SecurityGroup",
        "Properties": {"GroupDescription": "database", "VpcId": {"Ref": "NetworkVpc7FB7348F"}},
    },
}
# The same app on the live VPC: only the security group is left, in the live VPC.
LIVE_NETWORK: dict[str, Any] = {
    "DatabaseSecurityGroup": {
        "Type": "AWS::EC2::SecurityGroup",
        "Properties": {"GroupDescription": "database", "VpcId": LIVE_VPC},
    },
}


def _assembly(folder: Path, **stacks: dict[str, Any]) -> Path:
    folder.mkdir(parents=True)
    for name, resources in stacks.items():
        (folder / f"{name}.template.json").write_text(json.dumps({"Resources": resources}), encoding="utf-8")
    return folder


def _root(tmp_path: Path, *, mapping: dict[str, Any] | None, vpc_id: str = "") -> Path:
    """A project folder: cdk.json with prod's vpc_id, and .adopt/prod/ with the mapping (if any)."""
    root = tmp_path / "project"
    root.mkdir(parents=True)
    prod = {"vpc_id": vpc_id} if vpc_id else {}
    (root / "cdk.json").write_text(json.dumps({"context": {"environments": {"prod": prod, "dev": {}}}}))
    if mapping is not None:
        (root / ".adopt" / "prod").mkdir(parents=True)
        (root / ".adopt" / "prod" / "resource-mapping-Data.json").write_text(json.dumps(mapping))
    return root


def _data_change(tmp_path: Path, **after: Any) -> tuple[Path, Path]:
    base = _assembly(tmp_path / "base", Data={DATABASE: _database()})
    head = _assembly(tmp_path / "head", Data={DATABASE: _database(**after)})
    return base, head


def test_the_live_identifier_of_the_mapping_is_an_import(tmp_path: Path) -> None:
    base, head = _data_change(tmp_path, DBInstanceIdentifier="anigmaa-postgres")
    takeover = adoption.load(_root(tmp_path, mapping=MAPPING), "prod")
    assert takeover == Adoption("prod", {"Data": MAPPING})

    assert losses(base, head, "prod-lambda", takeover) == []
    result = compare(PROD, base, head, takeover)
    [data] = result.stacks
    assert (result.destructive, data.replaced) == ([], [])
    assert data.imported == [f"`{DATABASE}` (AWS::RDS::DBInstance) — imported from anigmaa-postgres"]
    assert f"- Imported: `{DATABASE}` (AWS::RDS::DBInstance) — imported from anigmaa-postgres" in render([result], "a")
    # Without the mapping, the same change is what the diff library says: a replacement.
    [loss] = losses(base, head, "prod-lambda")
    assert loss.describe().endswith(f"{DATABASE} would be replaced (because DBInstanceIdentifier changes)")


def test_another_identifier_than_the_mapping_is_still_a_replacement(tmp_path: Path) -> None:
    base, head = _data_change(tmp_path, DBInstanceIdentifier="anigmaa-postgres-new")
    takeover = Adoption("prod", {"Data": MAPPING})

    [loss] = losses(base, head, "prod-lambda", takeover)
    assert loss.describe() == (
        f"prod-lambda/Data.template.json: AWS::RDS::DBInstance {DATABASE} would be replaced "
        "(because DBInstanceIdentifier changes)"
    )
    result = compare(PROD, base, head, takeover)
    assert result.verdict == "**destructive**"
    assert result.stacks[0].imported == []
    assert result.stacks[0].replaced == [
        f"`{DATABASE}` (AWS::RDS::DBInstance) — stateful, because of DBInstanceIdentifier"
    ]


def test_a_create_only_change_beside_the_import_is_still_a_replacement(tmp_path: Path) -> None:
    base, head = _data_change(tmp_path, DBInstanceIdentifier="anigmaa-postgres", StorageEncrypted=False)
    takeover = Adoption("prod", {"Data": MAPPING})

    [loss] = losses(base, head, "prod-lambda", takeover)
    assert "would be replaced (because StorageEncrypted, DBInstanceIdentifier changes)" in loss.describe()
    assert compare(PROD, base, head, takeover).verdict == "**destructive**"


def test_a_mapping_of_another_stack_imports_nothing_here(tmp_path: Path) -> None:
    base, head = _data_change(tmp_path, DBInstanceIdentifier="anigmaa-postgres")
    assert [loss.logical_id for loss in losses(base, head, "prod-lambda", Adoption("prod", {"Network": MAPPING}))] == [
        DATABASE
    ]


def test_the_app_vpc_gone_is_referenced_only_in_a_takeover_that_sets_vpc_id(tmp_path: Path) -> None:
    base = _assembly(tmp_path / "base", Network=APP_NETWORK)
    head = _assembly(tmp_path / "head", Network=LIVE_NETWORK)
    takeover = adoption.load(_root(tmp_path, mapping=MAPPING, vpc_id=LIVE_VPC), "prod")
    assert takeover == Adoption("prod", {"Data": MAPPING}, LIVE_VPC)

    assert losses(base, head, "prod-lambda", takeover) == []
    result = compare(PROD, base, head, takeover)
    [network] = result.stacks
    assert result.destructive == []
    assert network.referenced == [
        f"`NetworkVpc7FB7348F` (AWS::EC2::VPC) — referenced: the live VPC {LIVE_VPC}",
        f"`NetworkVpcPrivateSubnet1Subnet6DD86AE6` (AWS::EC2::Subnet) — referenced: the live VPC {LIVE_VPC}",
        f"`NetworkVpcPrivateSubnet1RouteTable7D7AA3CD` (AWS::EC2::RouteTable) — referenced: the live VPC {LIVE_VPC}",
    ]
    assert network.removed == []
    # The app's security group moves with it: a new group in the live VPC, which the review still shows.
    assert network.replaced == [
        "`DatabaseSecurityGroup` (AWS::EC2::SecurityGroup) — stateful, because of VpcId: "
        f"rebuilt in the live VPC {LIVE_VPC}"
    ]

    today = [
        "prod-lambda/Network.template.json: AWS::EC2::VPC NetworkVpc7FB7348F would be deleted",
        "prod-lambda/Network.template.json: AWS::EC2::Subnet NetworkVpcPrivateSubnet1Subnet6DD86AE6 would be deleted",
        "prod-lambda/Network.template.json: AWS::EC2::SecurityGroup DatabaseSecurityGroup would be replaced "
        "(because VpcId changes)",
    ]
    # vpc_id on an environment the app built (no mapping): it would delete the app's VPC.
    assert adoption.load(_root(tmp_path / "built", mapping=None, vpc_id=LIVE_VPC), "prod") is None
    assert [loss.describe() for loss in losses(base, head, "prod-lambda")] == today
    # A takeover of the data alone keeps the app's VPC: its removal is still a loss.
    data_only = adoption.load(_root(tmp_path / "data-only", mapping=MAPPING), "prod")
    assert [loss.describe() for loss in losses(base, head, "prod-lambda", data_only)] == today
    # A takeover of another VPC than the one the stack now names references nothing.
    elsewhere = Adoption("prod", {"Data": MAPPING}, "vpc-0ffffffffffffffff")
    assert [loss.describe() for loss in losses(base, head, "prod-lambda", elsewhere)] == today


def test_a_security_group_moved_out_of_a_vpc_the_stack_keeps_is_still_a_replacement(tmp_path: Path) -> None:
    base = _assembly(tmp_path / "base", Network=APP_NETWORK)
    head = _assembly(tmp_path / "head", Network={**APP_NETWORK, **LIVE_NETWORK})
    takeover = Adoption("prod", {"Data": MAPPING}, LIVE_VPC)
    [loss] = losses(base, head, "prod-lambda", takeover)
    assert loss.logical_id == "DatabaseSecurityGroup"


def test_without_an_adopt_folder_the_guard_and_the_review_say_what_they_said(tmp_path: Path) -> None:
    root = _root(tmp_path, mapping=None, vpc_id=LIVE_VPC)
    (root / ".adopt" / "prod").mkdir(parents=True)  # a folder without a mapping is no takeover either
    assert adoption.load(root, "prod") is None
    assert adoption.load(root, "dev") is None
    base = _assembly(tmp_path / "base", Data={DATABASE: _database()}, Network=APP_NETWORK)
    head = _assembly(
        tmp_path / "head", Data={DATABASE: _database(DBInstanceIdentifier="anigmaa-postgres")}, Network=LIVE_NETWORK
    )
    assert losses(base, head, "prod-lambda", None) == losses(base, head, "prod-lambda")
    assert render([compare(PROD, base, head, None)], "a") == render([compare(PROD, base, head)], "a")


def test_the_guard_reads_the_takeover_of_the_variant_env(tmp_path: Path) -> None:
    """The guard's own path: prod's baseline against a copy that names the live database."""
    [prod] = [v for v in VARIANTS if v.name == "prod"]
    current = tmp_path / "current"
    shutil.copytree(BASELINE, current)
    path = current / "Data.template.json"
    data = json.loads(path.read_text())
    data["Resources"][DATABASE]["Properties"]["DBInstanceIdentifier"] = "anigmaa-postgres"
    path.write_text(json.dumps(data))

    refused, adopted = check(prod, current, "prod-lambda", root=_root(tmp_path, mapping=MAPPING))
    assert (refused, adopted) == (
        [],
        [f"prod-lambda/Data.template.json: AWS::RDS::DBInstance {DATABASE} imported from anigmaa-postgres"],
    )
    refused, adopted = check(prod, current, "prod-lambda", root=_root(tmp_path / "none", mapping=None))
    assert adopted == []
    assert refused == [
        f"prod-lambda/Data.template.json: AWS::RDS::DBInstance {DATABASE} would be replaced "
        "(because DBInstanceIdentifier changes)"
    ]


def test_vpc_id_comes_from_cdk_json_or_the_synth_context(tmp_path: Path) -> None:
    root = _root(tmp_path, mapping=MAPPING, vpc_id=LIVE_VPC)
    assert adoption.load(root, "prod") == Adoption("prod", {"Data": MAPPING}, LIVE_VPC)
    other = "vpc-0123456789abcdef0"
    assert adoption.load(root, "prod", ("domain_name=api.anigmaa.example", f"vpc_id={other}")) == Adoption(
        "prod", {"Data": MAPPING}, other
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{", "not valid JSON"),
        ('{"DatabaseInstanceAA8A5FDE": "anigmaa-postgres"}', "not a resource mapping"),
        ('{"DatabaseInstanceAA8A5FDE": {}}', "not a resource mapping"),
    ],
)
def test_a_malformed_mapping_is_named_in_one_line(tmp_path: Path, text: str, problem: str) -> None:
    root = _root(tmp_path, mapping={})
    (root / ".adopt" / "prod" / "resource-mapping-Data.json").write_text(text)
    with pytest.raises(AdoptionError, match=rf"^\.adopt/prod/resource-mapping-Data\.json: {problem}.*accepted: "):
        adoption.load(root, "prod")
