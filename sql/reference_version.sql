-- The version of reference data (rate card, pay rules, workers, people, arrangements, bank
-- holidays): bumped by every change to it.
select version from reference_version where singleton = 1
