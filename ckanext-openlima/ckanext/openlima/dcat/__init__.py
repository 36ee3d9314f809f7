"""DCAT-AP 3 export of the MML catalogue: the Open Lima profile and the conformance check."""
