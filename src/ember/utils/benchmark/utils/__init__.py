"""The pieces of ember.utils.benchmark: common (TaskSpec, Measurement), timer, compare."""
