"""hubnet's shared code, one house with rooms by audience: `sdk` (what a partner system imports),
`service` (the runtime of every service), `ops` (operators' tools and the local stack) and
`testing` (fakes for tests). `.importlinter` holds ops -> service -> sdk."""
