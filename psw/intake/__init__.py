"""Intake: finding uploads in the trusts' buckets, and processing each (archive,
validate, report back, land, record), in warm processes or workers."""
