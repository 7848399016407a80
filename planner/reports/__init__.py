"""Pure reports on result v1: the bill of materials (`bom`) and the page summaries and rack
elevations (`summary`). They read the figures the solver wrote into the result; they never
recompute a rule the solver applies."""
