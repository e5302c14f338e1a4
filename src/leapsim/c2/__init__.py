"""Command and control: threat evaluation, fire allocation policies and WTA solvers."""
