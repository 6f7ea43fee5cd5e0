"""Infrastructure that is not a function: the local stack (infra/local) and deployment glue."""
