"""``sam local start-api`` as one command: what it needs around it, started and stopped with it.

- :mod:`.engine`: a Docker engine (the one that runs, or ``dockerd`` started here), the host's
  address on its bridge, and the containers ``sam`` leaves behind.
- :mod:`.image`: the Lambda base image ``sam local`` runs: AWS's when it is here, else the
  stand-in ``sam_local/build-image`` makes.
- :mod:`.processes`: ``sam build`` and ``sam local start-api`` as child processes, each line of
  their output, and of each container's, through :class:`~thinker_local.output.Output`
  (:mod:`.lines`).
- :mod:`.runner`: the whole run, started and stopped as one (``python -m thinker_local sam``).
"""
