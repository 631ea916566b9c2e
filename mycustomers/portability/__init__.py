"""One performer's data as a versioned JSON Lines file (docs/operations.md, "Performer export
and import"): ``format`` says what a line holds, ``exporting`` writes a file, ``importing``
loads one."""
