"""The app's CloudFormation stacks; each composes constructs from `constructs/`."""
