"""The hub: the Flask app, the REST API, the queues, the workers' processes and the CLI."""
