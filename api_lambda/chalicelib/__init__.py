"""thinker-api's logic: input contract, the signed call to thinker-microservice, error bodies."""
