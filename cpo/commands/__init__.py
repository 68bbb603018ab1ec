"""One module per noun: each defines a click group and its verbs."""
