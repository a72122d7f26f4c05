"""API Gateway, emulated: route matching, the proxy event, SigV4 and its own error answers."""
