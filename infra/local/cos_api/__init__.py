"""The COS XML API on the local gateway's port, over the filesystem buckets (issue 15)."""
