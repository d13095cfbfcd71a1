// Compare CloudFormation templates with the CDK's own diff library (what `cdk diff` uses),
// which knows from the resource specification which property changes replace a resource.
//
// stdin:  {"stacks": [{"name": "...", "old": <template or null>, "new": <template or null>}]}
// stdout: {"stacks": [{"name": "...", "resources": [...], "outputs": [...]}]}, where each
//         resource change is {logicalId, type, impact, properties: [{name, impact}]} and
//         each output change is {logicalId, change: "added"|"removed"|"updated", oldExport, newExport},
//         and security is {broadened, iam: [[...row]], securityGroups: [[...row]]}: the library's
//         own summary tables of IAM statement and security-group rule changes (header row first).
import { fullDiff } from '@aws-cdk/cloudformation-diff';

const input = JSON.parse(await new Promise((resolve) => {
  let data = '';
  process.stdin.on('data', (chunk) => { data += chunk; });
  process.stdin.on('end', () => resolve(data));
}));

function exportName(output) {
  return output && output.Export ? JSON.stringify(output.Export.Name) : null;
}

const stacks = input.stacks.map(({ name, old: before, new: after }) => {
  const diff = fullDiff(before ?? {}, after ?? {});
  const resources = [];
  diff.resources.forEachDifference((logicalId, change) => {
    const properties = [];
    for (const [property, propertyChange] of Object.entries(change.propertyUpdates)) {
      properties.push({ name: property, impact: propertyChange.changeImpact ?? 'WILL_UPDATE' });
    }
    resources.push({
      logicalId,
      type: change.newResourceType ?? change.oldResourceType,
      impact: change.changeImpact,
      properties,
    });
  });
  const outputs = [];
  diff.outputs.forEachDifference((logicalId, change) => {
    const kind = change.isAddition ? 'added' : change.isRemoval ? 'removed' : 'updated';
    outputs.push({ logicalId, change: kind, oldExport: exportName(change.oldValue), newExport: exportName(change.newValue) });
  });
  const security = {
    broadened: diff.permissionsBroadened,
    iam: diff.iamChanges.hasChanges ? diff.iamChanges.summarizeStatements() : [],
    managedPolicies: diff.iamChanges.hasChanges ? diff.iamChanges.summarizeManagedPolicies() : [],
    securityGroups: diff.securityGroupChanges.hasChanges ? diff.securityGroupChanges.summarize() : [],
  };
  return { name, resources, outputs, security };
});

process.stdout.write(JSON.stringify({ stacks }));
