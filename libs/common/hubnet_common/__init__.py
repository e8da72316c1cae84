"""hubnet's shared code: the partner SDK (messages, envelope) and the plumbing every service uses."""
