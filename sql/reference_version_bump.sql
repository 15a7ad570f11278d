-- Run first in every transaction that changes reference data: it takes the version row's lock
-- until the change commits, so shift writes that read the version FOR SHARE wait for the change.
update reference_version set version = version + 1 where singleton = 1
