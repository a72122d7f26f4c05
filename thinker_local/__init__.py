"""thinker's local stack: the whole system on one machine, from template.yaml alone.

API Gateway, Lambda execution environments, DynamoDB and a Datadog agent with its APM views,
with no Docker, no AWS account and no Datadog account. Start it with ``make up``.
"""
