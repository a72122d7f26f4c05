"""Imports PyYAML when the module loads; this directory's requirements declare nothing."""

import yaml


def handler(event, context):
    return {"statusCode": 200, "body": yaml.safe_dump({"yaml": yaml.__version__})}
