"""Feature packs: the on-disk format, builders from skeletons, text features, synthetic packs."""
