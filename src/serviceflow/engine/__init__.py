"""The functional core: decide(state, input, now, policy set) -> outcome. Pure."""
