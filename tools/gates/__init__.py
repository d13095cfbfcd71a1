"""Gates: the synth summary, cfn-lint and checkov, the stateful guard and the template diff,
with the one cloud-assembly reader they (and the cost report) share."""
