"""thinker-microservice: answers each subject with a thought, as an aiohttp application.

The same :func:`microservice.main.init_app` runs standalone (``python -m aiohttp.web``) and
inside AWS Lambda through :mod:`microservice.adapter`.
"""
