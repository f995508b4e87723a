"""The decider pattern's fold: a state is its events applied in order (decide/evolve domains)."""


def fold(evolve, initial, events):
    state = initial
    for event in events:
        state = evolve(state, event)
    return state
