"""Imports PyYAML when the module loads; requirements.txt beside it declares it."""

import yaml


def handler(event, context):
    return {"statusCode": 200, "body": yaml.safe_dump({"yaml": yaml.__version__})}
