"""Operations against a deployed environment: AWS sessions, the SSM secrets, the smoke test."""
