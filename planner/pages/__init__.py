"""The planner's pages: thin views over the bridge, the runs package and the reports.

One module per page family (home and study, capacity, scenarios, runs and compare, sweeps), the
forms they share, and the catalog colours every chart and elevation uses.
"""
