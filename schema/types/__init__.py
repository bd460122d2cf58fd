"""GraphQL output types: thin views over rows; relations go through the request's DataLoaders."""
