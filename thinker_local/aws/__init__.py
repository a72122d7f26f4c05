"""The local AWS account on moto: IAM roles and sessions, STS, DynamoDB, the custom resources."""
