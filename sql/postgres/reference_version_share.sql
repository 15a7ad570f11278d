-- The reference version as a shift write sees it: waits for a reference change in progress, and
-- holds that change back until the write commits.
select version from reference_version where singleton = 1 for share
