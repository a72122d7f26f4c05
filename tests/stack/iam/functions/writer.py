"""Reads an item, then writes it (ITEMS_TABLE); an AWS error is left to Lambda, unhandled."""

import json
import os

import boto3

TABLE = boto3.client("dynamodb")


def handler(event, context):
    key = {"id": {"S": context.aws_request_id}}
    TABLE.get_item(TableName=os.environ["ITEMS_TABLE"], Key=key)
    TABLE.put_item(TableName=os.environ["ITEMS_TABLE"], Item=key)
    return {
        "statusCode": 200,
        "body": json.dumps(
            {"written": key["id"]["S"], "access_key": os.environ["AWS_ACCESS_KEY_ID"]}
        ),
    }
