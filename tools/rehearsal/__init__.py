"""A deploy rehearsal: the real CDK CLI deploys the stacks against moto in server mode, on loopback."""
