"""Lambda's Invoke API, locally: what ``sam local start-lambda`` serves, for boto3 and the AWS CLI.

- :mod:`.api`: the aiohttp application, ``POST /2015-03-31/functions/{name}/invocations``:
  SigV4, IAM (``lambda:InvokeFunction``), then a RequestResponse, Event or DryRun invocation;
- :mod:`.names`: a function named by logical id, physical name, full or partial ARN, qualifier;
- :mod:`.errors`: Lambda's error answers (status, ``x-amzn-ErrorType``, JSON body);
- :mod:`.events`: the asynchronous (Event) invocations, run and retried as Lambda retries them;
- :mod:`.tail`: the last 4 KB of an invocation's log, for ``X-Amz-Log-Type: Tail``.
"""

from .api import LambdaApi

__all__ = ["LambdaApi"]
